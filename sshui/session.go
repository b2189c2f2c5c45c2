package sshui

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/lineproto"
	"palabre/room"
)

// screenFPS caps the frames a second drawn on each screen: messages that
// come closer together share a frame.
const screenFPS = 30

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
		sess.Context().SetValue(startedKey{}, true)
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
			fmt.Fprintf(sess.Stderr(), "%s\r\n", s.opts.Lang.Refusal(room.RefusalFor(err)))
			_ = sess.Exit(1)
			return
		}
		reason := room.ReasonError // what a panic leaves it at
		defer func() { s.opts.Hub.Leave(m, reason) }()

		done := make(chan struct{})
		defer close(done)
		// A client the server gives up on has lost its connection, as the
		// others read it: its own side may still think it is open.
		lost := func() { s.opts.Hub.Leave(m, room.ReasonLost) }

		out := s.deadlineWriter(sess, lost)
		if isPty {
			reason = s.screen(sess, out, winCh, m, history, done, lost)
		} else {
			go s.keepAlive(sess.Context(), done, lost)
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
		gc.after(2*time.Second, func() { gc.Close() })
	}
}

// screen runs the chat screen until the member leaves or the connection
// ends, and returns the reason to leave with.
func (s *Server) screen(sess ssh.Session, out io.Writer, winCh <-chan ssh.Window, m *room.Member, history []room.Message,
	ended <-chan struct{}, lost func()) room.Reason {
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
		Head:     s.opts.Hub.MembersHead,
		Delay:    m.Delay,
		Leave:    func(r room.Reason) { s.opts.Hub.Leave(m, r) },
		Width:    w,
		Height:   h,
		Pushed:   true, // by pump
		Rows:     s.rows,
	})
	in := &inputGuard{r: sess, tooLong: func() { s.opts.Hub.Leave(m, room.ReasonTooLong) }}
	scr := newLive(model, out)
	p := tea.NewProgram(scr,
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
	s.farewell(out, m)
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

// liveScreen is the chat screen as the door runs it: the model, drawn
// through a term after each change, rather than by bubbletea's renderer,
// which measures and writes every changed row of every frame (and a new
// message changes them all). Its View is empty: the program runs without
// a renderer. Two goroutines change the screen, the program's (keys,
// resizes) and the pump (the room's messages, handed over directly rather
// than through the program's queue): the mutex guards the model and term.
type liveScreen struct {
	mu     sync.Mutex
	m      *model
	t      *term
	closed bool // the terminal was given back: nothing more is drawn
}

func newLive(m *model, out io.Writer) *liveScreen { return &liveScreen{m: m, t: newTerm(out)} }

// start puts the terminal in the screen's modes and draws the first frame,
// before anything else may draw.
func (l *liveScreen) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.t.enter() // a failed write ends the session through its context
	_ = l.t.draw(l.m)
}

// stop gives the terminal back; nothing is drawn after.
func (l *liveScreen) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		_ = l.t.leave()
	}
}

func (l *liveScreen) Init() tea.Cmd {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.Init()
}

// change applies f to the model and draws the result, unless the terminal
// was given back.
func (l *liveScreen) change(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	f()
	_ = l.t.draw(l.m) // nothing is written when nothing changed
}

func (l *liveScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	l.change(func() { _, cmd = l.m.Update(msg) })
	return l, cmd
}

func (l *liveScreen) View() string { return "" }

// deliver shows the room's messages: one frame for all of them.
func (l *liveScreen) deliver(msgs []room.Message) {
	l.change(func() { l.m.receive(msgs) })
}

// resize lays the screen out for a new window size.
func (l *liveScreen) resize(w *ssh.Window) {
	cols, rows := clampSize(w.Width, w.Height)
	l.change(func() { l.m.Update(tea.WindowSizeMsg{Width: cols, Height: rows}) })
}

// pump is the screen's one goroutine besides the program's own: it shows
// its member's messages and window changes, ends the program with the
// session, and asks the client for signs of life. It runs until the
// session's requests end, after the program too (Quit is then a no-op):
// the SSH library's request loop blocks on the next window change
// otherwise, and with it the connection's reader, for good.
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
	ka := s.newKeeper(sess.Context(), lost)
	if ka != nil {
		t := time.NewTicker(s.opts.KeepAlive)
		defer t.Stop()
		tick = t.C
	}
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
		case <-tick:
			if !ka.tick() {
				tick = nil
			}
		}
	}
}

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
		written <- lineproto.Deliver(out, s.opts.Lang, greeting, m, s.opts.Hub.Count()-1, history)
	}()

	reason := room.ReasonClosed
	f := lineproto.Framer{MaxPending: maxPending}
	in := lineproto.Input{Hub: s.opts.Hub, Member: m, MessageBytes: s.opts.MaxMessageBytes}
	buf := make([]byte, 4096)
	for in.Stop == 0 {
		n, err := sess.Read(buf)
		if n > 0 {
			if f.Feed(buf[:n], in.Line) != nil {
				reason = room.ReasonTooLong
				break
			}
		}
		if err != nil {
			f.Flush(in.Line)
			if !errors.Is(err, io.EOF) {
				reason = room.ReasonLost
			}
			break
		}
	}
	if in.Stop != 0 {
		reason = in.Stop
	}
	// Leave now, so that the writer sends what is left and returns.
	s.opts.Hub.Leave(m, reason)
	if err := <-written; err != nil {
		s.log.Info("write failed; member dropped", "name", m.Name(), "err", err)
	}
	return reason
}

