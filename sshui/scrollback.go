package sshui

import "palabre/room"

// item is a message as a screen renders it: the message, and what makes
// its rows the screen's own.
type item struct {
	msg     *room.Message
	gather  *gathered // a line of joins, or of leaves; nil: msg alone
	mention bool      // msg names the screen's member
	// owned: msg is a rendering's, never written, to be kept as it is;
	// else it is the caller's, and a rendering keeps a copy.
	owned bool
}

// keep is e's message to hold in a rendering.
func (e *item) keep() *room.Message {
	if e.owned {
		return e.msg
	}
	p := new(room.Message)
	*p = *e.msg
	p.History = nil // a move's: in the scrollback as messages of their own
	return p
}

// gathered is a line of joins or leaves: the item's msg is the first,
// names the first few, count how many.
type gathered struct {
	names []string
	count int
}

// gatherCount is how many members e's line names: 0 for a message alone.
func (e *item) gatherCount() int {
	if e.gather == nil {
		return 0
	}
	return e.gather.count
}

// rendered is a message with its rows at one width and colour profile,
// and the marks of the item they were rendered from (none when shared).
// It is never written once made: a message every screen renders alike is
// one rendered, its message and its rows, for the whole server (rowCache).
type rendered struct {
	msg     *room.Message
	rows    []line
	gather  *gathered
	mention bool
}

// entry is a message kept by a screen: one pointer, to what the server's
// other screens share when they got the message alike. A screen keeps up
// to maxScrollback rows: a room.Message is over 300 bytes, and 500 screens
// each keeping their own copies of the last 1000 held most of the heap.
type entry struct{ r *rendered }

func (e entry) rows() int { return len(e.r.rows) }

// item is what e was rendered from, to render it again at another width.
func (e entry) item() item {
	return item{msg: e.r.msg, gather: e.r.gather, mention: e.r.mention, owned: true}
}

// scrollback is the messages a screen keeps, with their rows, up to max
// rows. Adding a message costs its own rows, whatever is already kept;
// the rows themselves are the entries', not copied.
type scrollback struct {
	entries entryRing // oldest first
	max     int
	rows    int // rows of all entries; more than n when the oldest is cut
	n       int // rows kept: the newest rows, up to max
	// Rows are numbered from the first pushed since the last reset, which
	// changes epoch: the terminal scrolls by the difference of two numbers.
	pushed  int // rows added since the reset, less those popped
	dropped int // rows before the oldest kept: the number of row 0
	epoch   int
}

// add keeps e, its rows the newest, and forgets the messages whose rows
// are no longer kept.
func (s *scrollback) add(e entry) {
	s.entries.push(e)
	s.rows += e.rows()
	s.pushed += e.rows()
	s.forget(s.max)
	s.count()
}

// pop removes the newest entry and its rows, all of them kept.
func (s *scrollback) pop() {
	e := s.entries.popNewest()
	s.rows -= e.rows()
	s.pushed -= e.rows()
	s.count()
}

// forget drops the oldest entries until the newest keep rows hold all
// that is left of them.
func (s *scrollback) forget(keep int) {
	for s.entries.n > 0 && s.rows-s.entries.at(0).rows() >= keep {
		s.rows -= s.entries.popOldest().rows()
	}
}

func (s *scrollback) count() {
	s.n = min(s.rows, s.max)
	s.dropped = s.pushed - s.n
}

// appendRows appends rows from to to-1 to dst, row 0 being the oldest
// kept. It walks back from the newest: a frame shows the newest rows, or
// those PgUp reached.
func (s *scrollback) appendRows(dst []line, from, to int) []line {
	from, to = max(from, 0), min(to, s.n)
	if from >= to {
		return dst
	}
	start := len(dst)
	dst = append(dst, make([]line, to-from)...)
	out := dst[start:]
	end := s.n // the newest entry's rows end here
	for i := s.entries.n - 1; i >= 0 && end > from; i-- {
		rows := s.entries.at(i).r.rows
		first := end - len(rows)
		for j := max(from, first); j < min(to, end); j++ {
			out[j-from] = rows[j-first]
		}
		end = first
	}
	return dst
}

func (s *scrollback) reset() {
	// The entries get a ring of their own: rerender walks the old one.
	s.entries, s.rows, s.pushed = entryRing{}, 0, 0
	s.count()
	s.epoch++
}

// bound keeps the newest rows, up to max, and lets the scrollback hold max
// rows from then on: called when a screen changes rooms, never for a
// message. The rows kept keep their numbers.
func (s *scrollback) bound(max int) {
	s.max = max
	s.forget(max)
	s.entries.fit()
	s.count()
}

// entryRing is the scrollback's entries, oldest first: a ring, so that
// dropping the oldest as the newest come neither moves them nor leaves
// room behind (a slice cut from the front and appended to reallocates
// with a quarter more room each time it fills, the old array garbage).
type entryRing struct {
	buf      []entry
	start, n int
}

func (r *entryRing) at(i int) *entry { return &r.buf[(r.start+i)%len(r.buf)] }

func (r *entryRing) push(e entry) {
	if r.n == len(r.buf) {
		r.resize(max(16, 2*len(r.buf)))
	}
	*r.at(r.n) = e
	r.n++
}

// fit gives back the room of a ring that holds much less than it could:
// a room left keeps half the rows at most.
func (r *entryRing) fit() {
	if len(r.buf) > 16 && r.n < len(r.buf)/4 {
		r.resize(max(16, 2*r.n))
	}
}

func (r *entryRing) resize(size int) {
	buf := make([]entry, size)
	for i := range r.n {
		buf[i] = *r.at(i)
	}
	r.buf, r.start = buf, 0
}

func (r *entryRing) popNewest() entry {
	p := r.at(r.n - 1)
	e := *p
	*p = entry{} // its message and rows are no longer held
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
