package sshui

import (
	"fmt"
	"io"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"

	"palabre/room"
)

// liveScreen is the chat screen as the door runs it: the model, drawn
// through a term after each change, rather than by bubbletea's renderer,
// which measures and writes every changed row of every frame (and a new
// message changes them all). Its View is empty: the program runs without
// a renderer. Two goroutines change the screen, the program's (keys,
// resizes) and the pump (the room's messages, handed over directly rather
// than through the program's queue): the mutex guards the model and term.
//
// Neither writes to the network: a change marks the screen to draw and
// starts a writer unless one runs, which composes the frame under the
// mutex and writes it after. A client that stops reading holds up its
// writer only, never the pump (which takes the session's requests) nor the
// program, and the frames it missed become one: the screen as it is now,
// whatever changed meanwhile. The writer runs only while there is
// something to write, as the TCP door's does.
type liveScreen struct {
	out      io.Writer
	panicked func(r any) // a frame failed to compose: the member leaves, the program ends

	mu      sync.Mutex
	m       *model
	t       *term
	closed  bool         // the terminal is given back: nothing more is drawn
	dirty   bool         // the model changed since the last frame was composed
	writing bool         // a writer runs; it goes on while dirty
	failed  bool         // a write failed: the connection is gone, nothing more is written
	broken  bool         // a frame failed to compose: nothing more is drawn, but the terminal is given back
	idle    *sync.Cond   // signalled when the writer ends, on mu
	parting room.Message // the kick or ban of the screen's member, to be told again once the screen is left
}

func newLive(m *model, out io.Writer, panicked func(any)) *liveScreen {
	l := &liveScreen{out: out, panicked: panicked, m: m, t: newTerm(out)}
	l.idle = sync.NewCond(&l.mu)
	return l
}

// start puts the terminal in the screen's modes and draws the first frame,
// before anything else may draw.
func (l *liveScreen) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.enter()
	l.drawLocked()
}

// stop gives the terminal back, once the frames already due are written;
// nothing is drawn after.
func (l *liveScreen) stop() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	for l.writing {
		l.idle.Wait()
	}
	leave, failed := l.t.leave(), l.failed
	l.mu.Unlock()
	if !failed {
		_, _ = io.WriteString(l.out, leave)
	}
}

func (l *liveScreen) Init() tea.Cmd {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.Init()
}

// change applies f to the model and has the result drawn, unless the
// terminal was given back.
func (l *liveScreen) change(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	f()
	l.drawLocked()
}

// drawLocked has the model drawn: by the writer that runs, or a new one.
func (l *liveScreen) drawLocked() {
	l.dirty = true
	if !l.writing {
		l.writing = true
		go l.write()
	}
}

// write composes and writes frames while the model changes, in order: one
// writer at a time, and each frame written before the next is composed,
// for term writes each as the change from the one before.
func (l *liveScreen) write() {
	locked := false
	defer func() {
		if r := recover(); r != nil {
			if !locked {
				l.mu.Lock()
			}
			l.broken, l.writing = true, false
			l.idle.Broadcast()
			l.mu.Unlock()
			l.panicked(fmt.Sprint(r))
		}
	}()
	for {
		l.mu.Lock()
		locked = true
		if !l.dirty || l.failed || l.broken {
			l.writing = false
			l.idle.Broadcast()
			l.mu.Unlock()
			return
		}
		l.dirty = false
		b := l.t.frame(l.m)
		l.mu.Unlock()
		locked = false
		// A failed write has closed the connection (the timed writer), or
		// the connection was gone: the session ends through its context.
		if err := l.t.write(b); err != nil {
			l.mu.Lock()
			l.failed = true
			l.mu.Unlock()
		}
	}
}

func (l *liveScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	l.change(func() { _, cmd = l.m.Update(msg) })
	return l, cmd
}

func (l *liveScreen) View() string { return "" }

// deliver shows the room's messages: one frame for all of them. The kick
// or ban that puts the member out is kept, even once the terminal is given
// back: the farewell tells who did it and why below the screen.
func (l *liveScreen) deliver(msgs []room.Message) {
	l.mu.Lock()
	defer l.mu.Unlock()
	me := l.m.cfg.Member.Name()
	for _, msg := range msgs {
		if (msg.Kind == room.KindKick || msg.Kind == room.KindBan) && msg.To == me {
			l.parting = msg
		}
	}
	if l.closed {
		return
	}
	l.m.receive(msgs)
	l.drawLocked()
}

// lookAtRooms shows the rooms with messages the screen has not shown, and
// the open poll's tally, when they changed.
func (l *liveScreen) lookAtRooms() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	rooms := l.m.lookAtRooms(false)
	if l.m.lookAtPoll() || rooms {
		l.drawLocked()
	}
}

// kickOrBan returns the kick or ban that put the member out, if it came.
func (l *liveScreen) kickOrBan() room.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.parting
}

// hasMargins says the terminal has left and right margins: from the next
// frame on, a message scrolls beside the member list.
func (l *liveScreen) hasMargins() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.margins = true
}

// resize lays the screen out for a new window size.
func (l *liveScreen) resize(w *ssh.Window) {
	cols, rows := clampSize(w.Width, w.Height)
	l.change(func() { l.m.Update(tea.WindowSizeMsg{Width: cols, Height: rows}) })
}
