package sshui

import (
	"fmt"

	"palabre/room"
)

// screenModes is what the screen knows of its room's slow and quiet
// modes, from the messages it reads: the room's events when an operator
// sets them, and the lines a member is told on entering a room.
type screenModes struct {
	slow  string // slow mode's duration as the room wrote it ("30s"); "": off
	quiet bool
}

// noteModes follows the modes of the room shown: a move clears them, for
// the room entered tells its own right after.
func (m *model) noteModes(msg room.Message) {
	switch msg.Kind {
	case room.KindMove:
		m.modes = screenModes{}
	case room.KindSlow:
		m.modes.slow = room.Sanitize(msg.Text)
	case room.KindQuiet:
		m.modes.quiet = true
	case room.KindOpen:
		m.modes.quiet = false
	}
}

// modesTitle is the modes' part of the title bar: "slow 30s · quiet".
func (m *model) modesTitle() string {
	s := ""
	if m.modes.slow != "" {
		s = m.wd.slow(m.modes.slow)
	}
	if m.modes.quiet {
		if s != "" {
			s += " · "
		}
		s += m.wd.quiet()
	}
	return s
}

func (w words) slow(every string) string { return w.pick("slow ", "lent ") + every }
func (w words) quiet() string            { return w.pick("quiet", "silence") }

// queuedText is the notice of the lines the screen holds back: in a slow
// room they wait for slow mode (an operator's would wait for flood
// control, but an operator is seldom held).
func (m *model) queuedText(n int) string {
	if m.modes.slow != "" {
		return m.wd.slowQueued(n)
	}
	return m.wd.queued(n)
}

func (w words) slowQueued(n int) string {
	return fmt.Sprintf(w.pick(" %d waiting: slow mode ", " %d en attente : mode lent "), n)
}
