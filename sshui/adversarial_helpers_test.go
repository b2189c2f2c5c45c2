package sshui_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"palabre/room"
	"palabre/sshui"
	"palabre/tcp"
)

// Helpers of the adversarial tests. They return errors instead of failing,
// where they may run in goroutines of their own.

// arena is a hub with both doors, like world, but with room options of the
// test's choosing and a stop that the test may call itself, as cmd/palabre
// does: the hub first, then each door.
type arena struct {
	hub     *room.Hub
	ssh     *sshui.Server
	tcp     *tcp.Server
	sshAddr string
	tcpAddr string

	stopOnce sync.Once
	stopErr  error
	served   chan error
}

func startArena(t *testing.T, ro room.Options, so sshui.Options) *arena {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ro.Logger = logger
	hub := room.NewHub(ro)
	so.Hub, so.Logger = hub, logger
	if so.HostKeyPEM == nil && so.DataDir == "" {
		so.HostKeyPEM = newHostKey(t)
	}
	srv, err := sshui.New(so)
	if err != nil {
		t.Fatal(err)
	}
	sshLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &arena{
		hub: hub, ssh: srv, tcp: &tcp.Server{Hub: hub, Logger: logger},
		sshAddr: sshLn.Addr().String(), tcpAddr: tcpLn.Addr().String(),
		served: make(chan error, 2),
	}
	go func() { a.served <- srv.Serve(sshLn) }()
	go func() { a.served <- a.tcp.Serve(tcpLn) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := a.stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return a
}

// stop shuts the hub, then the SSH door, then the TCP door down, and waits
// for both Serve calls to return. Later calls return the first result.
func (a *arena) stop(ctx context.Context) error {
	a.stopOnce.Do(func() {
		a.hub.Shutdown()
		var errs []error
		if err := a.ssh.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("ssh Shutdown: %w", err))
		}
		if err := a.tcp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("tcp Shutdown: %w", err))
		}
		for range 2 {
			if err := <-a.served; err != nil {
				errs = append(errs, fmt.Errorf("Serve: %w", err))
			}
		}
		a.stopErr = errors.Join(errs...)
	})
	return a.stopErr
}

// memberNames lists the room's members, in join order.
func memberNames(hub *room.Hub) []string {
	var names []string
	for _, m := range hub.Members() {
		names = append(names, m.Name)
	}
	return names
}

// poll checks cond every few milliseconds until it holds, or fails the
// test at the deadline. Only for the test's own goroutine.
func poll(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := pollErr(within, what, cond); err != nil {
		t.Fatal(err)
	}
}

// pollErr is poll for any goroutine: it returns an error at the deadline.
func pollErr(within time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v: still not %s", within, what)
		}
		<-tick.C
	}
	return nil
}

// peer is a TCP member that keeps every line it reads, and the raw bytes
// too when asked: its reader never stalls, so the server never finds it slow.
type peer struct {
	t       *testing.T
	nc      net.Conn
	keepRaw bool

	mu      sync.Mutex
	raw     []byte
	lines   []string
	partial []byte
	eof     bool
	more    chan struct{}
	next    int // expect's cursor in lines
}

// dialPeer connects and waits for the welcome.
func dialPeer(t *testing.T, addr string, keepRaw bool) *peer {
	t.Helper()
	p := connectPeer(t, addr, keepRaw)
	p.expect("*** You are ")
	return p
}

// connectPeer connects without waiting: the server greets a client that
// says nothing after a short wait for an HTTP request line.
func connectPeer(t *testing.T, addr string, keepRaw bool) *peer {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	p := &peer{t: t, nc: nc, keepRaw: keepRaw, more: make(chan struct{}, 1)}
	go p.read()
	return p
}

func (p *peer) read() {
	buf := make([]byte, 32<<10)
	for {
		n, err := p.nc.Read(buf)
		p.mu.Lock()
		if p.keepRaw {
			p.raw = append(p.raw, buf[:n]...)
		}
		data := append(p.partial, buf[:n]...)
		for {
			i := strings.IndexByte(string(data), '\n')
			if i < 0 {
				break
			}
			p.lines = append(p.lines, string(data[:i]))
			data = data[i+1:]
		}
		p.partial = append([]byte(nil), data...)
		if err != nil {
			p.eof = true
		}
		p.mu.Unlock()
		select {
		case p.more <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (p *peer) send(s string) {
	p.t.Helper()
	if _, err := io.WriteString(p.nc, s); err != nil {
		p.t.Fatalf("send %q: %v", s, err)
	}
}

// snapshot returns the lines read so far and whether the connection ended.
func (p *peer) snapshot() ([]string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...), p.eof
}

func (p *peer) rawBytes() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.raw...)
}

