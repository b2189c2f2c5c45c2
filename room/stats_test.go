package room

import (
	"maps"
	"testing"

	"palabre/internal/fakeclock"
)

// Each counter moves where its event happens, and only there: a join, a
// message and its deliveries, a kick and an eviction each by its reason,
// a message flood control holds back.
func TestStatsCountEvents(t *testing.T) {
	clock := fakeclock.New(testClock)
	h := newTestHub(t, Options{OpPassword: "s3cret", OutboxBytes: 1024, MsgRate: 1, MsgBurst: 1, Now: clock.Now, Sleep: clock.Sleep})
	op := join(t, h, "teacher", DoorSSH)
	bob := join(t, h, "bob", DoorTCP)
	slow := join(t, h, "slow", DoorTCP)
	h.Post(op, "/op s3cret")
	for _, m := range []*Member{op, bob, slow} {
		m.Drain(nil)
	}
	before := h.Stats()
	if want := (map[Door]int{DoorSSH: 1, DoorTCP: 2}); !maps.Equal(before.Members, want) || before.Joins != 3 || before.Rooms != 1 {
		t.Fatalf("after three joins: %+v", before)
	}

	h.Post(bob, "hello") // to all three (echo on)
	s := h.Stats()
	if s.Posted != before.Posted+1 || s.Deliveries != before.Deliveries+3 {
		t.Errorf("one message to three: posted %d→%d, deliveries %d→%d", before.Posted, s.Posted, before.Deliveries, s.Deliveries)
	}

	h.Post(op, "/kick bob")
	if got := h.Stats().Leaves[ReasonKicked]; got != 1 {
		t.Errorf("leaves kicked = %d after a kick", got)
	}

	// slow never drains: a kilobyte outbox overflows within a few messages.
	for i := 0; !isDone(slow) && i < 100; i++ {
		h.Post(op, "a message of some length, to fill an outbox that nobody reads")
		op.Drain(nil)
	}
	s = h.Stats()
	if s.Evictions != 1 || s.Leaves[ReasonTooSlow] != 1 {
		t.Errorf("after an overflow: evictions %d, leaves too slow %d; want 1 and 1", s.Evictions, s.Leaves[ReasonTooSlow])
	}
	if want := (map[Door]int{DoorSSH: 1}); !maps.Equal(s.Members, want) {
		t.Errorf("members %v, want %v", s.Members, want)
	}

	if s.Delays != 0 {
		t.Fatalf("delays = %d before any pacing", s.Delays)
	}
	op.Pace() // the burst's one message
	op.Pace() // held back a second
	if got := h.Stats().Delays; got != 1 {
		t.Errorf("delays = %d after one message held back", got)
	}
}
