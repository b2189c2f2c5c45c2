package room

import "sync/atomic"

// counters are what the hub counts of its work for a scrape: atomics
// incremented where the events already happen, so that metrics cost the
// hot path no lock and no allocation, and a scrape reads them without
// waiting on the room.
type counters struct {
	joins      atomic.Uint64
	leaves     [len(reasonNames)]atomic.Uint64 // by Reason
	posted     atomic.Uint64                   // public and private messages, once each
	deliveries atomic.Uint64                   // messages pushed into outboxes
	evictions  atomic.Uint64                   // members removed because their outbox was over its bounds
	delays     atomic.Uint64                   // messages flood control held back
}

// Stats is a snapshot of the hub's counters and its size.
type Stats struct {
	Members    map[Door]int      // on the server now, by door
	Rooms      int               // that exist now, the default one included
	Joins      uint64            // members admitted since the start
	Leaves     map[Reason]uint64 // members gone since the start, by why (moves between rooms not counted)
	Posted     uint64            // public and private messages sent
	Deliveries uint64            // messages put in a member's outbox
	Evictions  uint64            // members removed as too slow by their outbox's bounds
	Delays     uint64            // messages flood control held back
}

// Stats returns the hub's counters. The counts of members and rooms take
// the lock briefly; it is for a scrape or a health check, not a hot path.
func (h *Hub) Stats() Stats {
	s := Stats{
		Members:    map[Door]int{},
		Leaves:     map[Reason]uint64{},
		Joins:      h.stats.joins.Load(),
		Posted:     h.stats.posted.Load(),
		Deliveries: h.stats.deliveries.Load(),
		Evictions:  h.stats.evictions.Load(),
		Delays:     h.stats.delays.Load(),
	}
	for r := range h.stats.leaves {
		if n := h.stats.leaves[r].Load(); n > 0 {
			s.Leaves[Reason(r)] = n
		}
	}
	h.mu.Lock()
	for _, m := range h.members {
		s.Members[m.door]++
	}
	s.Rooms = len(h.rooms)
	h.mu.Unlock()
	return s
}

// Reasons lists every reason a member can leave for, in order: a metric
// shows each at 0 before it first happens.
func Reasons() []Reason {
	out := make([]Reason, 0, len(reasonNames)-1)
	for r := 1; r < len(reasonNames); r++ {
		out = append(out, Reason(r))
	}
	return out
}
