package room

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// pollHub is a hub with an operator, prof, and two members, ann and bob.
func pollHub(t *testing.T) (h *Hub, prof, ann, bob *Member) {
	t.Helper()
	h = newTestHub(t, Options{OpPassword: "s3cret"})
	ms := joinAll(t, h, "prof", "ann", "bob")
	h.Post(ms[0], "/op s3cret")
	for _, m := range ms {
		m.Drain(nil)
	}
	return h, ms[0], ms[1], ms[2]
}

// expectReply drains m and checks it held exactly want, a reply to it
// alone (expect takes only the hub's older replies for replies).
func expectReply(t *testing.T, m *Member, want Message) {
	t.Helper()
	got := m.Drain(nil)
	if len(got) != 1 || got[0].Seq != 0 {
		t.Fatalf("%s received\n%swant one reply", m.Name(), dump(got))
	}
	if want.At.IsZero() {
		want.At = testClock
	}
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("%s received\n%s%+v\nwant\n%+v", m.Name(), dump(got), got[0], want)
	}
}

func counts(v *PollView) []int {
	if v == nil {
		return nil
	}
	return v.Counts
}

func TestParsePoll(t *testing.T) {
	tests := []struct {
		args    string
		q       string
		choices []string
		err     ErrorCode
		at      int
	}{
		{"Lunch? | pizza | salad", "Lunch?", []string{"pizza", "salad"}, 0, 0},
		{"  Q |a|b|c|d|e|f|g|h|i ", "Q", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}, 0, 0},
		{"Q | a", "", nil, ErrPollChoices, 1},
		{"Q", "", nil, ErrPollChoices, 0},
		{"Q|a|b|c|d|e|f|g|h|i|j", "", nil, ErrPollChoices, 10},
		{" | a | b", "", nil, ErrPollEmpty, 0},
		{"Q | a |  | b", "", nil, ErrPollEmpty, 2},
		{"Q | a | b |", "", nil, ErrPollEmpty, 3},
	}
	for _, tt := range tests {
		q, choices, err, at := ParsePoll(tt.args)
		if q != tt.q || !slices.Equal(choices, tt.choices) || err != tt.err || at != tt.at {
			t.Errorf("ParsePoll(%q) = %q %q %v %d; want %q %q %v %d", tt.args, q, choices, err, at, tt.q, tt.choices, tt.err, tt.at)
		}
	}
}

func TestPollOpenVoteClose(t *testing.T) {
	h, prof, ann, bob := pollHub(t)
	h.Post(prof, "/poll Lunch? | pizza | salad")
	opened := Message{Kind: KindPoll, From: "prof", SenderID: prof.ID(), Text: "Lunch?", Rooms: []RoomInfo{{Name: "pizza"}, {Name: "salad"}}}
	var pollSeq uint64
	for _, m := range []*Member{prof, ann, bob} {
		pollSeq = expect(t, m, opened)[0].Seq
	}
	if v := h.PollOf(ann); v == nil || v.Question != "Lunch?" || !slices.Equal(v.Counts, []int{0, 0}) {
		t.Fatalf("PollOf after opening: %+v", v)
	}

	// A vote is told to its voter alone; the tally is read, not sent.
	h.Post(ann, "/vote 1")
	expectReply(t, ann, Message{Kind: KindVote, Room: "main", Text: "1. pizza"})
	expect(t, bob)
	expect(t, prof)
	h.Post(bob, "/vote 1")
	expectReply(t, bob, Message{Kind: KindVote, Room: "main", Text: "1. pizza"})
	h.Post(bob, "/vote 2") // changed: counted once, on its new choice
	expectReply(t, bob, Message{Kind: KindVote, Room: "main", Text: "2. salad", To: "1. pizza"})
	h.Post(bob, "/vote 2") // the same again changes nothing
	expectReply(t, bob, Message{Kind: KindVote, Room: "main", Text: "2. salad"})
	if got := counts(h.PollOf(prof)); !slices.Equal(got, []int{1, 1}) {
		t.Fatalf("counts %v; want [1 1]", got)
	}

	h.Post(ann, "/poll")
	tally := Message{Kind: KindPollTally, Room: "main", From: "prof", Text: "Lunch?", Rooms: []RoomInfo{{Name: "pizza", Members: 1}, {Name: "salad", Members: 1}}, Others: 2}
	expectReply(t, ann, tally)

	h.Post(prof, "/endpoll")
	result := Message{Kind: KindPollResult, From: "prof", SenderID: prof.ID(), To: "prof", Text: "Lunch?", Rooms: []RoomInfo{{Name: "pizza", Members: 1}, {Name: "salad", Members: 1}}, Others: 2, Ref: pollSeq}
	for _, m := range []*Member{prof, ann, bob} {
		got := expect(t, m, result)
		if got[0].Seq == 0 {
			t.Fatalf("the result has no Seq: it would not be recorded")
		}
	}
	if v := h.PollOf(ann); v != nil {
		t.Fatalf("PollOf after closing: %+v; want nil", v)
	}

	// Closed: votes, /poll and /endpoll are refused, naming it.
	closed := errMsg(ErrPollClosed, "Lunch?")
	h.Post(ann, "/vote 1")
	expect(t, ann, closed)
	h.Post(ann, "/poll")
	expect(t, ann, closed)
	h.Post(prof, "/endpoll")
	expect(t, prof, closed)

	// Another may be opened once the first is closed.
	h.Post(prof, "/poll Again? | yes | no")
	expect(t, ann, Message{Kind: KindPoll, From: "prof", SenderID: prof.ID(), Text: "Again?", Rooms: []RoomInfo{{Name: "yes"}, {Name: "no"}}})
}

