package room

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/fakeclock"
)

// testClock is the time of every message of a test hub.
var testClock = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// newTestHub returns a hub with a fixed clock and a silent logger.
func newTestHub(tb testing.TB, opts Options) *Hub {
	tb.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testClock }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return NewHub(opts)
}

func join(tb testing.TB, h *Hub, name string, door Door) *Member {
	tb.Helper()
	m, _, err := h.Join(JoinRequest{Name: name, Door: door, Addr: "192.0.2.1:4242", Echo: true})
	if err != nil {
		tb.Fatalf("Join(%q): %v", name, err)
	}
	return m
}

// joinAll joins one TCP member per name and empties every outbox.
func joinAll(tb testing.TB, h *Hub, names ...string) []*Member {
	tb.Helper()
	ms := make([]*Member, len(names))
	for i, name := range names {
		ms[i] = join(tb, h, name, DoorTCP)
	}
	for _, m := range ms {
		m.Drain(nil)
	}
	return ms
}

func isDone(m *Member) bool {
	select {
	case <-m.Done():
		return true
	default:
		return false
	}
}

func chat(from *Member, text string) Message {
	return Message{Kind: KindChat, From: from.Name(), SenderID: from.ID(), Text: text}
}

func leave(m *Member, r Reason) Message {
	return Message{Kind: KindLeave, From: m.Name(), SenderID: m.ID(), Reason: r}
}

func errMsg(code ErrorCode, text string) Message {
	return Message{Kind: KindError, Err: code, Text: text}
}

func dump(msgs []Message) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "\t%v seq=%d from=%q id=%d to=%q text=%q door=%q reason=%v err=%d problem=%d members=%v\n",
			m.Kind, m.Seq, m.From, m.SenderID, m.To, m.Text, m.Door, m.Reason, m.Err, m.Problem, m.Members)
	}
	if b.Len() == 0 {
		return "\t(nothing)\n"
	}
	return b.String()
}

// expect drains m and checks that it held exactly want, in order. Seq is
// not compared (see checkSeq); At is the test clock unless want sets it.
// Replies to one member must have Seq 0, room messages a non-zero Seq.
func expect(t *testing.T, m *Member, want ...Message) []Message {
	t.Helper()
	got := m.Drain(nil)
	norm := make([]Message, len(got))
	for i, g := range got {
		if isReply := g.Kind == KindWho || g.Kind == KindHelp || g.Kind == KindError || g.Kind == KindMove || g.Kind == KindRooms; isReply != (g.Seq == 0) {
			t.Errorf("%s received %v with Seq %d", m.Name(), g.Kind, g.Seq)
		}
		g.Seq = 0
		norm[i] = g
	}
	wantNorm := make([]Message, len(want))
	for i, w := range want {
		if w.At.IsZero() {
			w.At = testClock
		}
		wantNorm[i] = w
	}
	// Door, Key (the sender's) and Room are compared only where want names
	// them: the room tests do; a test of one room need not.
	for i := range min(len(norm), len(wantNorm)) {
		if wantNorm[i].Room == "" {
			norm[i].Room = ""
		}
		if wantNorm[i].Door == "" {
			norm[i].Door = ""
		}
		if wantNorm[i].Key == "" {
			norm[i].Key = ""
		}
	}
	if !reflect.DeepEqual(norm, wantNorm) {
		t.Fatalf("%s received\n%swant\n%s", m.Name(), dump(got), dump(wantNorm))
	}
	return got
}

// checkSeq checks that msgs have strictly increasing, non-zero Seq.
func checkSeq(t *testing.T, who string, msgs []Message) {
	t.Helper()
	var last uint64
	for _, m := range msgs {
		if m.Seq <= last {
			t.Fatalf("%s: Seq %d after %d:\n%s", who, m.Seq, last, dump(msgs))
		}
		last = m.Seq
	}
}

func names(ms []MemberInfo) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

func TestNewHubDefaults(t *testing.T) {
	h := NewHub(Options{})
	if h.opts.OutboxAge != DefaultOutboxAge || h.opts.OutboxBytes != DefaultOutboxBytes ||
		h.opts.History == nil || h.opts.Now == nil || h.log == nil {
		t.Fatalf("NewHub(Options{}) left a default unset: %+v", h.opts)
	}
	h = NewHub(Options{OutboxAge: -1, OutboxBytes: -1})
	if h.opts.OutboxAge != DefaultOutboxAge || h.opts.OutboxBytes != DefaultOutboxBytes {
		t.Fatalf("negative bounds not replaced by defaults: %+v", h.opts)
	}
}

func TestJoinAnnouncesToOthersOnly(t *testing.T) {
	h := newTestHub(t, Options{})
	alice := join(t, h, "alice", DoorTCP)
	bob := join(t, h, "bob", DoorSSH)
	carol := join(t, h, "carol", DoorTCP)

	for _, m := range []*Member{alice, bob, carol} {
		if m.Joined() != testClock || m.Addr() != "192.0.2.1:4242" {
			t.Errorf("%s: Joined %v, Addr %q", m.Name(), m.Joined(), m.Addr())
		}
	}
	if alice.ID() == bob.ID() || bob.ID() == carol.ID() || alice.ID() == carol.ID() {
		t.Errorf("IDs not unique: %d %d %d", alice.ID(), bob.ID(), carol.ID())
	}
	if bob.Door() != DoorSSH {
		t.Errorf("bob.Door() = %q", bob.Door())
	}

	joinBob := Message{Kind: KindJoin, From: "bob", SenderID: bob.ID(), Door: DoorSSH}
	joinCarol := Message{Kind: KindJoin, From: "carol", SenderID: carol.ID(), Door: DoorTCP}
	a := expect(t, alice, joinBob, joinCarol)
	b := expect(t, bob, joinCarol)
	expect(t, carol)
	checkSeq(t, "alice", a)
	if a[1].Seq != b[0].Seq {
		t.Errorf("carol's join has Seq %d at alice, %d at bob", a[1].Seq, b[0].Seq)
	}
	if got := names(h.Members()); !slices.Equal(got, []string{"alice", "bob", "carol"}) {
		t.Errorf("Members() = %q", got)
	}
	for _, tc := range []struct {
		n    int
		want []string
	}{{-1, nil}, {0, nil}, {2, []string{"alice", "bob"}}, {3, []string{"alice", "bob", "carol"}}, {9, []string{"alice", "bob", "carol"}}} {
		head, total := h.MembersHead(alice, tc.n)
		if got := names(head); !slices.Equal(got, tc.want) || total != 3 {
			t.Errorf("MembersHead(%d) = %q, %d", tc.n, got, total)
		}
	}
}

