package sshui

import (
	"errors"
	"fmt"
	"io"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"

	"palabre/internal/lineproto"
	"palabre/room"
)

// session is the SSH door's handler: it turns one session into a room
// member, runs the chat screen (or the line protocol without a terminal),
// and removes the member when the session ends, however it ends.
func (s *Server) session(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer next(sess)
		_, winCh, isPty := sess.Pty()
		m, history, err := s.opts.Hub.Join(room.JoinRequest{
			Name: cleanName(sess.User()),
			Door: room.DoorSSH,
			Addr: sess.RemoteAddr().String(),
			Key:  keyOf(sess),
			Echo: isPty, // the screen shows your own words; the line protocol does not
		})
		if err != nil {
			fmt.Fprintln(sess.Stderr(), s.opts.Lang.Describe(room.Message{Kind: room.KindShutdown}))
			_ = sess.Exit(1)
			return
		}
		reason := room.ReasonClosed
		defer func() { s.opts.Hub.Leave(m, reason) }()

		if isPty {
			reason = s.screen(sess, winCh, m, history)
		} else {
			reason = s.lines(sess, m, history)
		}
	}
}

// screen runs the chat screen until the member leaves or the connection
// ends, and returns the reason to leave with.
func (s *Server) screen(sess ssh.Session, winCh <-chan ssh.Window, m *room.Member, history []room.Message) room.Reason {
	pty, _, _ := sess.Pty()
	model := newModel(modelConfig{
		Lang:     s.opts.Lang,
		Renderer: newRenderer(sess, pty.Term),
		RoomName: s.opts.RoomName,
		Member:   m,
		History:  history,
		Post:     func(text string) { s.opts.Hub.Post(m, text) },
		Members:  s.opts.Hub.Members,
		Width:    pty.Window.Width,
		Height:   pty.Window.Height,
	})
	p := tea.NewProgram(model,
		tea.WithInput(sess), tea.WithOutput(sess),
		tea.WithoutSignalHandler(), // shutdown is handled once, by the server
		tea.WithAltScreen(), tea.WithMouseCellMotion(),
	)

	// Window changes go to the program; when the session or the connection
	// ends, the program quits. This goroutine ends with the program.
	ended := make(chan struct{})
	go func() {
		for {
			select {
			case <-ended:
				return
			case <-sess.Context().Done():
				p.Quit()
				return
			case w, ok := <-winCh:
				if !ok { // the client closed the session but kept the connection
					p.Quit()
					return
				}
				p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
			}
		}
	}()
	_, err := p.Run()
	p.Kill()
	close(ended)
	s.farewell(sess, m)
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		s.log.Warn("screen ended", "name", m.Name(), "err", err)
		return room.ReasonLost
	}
	return room.ReasonClosed
}

// farewell tells, below the chat screen that has just closed, why the
// server ended the session, when the member did not ask to leave.
func (s *Server) farewell(w io.Writer, m *room.Member) {
	select {
	case <-m.Done():
	default:
		return
	}
	lang := s.opts.Lang
	switch r := m.Reason(); r {
	case room.ReasonShutdown:
		fmt.Fprintf(w, "*** %s\n", lang.Describe(room.Message{Kind: room.KindShutdown}))
	case room.ReasonTooSlow, room.ReasonTooLong:
		fmt.Fprintf(w, "*** %s\n", lang.Describe(room.Message{Kind: room.KindLeave, From: m.Name(), Reason: r}))
	}
}

// newRenderer builds the session's own renderer, so that a client without
// colour gets a plain screen. Unlike wish's MakeRenderer it does not query
// the terminal's background colour: that query cannot be cancelled, blocks
// until the client types, and swallows the first byte typed.
func newRenderer(sess ssh.Session, term string) *lipgloss.Renderer {
	if term == "" || term == "dumb" {
		// lipgloss asks the output for its profile, so termenv.WithProfile
		// would not reach it: set the profile on the renderer itself.
		r := lipgloss.NewRenderer(sess)
		r.SetColorProfile(termenv.Ascii)
		return r
	}
	env := environ(append(sess.Environ(), "TERM="+term))
	return lipgloss.NewRenderer(sess, termenv.WithEnvironment(env), termenv.WithUnsafe(), termenv.WithColorCache(true))
}

// environ is a session's environment, for termenv.
type environ []string

func (e environ) Environ() []string { return e }

func (e environ) Getenv(k string) string {
	for _, v := range e {
		if val, ok := strings.CutPrefix(v, k+"="); ok {
			return val
		}
	}
	return ""
}

// lines speaks the TCP door's line protocol over a session without a
// terminal (`ssh -T`, a pipe, a script): `echo hello | ssh -p 2222 host`
// posts "hello" and ends.
func (s *Server) lines(sess ssh.Session, m *room.Member, history []room.Message) room.Reason {
	greeting := s.opts.Greeting
	if greeting == "" {
		greeting = s.opts.Lang.Greeting()
	}
	written := make(chan error, 1)
	go func() {
		err := lineproto.Deliver(sess, s.opts.Lang, greeting, m, len(s.opts.Hub.Members())-1, history)
		// The member has left (or the client stopped reading): end the
		// session, which also ends the read below.
		_ = sess.Exit(0)
		written <- err
	}()

	reason := room.ReasonClosed
	f := lineproto.Framer{MaxMessage: lineMaxMessage, MaxPending: lineMaxPending}
	fin := false
	emit := func(msg string) {
		if fin {
			return
		}
		if strings.EqualFold(strings.TrimSpace(msg), "FIN") {
			fin = true
			return
		}
		s.opts.Hub.Post(m, msg)
	}
	buf := make([]byte, 4096)
	for !fin {
		n, err := sess.Read(buf)
		if n > 0 {
			if f.Feed(buf[:n], emit) != nil {
				reason = room.ReasonTooLong
				break
			}
		}
		if err != nil {
			f.Flush(emit)
			if !errors.Is(err, io.EOF) {
				reason = room.ReasonLost
			}
			break
		}
	}
	if fin {
		reason = room.ReasonFIN
	}
	// Leave now, so that the writer sends what is left and returns.
	s.opts.Hub.Leave(m, reason)
	if err := <-written; err != nil {
		s.log.Debug("write failed", "name", m.Name(), "err", err)
	}
	return reason
}

// The line protocol's bounds, as on the TCP door.
const (
	lineMaxMessage = 1024
	lineMaxPending = 16 << 10
)
