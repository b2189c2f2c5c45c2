package room

// RoomView is a member's room as a page shows it beside the messages: its
// name, topic, and the first members (MembersHead's rule: a page of 500
// does not copy 500 names for each of 500 readers on each join).
type RoomView struct {
	Name    string
	Topic   string
	Members []MemberInfo // the first n to have entered, raised hands marked
	Count   int          // how many are in it
}

// View is self's room now, with its first n members, read under one lock
// so that the name, topic and members agree.
func (h *Hub) View(self *Member, n int) RoomView {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.roomOfLocked(self)
	return RoomView{Name: r.name, Topic: r.topic, Members: r.headLocked(n), Count: r.size()}
}

// Reshapes reports whether a message of this kind can change what a
// RoomView shows: who is in the room, their names, hands and operators,
// its topic, or the room itself.
func (k Kind) Reshapes() bool {
	switch k {
	case KindJoin, KindLeave, KindNick, KindKick, KindBan, KindOp, KindTopic,
		KindMove, KindBreakout, KindGather, KindHand, KindFloor:
		return true
	}
	return false
}

// roomOfLocked is the room m is in; the default room before it entered one.
func (h *Hub) roomOfLocked(m *Member) *Room {
	if m.room == nil {
		return h.def
	}
	return m.room
}

// headLocked is the first n members to have entered r, raised hands marked.
func (r *Room) headLocked(n int) []MemberInfo {
	out := make([]MemberInfo, min(max(n, 0), len(r.members)), min(max(n, 0), r.size()))
	for i := range out {
		out[i] = r.members[i].info()
		out[i].Hand = r.hands.raised(hand{m: r.members[i]})
	}
	for i := range r.remote { // a cluster's other nodes' members, after this node's
		if len(out) == cap(out) {
			break
		}
		info := r.remote[i].info
		info.Hand = r.hands.raised(handOf(&r.remote[i]))
		out = append(out, info)
	}
	return out
}
