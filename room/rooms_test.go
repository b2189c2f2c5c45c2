package room

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/fakeclock"
)

// received drains m.
func received(m *Member) []Message { return m.Drain(nil) }

// lastKind returns the last message of kind k in msgs, failing without one.
func lastKind(t *testing.T, msgs []Message, k Kind) Message {
	t.Helper()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Kind == k {
			return msgs[i]
		}
	}
	t.Fatalf("no %v in\n%s", k, dump(msgs))
	return Message{}
}

func TestDefaultRoomIsMainAndUnnoticed(t *testing.T) {
	h := newTestHub(t, Options{})
	a := joinAll(t, h, "alice", "bob")[0]
	b := join(t, h, "bob2", DoorTCP)
	expect(t, a, Message{Kind: KindJoin, From: "bob2", SenderID: b.ID(), Room: "main"})
	if a.Room().Name() != "main" || h.DefaultRoom().Name() != "main" {
		t.Fatalf("rooms %q, %q", a.Room().Name(), h.DefaultRoom().Name())
	}
	h.Post(b, "hi")
	expect(t, a, Message{Kind: KindChat, From: "bob2", SenderID: b.ID(), Text: "hi", Room: "main"})
}

func TestJoinPartRooms(t *testing.T) {
	h := newTestHub(t, Options{Room: "lecture"})
	ms := joinAll(t, h, "alice", "bob", "carol")
	alice, bob, carol := ms[0], ms[1], ms[2]
	h.Post(alice, "before") // in #lecture: bob comes back to it later and is shown only what he missed
	alice.Drain(nil)
	bob.Drain(nil)
	carol.Drain(nil)

	h.Post(bob, "/join #tp1")
	got := received(bob)
	mv := lastKind(t, got, KindMove)
	if mv.Room != "tp1" || mv.From != "" || len(mv.Members) != 0 || mv.Others != 0 || len(mv.History) != 0 {
		t.Fatalf("bob's move: %+v", mv)
	}
	if bob.Room().Name() != "tp1" {
		t.Fatalf("bob is in %q", bob.Room().Name())
	}
	left := Message{Kind: KindLeave, From: "bob", SenderID: bob.ID(), Reason: ReasonMoved, Text: "tp1", Room: "lecture"}
	expect(t, alice, left)
	expect(t, carol, left)

	// Words stay in their room, both ways.
	h.Post(alice, "in lecture")
	h.Post(bob, "in tp1")
	expect(t, carol, Message{Kind: KindChat, From: "alice", SenderID: alice.ID(), Text: "in lecture", Room: "lecture"})
	expect(t, bob, Message{Kind: KindChat, From: "bob", SenderID: bob.ID(), Text: "in tp1", Room: "tp1"}) // echo only

	// carol follows: bob reads her arrival, carol reads bob's words.
	h.Post(carol, "/join TP1")
	mv = lastKind(t, received(carol), KindMove)
	if mv.Room != "tp1" || mv.Others != 1 || len(mv.Members) != 1 || mv.Members[0].Name != "bob" || len(mv.History) != 1 || mv.History[0].Text != "in tp1" {
		t.Fatalf("carol's move: %+v", mv)
	}
	expect(t, bob, Message{Kind: KindJoin, From: "carol", SenderID: carol.ID(), Text: "lecture", Room: "tp1"})
	alice.Drain(nil)

	// /who is of the room.
	h.Post(carol, "/who")
	who := lastKind(t, received(carol), KindWho)
	if got := names(who.Members); !slices.Equal(got, []string{"bob", "carol"}) {
		t.Fatalf("/who in tp1: %q", got)
	}
	// /rooms lists both, the default first, carol's marked.
	h.Post(carol, "/rooms")
	rooms := lastKind(t, received(carol), KindRooms).Rooms
	want := []RoomInfo{{Name: "lecture", Members: 1, Last: rooms[0].Last}, {Name: "tp1", Members: 2, Here: true, Last: rooms[1].Last}}
	if !slices.Equal(rooms, want) {
		t.Fatalf("/rooms = %+v, want %+v", rooms, want)
	}
	// /join where one is, /part from the default room: told, nothing moves.
	h.Post(carol, "/join tp1")
	expect(t, carol, errMsg(ErrAlreadyInRoom, "tp1"))
	h.Post(alice, "/part")
	expect(t, alice, errMsg(ErrAlreadyInRoom, "lecture"))

	// /part goes back, shown only what was said in #lecture since it left.
	h.Post(alice, "while bob was away")
	bob.Drain(nil)
	h.Post(bob, "/part")
	mv = lastKind(t, received(bob), KindMove)
	if mv.Room != "lecture" || len(mv.History) != 2 || mv.History[0].Text != "in lecture" || mv.History[1].Text != "while bob was away" {
		t.Fatalf("bob back: %+v\n%s", mv, dump(mv.History))
	}
	// /join with the default room's name is /part.
	h.Post(carol, "/join lecture")
	if lastKind(t, received(carol), KindMove).Room != "lecture" {
		t.Fatal("carol not back")
	}
}

