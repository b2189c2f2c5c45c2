package sshui

import (
	"time"
)

// screenFPS caps the frames a second drawn on each screen: messages that
// come closer together share a frame.
const screenFPS = 30

// pace spaces out what the pump shows to a frame's time at least.
type pace struct {
	last time.Time
	due  <-chan time.Time // fires when what waits may be shown; nil: nothing waits
}

// now reports whether something may be shown at once; if not, due will
// fire when it may.
func (p *pace) now() bool {
	if p.due != nil {
		return false // what came joins what already waits
	}
	if wait := time.Second/screenFPS - time.Since(p.last); wait > 0 {
		p.due = time.After(wait)
		return false
	}
	p.last = time.Now()
	return true
}

// fired is called when due has fired, before showing what waited.
func (p *pace) fired() { p.due, p.last = nil, time.Now() }
