package sshui

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/lineproto"
	"palabre/room"
)

// Pty sizes are clamped to these: a client may claim any size at all.
const (
	minCols, maxCols = 20, 400
	minRows, maxRows = 5, 200
)

// maxPending is the line protocol's bound on input with no newline, as on
// the TCP door; a paste on the screen longer than it also ends the session.
const maxPending = 16 << 10

// session is the SSH door's handler: it turns one session into a room
// member, runs the chat screen (or the line protocol without a terminal),
// and removes the member when the session ends, however it ends.
func (s *Server) session(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer next(sess)
		defer s.hangUp(sess)
		_, winCh, isPty := sess.Pty()
		s.log.Debug("session", "user", room.Clip(sess.User(), 64), "client", room.Clip(sess.Context().ClientVersion(), 64),
			"addr", sess.RemoteAddr().String(), "pty", isPty)
		m, history, err := s.opts.Hub.Join(room.JoinRequest{
			Name: cleanName(sess.User()),
			Door: room.DoorSSH,
			Addr: sess.RemoteAddr().String(),
			Key:  keyOf(sess),
			Echo: isPty, // the screen shows your own words; the line protocol does not
		})
		if err != nil {
			r := room.RefusedShutdown
			if errors.Is(err, room.ErrFull) {
				r = room.RefusedFull
				s.log.Warn("connection refused: the room is full", "addr", sess.RemoteAddr().String())
			}
			fmt.Fprintf(sess.Stderr(), "%s\r\n", s.opts.Lang.Refusal(r))
			_ = sess.Exit(1)
			return
		}
		reason := room.ReasonError // what a panic leaves it at
		defer func() { s.opts.Hub.Leave(m, reason) }()

		done := make(chan struct{})
		defer close(done)
		go s.keepAlive(sess.Context(), done)

		out := s.deadlineWriter(sess)
		if isPty {
			reason = s.screen(sess, out, winCh, m, history)
		} else {
			reason = s.lines(sess, out, m, history)
		}
	}
}

// hangUp ends the connection shortly after its one session: a client that
// keeps an idle connection open would otherwise hold the server's shutdown.
// The grace lets the exit status reach the client first.
func (s *Server) hangUp(sess ssh.Session) {
	_ = sess.Exit(0)
	if gc, ok := sess.Context().Value(connKey{}).(*guardedConn); ok {
		time.AfterFunc(2*time.Second, func() { gc.Close() })
	}
}

// screen runs the chat screen until the member leaves or the connection
// ends, and returns the reason to leave with.
func (s *Server) screen(sess ssh.Session, out io.Writer, winCh <-chan ssh.Window, m *room.Member, history []room.Message) room.Reason {
	pty, _, _ := sess.Pty()
	w, h := clampSize(pty.Window.Width, pty.Window.Height)
	model := newModel(modelConfig{
		Lang:     s.opts.Lang,
		Renderer: newRenderer(out, sess, pty.Term),
		RoomName: s.opts.RoomName,
		Member:   m,
		History:  history,
		Post:     func(text string) { s.opts.Hub.Post(m, text) },
		Members:  s.opts.Hub.Members,
		Delay:    m.Delay,
		Leave:    func(r room.Reason) { s.opts.Hub.Leave(m, r) },
		Width:    w,
		Height:   h,
	})
	p := tea.NewProgram(model,
		tea.WithInput(sess), tea.WithOutput(out),
		tea.WithoutSignalHandler(), // shutdown is handled once, by the server
		tea.WithAltScreen(), tea.WithMouseCellMotion(),
	)

	// Window changes go to the program; when the session or the connection
	// ends, the program quits. This goroutine ends with the program.
	ended := make(chan struct{})
	go func() {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("window goroutine panicked", "name", m.Name(), "panic", fmt.Sprint(r))
				p.Kill()
			}
		}()
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
				cols, rows := clampSize(w.Width, w.Height)
				p.Send(tea.WindowSizeMsg{Width: cols, Height: rows})
			}
		}
	}()
	_, err := p.Run()
	p.Kill()
	close(ended)
	s.farewell(out, m)
	switch {
	case errors.Is(err, tea.ErrProgramPanic):
		s.log.Error("screen panicked", "name", m.Name(), "addr", sess.RemoteAddr().String(), "err", err)
		return room.ReasonError
	case err != nil && !errors.Is(err, tea.ErrProgramKilled):
		s.log.Warn("screen ended", "name", m.Name(), "err", err)
		return room.ReasonLost
	}
	return room.ReasonClosed
}

func clampSize(cols, rows int) (int, int) {
	return min(max(cols, minCols), maxCols), min(max(rows, minRows), maxRows)
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
		fmt.Fprintf(w, "*** %s\r\n", lang.Describe(room.Message{Kind: room.KindShutdown}))
	case room.ReasonTooSlow, room.ReasonTooLong:
		fmt.Fprintf(w, "*** %s\r\n", lang.Describe(room.Message{Kind: room.KindLeave, From: m.Name(), Reason: r}))
	}
}

