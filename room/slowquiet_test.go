package room

import (
	"testing"
	"time"

	"palabre/internal/fakeclock"
)

// slowRoom is a hub on a manual clock with an operator (by key) and two
// members, every outbox emptied.
func slowRoom(t *testing.T) (h *Hub, clock *fakeclock.Manual, op, alice, bob *Member) {
	t.Helper()
	clock = fakeclock.NewManual(testClock)
	h = newTestHub(t, Options{OpKeys: []string{"K"}, Now: clock.Now, Sleep: clock.Sleep})
	op, _, err := h.Join(JoinRequest{Name: "prof", Door: DoorSSH, Key: "K", Echo: true})
	if err != nil || !op.IsOp() {
		t.Fatalf("operator: %v, op=%v", err, op != nil && op.IsOp())
	}
	ms := joinAll(t, h, "alice", "bob")
	op.Drain(nil)
	return h, clock, op, ms[0], ms[1]
}

// send is what every door does with a line (lineproto.Input.Send): slow
// mode's wait, then the post. It returns at once; the channel reports
// whether the line was posted.
func send(h *Hub, m *Member, line string) <-chan bool {
	done := make(chan bool, 1)
	go func() {
		ok := h.WaitSlow(m, line)
		if ok {
			h.Post(m, line)
		}
		done <- ok
	}()
	return done
}

// sent waits for a send to end.
func sent(t *testing.T, done <-chan bool, want bool) {
	t.Helper()
	select {
	case got := <-done:
		if got != want {
			t.Fatalf("send reported %v; want %v", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the line is still held")
	}
}

// sleeping waits until n sends are held on the clock.
func sleeping(t *testing.T, clock *fakeclock.Manual, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for clock.Sleeping() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d sends held; want %d", clock.Sleeping(), n)
		}
		time.Sleep(time.Millisecond) // polling a condition, with a deadline
	}
}

func TestSlowHoldsALineThenSendsIt(t *testing.T) {
	h, clock, op, alice, bob := slowRoom(t)
	h.Post(op, "/slow 30s")
	for _, m := range []*Member{op, alice, bob} {
		if s := lastKind(t, received(m), KindSlow); s.From != "prof" || s.Text != "30s" || s.Seq == 0 {
			t.Fatalf("%s was told %+v", m.Name(), s)
		}
	}
	if got := h.DefaultRoom().Slow(); got != 30*time.Second {
		t.Fatalf("Slow() = %v", got)
	}

	sent(t, send(h, alice, "one"), true)
	expect(t, bob, chat(alice, "one"))
	start := clock.Now()

	// Ten seconds on, the next line is held, and alice told once for how long.
	clock.Advance(10 * time.Second)
	two := send(h, alice, "two")
	sleeping(t, clock, 1)
	held := lastKind(t, received(alice), KindError)
	if held.Err != ErrSlowHeld || !held.Until.Equal(start.Add(30*time.Second)) {
		t.Fatalf("alice was told %+v", held)
	}
	if got := LangEN.Describe(held); got != "slow mode: your message will be sent in 20 s" {
		t.Fatalf("the notice reads %q", got)
	}
	if bob.Pending() {
		t.Fatalf("bob received a held line:\n%s", dump(received(bob)))
	}
	// The operator is not slowed.
	for _, s := range []string{"a", "b", "/me c"} {
		sent(t, send(h, op, s), true)
	}
	if got := received(bob); len(got) != 3 {
		t.Fatalf("bob received, of the operator's three lines:\n%s", dump(got))
	}

	clock.Advance(19 * time.Second)
	if bob.Pending() || clock.Sleeping() != 1 {
		t.Fatalf("a second early: sleeping %d, bob has %s", clock.Sleeping(), dump(received(bob)))
	}
	clock.Advance(time.Second)
	sent(t, two, true)
	two2 := chat(alice, "two")
	two2.At = start.Add(30 * time.Second)
	expect(t, bob, two2)
	for _, m := range received(alice) {
		if m.Kind == KindError {
			t.Fatalf("alice was told more: %+v", m)
		}
	}

	// The next line waits a whole period after the held one went; /who, /msg do not wait.
	three := send(h, alice, "/me three")
	sleeping(t, clock, 1)
	if held := lastKind(t, received(alice), KindError); !held.Until.Equal(start.Add(60 * time.Second)) {
		t.Fatalf("alice was told %+v", held)
	}
	clock.Advance(30 * time.Second)
	sent(t, three, true)
	expect(t, bob, Message{Kind: KindAction, From: "alice", SenderID: alice.ID(), Text: "three", At: start.Add(60 * time.Second)})
	sent(t, send(h, alice, "/msg bob psst"), true)
	sent(t, send(h, alice, "/who"), true)
	if k := lastKind(t, received(bob), KindPrivate); k.Text != "psst" {
		t.Fatalf("bob's private message: %+v", k)
	}
}

