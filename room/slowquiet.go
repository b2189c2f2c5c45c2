package room

import (
	"strconv"
	"sync/atomic"
	"time"
)

// MaxSlow bounds /slow: a line held longer than an hour is a line lost to
// the conversation, and a door's goroutine pinned for as long.
const MaxSlow = time.Hour

// slowQuiet is a room's slow and quiet modes. The modes themselves are
// atomic, for a screen's title bar and a door's quick look need no lock;
// next and changed are guarded by the hub's lock.
type slowQuiet struct {
	every atomic.Int64 // slow mode: a time.Duration, 0 when it is off
	quiet atomic.Bool  // only operators post

	// next is, by member ID, when each member may post next: the slots
	// its held lines have taken are already counted. Keyed by the room and
	// not the member, a member cannot leave and come back to skip its wait.
	next map[uint64]time.Time
	// changed is closed when slow mode is set or ended: the lines held
	// under the old one are asked about again.
	changed chan struct{}
}

// Slow is the room's slow mode: each non-operator posts at most once per
// its duration; 0 when it is off.
func (r *Room) Slow() time.Duration { return time.Duration(r.slowquiet.every.Load()) }

// Quiet reports whether only operators may post in the room.
func (r *Room) Quiet() bool { return r.slowquiet.quiet.Load() }

// slowed reports whether input is what slow mode and quiet hold back: the
// words said to the room. Commands, /msg among them, are not: they post
// nothing to the room, or are /ask and /hand, which a lecture needs.
func slowed(in Input) bool {
	switch {
	case in.Err != 0:
		return false
	case in.Cmd == CmdSay:
		return visible(in.Text)
	case in.Cmd == CmdMe:
		return true
	}
	return false
}

// WaitSlow holds the caller, m's door, back as its room's slow mode
// requires before it posts line: the door holds the line, never the hub,
// and nothing typed is lost. m is told once how long its line waits.
// When slow mode is ended or changed meanwhile, the line is asked about
// again, and goes at once unless the new mode holds it. WaitSlow returns
// false, at once, if m leaves the room meanwhile.
func (h *Hub) WaitSlow(m *Member, line string) bool {
	return h.waitSlow(m, func() bool { return slowed(ParseInput(Sanitize(line))) })
}

// WaitSlowBlock is WaitSlow for a block (PostBlock): always words, even
// when its first line starts with a slash.
func (h *Hub) WaitSlowBlock(m *Member) bool {
	return h.waitSlow(m, func() bool { return true })
}

// waitSlow is WaitSlow for a line that is slowed if isSlowed says so.
func (h *Hub) waitSlow(m *Member, isSlowed func() bool) bool {
	for {
		if r := m.Room(); r == nil || r.Slow() == 0 || m.IsOp() {
			return true // the common case, without the lock or a parse
		}
		wait, changed := h.slowWait(m, isSlowed())
		if wait <= 0 {
			return true
		}
		// Sleep takes one channel: it is closed when m leaves or the mode
		// changes, whichever comes first.
		cancel, stop := make(chan struct{}), make(chan struct{})
		go func() {
			select {
			case <-m.done:
			case <-changed:
			case <-stop:
			}
			close(cancel)
		}()
		full := h.opts.Sleep(wait, cancel)
		close(stop)
		select {
		case <-m.done:
			return false
		default:
		}
		if full {
			return true // its slot was taken when it was held
		}
	}
}

// slowWait is how long m's line must wait under its room's slow mode; a
// line that may go takes its slot at once, and one that must wait takes
// the next one free, and m is told. With a wait, it returns the channel
// closed when the mode changes.
func (h *Hub) slowWait(m *Member, isSlowed bool) (time.Duration, <-chan struct{}) {
	h.mu.Lock()
	defer h.unlock()
	if !h.presentLocked(m) || m.IsOp() || !isSlowed {
		return 0, nil
	}
	sq := &m.room.slowquiet
	every := time.Duration(sq.every.Load())
	if every == 0 || sq.quiet.Load() || m.muted {
		return 0, nil // nothing to hold, or Post refuses it and says why
	}
	now := h.opts.Now()
	next, ok := sq.next[m.id]
	if !ok || !next.After(now) {
		h.takeSlotLocked(m.room, m, now.Add(every), now)
		return 0, nil
	}
	h.takeSlotLocked(m.room, m, next.Add(every), now)
	h.replyLocked(m, Message{Kind: KindError, Err: ErrSlowHeld, Room: m.room.name, Until: next})
	if sq.changed == nil {
		sq.changed = make(chan struct{})
	}
	return next.Sub(now), sq.changed
}

