package sshui

import (
	"errors"
	"io"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"

	"palabre/internal/lineproto"
	"palabre/room"
)

// screen runs the chat screen until the member leaves or the connection
// ends, and returns the reason to leave with.
func (s *Server) screen(sess ssh.Session, pty ssh.Pty, out io.Writer, winCh <-chan ssh.Window, m *room.Member, history []room.Message,
	start uint64, ended <-chan struct{}, lost func()) room.Reason {
	w, h := clampSize(pty.Window.Width, pty.Window.Height)
	var p *tea.Program
	panicked := func(r any) {
		s.log.Error("screen panicked", "name", m.Name(), "addr", sess.RemoteAddr().String(), "panic", r)
		s.opts.Hub.Leave(m, room.ReasonError)
		p.Kill()
	}
	var scr *liveScreen
	queue := &held{
		in:       lineproto.Input{Hub: s.opts.Hub, Member: m, MessageBytes: s.opts.MaxMessageBytes},
		changed:  func() { scr.change(func() {}) },
		panicked: panicked,
	}
	if msg, ok := s.arrival(m); ok {
		history = append(history, msg) // below what was said there: where, and with whom
	}
	model := newModel(modelConfig{
		Lang:     s.opts.Lang,
		Renderer: newRenderer(out, sess, pty.Term),
		Room:     m.Room().Name(),
		Member:   m,
		History:  history,
		Send:     queue.send,
		Block:    queue.sendBlock,
		Head:     func(n int) ([]room.MemberInfo, int) { return s.opts.Hub.MembersHead(m, n) },
		Hands:    func() int { return s.opts.Hub.RaisedHands(m) },
		Asked:    func(n int) ([]room.QuestionInfo, int) { return s.opts.Hub.OpenQuestions(m, n) },
		Members:  s.opts.Hub.Members,
		Activity: s.opts.Hub.Activity,
		Seq:      s.opts.Hub.Seq,
		StartSeq: start,
		Held:     queue.waiting,
		Leave:    func(r room.Reason) { s.opts.Hub.Leave(m, r) },
		Width:    w,
		Height:   h,
		Rows:     s.rows,
		Poll:     func() *room.PollView { return s.opts.Hub.PollOf(m) },
	})
	in := &inputGuard{
		r:       sess,
		wait:    func() { queue.wait(m.Done()) },
		tooLong: func() { s.opts.Hub.Leave(m, room.ReasonTooLong) },
		margins: func() { scr.hasMargins() },
	}
	scr = newLive(model, out, panicked)
	p = tea.NewProgram(scr,
		tea.WithInput(in),
		// The screen draws through its own term, which scrolls the
		// terminal instead of writing every row again for each message;
		// bubbletea writes nothing (its output would be the server's).
		tea.WithoutRenderer(), tea.WithOutput(io.Discard),
		tea.WithoutSignalHandler(), // shutdown is handled once, by the server
	)

	scr.start()
	go s.pump(sess, p, scr, winCh, m, ended, lost)
	_, err := p.Run()
	p.Kill()
	scr.stop()
	s.farewell(out, m, scr.kickOrBan())
	switch {
	case errors.Is(err, lineproto.ErrInputTooLong):
		return room.ReasonTooLong
	case errors.Is(err, tea.ErrProgramPanic):
		s.log.Error("screen panicked", "name", m.Name(), "addr", sess.RemoteAddr().String(), "err", err)
		return room.ReasonError
	case err != nil && !errors.Is(err, tea.ErrProgramKilled):
		s.log.Warn("screen ended", "name", m.Name(), "err", err)
		return room.ReasonLost
	}
	return room.ReasonClosed
}

// Pty sizes are clamped to these: a client may claim any size at all.
const (
	minCols, maxCols = 20, 400
	minRows, maxRows = 5, 200
)

func clampSize(cols, rows int) (int, int) {
	return min(max(cols, minCols), maxCols), min(max(rows, minRows), maxRows)
}

// newRenderer builds the session's own renderer, writing to out, so that a
// client without colour gets a plain screen. Unlike wish's MakeRenderer it
// does not query the terminal's background colour: that query cannot be
// cancelled, blocks until the client types, and swallows the first byte.
func newRenderer(out io.Writer, sess ssh.Session, term string) *lipgloss.Renderer {
	if term == "" {
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