func TestRoomNamesAreMemberNames(t *testing.T) {
	h := newTestHub(t, Options{})
	alice := joinAll(t, h, "alice")[0]
	for _, tc := range []struct {
		arg  string
		want NameProblem
	}{{"a", NameTooShort}, {"tp 1", 0}, {"tp1!", NameBadChars}, {"#é", NameBadChars}, {"admin", NameReserved}, {strings.Repeat("x", MaxRoomNameLen+1), NameTooLong}} {
		h.Post(alice, "/join "+tc.arg)
		got := received(alice)
		if tc.want == 0 {
			if len(got) != 1 || got[0].Err != ErrUsage {
				t.Errorf("/join %q: %s", tc.arg, dump(got))
			}
			continue
		}
		if len(got) != 1 || got[0].Err != ErrRoomName || got[0].Problem != tc.want {
			t.Errorf("/join %q: %s", tc.arg, dump(got))
		}
	}
	if alice.Room() != h.DefaultRoom() {
		t.Fatal("alice moved")
	}
}

func TestRoomCreationLimits(t *testing.T) {
	clock := fakeclock.New(testClock)
	h := newTestHub(t, Options{Rooms: RoomsOps, MaxRooms: 3, RoomIdle: time.Minute, Now: clock.Now, OpPassword: "pw"})
	ms := joinAll(t, h, "prof", "student")
	teacher, student := ms[0], ms[1]

	h.Post(student, "/join tp1")
	expect(t, student, errMsg(ErrNoSuchRoom, "tp1"))
	h.Post(teacher, "/op pw")
	h.Post(teacher, "/join tp1")
	h.Post(teacher, "/join tp2")
	h.Post(teacher, "/join tp3") // main, tp1, tp2: the third is one too many
	got := received(teacher)
	if e := lastKind(t, got, KindError); e.Err != ErrTooManyRooms || e.Text != "tp3" {
		t.Fatalf("%s", dump(got))
	}
	// An existing room is open to all; an operator's room stays when empty.
	h.Post(student, "/join tp1")
	if student.Room().Name() != "tp1" {
		t.Fatal("student could not join an operator's room")
	}
	h.Post(student, "/part")
	clock.Advance(time.Hour)
	h.Post(student, "/rooms")
	if got := lastKind(t, received(student), KindRooms).Rooms; len(got) != 3 {
		t.Fatalf("rooms after an hour: %+v", got)
	}

	// In an open hub, a member's room goes once empty for RoomIdle.
	h2 := newTestHub(t, Options{MaxRooms: 2, RoomIdle: time.Minute, Now: clock.Now})
	a := joinAll(t, h2, "alice")[0]
	h2.Post(a, "/join tp1")
	h2.Post(a, "/part")
	h2.Post(a, "/join tp2")
	if e := lastKind(t, received(a), KindError); e.Err != ErrTooManyRooms {
		t.Fatalf("third room while tp1 idles: %+v", e)
	}
	clock.Advance(59 * time.Second)
	h2.Post(a, "/rooms")
	if got := lastKind(t, received(a), KindRooms).Rooms; len(got) != 2 {
		t.Fatalf("tp1 gone too early: %+v", got)
	}
	clock.Advance(time.Second)
	h2.Post(a, "/rooms")
	if got := lastKind(t, received(a), KindRooms).Rooms; len(got) != 1 || got[0].Name != "main" {
		t.Fatalf("tp1 still listed: %+v", got)
	}
	if act := h2.Activity(); len(act) != 1 {
		t.Fatalf("Activity lists %+v", act)
	}
	h2.Post(a, "/join tp2")
	if a.Room().Name() != "tp2" {
		t.Fatal("no room made once tp1 went")
	}
}