// maxPaste bounds a bracketed paste, all its lines together; each line is
// bounded by maxPending, as any message.
const maxPaste = 4 * maxPending

// inputGuard stands between a session and bubbletea's input reader, which
// holds back what it cannot parse yet (a bracketed paste until its end
// marker, a run of characters until a space or a control) in a buffer that
// it copies whole on each read of 256 bytes: a client sending megabytes of
// either would cost the server that memory and quadratic time. Past
// maxPaste bytes of paste, or maxPending bytes of characters without a
// break, the member leaves as "input too long" and the read fails.
type inputGuard struct {
	r       io.Reader
	tooLong func()

	marker  int  // bytes of "\x1b[20" then "0" or "1" matched so far
	end     bool // the marker being matched ends a paste
	inPaste bool
	n       int // bytes of the paste, or of the run of characters
	failed  bool
}

func (g *inputGuard) Read(p []byte) (int, error) {
	if g.failed {
		return 0, lineproto.ErrInputTooLong
	}
	n, err := g.r.Read(p)
	for _, b := range p[:n] {
		g.scan(b)
		if g.inPaste && g.n > maxPaste || !g.inPaste && g.n > maxPending {
			g.failed = true
			g.tooLong()
			return 0, lineproto.ErrInputTooLong
		}
	}
	return n, err
}

// scan follows the paste markers and counts what the parser holds back.
func (g *inputGuard) scan(b byte) {
	const prefix = "\x1b[20"
	switch {
	case g.marker < len(prefix) && b == prefix[g.marker]:
		g.marker++
	case g.marker == len(prefix) && (b == '0' || b == '1'):
		g.marker++
		g.end = b == '1'
	case g.marker == len(prefix)+1 && b == '~':
		g.marker = 0
		// The parser ends a paste at its first end marker, and takes a
		// start marker inside a paste as pasted text.
		if g.inPaste == g.end {
			g.inPaste = !g.end
			g.n = 0
			return
		}
	default:
		g.marker = 0
		if b == prefix[0] {
			g.marker = 1
		}
	}
	switch {
	case g.inPaste:
		g.n++
	case b <= ' ' || b == 0x7f: // a space or a control ends a run of characters
		g.n = 0
	default:
		g.n++
	}
}

// deadlineWriter bounds each write to the session: an SSH channel has no
// deadlines, and a client that stops reading would block its writer for
// good once the channel's window is full. Past WriteTimeout the connection
// is closed, which fails the write.
func (s *Server) deadlineWriter(sess ssh.Session, lost func()) io.Writer {
	gc, _ := sess.Context().Value(connKey{}).(*guardedConn)
	return &timedWriter{w: sess, timeout: s.opts.WriteTimeout, expire: func() {
		s.log.Info("write timed out; connection dropped", "addr", sess.RemoteAddr().String())
		lost()
		if gc != nil {
			gc.Close()
		}
	}}
}

type timedWriter struct {
	w       io.Writer
	timeout time.Duration
	expire  func()

	mu    sync.Mutex
	timer *time.Timer // one for all writes: a timer each cost 5% of a busy server's CPU
}

func (t *timedWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer == nil {
		t.timer = time.AfterFunc(t.timeout, t.expire)
	} else {
		t.timer.Reset(t.timeout)
	}
	defer t.timer.Stop()
	return t.w.Write(p)
}

// keepAlive asks the client for a sign of life every KeepAlive, and drops
// the connection after KeepAliveMax go unanswered: a laptop that slept or
// left the Wi-Fi does not hold its member forever, while a quiet student,
// whose client answers, stays.
func (s *Server) keepAlive(ctx ssh.Context, done <-chan struct{}, lost func()) {
	k := s.newKeeper(ctx, lost)
	if k == nil {
		return
	}
	tick := time.NewTicker(s.opts.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			if !k.tick() {
				return
			}
		}
	}
}

// keeper keeps the count of unanswered keep-alives of one connection.
type keeper struct {
	s        *Server
	ctx      ssh.Context
	conn     gossh.Conn
	lost     func()
	answered chan struct{} // the request in flight; nil when none
	missed   int
}

func (s *Server) newKeeper(ctx ssh.Context, lost func()) *keeper {
	conn, ok := ctx.Value(ssh.ContextKeyConn).(gossh.Conn)
	if !ok {
		return nil
	}
	return &keeper{s: s, ctx: ctx, conn: conn, lost: lost}
}

// tick is called every KeepAlive; it returns false once it has dropped
// the connection.
func (k *keeper) tick() bool {
	if k.answered != nil {
		select {
		case <-k.answered:
			k.missed = 0
		default:
			k.missed++
			if k.missed >= k.s.opts.KeepAliveMax {
				k.s.log.Info("no answer to keep-alives; connection dropped", "addr", remote(k.ctx))
				k.lost()
				k.conn.Close()
				return false
			}
			return true // still waiting for that one
		}
	}
	a := make(chan struct{})
	k.answered = a
	go func() {
		// Returns with the answer, or with an error once the connection is gone.
		if _, _, err := k.conn.SendRequest("keepalive@openssh.com", true, nil); err == nil {
			close(a)
		}
	}()
	return true
}

func remote(ctx ssh.Context) string {
	if a := ctx.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

var _ net.Conn = (*guardedConn)(nil)
