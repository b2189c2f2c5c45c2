package room

import (
	"fmt"
	"testing"
	"time"

	"palabre/internal/fakeclock"
)

// presenceCount adds up the joins or leaves that msgs tell of, gathered
// lines counted for every member they name.
func presenceCount(msgs []Message, k Kind) int {
	n := 0
	for _, m := range msgs {
		if m.Kind == k {
			n += 1 + m.Others
		}
	}
	return n
}

// A class arriving at once: a member busy elsewhere (it drains nothing
// during the storm) is never dropped for others' arrivals, its outbox holds
// a few lines however many joined, and those lines count every arrival.
func TestJoinStormNeverEvicts(t *testing.T) {
	h := newTestHub(t, Options{MaxMembers: 2000})
	busy := join(t, h, "busy", DoorSSH)
	busy.Drain(nil)
	const n = 1000
	for i := range n {
		if _, _, err := h.Join(JoinRequest{Name: fmt.Sprintf("s%d", i), Door: DoorTCP}); err != nil {
			t.Fatal(err)
		}
	}
	if isDone(busy) {
		t.Fatalf("busy was removed as %v by %d arrivals", busy.Reason(), n)
	}
	got := busy.Drain(nil)
	if len(got) > presenceKept+2 {
		t.Errorf("busy's outbox held %d lines for %d joins; want at most %d", len(got), n, presenceKept+2)
	}
	if c := presenceCount(got, KindJoin); c != n {
		t.Errorf("busy's lines tell of %d joins; want %d:\n%s", c, n, dump(got))
	}
	last := got[len(got)-1]
	if want := "s7 and 992 others joined"; (Lang("en")).Describe(last) != want {
		t.Errorf("the gathered line reads %q; want %q", Lang("en").Describe(last), want)
	}
	// Once drained, the next join is a line of its own again.
	h.Join(JoinRequest{Name: "late", Door: DoorTCP})
	if got := busy.Drain(nil); len(got) != 1 || got[0].From != "late" || got[0].Others != 0 {
		t.Errorf("after draining, a join gave %s; want late's own line", dump(got))
	}
}

// Half the room stops reading at once: they go, and the half that reads
// stays, with every message and one line telling of the leaves — no
// cascade of leave notices overflowing the readers.
func TestHalfTheRoomStallsAtOnce(t *testing.T) {
	clock := fakeclock.New(testClock)
	h := newTestHub(t, Options{Now: clock.Now, OutboxNow: clock.Now, MaxMembers: 2000, OutboxAge: 10 * time.Second})
	const n = 1000
	ms := make([]*Member, n)
	for i := range ms {
		ms[i] = join(t, h, fmt.Sprintf("m%d", i), DoorTCP)
	}
	readers, stalled := ms[:n/2], ms[n/2:]
	got := make([][]Message, n)
	for i, m := range ms {
		got[i] = m.Drain(nil)
	}
	sender := readers[0]
	const posts = 20
	for i := range posts {
		h.Post(sender, fmt.Sprint("p", i))
		for j, r := range readers {
			got[j] = r.Drain(got[j])
		}
		clock.Advance(time.Second) // the stalled half's oldest message ages
	}
	for _, m := range stalled {
		if !isDone(m) || m.Reason() != ReasonTooSlow {
			t.Fatalf("%s: done %v, reason %v; want removed as too slow", m.Name(), isDone(m), m.Reason())
		}
	}
	for j, r := range readers {
		if isDone(r) {
			t.Fatalf("reader %s removed as %v", r.Name(), r.Reason())
		}
		chats := 0
		for _, m := range got[j] {
			if m.Kind == KindChat {
				if want := fmt.Sprint("p", chats); m.Text != want {
					t.Fatalf("%s: chat %q, want %q", r.Name(), m.Text, want)
				}
				chats++
			}
		}
		if chats != posts {
			t.Fatalf("%s received %d of %d messages", r.Name(), chats, posts)
		}
		if c := presenceCount(got[j], KindLeave); c != n/2 {
			t.Fatalf("%s was told of %d leaves; want %d", r.Name(), c, n/2)
		}
	}
	if c := h.Count(); c != n/2 {
		t.Errorf("%d members left in the room; want %d", c, n/2)
	}
}

// The transcript keeps each leave of a gathered line, in the room's order.
func TestGatheredLeavesAreEachRecorded(t *testing.T) {
	clock := fakeclock.New(testClock)
	store := newMemStore()
	h := newTestHub(t, Options{Now: clock.Now, OutboxNow: clock.Now, Store: store, OutboxAge: time.Second})
	ms := joinAll(t, h, "alice", "bob", "carol", "dave")
	h.Post(ms[0], "hello") // waits for bob, carol and dave
	ms[0].Drain(nil)
	clock.Advance(2 * time.Second)
	h.Post(ms[0], "anyone?")
	var leaves []string
	store.mu.Lock()
	events := append([]Message(nil), store.events...)
	store.mu.Unlock()
	for _, m := range events {
		if m.Kind == KindLeave {
			leaves = append(leaves, m.From)
		}
	}
	if fmt.Sprint(leaves) != "[bob carol dave]" {
		t.Errorf("recorded leaves %q; want bob, carol, dave", leaves)
	}
	got := ms[0].Drain(nil)
	if len(got) != 2 || got[1].Kind != KindLeave || got[1].From != "bob" || got[1].Others != 2 {
		t.Errorf("alice got %s; want her echo, then one line for the three leaves", dump(got))
	}
}

// The lock is held for one fan-out per join: a join (and its leave) in a
// room of 1000 members who read nothing meanwhile, their outboxes gathered.
func BenchmarkJoinIntoBusyRoom(b *testing.B) {
	const members = 1000
	h := newTestHub(b, Options{MaxMembers: members + 1})
	for i := range members {
		join(b, h, fmt.Sprint("member", i), DoorTCP)
	}
	b.ReportAllocs()
	for b.Loop() {
		m, _, err := h.Join(JoinRequest{Name: "newcomer", Door: DoorTCP})
		if err != nil {
			b.Fatal(err)
		}
		h.Leave(m, ReasonClosed)
	}
	if got := h.Count(); got != members {
		b.Fatalf("%d members after the benchmark; want %d", got, members)
	}
}

// The longest the lock is held: one message finds half of a room of 1000
// too slow at once, removes them and tells the other half in one line.
func BenchmarkHalfTheRoomStalls(b *testing.B) {
	const members = 1000
	for b.Loop() {
		b.StopTimer()
		clock := fakeclock.New(testClock)
		h := newTestHub(b, Options{Now: clock.Now, OutboxNow: clock.Now, MaxMembers: members, OutboxAge: time.Second})
		ms := make([]*Member, members)
		for i := range ms {
			ms[i] = join(b, h, fmt.Sprint("member", i), DoorTCP)
		}
		for _, m := range ms {
			m.Drain(nil)
		}
		h.Post(ms[0], "before") // waits for everyone
		for _, m := range ms[:members/2] {
			m.Drain(nil)
		}
		clock.Advance(2 * time.Second)
		b.StartTimer()
		h.Post(ms[0], "after") // the stalled half goes
		b.StopTimer()
		if got := h.Count(); got != members/2 {
			b.Fatalf("%d members after the stall; want %d", got, members/2)
		}
		b.StartTimer()
	}
}