func TestJoinRequestRoom(t *testing.T) {
	h := newTestHub(t, Options{Rooms: RoomsOps})
	m, hist, err := h.Join(JoinRequest{Name: "alice", Door: DoorSSH, Room: "tp1"})
	if err != nil || hist != nil && len(hist) != 0 {
		t.Fatal(err, hist)
	}
	// Only operators make rooms: alice lands in the default room, told why.
	if m.Room() != h.DefaultRoom() {
		t.Fatalf("alice in %q", m.Room().Name())
	}
	expect(t, m, errMsg(ErrNoSuchRoom, "tp1"))

	h2 := newTestHub(t, Options{})
	b, _, _ := h2.Join(JoinRequest{Name: "bob", Door: DoorSSH, Room: "#TP1"})
	c, _, _ := h2.Join(JoinRequest{Name: "carol", Door: DoorSSH, Room: "tp1"})
	if b.Room().Name() != "TP1" || c.Room() != b.Room() {
		t.Fatalf("bob in %q, carol in %q", b.Room().Name(), c.Room().Name())
	}
	expect(t, b, Message{Kind: KindJoin, From: "carol", SenderID: c.ID(), Room: "TP1"})
}

func TestModerationInRooms(t *testing.T) {
	h := newTestHub(t, Options{OpPassword: "pw"})
	ms := joinAll(t, h, "prof", "alice", "bob")
	teacher, alice, bob := ms[0], ms[1], ms[2]
	h.Post(teacher, "/op pw")
	h.Post(bob, "/join tp1")
	for _, m := range ms {
		m.Drain(nil)
	}

	// /kick and /mute act in the operator's room only.
	h.Post(teacher, "/kick bob")
	h.Post(teacher, "/mute bob")
	expect(t, teacher, errMsg(ErrNotInRoom, "bob"), errMsg(ErrNotInRoom, "bob"))
	// A topic is the room's.
	h.Post(teacher, "/topic TP 1: sockets")
	alice.Drain(nil)
	h.Post(bob, "/topic")
	if got := received(bob); len(got) != 1 || got[0].Kind != KindTopic || got[0].Text != "" {
		t.Fatalf("tp1's topic: %s", dump(got))
	}
	// A mute holds in its room, and again when the member comes back there.
	h.Post(teacher, "/mute alice")
	h.Post(alice, "/join tp1")
	h.Post(alice, "free here")
	if got := received(bob); lastKind(t, got, KindChat).Text != "free here" {
		t.Fatalf("%s", dump(got))
	}
	h.Post(alice, "/part")
	h.Post(alice, "muted here")
	if e := lastKind(t, received(alice), KindError); e.Err != ErrMuted {
		t.Fatalf("alice back in main: %+v", e)
	}
	// Private messages cross rooms; names are unique server-wide.
	h.Post(bob, "/msg alice hello from tp1")
	if got := lastKind(t, received(alice), KindPrivate); got.Text != "hello from tp1" {
		t.Fatalf("%+v", got)
	}
	bob.Drain(nil)
	h.Post(bob, "/nick alice")
	expect(t, bob, errMsg(ErrNameTaken, "alice"))
	// /ban is server-wide: the operator bans bob from another room, and
	// tp1 reads why bob went.
	carol := join(t, h, "carol", DoorTCP)
	h.Post(carol, "/join tp1")
	carol.Drain(nil)
	h.Post(teacher, "/ban bob")
	if !isDone(bob) || bob.Reason() != ReasonBanned {
		t.Fatal("bob not banned")
	}
	if got := received(carol); lastKind(t, got, KindBan).To != "bob" {
		t.Fatalf("%s", dump(got))
	}
	if got := received(teacher); lastKind(t, got, KindBan).To != "bob" {
		t.Fatalf("the operator did not see its ban: %s", dump(got))
	}
}