func TestPollRefusals(t *testing.T) {
	h, prof, ann, _ := pollHub(t)
	none := errMsg(ErrNoPoll, "")
	for _, tt := range []struct {
		who  *Member
		line string
		want Message
	}{
		{ann, "/vote 1", none},
		{ann, "/poll", none},
		{prof, "/endpoll", none},
		{ann, "/endpoll", errMsg(ErrNotOperator, "/endpoll")},
		{ann, "/poll Q | a | b", errMsg(ErrNotOperator, "/poll")},
		{ann, "/vote", errMsg(ErrUsage, "/vote")},
		{prof, "/poll Q | a", Message{Kind: KindError, Err: ErrPollChoices, Others: 1}},
		{prof, "/poll Q|a|b|c|d|e|f|g|h|i|j", Message{Kind: KindError, Err: ErrPollChoices, Others: 10}},
		{prof, "/poll Q | a | | b", Message{Kind: KindError, Err: ErrPollEmpty, Others: 2}},
		{prof, "/poll  | a | b", Message{Kind: KindError, Err: ErrPollEmpty}},
	} {
		h.Post(tt.who, tt.line)
		expect(t, tt.who, tt.want)
	}
	if h.PollOf(ann) != nil {
		t.Fatal("a refused /poll opened a poll")
	}

	h.Post(prof, "/poll Lunch? | pizza | salad")
	ann.Drain(nil)
	prof.Drain(nil)
	for _, tt := range []struct {
		who  *Member
		line string
		want Message
	}{
		{prof, "/poll Other? | a | b", errMsg(ErrPollOpen, "Lunch?")},
		{ann, "/vote 0", Message{Kind: KindError, Err: ErrBadVote, Text: "0", Others: 2}},
		{ann, "/vote 3", Message{Kind: KindError, Err: ErrBadVote, Text: "3", Others: 2}},
		{ann, "/vote two", Message{Kind: KindError, Err: ErrBadVote, Text: "two", Others: 2}},
		{ann, "/vote -1", Message{Kind: KindError, Err: ErrBadVote, Text: "-1", Others: 2}},
		{ann, "/endpoll", errMsg(ErrNotOperator, "/endpoll")},
	} {
		h.Post(tt.who, tt.line)
		expect(t, tt.who, tt.want)
	}
	if got := counts(h.PollOf(ann)); !slices.Equal(got, []int{0, 0}) {
		t.Fatalf("refused votes counted: %v", got)
	}
}

// A key votes once, whichever of its sessions votes; members without a
// key vote once per connection.
func TestPollOneVotePerKey(t *testing.T) {
	h, prof, _, _ := pollHub(t)
	a1 := joinAs(t, h, "kim", "SHA256:kim", "192.0.2.9:1")
	a2 := joinAs(t, h, "kim2", "SHA256:kim", "192.0.2.9:2")
	if a1.Name() == a2.Name() {
		t.Fatalf("two sessions named %q", a1.Name())
	}
	t1 := join(t, h, "tcp1", DoorTCP)
	t2 := join(t, h, "tcp2", DoorTCP) // same address, no key: two voters
	h.Post(prof, "/poll Lunch? | pizza | salad")
	h.Post(a1, "/vote 1")
	h.Post(a2, "/vote 2") // the key's vote moves
	h.Post(t1, "/vote 1")
	h.Post(t2, "/vote 1")
	if got := counts(h.PollOf(prof)); !slices.Equal(got, []int{2, 1}) {
		t.Fatalf("counts %v; want [2 1]: the key counted once, each connection once", got)
	}
	if got := lastKind(t, received(a2), KindVote); got.To != "1. pizza" {
		t.Fatalf("the key's second session was not told its vote moved: %+v", got)
	}
}

