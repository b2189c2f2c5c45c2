package lineproto

import (
	"strings"

	"palabre/room"
)

// Input is the reading half's policy for one line-protocol member, the same
// on every door: "FIN" ends the session, flood control holds the reader
// back, and each line goes to the hub whole, for the room parses a line
// once and cuts it into messages only then (cut here, the rest of a long
// "/msg" would go public, and a tail of "/quit" would run).
type Input struct {
	Hub          *room.Hub
	Member       *room.Member
	MessageBytes int // the room's message size: a longer line is paced as several

	// Stop is set once the reader should read no more: ReasonFIN, or
	// ReasonClosed when the member left while its input was held back.
	Stop room.Reason

	fence fence // the block being gathered between fences (fence.go)
}

// Line takes one framed line; it is Framer's emit function.
func (in *Input) Line(msg string) {
	if in.Stop != 0 {
		return
	}
	if strings.EqualFold(strings.TrimSpace(msg), "FIN") {
		in.End() // a fence left open still reaches the room
		in.Stop = room.ReasonFIN
		return
	}
	if in.fenced(msg) {
		return
	}
	if !in.Send(msg) {
		in.Stop = room.ReasonClosed
	}
}

// Send hands one line to the room as every door does (the SSH screen too,
// which has no FIN): flood control waits here, once for each message the
// room will make of msg, so that the sender's buffers fill and nothing it
// sent is lost; and when the room reports an outbox over half full, the
// member yields to the readers. The room's slow mode holds the line here
// too, the same way. It reports false, having posted nothing, if the
// member left while held back.
func (in *Input) Send(msg string) bool {
	if !in.Hub.WaitSlow(in.Member, msg) {
		return false
	}
	parts := (max(len(msg), 1) + in.MessageBytes - 1) / max(in.MessageBytes, 1)
	for range parts {
		if !in.Member.Pace() {
			return false
		}
	}
	if in.Hub.Post(in.Member, msg) {
		in.Member.Yield() // a reader's outbox fills: let the writers run
	}
	return true
}
