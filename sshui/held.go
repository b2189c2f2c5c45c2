package sshui

import (
	"strings"
	"sync"
	"time"

	"palabre/internal/lineproto"
)

// maxHeld bounds, in bytes, the lines a screen holds back for flood
// control: once they reach it, the screen reads no more input until they
// drain below it. What the input's reader had taken by then still joins
// them: the paste that reached the bound, and the next one, which the
// reader may hold already (it reads on while the screen takes a paste in).
// A screen holds at most maxHeld + 2*maxPaste bytes of lines.
const maxHeld = 64 << 10

// noticeAfter is how long lines wait before the screen says that they are
// held back: lines that go at once show no notice, not even for a frame.
const noticeAfter = 50 * time.Millisecond

// held is the screen's queue of lines typed or pasted faster than flood
// control lets them go. A sender, running only while the queue holds
// lines, posts them in order as every door's input is posted
// (lineproto.Input.Send: one flood-control token for each message the
// room makes of a line, and a yield when the room is congested), while
// the screen shows how many wait. Past maxHeld, the screen stops reading
// its input (wait): the SSH channel's window fills and the client waits,
// as a TCP client does when its socket's buffers fill. Nothing accepted
// is lost, and memory stays bounded: a paste waits as the text it came
// in, cut into lines only as they go.
type held struct {
	in       lineproto.Input
	changed  func()      // what the screen shows of the queue changed
	panicked func(r any) // posting a line failed: the member leaves, the screen ends

	mu      sync.Mutex
	texts   []heldText
	bytes   int  // of texts
	lines   int  // in texts, blank ones aside
	sending bool // the sender runs
	gone    bool // the member has left: nothing more is queued
	shown   bool // the notice shows: the sender has run for noticeAfter
	timer   *time.Timer
	run     int           // the sender's runs, so that a timer of an earlier one shows nothing
	room    chan struct{} // closed when the queue drains below maxHeld; nil: not full
}

// send queues text, one line or several separated by "\n", for the room,
// behind what is held already; blank lines are skipped.
func (h *held) send(text string) {
	n := 0
	for rest := text; rest != ""; {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		if !blank(l) {
			n++
		}
	}
	if n == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gone {
		return
	}
	h.queueLocked(heldText{s: text}, n)
}

// queueLocked adds t, n lines, to the queue and starts the sender.
func (h *held) queueLocked(t heldText, n int) {
	h.texts = append(h.texts, t)
	h.bytes += len(t.s)
	h.lines += n
	if h.bytes >= maxHeld && h.room == nil {
		h.room = make(chan struct{})
	}
	if !h.sending {
		h.sending = true
		h.run++
		run := h.run
		h.timer = time.AfterFunc(noticeAfter, func() { h.show(run) })
		go h.sender()
	}
}

func blank(line string) bool { return strings.TrimSpace(line) == "" }

// waiting is how many lines the screen shows as held back: none until
// they have been waiting for noticeAfter.
func (h *held) waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.shown {
		return 0
	}
	return h.lines
}

// wait returns once the queue has room for more input, or done is closed.
func (h *held) wait(done <-chan struct{}) {
	h.mu.Lock()
	room := h.room
	h.mu.Unlock()
	if room != nil {
		select {
		case <-room:
		case <-done:
		}
	}
}

// sender posts the queue's lines, one at a time, until the queue is empty
// or the member has left.
func (h *held) sender() {
	defer func() {
		if r := recover(); r != nil {
			h.mu.Lock()
			h.gone = true
			h.stopLocked()
			h.mu.Unlock()
			h.panicked(r)
		}
	}()
	for {
		h.mu.Lock()
		if len(h.texts) == 0 {
			shown := h.stopLocked()
			h.mu.Unlock()
			if shown {
				h.changed() // the notice goes
			}
			return
		}
		t := h.texts[0]
		line, rest, more := strings.Cut(t.s, "\n")
		if t.block {
			line, rest, more = t.s, "", false // one message, however many lines
		}
		h.mu.Unlock()

		sent := blank(line) || (t.block && h.in.SendBlock(line)) || (!t.block && h.in.Send(line))

		h.mu.Lock()
		if more {
			h.texts[0].s = rest
		} else {
			h.texts[0] = heldText{}
			h.texts = h.texts[1:]
		}
		h.bytes -= len(line)
		if more {
			h.bytes--
		}
		if !blank(line) {
			h.lines-- // a block counts one line, as it was queued
		}
		if h.room != nil && h.bytes < maxHeld {
			close(h.room)
			h.room = nil
		}
		shown := h.shown
		if !sent {
			h.gone = true // the member has left: what is left goes nowhere
			shown = h.stopLocked()
		}
		h.mu.Unlock()
		if shown {
			h.changed() // one fewer waits, or none
		}
		if !sent {
			return
		}
	}
}

// show puts up the notice: the sender's run has lasted noticeAfter.
func (h *held) show(run int) {
	h.mu.Lock()
	show := h.sending && h.run == run && !h.shown
	h.shown = h.shown || show
	h.mu.Unlock()
	if show {
		h.changed()
	}
}

// stopLocked ends the sender's run: the notice goes, and input is read
// again; once the member has left, what is held is dropped. It reports
// whether the notice showed.
func (h *held) stopLocked() bool {
	h.sending = false
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	shown := h.shown
	h.shown = false
	if h.room != nil {
		close(h.room)
		h.room = nil
	}
	if len(h.texts) == 0 || h.gone {
		h.texts, h.bytes, h.lines = nil, 0, 0 // an idle screen keeps no room
	}
	return shown
}
