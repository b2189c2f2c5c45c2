package room

// History keeps the recent public messages that a newcomer is shown. The hub
// calls it under its own lock, so implementations need no locking of their
// own and must not block: a persistent store queues its writes elsewhere.
type History interface {
	Append(Message)
	// Recent returns the kept messages, oldest first, in a new slice.
	Recent() []Message
}

// Ring is an in-memory History of the last n messages.
type Ring struct {
	buf   []Message
	start int // index of the oldest message
	n     int // how many are kept
}

// NewRing returns a History that keeps the last size messages; size 0 keeps none.
func NewRing(size int) *Ring {
	return &Ring{buf: make([]Message, max(size, 0))}
}

func (r *Ring) Append(m Message) {
	if len(r.buf) == 0 {
		return
	}
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = m
		r.n++
		return
	}
	r.buf[r.start] = m
	r.start = (r.start + 1) % len(r.buf)
}

func (r *Ring) Recent() []Message {
	out := make([]Message, r.n)
	for i := range r.n {
		out[i] = r.buf[(r.start+i)%len(r.buf)]
	}
	return out
}
