package sshui

import (
	"slices"

	"palabre/room"
)

// entry is a message kept for re-rendering on a change of width: a screen
// keeps up to maxScrollback of them, so it is small, and its message is
// shared with the server's other screens when they all got it alike
// (keptMessages). Neither msg nor gather is ever written once kept.
type entry struct {
	msg     *room.Message
	gather  *gathered // a line of joins, or of leaves; nil: msg alone
	rows    int32
	mention bool
}

// gathered is a line of joins or leaves: the entry's msg is the first,
// names the first few, count how many.
type gathered struct {
	names []string
	count int
}

// gatherCount is how many members e's line names: 0 for a message alone.
func (e *entry) gatherCount() int {
	if e.gather == nil {
		return 0
	}
	return e.gather.count
}

// scrollback is a ring of rendered rows with the messages they came from.
// Adding a message costs its own rows, whatever is already kept.
type scrollback struct {
	ring     []line // up to max rows, the oldest at start once full
	max      int
	start, n int
	entries  entryRing // messages with rows still in the ring, oldest first
	rows     int       // rows of all entries; more than n when the oldest is cut
	// Rows are numbered from the first pushed since the last reset, which
	// changes epoch: the terminal scrolls by the difference of two numbers.
	dropped int // rows pushed out of the ring: the number of row 0
	epoch   int
}

func (s *scrollback) push(l line) {
	switch {
	case len(s.ring) < s.max:
		// Grown as rows come: a quiet session does not hold max rows' room.
		// Doubled, never past max: append would grow a full ring of 1000
		// rows to room for 1280.
		if len(s.ring) == cap(s.ring) {
			s.ring = slices.Grow(s.ring, min(s.max, max(16, 2*cap(s.ring)))-len(s.ring))
		}
		s.ring = append(s.ring, l)
		s.n++
	case s.n < len(s.ring): // a row was popped
		s.ring[(s.start+s.n)%len(s.ring)] = l
		s.n++
	default:
		s.ring[s.start] = l
		s.start = (s.start + 1) % len(s.ring)
		s.dropped++
	}
}

// pop removes the newest entry and its rows, all of them in the ring.
func (s *scrollback) pop() {
	e := s.entries.popNewest()
	s.rows -= int(e.rows)
	for range e.rows {
		s.n--
		if len(s.ring) < s.max {
			s.ring[len(s.ring)-1] = line{}
			s.ring = s.ring[:len(s.ring)-1]
		} else {
			s.ring[(s.start+s.n)%len(s.ring)] = line{}
		}
	}
}

// at returns row i, 0 being the oldest kept.
func (s *scrollback) at(i int) line { return s.ring[(s.start+i)%len(s.ring)] }

func (s *scrollback) addEntry(e entry) {
	s.entries.push(e)
	s.rows += int(e.rows)
	s.forget(s.max)
}

// forget drops the oldest entries until the newest keep rows hold all
// that is left of them.
func (s *scrollback) forget(keep int) {
	for s.entries.n > 0 && s.rows-int(s.entries.at(0).rows) >= keep {
		s.rows -= int(s.entries.popOldest().rows)
	}
}

func (s *scrollback) reset() {
	clear(s.ring)
	s.ring = s.ring[:0]
	// The entries get a ring of their own: rerender walks the old one.
	s.start, s.n, s.rows, s.entries = 0, 0, 0, entryRing{}
	s.dropped = 0
	s.epoch++
}

// bound keeps the newest rows, up to max, and lets the scrollback hold max
// rows from then on. Its ring is laid out afresh from the oldest row kept,
// to grow again by appending: called when a screen changes rooms, never
// for a message.
func (s *scrollback) bound(max int) {
	keep := min(s.n, max)
	var ring []line
	if keep > 0 {
		ring = make([]line, keep)
		for i := range ring {
			ring[i] = s.at(s.n - keep + i)
		}
	}
	s.dropped += s.n - keep // the rows kept keep their numbers
	s.ring, s.start, s.n, s.max = ring, 0, keep, max
	s.forget(keep)
	if s.entries.n == 0 {
		s.entries, s.rows = entryRing{}, 0
	}
}

// entryRing is the scrollback's messages, oldest first: a ring, so that
// dropping the oldest as the newest come neither moves them nor leaves
// room behind (a slice cut from the front and appended to reallocates
// with half as much again to spare, the old array garbage).
type entryRing struct {
	buf      []entry
	start, n int
}

func (r *entryRing) at(i int) *entry { return &r.buf[(r.start+i)%len(r.buf)] }

func (r *entryRing) push(e entry) {
	if r.n == len(r.buf) {
		grown := make([]entry, max(16, 2*len(r.buf)))
		for i := range r.n {
			grown[i] = *r.at(i)
		}
		r.buf, r.start = grown, 0
	}
	*r.at(r.n) = e
	r.n++
}

func (r *entryRing) popNewest() entry {
	p := r.at(r.n - 1)
	e := *p
	*p = entry{} // the message is no longer held
	r.n--
	return e
}

func (r *entryRing) popOldest() entry {
	p := r.at(0)
	e := *p
	*p = entry{}
	r.start = (r.start + 1) % len(r.buf)
	r.n--
	return e
}