func TestBreakoutAndGather(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{OpPassword: "pw", Store: store})
	who := []string{"prof"}
	for i := range 12 {
		who = append(who, fmt.Sprintf("s%02d", i+1))
	}
	ms := joinAll(t, h, who...)
	teacher, students := ms[0], ms[1:]
	h.Post(teacher, "/op pw")
	for _, m := range ms {
		m.Drain(nil)
	}
	for _, bad := range []string{"0", "13", "x", "51"} {
		h.Post(teacher, "/breakout "+bad)
		if e := lastKind(t, received(teacher), KindError); e.Err != ErrBreakoutCount {
			t.Fatalf("/breakout %s: %+v", bad, e)
		}
	}
	h.Post(students[0], "/breakout 2")
	expect(t, students[0], errMsg(ErrNotOperator, "/breakout"))

	h.Post(teacher, "/breakout 4")
	bo := lastKind(t, received(teacher), KindBreakout)
	if bo.Others != 12 || len(bo.Rooms) != 4 || bo.Rooms[0].Name != "main-1" || bo.Rooms[3].Members != 3 {
		t.Fatalf("breakout: %+v", bo)
	}
	if teacher.Room() != h.DefaultRoom() {
		t.Fatal("the operator moved")
	}
	groups := map[string][]string{}
	for _, s := range students {
		groups[s.Room().Name()] = append(groups[s.Room().Name()], s.Name())
	}
	for _, s := range students {
		got := received(s)
		if len(got) != 1 || got[0].Kind != KindMove {
			t.Fatalf("%s received %s", s.Name(), dump(got))
		}
		mv := got[0]
		mates := slices.DeleteFunc(slices.Clone(groups[mv.Room]), func(n string) bool { return n == s.Name() })
		if mv.From != "prof" || mv.Room != s.Room().Name() || !slices.Equal(names(mv.Members), mates) {
			t.Fatalf("%s told %+v, mates %q", s.Name(), mv, mates)
		}
	}
	if len(groups) != 4 {
		t.Fatalf("groups %v", groups)
	}
	for r, g := range groups {
		if len(g) != 3 {
			t.Fatalf("%s holds %q", r, g)
		}
	}
	// A second breakout while they are out is refused: the rooms are busy.
	h.Post(teacher, "/join main-2")
	if lastKind(t, received(teacher), KindMove).Room != "main-2" {
		t.Fatal("the operator could not listen in")
	}
	h.Post(students[1], "in group 2")
	h.Post(students[0], "in group 1")
	if got := received(teacher); len(got) != 1 || got[0].Text != "in group 2" {
		t.Fatalf("the operator in main-2 read %s", dump(got))
	}
	// /gather from a breakout room brings every one back to main.
	h.Post(teacher, "/gather")
	for _, s := range students {
		got := received(s)
		if mv := lastKind(t, got, KindMove); mv.Room != "main" || mv.From != "prof" {
			t.Fatalf("%s: %s", s.Name(), dump(got))
		}
		if s.Room() != h.DefaultRoom() {
			t.Fatalf("%s in %s", s.Name(), s.Room().Name())
		}
	}
	g := lastKind(t, received(teacher), KindGather)
	if g.Others != 13 || len(g.Rooms) != 4 {
		t.Fatalf("gather: %+v", g)
	}
	if act := h.Activity(); len(act) != 1 {
		t.Fatalf("breakout rooms left: %+v", act)
	}
	h.Post(teacher, "/gather")
	expect(t, teacher, errMsg(ErrNoBreakout, "main"))
}

// TestNoMessageCrossesRooms moves members between rooms at random while
// others post, then checks each delivery against the room its receiver
// was in at that sequence number, as the transcript's joins and leaves
// tell it — and that nobody in a room missed anything said there.
func TestNoMessageCrossesRooms(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{Store: store, OutboxBytes: 1 << 30, OutboxAge: time.Hour})
	const members, steps = 24, 400
	rooms := []string{"main", "a1", "b2", "c3"}
	ms := make([]*Member, members)
	got := make([][]Message, members)
	var wg sync.WaitGroup
	for i := range ms {
		ms[i] = join(t, h, fmt.Sprintf("m%02d", i), DoorTCP)
	}
	for i, m := range ms {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for step := range steps {
				switch r.IntN(4) {
				case 0:
					h.Post(m, "/join "+rooms[r.IntN(len(rooms))])
				default:
					h.Post(m, fmt.Sprintf("%d/%d", i, step))
				}
				if step%16 == 0 {
					got[i] = m.Drain(got[i])
				}
			}
		})
	}
	wg.Wait()
	for i, m := range ms {
		got[i] = m.Drain(got[i])
	}

	// Where each member was from each sequence number on.
	type span struct {
		room     string
		from, to uint64 // [from, to)
	}
	where := map[uint64][]span{}
	store.mu.Lock()
	events := slices.Clone(store.events)
	store.mu.Unlock()
	public := map[string][]Message{}
	for _, e := range events {
		switch e.Kind {
		case KindJoin:
			where[e.SenderID] = append(where[e.SenderID], span{e.Room, e.Seq, ^uint64(0)})
		case KindLeave:
			s := where[e.SenderID]
			s[len(s)-1].to = e.Seq
		case KindChat:
			public[e.Room] = append(public[e.Room], e)
		}
	}
	in := func(id, seq uint64) string {
		for _, s := range where[id] {
			if s.from < seq && seq < s.to {
				return s.room
			}
		}
		return ""
	}
	chats := 0
	for i, m := range ms {
		seen := map[uint64]bool{}
		for _, msg := range got[i] {
			if msg.Seq == 0 {
				continue
			}
			seen[msg.Seq] = true
			if msg.Kind == KindChat {
				chats++
			}
			if r := in(m.ID(), msg.Seq); r != msg.Room {
				t.Fatalf("%s received #%d of %q (%v %q) while in %q", m.Name(), msg.Seq, msg.Room, msg.Kind, msg.Text, r)
			}
		}
		// Nothing missed: every public message of a room it was in.
		for room, msgs := range public {
			for _, msg := range msgs {
				if in(m.ID(), msg.Seq) == room && msg.SenderID != m.ID() && !seen[msg.Seq] {
					t.Fatalf("%s missed #%d in %q", m.Name(), msg.Seq, room)
				}
			}
		}
	}
	if chats < members*steps {
		t.Fatalf("only %d chat deliveries: the test proves little", chats)
	}
}