// expect waits for the next line, after the last one expect returned, that
// starts with prefix, and returns it.
func (p *peer) expect(prefix string) string {
	p.t.Helper()
	deadline := time.After(patience)
	for {
		p.mu.Lock()
		for i := p.next; i < len(p.lines); i++ {
			if strings.HasPrefix(p.lines[i], prefix) {
				p.next = i + 1
				l := p.lines[i]
				p.mu.Unlock()
				return l
			}
		}
		eof, n := p.eof, len(p.lines)
		p.mu.Unlock()
		if eof {
			p.t.Fatalf("connection closed before a line %q; the last lines: %q", prefix, tail(p, n))
		}
		select {
		case <-p.more:
		case <-deadline:
			p.t.Fatalf("no line %q within %v; the last lines: %q", prefix, patience, tail(p, n))
		}
	}
}

// find waits for a line, anywhere in what was read, that starts with prefix.
func (p *peer) find(prefix string) string {
	p.t.Helper()
	var found string
	poll(p.t, patience, fmt.Sprintf("a line %q", prefix), func() bool {
		lines, _ := p.snapshot()
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				found = l
				return true
			}
		}
		return false
	})
	return found
}

func tail(p *peer, n int) []string {
	lines, _ := p.snapshot()
	return lines[max(0, min(n, len(lines))-10):min(n, len(lines))]
}

// waitClosed waits until the server closes the connection.
func (p *peer) waitClosed() []string {
	p.t.Helper()
	var lines []string
	poll(p.t, patience, "closed by the server", func() bool {
		var eof bool
		lines, eof = p.snapshot()
		return eof
	})
	return lines
}

// rawOut is everything a screen received, escape codes included.
func rawOut(s *screen) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// waitEnded waits for a screen's session to end, without failing on how.
func waitEnded(t testing.TB, s *screen) error {
	t.Helper()
	select {
	case err := <-s.ended:
		s.ended <- err // keep it for a later look
		return err
	case <-time.After(patience):
		t.Fatal("the session did not end")
		return nil
	}
}

func sessionEnded(s *screen) bool {
	select {
	case err := <-s.ended:
		s.ended <- err
		return true
	default:
		return false
	}
}

// unsafeForTerminal returns a description of the first thing in b that a
// terminal would act on, other than the line feeds of the line protocol:
// a C0 control, DEL, a C1 control, a bidi control, U+FEFF or invalid UTF-8.
func unsafeForTerminal(b []byte) (string, bool) {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Sprintf("invalid UTF-8 %#x at %d", b[i], i), true
		case r == '\n':
		case r < 0x20, r == 0x7f, 0x80 <= r && r <= 0x9f,
			0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069,
			r == 0x200e, r == 0x200f, r == 0x061c, r == 0xfeff:
			return fmt.Sprintf("%U at %d", r, i), true
		}
		i += size
	}
	return "", false
}

// cursorHome matches the sequences that move the cursor to a row: a frame
// starts with one, so that rows of two frames are not read as one.
var cursorHome = regexp.MustCompile(`\x1b\[[0-9;]*[Hf]`)

// screenRows splits a screen's raw output into the rows it drew, escape
// codes removed.
func screenRows(raw string) []string {
	s := ansi.Strip(cursorHome.ReplaceAllString(raw, "\n"))
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
}

// emulate replays a screen's raw output on a grid of rows, as far as
// bubbletea's renderer needs: cursor to a row, line feeds, carriage
// returns, erase, the alternate screen; styles are dropped. It returns the
// rows as they show at the end.
func emulate(raw string) []string {
	var rows []string
	row, col := 0, 0
	put := func(text string) {
		for len(rows) <= row {
			rows = append(rows, "")
		}
		if col == 0 {
			rows[row] = text
		} else {
			rows[row] += text
		}
		col += len(text)
	}
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c == '\x1b':
			m := escSeq.FindString(raw[i:])
			if m == "" {
				i++
				continue
			}
			i += len(m)
			switch {
			case m == "\x1b[?1049h", m == "\x1b[?1049l", m == "\x1b[2J":
				rows, row, col = nil, 0, 0
			case strings.HasPrefix(m, "\x1b[") && (strings.HasSuffix(m, "H") || strings.HasSuffix(m, "f")):
				row, col = 0, 0
				if r, _, ok := strings.Cut(strings.TrimSuffix(strings.TrimSuffix(m[2:], "H"), "f"), ";"); ok || r != "" {
					var n int
					if _, err := fmt.Sscan(r, &n); err == nil && n > 0 {
						row = n - 1
					}
				}
			case m == "\x1b[J", m == "\x1b[0J":
				if row+1 < len(rows) {
					rows = rows[:row+1]
				}
			}
		case c == '\n':
			row++
			col = 0
			i++
		case c == '\r':
			col = 0
			i++
		case c < 0x20:
			i++
		default:
			j := i
			for j < len(raw) && raw[j] >= 0x20 && raw[j] != 0x7f {
				j++
			}
			if j == i {
				j++
			}
			put(raw[i:j])
			i = j
		}
	}
	return rows
}