// newRenderer builds the session's own renderer, writing to out, so that a
// client without colour gets a plain screen. Unlike wish's MakeRenderer it
// does not query the terminal's background colour: that query cannot be
// cancelled, blocks until the client types, and swallows the first byte.
func newRenderer(out io.Writer, sess ssh.Session, term string) *lipgloss.Renderer {
	if term == "" || term == "dumb" {
		// lipgloss asks the output for its profile, so termenv.WithProfile
		// would not reach it: set the profile on the renderer itself.
		r := lipgloss.NewRenderer(out)
		r.SetColorProfile(termenv.Ascii)
		return r
	}
	env := environ(append(sess.Environ(), "TERM="+term))
	return lipgloss.NewRenderer(out, termenv.WithEnvironment(env), termenv.WithUnsafe(), termenv.WithColorCache(true))
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
func (s *Server) lines(sess ssh.Session, out io.Writer, m *room.Member, history []room.Message) room.Reason {
	greeting := s.opts.Greeting
	if greeting == "" {
		greeting = s.opts.Lang.Greeting()
	}
	written := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("writer panicked", "name", m.Name(), "panic", fmt.Sprint(r))
				s.opts.Hub.Leave(m, room.ReasonError)
				written <- nil
			}
			// The member has left (or the client stopped reading): end the
			// session, which also ends the read below.
			_ = sess.Exit(0)
		}()
		written <- lineproto.Deliver(out, s.opts.Lang, greeting, m, len(s.opts.Hub.Members())-1, history)
	}()

	reason := room.ReasonClosed
	f := lineproto.Framer{MaxMessage: s.opts.MaxMessageBytes, MaxPending: maxPending}
	var stop room.Reason
	emit := func(msg string) {
		if stop != 0 {
			return
		}
		if strings.EqualFold(strings.TrimSpace(msg), "FIN") {
			stop = room.ReasonFIN
			return
		}
		if !m.Pace() { // flood control: the reader waits, the client's window fills
			stop = room.ReasonClosed
			return
		}
		s.opts.Hub.Post(m, msg)
	}
	buf := make([]byte, 4096)
	for stop == 0 {
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
	if stop != 0 {
		reason = stop
	}
	// Leave now, so that the writer sends what is left and returns.
	s.opts.Hub.Leave(m, reason)
	if err := <-written; err != nil {
		s.log.Info("write failed; member dropped", "name", m.Name(), "err", err)
	}
	return reason
}

// deadlineWriter bounds each write to the session: an SSH channel has no
// deadlines, and a client that stops reading would block its writer for
// good once the channel's window is full. Past WriteTimeout the connection
// is closed, which fails the write.
func (s *Server) deadlineWriter(sess ssh.Session) io.Writer {
	gc, _ := sess.Context().Value(connKey{}).(*guardedConn)
	return &timedWriter{w: sess, timeout: s.opts.WriteTimeout, expire: func() {
		s.log.Info("write timed out; connection dropped", "addr", sess.RemoteAddr().String())
		if gc != nil {
			gc.Close()
		}
	}}
}

type timedWriter struct {
	w       io.Writer
	timeout time.Duration
	expire  func()
}

func (t *timedWriter) Write(p []byte) (int, error) {
	timer := time.AfterFunc(t.timeout, t.expire)
	defer timer.Stop()
	return t.w.Write(p)
}

// keepAlive asks the client for a sign of life every KeepAlive, and drops
// the connection after KeepAliveMax go unanswered: a laptop that slept or
// left the Wi-Fi does not hold its member forever, while a quiet student,
// whose client answers, stays.
func (s *Server) keepAlive(ctx ssh.Context, done <-chan struct{}) {
	conn, ok := ctx.Value(ssh.ContextKeyConn).(gossh.Conn)
	if !ok {
		return
	}
	tick := time.NewTicker(s.opts.KeepAlive)
	defer tick.Stop()
	var answered chan struct{} // the request in flight; nil when none
	missed := 0
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if answered != nil {
			select {
			case <-answered:
				missed = 0
			default:
				missed++
				if missed >= s.opts.KeepAliveMax {
					s.log.Info("no answer to keep-alives; connection dropped", "addr", remote(ctx))
					conn.Close()
					return
				}
				continue // still waiting for that one
			}
		}
		a := make(chan struct{})
		answered = a
		go func() {
			// Returns with the answer, or with an error once the connection is gone.
			if _, _, err := conn.SendRequest("keepalive@openssh.com", true, nil); err == nil {
				close(a)
			}
		}()
	}
}

func remote(ctx ssh.Context) string {
	if a := ctx.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

var _ net.Conn = (*guardedConn)(nil)