func TestReady(t *testing.T) {
	h := newTestHub(t, Options{})
	alice := join(t, h, "alice", DoorTCP)
	select {
	case <-alice.Ready():
		t.Fatal("Ready with an empty outbox")
	default:
	}
	join(t, h, "bob", DoorTCP)
	join(t, h, "carol", DoorTCP)
	select {
	case <-alice.Ready():
	default:
		t.Fatal("not Ready after two joins were queued")
	}
	if n := len(alice.Drain(nil)); n != 2 {
		t.Fatalf("Drain returned %d messages; want 2", n)
	}
	if n := len(alice.Drain(nil)); n != 0 {
		t.Fatalf("second Drain returned %d messages; want 0", n)
	}
}

func TestSameOrderEverywhere(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob", "carol")
	posts := []struct {
		from int
		text string
	}{{0, "one"}, {1, "two"}, {2, "/me three"}, {0, "four"}, {1, "/nick bobby"}, {1, "five"}, {2, "six"}}
	for _, p := range posts {
		h.Post(ms[p.from], p.text)
	}
	var first []Message
	for _, m := range ms {
		got := m.Drain(nil)
		checkSeq(t, m.Name(), got)
		if len(got) != len(posts) {
			t.Fatalf("%s received %d messages; want %d:\n%s", m.Name(), len(got), len(posts), dump(got))
		}
		if first == nil {
			first = got
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("%s received\n%swhile %s received\n%s", m.Name(), dump(got), ms[0].Name(), dump(first))
		}
	}
	wantTexts := []string{"one", "two", "three", "four", "", "five", "six"}
	if got := texts(first); !slices.Equal(got, wantTexts) {
		t.Fatalf("texts %q; want %q", got, wantTexts)
	}
}

func TestPublicChat(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob", "carol")
	h.Post(ms[0], "hello, world")
	var seqs []uint64
	for _, m := range ms { // the sender too: doors filter their own echo
		got := expect(t, m, chat(ms[0], "hello, world"))
		seqs = append(seqs, got[0].Seq)
	}
	if seqs[0] != seqs[1] || seqs[1] != seqs[2] {
		t.Errorf("one message, different Seq: %v", seqs)
	}
}

func TestAction(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob")
	h.Post(ms[1], "/me  waves ")
	for _, m := range ms {
		expect(t, m, Message{Kind: KindAction, From: "bob", SenderID: ms[1].ID(), Text: "waves"})
	}
}

func TestPrivate(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob", "carol")
	alice, bob, carol := ms[0], ms[1], ms[2]
	h.Post(alice, "/msg BOB   hi   there ")
	want := Message{Kind: KindPrivate, From: "alice", SenderID: alice.ID(), To: "bob", Text: "hi   there"}
	b := expect(t, bob, want)
	a := expect(t, alice, want) // the sender's copy
	expect(t, carol)
	if a[0].Seq != b[0].Seq || a[0].Seq == 0 {
		t.Errorf("private message Seq %d at alice, %d at bob", a[0].Seq, b[0].Seq)
	}
}

func TestPrivateRefused(t *testing.T) {
	tests := []struct {
		line string
		want Message
	}{
		{"/msg zed hi", errMsg(ErrNoSuchMember, "zed")},
		{"/msg ZED hi", errMsg(ErrNoSuchMember, "ZED")},
		{"/msg alice hi", errMsg(ErrMsgSelf, "")},
		{"/msg ALICE hi", errMsg(ErrMsgSelf, "")},
		{"/msg bob", errMsg(ErrUsage, "/msg")},
		{"/msg", errMsg(ErrUsage, "/msg")},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			h := newTestHub(t, Options{})
			ms := joinAll(t, h, "alice", "bob", "carol")
			h.Post(ms[0], tt.line)
			expect(t, ms[0], tt.want)
			expect(t, ms[1])
			expect(t, ms[2])
		})
	}
}

func TestNick(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob")
	alice, bob := ms[0], ms[1]

	h.Post(alice, "/nick alicia")
	nick := Message{Kind: KindNick, From: "alice", To: "alicia", SenderID: alice.ID()}
	expect(t, alice, nick)
	expect(t, bob, nick)
	if alice.Name() != "alicia" {
		t.Fatalf("Name() = %q after /nick alicia", alice.Name())
	}
	if got := names(h.Members()); !slices.Equal(got, []string{"alicia", "bob"}) {
		t.Fatalf("Members() = %q", got)
	}

	// The new name is alice's: words and private messages follow it.
	h.Post(alice, "hi")
	expect(t, bob, chat(alice, "hi"))
	expect(t, alice, chat(alice, "hi"))
	h.Post(bob, "/msg Alicia psst")
	priv := Message{Kind: KindPrivate, From: "bob", SenderID: bob.ID(), To: "alicia", Text: "psst"}
	expect(t, alice, priv)
	expect(t, bob, priv)

	// The old name is free again, and nobody answers to it meanwhile.
	h.Post(bob, "/msg alice hello?")
	expect(t, bob, errMsg(ErrNoSuchMember, "alice"))
	if m := join(t, h, "alice", DoorTCP); m.Name() != "alice" {
		t.Fatalf("joining as the freed name alice got %q", m.Name())
	}
	// The new one is taken.
	if m := join(t, h, "ALICIA", DoorTCP); m.Name() == "ALICIA" {
		t.Fatalf("joining as ALICIA got %q while alicia is here", m.Name())
	}
}