// escSeq matches one escape sequence: CSI, OSC, DCS, or ESC and one byte.
var escSeq = regexp.MustCompile(`^\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|.)`)

// stallConn is a client's connection that stops delivering what the server
// sends, once stall is called, as a laptop that went to sleep: Read blocks
// until Close.
type stallConn struct {
	net.Conn
	stalled   atomic.Bool
	closed    chan struct{}
	closeOnce sync.Once
}

func newStallConn(nc net.Conn) *stallConn { return &stallConn{Conn: nc, closed: make(chan struct{})} }

func (c *stallConn) stall() { c.stalled.Store(true) }

func (c *stallConn) Read(p []byte) (int, error) {
	if c.stalled.Load() {
		<-c.closed
		return 0, net.ErrClosed
	}
	return c.Conn.Read(p)
}

func (c *stallConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// keepAliveClient is an SSH client over a stallConn that counts the
// server's keep-alive requests (and answers them, as x/crypto and OpenSSH do).
type keepAliveClient struct {
	*gossh.Client
	conn       *stallConn
	keepAlives atomic.Int64
}

func dialKeepAlive(t *testing.T, addr, user string) *keepAliveClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	sc := newStallConn(nc)
	t.Cleanup(func() { sc.Close() })
	cfg := &gossh.ClientConfig{User: user, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: patience}
	conn, chans, reqs, err := gossh.NewClientConn(sc, addr, cfg)
	if err != nil {
		t.Fatalf("ssh handshake as %q: %v", user, err)
	}
	kc := &keepAliveClient{conn: sc}
	go func() {
		for r := range reqs {
			if r.Type == "keepalive@openssh.com" {
				kc.keepAlives.Add(1)
			}
			if r.WantReply {
				_ = r.Reply(false, nil)
			}
		}
	}()
	none := make(chan *gossh.Request)
	close(none) // the requests are ours: NewClient has none to discard
	kc.Client = gossh.NewClient(conn, chans, none)
	t.Cleanup(func() { kc.Client.Close() })
	return kc
}

// sshCycle connects as user, opens a chat screen, waits until the screen
// shows the member's name, then leaves: by dropping the connection, or by
// ctrl+c and the end of the session. It reports instead of failing, for it
// runs in workers.
func sshCycle(addr, user string, quit bool) error {
	cfg := &gossh.ClientConfig{User: user, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: patience}
	c, err := gossh.Dial("tcp", addr, cfg)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	out := &screen{more: make(chan struct{}, 1), ended: make(chan error, 1)}
	sess.Stdout = out
	stdin, err := sess.StdinPipe()
	if err != nil {
		return err
	}
	if err := sess.RequestPty("xterm-256color", 24, 60, gossh.TerminalModes{}); err != nil {
		return fmt.Errorf("pty: %w", err)
	}
	if err := sess.Shell(); err != nil {
		return fmt.Errorf("shell: %w", err)
	}
	ended := make(chan error, 1)
	go func() { ended <- sess.Wait() }()
	if err := pollErr(patience, "showing "+user, func() bool { return strings.Contains(out.text(), "you: "+user) }); err != nil {
		return err
	}
	if !quit {
		return nil // the deferred Close drops the connection
	}
	if _, err := io.WriteString(stdin, "\x03"); err != nil {
		return err
	}
	select {
	case <-ended:
		return nil
	case <-time.After(patience):
		return errors.New("ctrl+c did not end the session")
	}
}

// tcpCycle joins through the TCP door and leaves: with FIN, or by closing
// the connection after the welcome.
func tcpCycle(addr string, fin bool) error {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(patience))
	if fin {
		// Sent at once, so that the server need not wait to tell a chat
		// client from a browser.
		if _, err := io.WriteString(nc, "FIN\n"); err != nil {
			return err
		}
		b, err := io.ReadAll(nc)
		if err != nil {
			return fmt.Errorf("read until closed: %w", err)
		}
		if !strings.Contains(string(b), "*** You are ") {
			return fmt.Errorf("no welcome in %q", b)
		}
		return nil
	}
	if _, err := io.WriteString(nc, "hello\n"); err != nil {
		return err
	}
	var got []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(got), "*** You are ") {
		n, err := nc.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return fmt.Errorf("before the welcome: %w (read %q)", err, got)
		}
	}
	return nil
}