// The poll is the room's: a member of another room has none, and votes
// in its own.
func TestPollIsPerRoom(t *testing.T) {
	h, prof, ann, bob := pollHub(t)
	h.Post(prof, "/poll Lunch? | pizza | salad")
	h.Post(bob, "/join tp1")
	bob.Drain(nil)
	if h.PollOf(bob) != nil {
		t.Fatal("a poll of #main shows in #tp1")
	}
	h.Post(bob, "/vote 1")
	expect(t, bob, errMsg(ErrNoPoll, ""))
	h.Post(ann, "/vote 2")
	if got := counts(h.PollOf(ann)); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("counts %v", got)
	}
}

func TestPollText(t *testing.T) {
	choices := []RoomInfo{{Name: "pizza", Members: 12}, {Name: "Yes", Members: 12}, {Name: "salade niçoise", Members: 6}}
	res := Message{Kind: KindPollResult, From: "prof", To: "prof", Text: "Lunch?", Rooms: choices, Others: 30}
	for _, tt := range []struct {
		lang Lang
		msg  Message
		want []string
	}{
		{LangEN, Message{Kind: KindPoll, From: "prof", Text: "Lunch?", Rooms: []RoomInfo{{Name: "pizza"}, {Name: "salad"}}},
			[]string{"Poll by prof: Lunch? 1. pizza 2. salad — /vote N"}},
		{LangFR, Message{Kind: KindPoll, From: "prof", Text: "Lunch?", Rooms: []RoomInfo{{Name: "pizza"}, {Name: "salad"}}},
			[]string{"Sondage de prof : Lunch? 1. pizza 2. salad — /vote N"}},
		{LangEN, res, []string{"Poll closed by prof: Lunch? — 30 votes",
			"\n2. Yes             ████████             12 (40%)",
			"\n3. salade niçoise  ████                  6 (20%)"}},
		{LangFR, res, []string{"Sondage clos par prof : Lunch? — 30 votes", "\n1. pizza           ████████             12 (40%)"}},
		{LangEN, Message{Kind: KindVote, Text: "2. salad", To: "1. pizza"}, []string{"2. salad", "1. pizza"}},
	} {
		got := tt.lang.Describe(tt.msg)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: Describe(%v) =\n%s\nwant it to contain %q", tt.lang, tt.msg.Kind, got, w)
			}
		}
	}
	if bar, pct := PollBar(0, 0, 10); bar != strings.Repeat(" ", 10) || pct != 0 {
		t.Errorf("PollBar(0, 0) = %q %d", bar, pct)
	}
	if bar, pct := PollBar(2, 3, 10); bar != strings.Repeat("█", 7)+"   " || pct != 67 {
		t.Errorf("PollBar(2, 3) = %q %d", bar, pct)
	}
}

// A class of 300 voting costs 300 replies, not 300 × 300 deliveries: the
// tally is read by screens, never sent. And screens may read it while the
// votes come: a published tally is never written again.
func TestPollVotesCostOneReplyEach(t *testing.T) {
	h := newTestHub(t, Options{OpPassword: "s3cret", MaxMembers: 400})
	names := make([]string, 301)
	for i := range names {
		names[i] = fmt.Sprintf("s%d", i)
	}
	ms := joinAll(t, h, names...)
	prof, class := ms[0], ms[1:]
	h.Post(prof, "/op s3cret")
	h.Post(prof, "/poll Lunch? | pizza | salad | soup")
	for _, m := range ms {
		m.Drain(nil)
	}

	stop, started := make(chan struct{}), make(chan struct{})
	read := make(chan int)
	go func() { // a screen, looking at the tally as votes come
		sum := 0
		for i := 0; ; i++ {
			if i == 1 {
				close(started)
			}
			select {
			case <-stop:
				read <- sum
				return
			default:
			}
			if v := h.PollOf(prof); v != nil {
				for _, n := range v.Counts {
					sum += n
				}
			}
		}
	}()
	<-started
	for i, m := range class {
		h.Post(m, fmt.Sprintf("/vote %d", i%3+1))
	}
	close(stop)
	<-read

	for _, m := range ms {
		got := m.Drain(nil)
		want := 1
		if m == prof {
			want = 0
		}
		if len(got) != want {
			t.Fatalf("%s received %d messages:\n%s", m.Name(), len(got), dump(got))
		}
	}
	if got := counts(h.PollOf(prof)); !slices.Equal(got, []int{100, 100, 100}) {
		t.Fatalf("counts %v", got)
	}
}