func TestNickRefused(t *testing.T) {
	tests := []struct {
		line string
		want Message
	}{
		{"/nick bob", errMsg(ErrNameTaken, "bob")},
		{"/nick BOB", errMsg(ErrNameTaken, "BOB")},
		{"/nick x", Message{Kind: KindError, Err: ErrNameInvalid, Problem: NameTooShort, Text: "x"}},
		{"/nick abcdefghijklmnopq", Message{Kind: KindError, Err: ErrNameInvalid, Problem: NameTooLong, Text: "abcdefghijklmnopq"}},
		{"/nick al.ice", Message{Kind: KindError, Err: ErrNameInvalid, Problem: NameBadChars, Text: "al.ice"}},
		{"/nick \u0430lice", Message{Kind: KindError, Err: ErrNameInvalid, Problem: NameBadChars, Text: "\u0430lice"}},
		{"/nick Admin", Message{Kind: KindError, Err: ErrNameInvalid, Problem: NameReserved, Text: "Admin"}},
		{"/nick", errMsg(ErrUsage, "/nick")},
		{"/nick al ice", errMsg(ErrUsage, "/nick")},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			h := newTestHub(t, Options{})
			ms := joinAll(t, h, "alice", "bob")
			h.Post(ms[0], tt.line)
			expect(t, ms[0], tt.want)
			expect(t, ms[1])
			if ms[0].Name() != "alice" || ms[1].Name() != "bob" {
				t.Fatalf("names changed to %q, %q", ms[0].Name(), ms[1].Name())
			}
		})
	}
}

func TestNickCaseChange(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob")
	h.Post(ms[0], "/nick Alice")
	nick := Message{Kind: KindNick, From: "alice", To: "Alice", SenderID: ms[0].ID()}
	expect(t, ms[0], nick)
	expect(t, ms[1], nick)
	if ms[0].Name() != "Alice" {
		t.Fatalf("Name() = %q after /nick Alice", ms[0].Name())
	}
	// Still the holder of the name, under either case.
	if m := join(t, h, "alice", DoorTCP); m.Name() == "alice" {
		t.Fatal("joining as alice succeeded while Alice is here")
	}
	ms[0].Drain(nil)
	ms[1].Drain(nil)
	h.Post(ms[1], "/msg ALICE hi")
	if got := ms[0].Drain(nil); len(got) != 1 || got[0].Kind != KindPrivate || got[0].To != "Alice" {
		t.Fatalf("private message to ALICE: Alice received\n%s", dump(got))
	}

	// Taking one's own name again is a silent no-op.
	ms[0].Drain(nil)
	ms[1].Drain(nil)
	h.Post(ms[0], "/nick Alice")
	expect(t, ms[0])
	expect(t, ms[1])
}

func TestWho(t *testing.T) {
	h := newTestHub(t, Options{})
	alice := join(t, h, "alice", DoorTCP)
	bob := join(t, h, "bob", DoorSSH)
	carol := join(t, h, "carol", DoorTCP)
	for _, m := range []*Member{alice, bob, carol} {
		m.Drain(nil)
	}

	h.Post(bob, "/who")
	expect(t, bob, Message{Kind: KindWho, Members: []MemberInfo{
		{Name: "alice", Door: DoorTCP, Joined: testClock, Room: "main"},
		{Name: "bob", Door: DoorSSH, Joined: testClock, Room: "main"},
		{Name: "carol", Door: DoorTCP, Joined: testClock, Room: "main"},
	}})
	expect(t, alice)
	expect(t, carol)

	// Join order survives a change of name; leavers are gone.
	h.Post(alice, "/nick zoe")
	h.Leave(bob, ReasonClosed)
	carol.Drain(nil)
	h.Post(carol, "/WHO")
	got := expect(t, carol, Message{Kind: KindWho, Members: []MemberInfo{
		{Name: "zoe", Door: DoorTCP, Joined: testClock, Room: "main"},
		{Name: "carol", Door: DoorTCP, Joined: testClock, Room: "main"},
	}})
	if !reflect.DeepEqual(got[0].Members, h.Members()) {
		t.Errorf("who reply %v differs from Members() %v", got[0].Members, h.Members())
	}
}

func TestHelpAndUnknown(t *testing.T) {
	tests := []struct {
		line string
		want Message
	}{
		{"/help", Message{Kind: KindHelp}},
		{"/HELP", Message{Kind: KindHelp}},
		{"/help me", errMsg(ErrUsage, "/help")},
		{"/foo", errMsg(ErrUnknownCommand, "/foo")},
		{"/foo bar", errMsg(ErrUnknownCommand, "/foo")},
		{"/", errMsg(ErrUnknownCommand, "/")},
		{"/who me", errMsg(ErrUsage, "/who")},
		{"/me", errMsg(ErrUsage, "/me")},
		{"/quit now", errMsg(ErrUsage, "/quit")},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			h := newTestHub(t, Options{})
			ms := joinAll(t, h, "alice", "bob")
			h.Post(ms[0], tt.line)
			expect(t, ms[0], tt.want)
			expect(t, ms[1])
			if isDone(ms[0]) {
				t.Fatal("the member was removed")
			}
		})
	}
}

func TestQuit(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob", "carol")
	alice, bob, carol := ms[0], ms[1], ms[2]
	if isDone(bob) {
		t.Fatal("Done closed before /quit")
	}
	h.Post(bob, "/quit")
	if !isDone(bob) {
		t.Fatal("Done not closed after /quit")
	}
	if bob.Reason() != ReasonQuit {
		t.Fatalf("Reason() = %v; want %v", bob.Reason(), ReasonQuit)
	}
	expect(t, alice, leave(bob, ReasonQuit))
	expect(t, carol, leave(bob, ReasonQuit))
	expect(t, bob) // no leave of its own
	if got := names(h.Members()); !slices.Equal(got, []string{"alice", "carol"}) {
		t.Fatalf("Members() = %q", got)
	}
}