func TestSlowOffReleasesHeldLines(t *testing.T) {
	h, clock, op, alice, bob := slowRoom(t)
	h.Post(op, "/slow 2m")
	sent(t, send(h, alice, "one"), true)
	two := send(h, alice, "two")
	sleeping(t, clock, 1)
	received(bob)

	h.Post(op, "/slow off")
	sent(t, two, true) // no clock moved
	got := received(bob)
	if len(got) != 2 || got[0].Kind != KindSlow || got[0].Text != "" || got[1].Kind != KindChat || got[1].Text != "two" {
		t.Fatalf("bob received\n%s", dump(got))
	}
	if d := h.DefaultRoom().Slow(); d != 0 {
		t.Fatalf("Slow() = %v after /slow off", d)
	}
	if got := LangFR.Describe(got[0]); got != "prof a mis fin au mode lent" {
		t.Fatalf("in French: %q", got)
	}
}

func TestSlowHeldLineOfAMemberWhoLeaves(t *testing.T) {
	h, clock, op, alice, bob := slowRoom(t)
	h.Post(op, "/slow 1m")
	sent(t, send(h, alice, "one"), true)
	two := send(h, alice, "two")
	sleeping(t, clock, 1)
	h.Leave(alice, ReasonClosed)
	sent(t, two, false)
	for _, m := range received(bob) {
		if m.Kind == KindChat && m.Text == "two" {
			t.Fatal("the line of a member gone was posted")
		}
	}
}

func TestSlowRefusals(t *testing.T) {
	h, _, op, alice, _ := slowRoom(t)
	for _, tt := range []struct {
		who  *Member
		line string
		err  ErrorCode
	}{
		{alice, "/slow 30s", ErrNotOperator},
		{alice, "/quiet", ErrNotOperator},
		{alice, "/open", ErrNotOperator},
		{op, "/slow", ErrUsage},
		{op, "/slow soon", ErrBadDuration},
		{op, "/slow 0s", ErrBadDuration},
		{op, "/slow 2h", ErrSlowRange},
		{op, "/quiet now", ErrUsage},
	} {
		h.Post(tt.who, tt.line)
		if e := lastKind(t, received(tt.who), KindError); e.Err != tt.err {
			t.Errorf("%s: error %d; want %d", tt.line, e.Err, tt.err)
		}
	}
	if r := h.DefaultRoom(); r.Slow() != 0 || r.Quiet() {
		t.Fatalf("a refusal changed the modes: slow %v quiet %v", r.Slow(), r.Quiet())
	}
}

func TestQuietRefusesMembersNotOperators(t *testing.T) {
	h, _, op, alice, bob := slowRoom(t)
	h.Post(op, "/quiet")
	for _, m := range []*Member{op, alice, bob} {
		if q := lastKind(t, received(m), KindQuiet); q.From != "prof" || q.Seq == 0 {
			t.Fatalf("%s was told %+v", m.Name(), q)
		}
	}
	for _, line := range []string{"may I?", "/me waves"} {
		sent(t, send(h, alice, line), true) // refused, not held
		e := lastKind(t, received(alice), KindError)
		if e.Err != ErrQuiet {
			t.Fatalf("%q: alice was told %+v", line, e)
		}
		if want := "the room is quiet: only operators post; /ask and /hand still work (your message was not sent)"; LangEN.Describe(e) != want {
			t.Fatalf("the refusal reads %q", LangEN.Describe(e))
		}
	}
	if bob.Pending() {
		t.Fatalf("bob received\n%s", dump(received(bob)))
	}
	// Commands still work; the operator still posts.
	h.Post(alice, "/msg bob a question")
	h.Post(op, "listen")
	got := received(bob)
	if len(got) != 2 || got[0].Kind != KindPrivate || got[1].Text != "listen" {
		t.Fatalf("bob received\n%s", dump(got))
	}
	h.Post(op, "/open")
	h.Post(alice, "thanks")
	got = received(bob)
	if len(got) != 2 || got[0].Kind != KindOpen || got[0].From != "prof" || got[1].Text != "thanks" {
		t.Fatalf("bob received\n%s", dump(got))
	}
}