// TestBreakoutOriginOutlivesItsIdleness: a room a member made, emptied
// while its members are out in breakout rooms (the operator listening in
// one of them), is still there for /gather to bring them back to.
func TestBreakoutOriginOutlivesItsIdleness(t *testing.T) {
	clock := fakeclock.New(testClock)
	h := newTestHub(t, Options{OpPassword: "pw", RoomIdle: time.Minute, Now: clock.Now})
	ms := joinAll(t, h, "prof", "alice", "bob")
	prof, alice, bob := ms[0], ms[1], ms[2]
	h.Post(alice, "/join tp1")
	h.Post(bob, "/join tp1")
	h.Post(prof, "/op pw")
	h.Post(prof, "/join tp1")
	h.Post(prof, "/breakout 2")
	h.Post(prof, "/join tp1-1")
	clock.Advance(time.Hour)
	h.Post(prof, "/rooms")
	h.Post(prof, "/gather")
	got := received(prof)
	if g := lastKind(t, got, KindGather); g.Room != "tp1" || g.Others != 3 {
		t.Fatalf("gather: %+v", g)
	}
	for _, m := range ms {
		if m.Room().Name() != "tp1" {
			t.Fatalf("%s in %s", m.Name(), m.Room().Name())
		}
	}
	h.Post(bob, "/rooms")
	if rooms := lastKind(t, received(bob), KindRooms).Rooms; len(rooms) != 2 || rooms[1].Name != "tp1" || rooms[1].Members != 3 {
		t.Fatalf("rooms %+v", rooms)
	}
}

// TestNoHistoryInAnyRoom: PALABRE_HISTORY=0 means none, in every room.
func TestNoHistoryInAnyRoom(t *testing.T) {
	for _, tc := range []struct {
		size, want int
	}{{-1, 0}, {0, DefaultHistory}, {2, 2}} {
		h := newTestHub(t, Options{HistorySize: tc.size})
		a := joinAll(t, h, "alice")[0]
		h.Post(a, "/join tp1")
		for i := range DefaultHistory + 1 {
			h.Post(a, fmt.Sprint(i))
		}
		b, hist, _ := h.Join(JoinRequest{Name: "bob", Door: DoorTCP, Room: "tp1"})
		if len(hist) != tc.want || b.Room().Name() != "tp1" {
			t.Errorf("HistorySize %d: %d messages of history, want %d", tc.size, len(hist), tc.want)
		}
	}
}

// BenchmarkPostInRoom is one post in a room of 20, with the server's other
// members elsewhere or nowhere: a message in one room costs nothing for
// the members of others (compare others=0 and others=980).
func BenchmarkPostInRoom(b *testing.B) {
	for _, others := range []int{0, 980} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			h := newTestHub(b, Options{OutboxBytes: 1 << 20, MaxMembers: 2000, MaxRooms: 100})
			var all, room []*Member
			for i := range others {
				m := join(b, h, fmt.Sprint("o", i), DoorTCP)
				h.Post(m, fmt.Sprintf("/join r%d", 1+i%49))
				all = append(all, m)
			}
			for i := range 20 {
				m := join(b, h, fmt.Sprint("m", i), DoorTCP)
				h.Post(m, "/join tp")
				room = append(room, m)
			}
			all = append(all, room...)
			var buf []Message
			for _, m := range all {
				buf = m.Drain(buf[:0])
			}
			sender := room[0]
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				h.Post(sender, "hello, room")
				if n++; n%keptOutbox == 0 {
					b.StopTimer()
					for _, m := range room {
						buf = m.Drain(buf[:0])
					}
					b.StartTimer()
				}
			}
		})
	}
}