func TestLeaveTwice(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob")
	h.Leave(ms[1], ReasonClosed)
	h.Leave(ms[1], ReasonLost) // must neither panic on a closed Done nor announce again
	h.Post(ms[1], "/quit")
	if !isDone(ms[1]) || ms[1].Reason() != ReasonClosed {
		t.Fatalf("Done %v, Reason %v; want closed, %v", isDone(ms[1]), ms[1].Reason(), ReasonClosed)
	}
	expect(t, ms[0], leave(ms[1], ReasonClosed))
}

func TestPostAfterLeave(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob")
	alice, bob := ms[0], ms[1]
	h.Leave(bob, ReasonClosed)
	alice.Drain(nil)

	for _, line := range []string{"hi", "/me waves", "/msg alice hi", "/nick bobby", "/who", "/help", "/foo", "/quit"} {
		h.Post(bob, line)
	}
	expect(t, alice)
	expect(t, bob)
	if bob.Name() != "bob" || bob.Reason() != ReasonClosed {
		t.Fatalf("after leaving: Name %q, Reason %v", bob.Name(), bob.Reason())
	}

	// A newcomer takes the name: the old member still may not speak.
	bob2 := join(t, h, "bob", DoorTCP)
	if bob2.Name() != "bob" {
		t.Fatalf("newcomer got %q; want the freed name bob", bob2.Name())
	}
	alice.Drain(nil)
	h.Post(bob, "I am the old bob")
	h.Post(bob, "/quit")
	expect(t, alice)
	expect(t, bob2)
	if isDone(bob2) {
		t.Fatal("the old bob's /quit removed the new bob")
	}
	h.Post(bob2, "I am the new bob")
	expect(t, alice, chat(bob2, "I am the new bob"))
}

func TestJoinDuplicateNames(t *testing.T) {
	h := newTestHub(t, Options{})
	requests := []string{"alice", "alice", "ALICE", "Alice", "alice-2", "abcdefghijklmnop", "ABCDEFGHIJKLMNOP"}
	want := map[int]string{0: "alice", 1: "alice-2", 2: "ALICE-3", 3: "Alice-4", 5: "abcdefghijklmnop"}
	seen := map[string]string{}
	for i, name := range requests {
		m, _, err := h.Join(JoinRequest{Name: name, Door: DoorTCP})
		if err != nil {
			t.Fatalf("Join(%q): %v", name, err)
		}
		got := m.Name()
		if w, ok := want[i]; ok && got != w {
			t.Errorf("Join #%d (%q) named %q; want %q", i, name, got, w)
		}
		if p := CheckName(got); p != NameOK {
			t.Errorf("Join(%q) gave the invalid name %q (%d)", name, got, p)
		}
		if other, dup := seen[strings.ToLower(got)]; dup {
			t.Errorf("Join(%q) gave %q, the same name as %q", name, got, other)
		}
		seen[strings.ToLower(got)] = got
		// A name with a suffix is no error: nothing but joins in the outbox.
		for _, msg := range m.Drain(nil) {
			if msg.Kind != KindJoin {
				t.Errorf("Join(%q): unexpected %v in the outbox", name, msg.Kind)
			}
		}
	}
}

func TestJoinInvalidName(t *testing.T) {
	tests := []struct {
		name string
		want NameProblem
	}{
		{"", NameTooShort},
		{"a", NameTooShort},
		{"Admin", NameReserved},
		{"ROOT", NameReserved},
		// No name can be made of these (see TestJoinMakesANameOfALogin).
		{"é", NameBadChars},        // e: too short
		{"иван", NameBadChars},     // another script
		{"root.", NameBadChars},    // root: reserved
		{"guest-7.", NameBadChars}, // guest-7: the server's to give
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHub(t, Options{})
			alice := join(t, h, "alice", DoorTCP)
			m := join(t, h, tt.name, DoorSSH)
			wantName := fmt.Sprintf("guest-%d", m.ID())
			if m.Name() != wantName {
				t.Fatalf("Join(%q) named %q; want %q", tt.name, m.Name(), wantName)
			}
			expect(t, m, Message{Kind: KindError, Err: ErrNameInvalid, Problem: tt.want, Text: tt.name})
			expect(t, alice, Message{Kind: KindJoin, From: wantName, SenderID: m.ID(), Door: DoorSSH})
		})
	}
}

// A login name with accents, dots or too many letters becomes the closest
// name, and the member is told which; its key owns that name.
func TestJoinMakesANameOfALogin(t *testing.T) {
	for _, tt := range []struct{ login, want string }{
		{"élodie", "elodie"},
		{"François", "Francois"},
		{"jean.dupont", "jean_dupont"},
		{"al ice", "al_ice"},
		{"abcdefghijklmnopq", "abcdefghijklmnop"},
		{"\u0430lice", "lice"}, // a Cyrillic а
		{"\x1b[31mred", "31mred"},
		{"Jürgen.Groß", "Jurgen_Gross"},
	} {
		t.Run(tt.login, func(t *testing.T) {
			store := newMemStore()
			h := newTestHub(t, Options{Store: store})
			alice := join(t, h, "alice", DoorTCP)
			m := joinAs(t, h, tt.login, "SHA256:k", "")
			if m.Name() != tt.want {
				t.Fatalf("Join(%q) named %q; want %q", tt.login, m.Name(), tt.want)
			}
			expect(t, m, Message{Kind: KindError, Err: ErrNameCleaned, Text: tt.want})
			expect(t, alice, Message{Kind: KindJoin, From: tt.want, SenderID: m.ID(), Door: DoorSSH, Key: "SHA256:k"})
			if got := store.owned()[strings.ToLower(tt.want)]; got != "SHA256:k" {
				t.Errorf("the key owns %v; want %s", store.owned(), tt.want)
			}
		})
	}
	// The name made may be taken: its suffix is told.
	h := newTestHub(t, Options{})
	join(t, h, "elodie", DoorTCP)
	m := joinAs(t, h, "élodie", "", "")
	expect(t, m, Message{Kind: KindError, Err: ErrNameCleaned, Text: "elodie-2"})
	for _, lang := range langs {
		want := map[Lang]string{
			LangEN: "your name here is elodie-2 (names use ASCII letters, digits, _ and -)",
			LangFR: "votre nom ici est elodie-2 (un nom n'a que des lettres ASCII, des chiffres, _ et -)",
		}[lang]
		if got := lang.Describe(Message{Kind: KindError, Err: ErrNameCleaned, Text: "elodie-2"}); got != want {
			t.Errorf("%s: %q; want %q", lang, got, want)
		}
	}
}