func TestModesArePerRoomAndToldToNewcomers(t *testing.T) {
	h, clock, op, alice, bob := slowRoom(t)
	h.Post(op, "/slow 30s")
	h.Post(op, "/quiet")
	h.Post(bob, "/join tp1")
	received(bob)
	// In #tp1 nothing holds or refuses bob.
	for _, line := range []string{"one", "two", "three"} {
		sent(t, send(h, bob, line), true)
	}
	if got := received(bob); len(got) != 3 || got[2].Text != "three" || got[2].Room != "tp1" {
		t.Fatalf("bob in #tp1 received\n%s", dump(got))
	}
	if r := bob.Room(); r.Slow() != 0 || r.Quiet() || clock.Sleeping() != 0 {
		t.Fatalf("#tp1: slow %v quiet %v", r.Slow(), r.Quiet())
	}

	// Moving back, bob is told the modes after where he is; so is a newcomer, after the topic.
	h.Post(bob, "/part")
	got := received(bob)
	if len(got) < 3 || got[len(got)-3].Kind != KindMove || got[len(got)-2].Kind != KindSlow || got[len(got)-1].Kind != KindQuiet {
		t.Fatalf("bob moving back received\n%s", dump(got))
	}
	if s := got[len(got)-2]; s.From != "" || s.Seq != 0 || LangEN.Describe(s) != "slow mode: each member posts at most once every 30 s" {
		t.Fatalf("bob was told %+v: %q", s, LangEN.Describe(s))
	}
	h.Post(op, "/topic Lecture 3")
	carol := join(t, h, "carol", DoorTCP)
	got = received(carol)
	if len(got) != 3 || got[0].Kind != KindTopic || got[1].Kind != KindSlow || got[2].Kind != KindQuiet || got[2].Seq != 0 {
		t.Fatalf("carol joining received\n%s", dump(got))
	}
	if got := LangFR.Describe(got[2]); got != "le salon est en silence : seuls les opérateurs écrivent ; /ask et /hand fonctionnent toujours" {
		t.Fatalf("in French: %q", got)
	}
	_ = alice
}

func TestExactSpan(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{0, "1 s"}, {time.Millisecond, "1 s"}, {25 * time.Second, "25 s"}, {29*time.Second + time.Millisecond, "30 s"},
		{90 * time.Second, "1 min 30 s"}, {2 * time.Minute, "2 min"}, {time.Hour + time.Second, "1 h 1 s"}} {
		if got := exactSpan(tt.d); got != tt.want {
			t.Errorf("exactSpan(%v) = %q; want %q", tt.d, got, tt.want)
		}
	}
}

func TestFormatSlow(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{0, ""}, {30 * time.Second, "30s"}, {2 * time.Minute, "2m"}, {90 * time.Second, "1m30s"}, {time.Hour, "1h"}} {
		got := formatSlow(tt.d)
		if got != tt.want {
			t.Errorf("formatSlow(%v) = %q; want %q", tt.d, got, tt.want)
		}
		if back, err := ParseDuration(got); got != "" && (err != nil || back != tt.d) {
			t.Errorf("ParseDuration(%q) = %v, %v", got, back, err)
		}
	}
}

// TestBlocksAreHeldAndRefusedAsLines: a block is words, whatever its first
// line: a slow room holds it as it holds a line, a quiet one refuses it.
func TestBlocksAreHeldAndRefusedAsLines(t *testing.T) {
	h, clock, op, alice, bob := slowRoom(t)
	h.Post(op, "/slow 30s")
	for _, m := range []*Member{op, alice, bob} {
		m.Drain(nil)
	}
	sent(t, send(h, alice, "one"), true)
	bob.Drain(nil)
	block := make(chan bool, 1)
	go func() {
		ok := h.WaitSlowBlock(alice)
		if ok {
			h.PostBlock(alice, "/usr/bin/env python\nprint(1)")
		}
		block <- ok
	}()
	sleeping(t, clock, 1)
	if held := lastKind(t, received(alice), KindError); held.Err != ErrSlowHeld {
		t.Fatalf("alice was told %+v", held)
	}
	if bob.Pending() {
		t.Fatalf("bob received a held block:\n%s", dump(received(bob)))
	}
	clock.Advance(30 * time.Second)
	sent(t, block, true)
	if b := lastKind(t, received(bob), KindBlock); b.Text != "/usr/bin/env python\nprint(1)" {
		t.Fatalf("the block: %+v", b)
	}

	h.Post(op, "/slow off")
	h.Post(op, "/quiet")
	bob.Drain(nil)
	alice.Drain(nil)
	h.PostBlock(alice, "a\nb")
	if e := lastKind(t, received(alice), KindError); e.Err != ErrQuiet {
		t.Fatalf("alice was told %+v", e)
	}
	if bob.Pending() {
		t.Fatalf("a quiet room read a member's block:\n%s", dump(received(bob)))
	}
}
