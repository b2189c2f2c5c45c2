package sshui

import (
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"

	"palabre/room"
)

// pump is the screen's one goroutine besides the program's own: it shows
// its member's messages and window changes, and the rooms with unread
// messages, ends the program with the session, and asks the client for
// signs of life. It runs until the session's requests end, after the
// program too (Quit is then a no-op): the SSH library's request loop blocks
// on the next window change otherwise, and with it the connection's
// reader, for good.
func (s *Server) pump(sess ssh.Session, p *tea.Program, scr *liveScreen, winCh <-chan ssh.Window, m *room.Member, ended <-chan struct{}, lost func()) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("screen panicked", "name", m.Name(), "panic", fmt.Sprint(r))
			s.opts.Hub.Leave(m, room.ReasonError)
			p.Kill()
			for range winCh {
			}
		}
	}()
	var tick <-chan time.Time
	ka := s.newKeeper(sess.Context(), lost, hangUpGrace)
	if ka != nil {
		t := time.NewTicker(s.opts.KeepAlive)
		defer t.Stop()
		tick = t.C
	}
	rooms := time.NewTicker(roomsEvery)
	defer rooms.Stop()
	gone := sess.Context().Done()
	ready, done := m.Ready(), m.Done()
	// Messages and window changes are shown at most screenFPS times a
	// second each: messages that come closer share a frame, and of a
	// flood of window changes (a window dragged, or a client sending
	// nothing else) only the latest is laid out. The pump never waits
	// meanwhile: the SSH library reads nothing more of the connection,
	// keys included, while a window change waits to be taken.
	var msgs, sizes pace
	var batch []room.Message // reused: each batch is shown before the next is drained
	var size *ssh.Window     // the latest window change, not yet shown
	show := func() {
		batch = m.Drain(batch[:0])
		scr.deliver(batch)
		clear(batch) // no message kept alive by the buffer
		if cap(batch) > 8 {
			batch = nil // nor a burst's room
		}
	}
	for {
		select {
		case <-gone:
			p.Quit()
			gone, tick = nil, nil
		case <-ended:
			ended, tick = nil, nil
		case w, ok := <-winCh:
			if !ok { // the session's requests ended: the client closed it, or the connection
				p.Quit()
				return
			}
			size = &w
			if sizes.now() {
				scr.resize(size)
				size = nil
			}
		case <-sizes.due:
			sizes.fired()
			scr.resize(size)
			size = nil
		case <-ready:
			if msgs.now() {
				show()
			}
		case <-msgs.due:
			msgs.fired()
			show()
		case <-done:
			show() // the last frame, with why the session ends
			p.Quit()
			ready, done, msgs.due = nil, nil, nil
		case <-rooms.C:
			scr.lookAtRooms()
		case <-tick:
			if !ka.tick() {
				tick = nil
			}
		}
	}
}