// TestJoinGeneratedNameTaken: members already hold every name the
// generator could pick (a door that numbers its members as guest-N); the
// newcomer still gets a name of its own.
func TestJoinGeneratedNameTaken(t *testing.T) {
	h := newTestHub(t, Options{})
	taken := map[string]bool{}
	for i := 1; i <= 12; i++ {
		m, _, err := h.Join(JoinRequest{Name: fmt.Sprint("guest-", i), Door: DoorTCP, Generated: true})
		if err != nil {
			t.Fatal(err)
		}
		taken[nameKey(m.Name())] = true
	}
	m := join(t, h, "!", DoorTCP)
	if p := CheckName(m.Name()); taken[nameKey(m.Name())] || (p != NameOK && p != NameGenerated) || !strings.HasPrefix(m.Name(), "guest-") {
		t.Fatalf("generated name %q is taken, invalid or not a guest name", m.Name())
	}
	if got := len(h.Members()); got != 13 {
		t.Fatalf("%d members; want 13", got)
	}
}

func TestHistory(t *testing.T) {
	posts := []string{
		"one",
		"/me two",
		"/msg bob secret",
		"/nick alicia",
		"/who",
		"   ",
		"/foo",
		"three",
		"four",
	}
	tests := []struct {
		size int
		want []Message // Seq aside
	}{
		{0, []Message{}},
		{1, []Message{{Kind: KindChat, From: "alicia", Text: "four"}}},
		{3, []Message{
			{Kind: KindAction, From: "alice", Text: "two"},
			{Kind: KindChat, From: "alicia", Text: "three"},
			{Kind: KindChat, From: "alicia", Text: "four"},
		}},
		{10, []Message{
			{Kind: KindChat, From: "alice", Text: "one"},
			{Kind: KindAction, From: "alice", Text: "two"},
			{Kind: KindChat, From: "alicia", Text: "three"},
			{Kind: KindChat, From: "alicia", Text: "four"},
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("size=", tt.size), func(t *testing.T) {
			h := newTestHub(t, Options{History: NewRing(tt.size)})
			ms := joinAll(t, h, "alice", "bob")
			for _, p := range posts {
				h.Post(ms[0], p)
			}
			h.Post(ms[1], "/quit")

			_, hist, err := h.Join(JoinRequest{Name: "carol", Door: DoorTCP})
			if err != nil {
				t.Fatal(err)
			}
			checkSeq(t, "history", hist)
			got := make([]Message, len(hist))
			for i, m := range hist {
				if m.SenderID != ms[0].ID() || m.At != testClock {
					t.Errorf("history[%d] = %+v: SenderID or At wrong", i, m)
				}
				got[i] = Message{Kind: m.Kind, From: m.From, Text: m.Text}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("history\n%swant\n%s", dump(hist), dump(tt.want))
			}
		})
	}
}

func TestHistoryDefault(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice")
	for i := range DefaultHistory + 10 {
		h.Post(ms[0], fmt.Sprint("m", i))
		ms[0].Drain(nil)
	}
	_, hist, err := h.Join(JoinRequest{Name: "bob", Door: DoorTCP})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != DefaultHistory || hist[0].Text != "m10" || hist[len(hist)-1].Text != fmt.Sprint("m", DefaultHistory+9) {
		t.Fatalf("history of %d messages, %q to %q; want %d, m10 to m%d",
			len(hist), hist[0].Text, hist[len(hist)-1].Text, DefaultHistory, DefaultHistory+9)
	}
}

// recorder is a History that keeps everything it is given.
type recorder struct{ msgs []Message }

func (r *recorder) Append(m Message)  { r.msgs = append(r.msgs, m) }
func (r *recorder) Recent() []Message { return slices.Clone(r.msgs) }

func TestHistoryOnlyPublicMessages(t *testing.T) {
	rec := &recorder{}
	h := newTestHub(t, Options{History: rec})
	ms := joinAll(t, h, "alice", "bob")
	for _, p := range []string{"hi", "/me waves", "/msg bob psst", "/nick al", "/who", "/help", "/foo"} {
		h.Post(ms[0], p)
	}
	h.Leave(ms[1], ReasonClosed)
	h.Shutdown()
	var kinds []Kind
	for _, m := range rec.msgs {
		kinds = append(kinds, m.Kind)
	}
	if want := []Kind{KindChat, KindAction}; !slices.Equal(kinds, want) {
		t.Fatalf("history was given %v; want %v", kinds, want)
	}
}

// A member is too slow when the oldest message waiting for it has waited
// longer than OutboxAge: its own reading, measured in time.
func TestSlowMemberByAge(t *testing.T) {
	clock := fakeclock.New(testClock)
	h := newTestHub(t, Options{Now: clock.Now, OutboxNow: clock.Now, OutboxAge: 10 * time.Second})
	slow := join(t, h, "slow", DoorTCP)
	fast := join(t, h, "fast", DoorTCP)
	slow.Drain(nil)

	var got []Message
	const posts = 10
	for i := range posts {
		h.Post(fast, fmt.Sprint("m", i)) // m0 waits for slow from now on
		got = fast.Drain(got)
		clock.Advance(time.Second)
	}
	if isDone(slow) {
		t.Fatalf("slow removed while its oldest message had waited %v, within 10s", 9*time.Second)
	}
	clock.Advance(time.Second + time.Millisecond)
	h.Post(fast, "late")
	got = fast.Drain(got)
	if !isDone(slow) || slow.Reason() != ReasonTooSlow {
		t.Fatalf("slow: Done %v, Reason %v; want removed as %v once m0 waited past 10s", isDone(slow), slow.Reason(), ReasonTooSlow)
	}
	// What was queued before the removal is still there to deliver, and
	// not the message that found it too slow.
	queued := slow.Drain(nil)
	if len(queued) != posts || queued[0].Text != "m0" || queued[posts-1].Text != fmt.Sprint("m", posts-1) {
		t.Fatalf("slow's outbox after removal:\n%swant m0..m%d", dump(queued), posts-1)
	}

	checkSeq(t, "fast", got)
	var chats []string
	leaves := 0
	for _, m := range got {
		switch m.Kind {
		case KindChat:
			chats = append(chats, m.Text)
		case KindLeave:
			leaves++
			if m.From != "slow" || m.SenderID != slow.ID() || m.Reason != ReasonTooSlow {
				t.Errorf("leave %+v; want slow, too slow", m)
			}
		default:
			t.Errorf("fast received an unexpected %v", m.Kind)
		}
	}
	if len(chats) != posts+1 || chats[0] != "m0" || chats[posts] != "late" {
		t.Errorf("fast received chats %q; want m0..m%d, late", chats, posts-1)
	}
	if leaves != 1 || isDone(fast) {
		t.Errorf("fast was told %d times that slow left (want 1); fast removed: %v", leaves, isDone(fast))
	}
	if got := names(h.Members()); !slices.Equal(got, []string{"fast"}) {
		t.Errorf("Members() = %q", got)
	}
}

// A member that drains keeps up however long it has been in the room:
// the age is that of the oldest message waiting, not of the member.
func TestReaderIsNeverTooOld(t *testing.T) {
	clock := fakeclock.New(testClock)
	h := newTestHub(t, Options{Now: clock.Now, OutboxNow: clock.Now, OutboxAge: 10 * time.Second})
	ms := joinAll(t, h, "alice", "bob")
	for range 100 {
		h.Post(ms[0], "hello")
		ms[1].Drain(nil)
		clock.Advance(time.Minute)
	}
	if isDone(ms[1]) {
		t.Fatal("bob, who read every message at once, was removed")
	}
}

func TestSlowMemberByBytes(t *testing.T) {
	const bound = 1024
	h := newTestHub(t, Options{OutboxBytes: bound})
	slow := join(t, h, "slow", DoorTCP)
	fast := join(t, h, "fast", DoorTCP)
	text := strings.Repeat("x", 200)

	var got []Message
	const posts = 10
	for range posts {
		h.Post(fast, text)
		got = fast.Drain(got)
	}
	if !isDone(slow) || slow.Reason() != ReasonTooSlow {
		t.Fatalf("slow: Done %v, Reason %v; want removed as %v", isDone(slow), slow.Reason(), ReasonTooSlow)
	}
	queued := slow.Drain(nil)
	size := 0
	for i := range queued {
		size += queued[i].size()
	}
	if size > bound || len(queued) >= posts {
		t.Errorf("slow's outbox held %d messages, %d bytes; want at most %d bytes", len(queued), size, bound)
	}
	chats, leaves := 0, 0
	for _, m := range got {
		switch {
		case m.Kind == KindChat && m.Text == text:
			chats++
		case m.Kind == KindLeave && m.From == "slow" && m.Reason == ReasonTooSlow:
			leaves++
		default:
			t.Errorf("fast received an unexpected %+v", m)
		}
	}
	if chats != posts || leaves != 1 || isDone(fast) {
		t.Errorf("fast: %d chats, %d leaves, removed %v; want %d, 1, false", chats, leaves, isDone(fast), posts)
	}
}

func TestShutdown(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob", "carol")
	h.Shutdown()
	var seq uint64
	for _, m := range ms {
		if !isDone(m) || m.Reason() != ReasonShutdown {
			t.Errorf("%s: Done %v, Reason %v; want closed, %v", m.Name(), isDone(m), m.Reason(), ReasonShutdown)
		}
		got := expect(t, m, Message{Kind: KindShutdown}) // and no leaves
		if seq != 0 && got[0].Seq != seq {
			t.Errorf("%s: shutdown Seq %d; another member got %d", m.Name(), got[0].Seq, seq)
		}
		seq = got[0].Seq
	}
	if got := h.Members(); len(got) != 0 {
		t.Errorf("Members() = %v after Shutdown", got)
	}

	m, hist, err := h.Join(JoinRequest{Name: "dave", Door: DoorTCP})
	if !errors.Is(err, ErrClosed) || m != nil || hist != nil {
		t.Errorf("Join after Shutdown = %v, %v, %v; want nil, nil, ErrClosed", m, hist, err)
	}

	// Everything after is harmless and silent.
	h.Shutdown()
	h.Post(ms[0], "anyone?")
	h.Leave(ms[1], ReasonQuit)
	for _, m := range ms {
		expect(t, m)
		if m.Reason() != ReasonShutdown {
			t.Errorf("%s: Reason changed to %v", m.Name(), m.Reason())
		}
	}
}

func TestShutdownFullOutbox(t *testing.T) {
	h := newTestHub(t, Options{OutboxBytes: 1024})
	full := join(t, h, "full", DoorTCP)
	a := join(t, h, "alice", DoorTCP)
	b := join(t, h, "bob", DoorTCP)
	full.Drain(nil)
	big := strings.Repeat("x", 900)
	h.Post(a, big) // full's outbox: 969 of its 1024 bytes: no room for the notice
	a.Drain(nil)
	b.Drain(nil)
	h.Shutdown()
	if !isDone(full) || full.Reason() != ReasonShutdown {
		t.Fatalf("full: Done %v, Reason %v; want closed, %v", isDone(full), full.Reason(), ReasonShutdown)
	}
	if got := full.Drain(nil); len(got) != 1 || got[0].Text != big {
		t.Fatalf("full's outbox:\n%swant alice's message only", dump(got))
	}
	expect(t, a, Message{Kind: KindShutdown})
	expect(t, b, Message{Kind: KindShutdown})
}

func TestBlankMessagesNotRelayed(t *testing.T) {
	for _, line := range []string{"", " ", "   ", "\t", " \t ", "\r\n", "\x1b", "\x1b\x07\x00", "\u00a0", "\u3000", "\ufeff", "\u202e  \u200f"} {
		t.Run(fmt.Sprintf("%q", line), func(t *testing.T) {
			rec := &recorder{}
			h := newTestHub(t, Options{History: rec})
			ms := joinAll(t, h, "alice", "bob")
			h.Post(ms[0], line)
			expect(t, ms[0])
			expect(t, ms[1])
			if len(rec.msgs) != 0 {
				t.Errorf("history was given %v", dump(rec.msgs))
			}
		})
	}
}

func TestSanitizedAtEntry(t *testing.T) {
	tests := []struct {
		line string
		want Message // Kind and Text
	}{
		{"\x1b[31mred\x1b[0m", Message{Kind: KindChat, Text: "[31mred[0m"}},
		{"hi\r", Message{Kind: KindChat, Text: "hi"}},
		{"a\xffb", Message{Kind: KindChat, Text: "a\uFFFDb"}},
		{"\u202eevil\u202c", Message{Kind: KindChat, Text: "evil"}},
		{"tab\there", Message{Kind: KindChat, Text: "tab here"}},
		{"/me \x1b[2Jwaves", Message{Kind: KindAction, Text: "[2Jwaves"}},
		{"/me\twaves", Message{Kind: KindAction, Text: "waves"}},
		{"/msg bob \x1b[5mblink", Message{Kind: KindPrivate, To: "bob", Text: "[5mblink"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.line), func(t *testing.T) {
			h := newTestHub(t, Options{})
			ms := joinAll(t, h, "alice", "bob")
			h.Post(ms[0], tt.line)
			want := tt.want
			want.From, want.SenderID = "alice", ms[0].ID()
			expect(t, ms[1], want)
			if want.Kind != KindPrivate {
				_, hist, err := h.Join(JoinRequest{Name: "carol"})
				if err != nil || len(hist) != 1 || hist[0].Text != want.Text {
					t.Fatalf("history %s(err %v); want the sanitised text %q", dump(hist), err, want.Text)
				}
			}
		})
	}
	// Names typed in a command are sanitised too.
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob")
	h.Post(ms[0], "/nick ali\x1bcia\u200f")
	expect(t, ms[1], Message{Kind: KindNick, From: "alice", To: "alicia", SenderID: ms[0].ID()})
	if ms[0].Name() != "alicia" {
		t.Fatalf("Name() = %q; want alicia", ms[0].Name())
	}
}

// TestConcurrentPosts has 20 members post 50 messages each at once while
// every member drains its outbox on its own goroutine. Run it with -race.
func TestConcurrentPosts(t *testing.T) {
	const posters, perPoster, readers = 20, 50, 2
	h := newTestHub(t, Options{OutboxBytes: 1 << 30})
	ms := make([]*Member, posters+readers)
	for i := range ms {
		ms[i] = join(t, h, fmt.Sprint("m", i), DoorTCP)
	}

	got := make([][]Message, len(ms))
	stop := make(chan struct{})
	var drainers sync.WaitGroup
	for i, m := range ms {
		drainers.Go(func() {
			var msgs []Message
			for {
				select {
				case <-m.Ready():
					msgs = m.Drain(msgs)
				case <-stop:
					got[i] = m.Drain(msgs) // everything posted is queued by now
					return
				}
			}
		})
	}

	start := make(chan struct{})
	var writers sync.WaitGroup
	for p := range posters {
		writers.Go(func() {
			<-start
			for i := range perPoster {
				h.Post(ms[p], fmt.Sprintf("%d:%d", p, i))
			}
		})
	}
	close(start)
	writers.Wait()
	close(stop)
	drainers.Wait()

	var ref []uint64
	for i, m := range ms {
		if isDone(m) {
			t.Errorf("%s was removed: %v", m.Name(), m.Reason())
		}
		checkSeq(t, m.Name(), got[i])
		var seqs []uint64
		next := make([]int, posters) // per poster, the next message expected
		for _, msg := range got[i] {
			if msg.Kind != KindChat {
				continue
			}
			seqs = append(seqs, msg.Seq)
			var p, n int
			if _, err := fmt.Sscanf(msg.Text, "%d:%d", &p, &n); err != nil || p < 0 || p >= posters {
				t.Fatalf("%s: unexpected chat %q", m.Name(), msg.Text)
			}
			if msg.SenderID != ms[p].ID() || n != next[p] {
				t.Fatalf("%s: chat %q from id %d; want %d:%d from id %d", m.Name(), msg.Text, msg.SenderID, p, next[p], ms[p].ID())
			}
			next[p]++
		}
		if len(seqs) != posters*perPoster {
			t.Fatalf("%s received %d chat messages; want %d", m.Name(), len(seqs), posters*perPoster)
		}
		if ref == nil {
			ref = seqs
		} else if !slices.Equal(seqs, ref) {
			t.Fatalf("%s received the chat messages in another order than %s", m.Name(), ms[0].Name())
		}
	}
}

// TestConcurrentChurn mixes joins, leaves, renames, /who and chat from
// many goroutines. Run it with -race.
func TestConcurrentChurn(t *testing.T) {
	const workers, rounds = 8, 40
	h := newTestHub(t, Options{OutboxBytes: 1 << 30})
	stay := make([]*Member, workers)
	for i := range stay {
		stay[i] = join(t, h, fmt.Sprint("stay", i), DoorTCP)
	}
	errs := make(chan error, workers*rounds)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			me := stay[w]
			for r := range rounds {
				visitor, _, err := h.Join(JoinRequest{Name: "visitor", Door: DoorSSH})
				if err != nil {
					errs <- err
					return
				}
				h.Post(visitor, "hello")
				h.Post(me, fmt.Sprintf("/nick s%d-%d", w, r))
				h.Post(me, "/who")
				h.Post(me, "/msg visitor hi")
				_ = h.Members()
				me.Drain(nil)
				visitor.Drain(nil)
				h.Leave(visitor, ReasonClosed)
				if !isDone(visitor) {
					errs <- fmt.Errorf("visitor %s not done after Leave", visitor.Name())
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := names(h.Members())
	if len(got) != workers {
		t.Fatalf("Members() = %q; want the %d who stayed", got, workers)
	}
	for w, m := range stay {
		if want := fmt.Sprintf("s%d-%d", w, rounds-1); m.Name() != want || isDone(m) {
			t.Errorf("stay%d: Name %q, removed %v; want %q, present", w, m.Name(), isDone(m), want)
		}
	}
}

// BenchmarkFanout is one post to 1000 members whose doors keep up: each
// outbox is drained (untimed) every keptOutbox posts, as writers drain
// them in a busy room, so a post costs the hub no allocation.
func BenchmarkFanout(b *testing.B) {
	const members, drainEvery = 1000, keptOutbox
	// Room for the joins of all, which the first members get before any drain.
	h := newTestHub(b, Options{OutboxBytes: 1 << 20})
	ms := make([]*Member, members)
	for i := range ms {
		ms[i] = join(b, h, fmt.Sprint("member", i), DoorTCP)
	}
	var buf []Message
	drainAll := func() {
		for _, m := range ms {
			buf = m.Drain(buf[:0])
		}
	}
	drainAll()
	sender := ms[0]

	b.ReportAllocs()
	n := 0
	for b.Loop() {
		h.Post(sender, "hello, everyone")
		if n++; n%drainEvery == 0 {
			b.StopTimer()
			drainAll()
			b.StartTimer()
		}
	}
	b.StopTimer()
	if got := len(h.Members()); got != members {
		b.Fatalf("%d members left after the benchmark; want %d", got, members)
	}
}

// A reply larger than the byte bound still reaches a member that keeps up:
// only a backlog makes a member too slow.
func TestLargeReplyToAnEmptyOutbox(t *testing.T) {
	h := newTestHub(t, Options{OutboxBytes: 100}) // a join fits; the /who of 5 does not
	var ms []*Member
	for _, name := range []string{"alice", "bob", "carol", "dave", "erin"} {
		ms = append(ms, join(t, h, name, DoorTCP))
		for _, m := range ms {
			m.Drain(nil)
		}
	}
	h.Post(ms[0], "/who")
	got := ms[0].Drain(nil)
	if len(got) != 1 || got[0].Kind != KindWho || isDone(ms[0]) {
		t.Fatalf("alice got %s done=%v; want the /who reply and to stay", dump(got), isDone(ms[0]))
	}
}

// A private message to a member that is too slow is not confirmed to its
// sender: the sender reads the target's leave instead.
func TestPrivateToSlowMemberIsNotConfirmed(t *testing.T) {
	h := newTestHub(t, Options{OutboxBytes: 200})
	ms := joinAll(t, h, "alice", "bob")
	alice := ms[0] // ms[1], bob, never reads
	h.Post(alice, "one")
	h.Post(alice, "two") // bob's outbox: 140 of its 200 bytes
	alice.Drain(nil)
	h.Post(alice, "/msg bob secret")
	got := alice.Drain(nil)
	if len(got) != 1 || got[0].Kind != KindLeave || got[0].From != "bob" || got[0].Reason != ReasonTooSlow {
		t.Fatalf("alice got %s; want only bob's leave (too slow)", dump(got))
	}
}

// A message of zero-width characters would be an invisible line.
func TestInvisibleMessagesNotRelayed(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob")
	h.Post(ms[0], "\u200b\u200b \u2060")
	h.Post(ms[0], "👍🏽")
	got := ms[1].Drain(nil)
	if len(got) != 1 || got[0].Text != "👍🏽" {
		t.Fatalf("bob got %s; want only the emoji", dump(got))
	}
}

// Without Echo, a member does not get its own public messages back (the
// course's protocol), but does get everything else.
func TestNoEchoForMembersThatDoNotAsk(t *testing.T) {
	h := newTestHub(t, Options{})
	quiet, _, err := h.Join(JoinRequest{Name: "quiet", Door: DoorTCP})
	if err != nil {
		t.Fatal(err)
	}
	bob := join(t, h, "bob", DoorSSH)
	quiet.Drain(nil)
	h.Post(quiet, "hello")
	h.Post(quiet, "/me waves")
	h.Post(quiet, "/msg bob psst")
	h.Post(bob, "hi")
	got := quiet.Drain(nil)
	if len(got) != 2 || got[0].Kind != KindPrivate || got[1].Kind != KindChat || got[1].From != "bob" {
		t.Fatalf("quiet got %s; want its private copy and bob's message only", dump(got))
	}
	if got := bob.Drain(nil); len(got) != 4 {
		t.Fatalf("bob got %s; want join, chat, action, private", dump(got))
	}
}

// Notify runs once the hub's lock is released: a door may call the hub
// from it, or write to a socket, without holding up every other member.
// Under the lock, the Count here would wait for ever.
func TestNotifyRunsOutsideTheLock(t *testing.T) {
	h := newTestHub(t, Options{})
	counts := make(chan int, 10)
	listener, _, err := h.Join(JoinRequest{Name: "listener", Door: DoorTCP, Notify: func() { counts <- h.Count() }})
	if err != nil {
		t.Fatal(err)
	}
	listener.Drain(nil)
	done := make(chan struct{})
	go func() { // the poster's join is the listener's first message
		defer close(done)
		poster, _, _ := h.Join(JoinRequest{Name: "poster", Door: DoorTCP})
		h.Post(poster, "hello")
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Join and Post did not return: Notify ran under the hub's lock")
	}
	select {
	case n := <-counts:
		if n != 2 {
			t.Errorf("Notify saw %d members, want 2", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Notify was not called")
	}
}
