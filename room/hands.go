package room

import "slices"

// hand is a raised hand: this node's member's (m), or, in a cluster,
// another node's member's, by its node and ID there.
type hand struct {
	m    *Member
	node string
	id   uint64
}

// handQueue is a room's raised hands, in the order they went up. It is
// guarded by the hub's lock.
type handQueue struct {
	order []hand
}

func (q *handQueue) raised(e hand) bool { return slices.Contains(q.order, e) }

// lower takes e down, if it was up, and reports whether it was.
func (q *handQueue) lower(e hand) bool {
	i := slices.Index(q.order, e)
	if i < 0 {
		return false
	}
	q.order = slices.Delete(q.order, i, i+1)
	return true
}

// handOf is the hand of another node's member x.
func handOf(x *remote) hand { return hand{node: x.node, id: x.id} }

// whoLocked is the member whose hand e is in r, as r's member list shows
// it; ok is false once it left r.
func (h *Hub) whoLocked(r *Room, e hand) (info MemberInfo, ok bool) {
	if e.m != nil {
		return e.m.info(), true
	}
	if x, at := h.remoteOfLocked(remoteRef{e.node, e.id}); at == r {
		return x.info, true
	}
	return MemberInfo{}, false
}

func (h *Hub) handInfosLocked(r *Room) []MemberInfo {
	out := make([]MemberInfo, 0, len(r.hands.order))
	for _, e := range r.hands.order {
		if info, ok := h.whoLocked(r, e); ok {
			info.Hand = true
			out = append(out, info)
		}
	}
	return out
}

// handLocked is /hand: up if it was down, down if it was up. The room is
// told either way, so that every screen marks it, and the transcript keeps it.
// It is no public message: a room where only operators may post still
// takes hands.
func (h *Hub) handLocked(m *Member) {
	h.broadcastLocked(m.room, Message{Kind: KindHand, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key})
}

// handToggledLocked raises or lowers the hand of the member msg is from
// (effectLocked), and says which in msg: on every node of a cluster, at
// the same point of its order. A member gone meanwhile raises nothing.
func (h *Hub) handToggledLocked(r *Room, msg *Message) bool {
	var e hand
	switch m, x := h.senderInLocked(r, msg); {
	case m != nil:
		e.m = m
	case x != nil:
		e = handOf(x)
	default:
		return false
	}
	msg.Others = 0
	if !r.hands.lower(e) {
		r.hands.order = append(r.hands.order, e)
		msg.Others = len(r.hands.order)
	}
	return true
}

// nextLocked is an operator's /next: the first hand raised gets the floor,
// and is lowered.
func (h *Hub) nextLocked(op *Member) {
	r := op.room
	var first MemberInfo
	for _, e := range r.hands.order {
		if info, ok := h.whoLocked(r, e); ok {
			first = info
			break
		}
	}
	if first.Name == "" {
		h.replyLocked(op, Message{Kind: KindError, Err: ErrNoHands})
		return
	}
	h.broadcastLocked(r, Message{Kind: KindFloor, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, To: first.Name})
}

// floorGivenLocked lowers the hand of the member msg gives the floor to
// (effectLocked). Lowered already (two operators' /next at once), the
// floor is not given twice.
func (h *Hub) floorGivenLocked(r *Room, msg *Message) bool {
	for _, e := range r.hands.order {
		if info, ok := h.whoLocked(r, e); ok && nameKey(info.Name) == nameKey(msg.To) {
			r.hands.lower(e)
			msg.Others = len(r.hands.order)
			return true
		}
	}
	return false
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
