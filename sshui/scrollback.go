package sshui

import "palabre/room"

// entry is a message kept for re-rendering on a change of width.
type entry struct {
	msg     room.Message
	mention bool
	rows    int
	// A line of joins, or of leaves: msg is the first, names the first
	// few, count how many (0: msg alone).
	names []string
	count int
}

// scrollback is a ring of rendered rows with the messages they came from.
// Adding a message costs its own rows, whatever is already kept.
type scrollback struct {
	ring     []line // up to max rows, the oldest at start once full
	max      int
	start, n int
	entries  []entry // messages with rows still in the ring, oldest first
	rows     int     // rows of all entries; more than n when the oldest is cut
	// Rows are numbered from the first pushed since the last reset, which
	// changes epoch: the terminal scrolls by the difference of two numbers.
	dropped int // rows pushed out of the ring: the number of row 0
	epoch   int
}

func (s *scrollback) push(l line) {
	switch {
	case len(s.ring) < s.max:
		// Grown as rows come: a quiet session does not hold max rows' room.
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
	e := s.entries[len(s.entries)-1]
	s.entries[len(s.entries)-1] = entry{}
	s.entries = s.entries[:len(s.entries)-1]
	s.rows -= e.rows
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
	s.entries = append(s.entries, e)
	s.rows += e.rows
	for len(s.entries) > 0 && s.rows-s.entries[0].rows >= s.max {
		s.rows -= s.entries[0].rows
		s.entries[0] = entry{}
		s.entries = s.entries[1:]
	}
}

func (s *scrollback) reset() {
	clear(s.ring)
	s.ring = s.ring[:0]
	s.start, s.n, s.rows, s.entries = 0, 0, 0, nil
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
	for len(s.entries) > 0 && s.rows-s.entries[0].rows >= keep {
		s.rows -= s.entries[0].rows
		s.entries[0] = entry{}
		s.entries = s.entries[1:]
	}
	if len(s.entries) == 0 {
		s.entries, s.rows = nil, 0
	}
}
