package room

import "time"

// effectLocked carries out what msg, an event of room r, does to the
// room's state — its poll, hands, questions, modes and mutes — and reports
// whether it is still to be shown. A server alone calls it as it
// broadcasts the event; a cluster's nodes, their own events' included,
// as the cluster brings it back, in its order: every node holds the same
// state, and an event another node's made moot meanwhile (a second poll
// opened at the same moment, the floor given twice to one hand) is shown
// nowhere. msg.SenderID is as the event's node gave it, unmarked.
func (h *Hub) effectLocked(r *Room, msg *Message) bool {
	switch msg.Kind {
	case KindPoll:
		return h.pollOpenedLocked(r, msg)
	case KindBallot:
		h.ballotLocked(r, msg)
		return false
	case KindPollResult:
		return h.pollClosedLocked(r, msg)
	case KindHand:
		return h.handToggledLocked(r, msg)
	case KindFloor:
		return h.floorGivenLocked(r, msg)
	case KindSlow, KindQuiet, KindOpen:
		h.modeSetLocked(r, msg)
	case KindMute, KindUnmute:
		h.mutedByLocked(r, msg)
	case KindQuestion:
		return h.questionAskedLocked(r, msg)
	case KindUpvote:
		h.upvotedLocked(r, msg)
	case KindAnswer, KindDismiss:
		return h.questionClosedLocked(r, msg)
	case KindAnon:
		h.questionsOf(r).anonymous = msg.Text == "on"
	}
	return true
}

// senderInLocked is the member msg is from, in r: this node's (m) or
// another's (x); both nil once it left r.
func (h *Hub) senderInLocked(r *Room, msg *Message) (m *Member, x *remote) {
	if msg.Node == h.opts.Node {
		if m := h.memberLocked(msg.SenderID); m != nil && m.room == r {
			return m, nil
		}
		return nil, nil
	}
	if x, at := h.remoteOfLocked(remoteRef{msg.Node, msg.SenderID}); at == r {
		return nil, x
	}
	return nil, nil
}

// mutedByLocked keeps the mute or unmute msg brings, of msg.To in r: its
// member, if it is this node's and still there, is muted at once; a keyed
// member's mute is kept on every node, so that it holds when the member
// comes back, on any node of a cluster.
func (h *Hub) mutedByLocked(r *Room, msg *Message) {
	var k string
	var t *Member
	if t = h.byName[nameKey(msg.To)]; t != nil {
		k = muteKey(r, t)
	} else if x := h.remoteLocked(msg.To); x != nil && x.info.Key != "" {
		k = muteKeyOf(r, x.info.Key) // a keyless one's is its session's, on its node
	} else {
		return
	}
	on := msg.Kind == KindMute
	if on {
		h.mutes[k] = msg.Until
	} else {
		delete(h.mutes, k)
	}
	if t != nil && t.room == r {
		t.muted, t.mutedUntil = on, time.Time{}
		if on {
			t.mutedUntil = msg.Until
		}
	}
}