// takeSlotLocked sets when m may post next in r. The slots of members long
// gone are forgotten once they have passed, when they outnumber the room.
func (h *Hub) takeSlotLocked(r *Room, m *Member, next, now time.Time) {
	sq := &r.slowquiet
	if sq.next == nil {
		sq.next = make(map[uint64]time.Time)
	}
	if len(sq.next) > 2*len(r.members)+16 {
		for id, t := range sq.next {
			if !t.After(now) {
				delete(sq.next, id)
			}
		}
	}
	sq.next[m.id] = next
}

// slowLocked is /slow DURATION or /slow off, in op's room.
func (h *Hub) slowLocked(op *Member, arg string) {
	var every time.Duration
	if !asciiEqualFold(arg, "off") {
		d, err := ParseDuration(arg)
		switch {
		case err != nil:
			h.replyLocked(op, Message{Kind: KindError, Err: ErrBadDuration, Text: arg})
			return
		case d < time.Second || d > MaxSlow:
			h.replyLocked(op, Message{Kind: KindError, Err: ErrSlowRange, Text: arg})
			return
		}
		every = d
	}
	r := op.room
	h.broadcastLocked(r, Message{Kind: KindSlow, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, Text: formatSlow(every)})
	h.events = append(h.events, event{"operator action", []any{"op", op.Name(), "op_key", op.key, "command", "slow", "room", r.name, "every", every}})
}

// modeSetLocked sets the slow or quiet mode msg brings (effectLocked): on
// every node of a cluster, in its order, so that two operators' modes at
// once end the same everywhere.
func (h *Hub) modeSetLocked(r *Room, msg *Message) {
	sq := &r.slowquiet
	switch msg.Kind {
	case KindQuiet, KindOpen:
		sq.quiet.Store(msg.Kind == KindQuiet)
		return
	}
	every, _ := time.ParseDuration(msg.Text) // formatSlow's; "": off
	sq.every.Store(int64(every))
	sq.next = nil // a new mode starts everyone afresh
	if sq.changed != nil {
		close(sq.changed) // what the old mode held is asked about again
		sq.changed = nil
	}
}

// quietLocked is /quiet (on) or /open, in op's room.
func (h *Hub) quietLocked(op *Member, on bool) {
	r := op.room
	kind, command := KindQuiet, "quiet"
	if !on {
		kind, command = KindOpen, "open"
	}
	h.broadcastLocked(r, Message{Kind: kind, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key})
	h.events = append(h.events, event{"operator action", []any{"op", op.Name(), "op_key", op.key, "command", command, "room", r.name}})
}

// quietRefusedLocked reports whether m's room is quiet for what m asks,
// and tells m so: the line is refused, not held, for a lecture may be
// quiet for an hour.
func (h *Hub) quietRefusedLocked(m *Member, c Command) bool {
	if c != CmdSay && c != CmdMe || m.IsOp() || !m.room.Quiet() {
		return false
	}
	h.replyLocked(m, Message{Kind: KindError, Err: ErrQuiet, Room: m.room.name})
	return true
}

// tellModesLocked tells m, come into its room, the room's modes, after its
// topic: a newcomer learns at once why its line waits or is refused.
func (h *Hub) tellModesLocked(m *Member) {
	r := m.room
	if d := r.Slow(); d > 0 {
		h.replyLocked(m, Message{Kind: KindSlow, Room: r.name, Text: formatSlow(d)})
	}
	if r.Quiet() {
		h.replyLocked(m, Message{Kind: KindQuiet, Room: r.name})
	}
}

// formatSlow writes a slow mode's duration as ParseDuration reads it, for
// the transcript: 30s, 2m, 1h, 1m30s; "" for off.
func formatSlow(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	var s string
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			s += strconv.FormatInt(int64(n), 10) + u.name
			d -= n * u.unit
		}
	}
	if s == "" {
		s = "1s" // below a second: /slow refuses it, but a reader is never shown ""
	}
	return s
}
