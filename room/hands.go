package room

import "slices"

// handQueue is a room's raised hands, in the order they went up. It is
// guarded by the hub's lock.
type handQueue struct {
	order []*Member
}

func (q *handQueue) raised(m *Member) bool { return slices.Contains(q.order, m) }

// lower takes m's hand down, if it was up, and reports whether it was.
func (q *handQueue) lower(m *Member) bool {
	i := slices.Index(q.order, m)
	if i < 0 {
		return false
	}
	q.order = slices.Delete(q.order, i, i+1)
	return true
}

func (q *handQueue) infos() []MemberInfo {
	out := make([]MemberInfo, len(q.order))
	for i, m := range q.order {
		out[i] = m.info()
		out[i].Hand = true
	}
	return out
}

// handLocked is /hand: up if it was down, down if it was up. The room is
// told either way, so that every screen marks it, and the transcript keeps it.
// It is no public message: a room where only operators may post still
// takes hands.
func (h *Hub) handLocked(m *Member) {
	r := m.room
	msg := Message{Kind: KindHand, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key}
	if !r.hands.lower(m) {
		r.hands.order = append(r.hands.order, m)
		msg.Others = len(r.hands.order)
	}
	h.broadcastLocked(r, msg)
}

// nextLocked is an operator's /next: the first hand raised gets the floor,
// and is lowered.
func (h *Hub) nextLocked(op *Member) {
	r := op.room
	if len(r.hands.order) == 0 {
		h.replyLocked(op, Message{Kind: KindError, Err: ErrNoHands})
		return
	}
	first := r.hands.order[0]
	r.hands.lower(first)
	h.broadcastLocked(r, Message{Kind: KindFloor, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, To: first.Name(), Others: len(r.hands.order)})
}

// RaisedHands is how many hands are raised in self's room, for an
// operator's screen; 0 for anyone else, whose screen does not count them.
func (h *Hub) RaisedHands(self *Member) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if self.room == nil || !self.IsOp() {
		return 0
	}
	return len(self.room.hands.order)
}
