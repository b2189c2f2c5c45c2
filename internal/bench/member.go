package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/coder/websocket"
	gossh "golang.org/x/crypto/ssh"
)

type door int

const (
	doorTCP door = iota
	doorSSH
	doorWeb
	nDoors // how many: the size of the figures kept by door
)

func (d door) String() string {
	switch d {
	case doorSSH:
		return "ssh"
	case doorWeb:
		return "web"
	}
	return "tcp"
}

// member is one connection of the bench to the room.
type member struct {
	door    door
	name    string // the SSH user name; TCP members are named by the server
	sender  int    // its number among the senders, or -1
	room    int    // its room, counted from 0; with one room, the default one
	at      int    // its address, counted from 0 among its door's
	stalled bool   // reads its welcome, then never again
	reading bool   // its reader has started

	conn  net.Conn        // the TCP connection (for an SSH member, under the client; nil on the web door)
	ssh   *gossh.Client   // nil on the TCP and web doors
	ws    *websocket.Conn // the web door's socket; nil on the others
	w     io.Writer       // where its messages go: the socket, or the session's stdin
	wmu   sync.Mutex      // a flooder's two senders write one message at a time
	eol   byte            // what ends a message: '\n' on TCP and the web, Enter ('\r') on a screen
	ready chan struct{}   // closed when the server has welcomed it
	moved chan struct{}   // closed when it is in its room (with one room, at the welcome)
	gone  chan struct{}   // closed when its reader stops
	ended chan struct{}   // a stalled SSH member's: closed when its session ends (nil before)
	last  lastText        // the end of what it read, to explain a refusal

	seen    []uint64     // messages seen, by id: owned by its reader
	seenN   atomic.Int64 // measured deliveries it saw
	sentN   atomic.Int64 // measured messages it sent
	dropped atomic.Bool  // its connection ended during the run
	lostIn  atomic.Int32 // the run's phase when it ended
	tail    []byte       // the end of what it read, when it was dropped
}

func newMember(d door, name string) *member {
	return &member{door: d, name: name, sender: -1, ready: make(chan struct{}), moved: make(chan struct{}), gone: make(chan struct{})}
}

func (m *member) write(p []byte) (int, error) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	return m.w.Write(p)
}

func (m *member) close() {
	if m.ssh != nil {
		m.ssh.Close()
	}
	if m.conn != nil {
		m.conn.Close()
	}
	if m.ws != nil {
		m.ws.CloseNow()
	}
}

// lastText keeps the last few hundred bytes a member read, safe to read
// from another goroutine: the refusal line of a server that turns it away.
type lastText struct {
	mu sync.Mutex
	b  []byte
}

func (l *lastText) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > 512 {
		l.b = append(l.b[:0], l.b[len(l.b)-256:]...)
	}
	return len(p), nil
}

// line is the last non-empty line kept, cleaned of escape codes.
func (l *lastText) line() string {
	l.mu.Lock()
	var s stripper
	text := s.strip(nil, l.b)
	l.mu.Unlock()
	lines := bytes.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' })
	if len(lines) == 0 {
		return ""
	}
	return string(bytes.TrimSpace(lines[len(lines)-1]))
}

// The marks of a welcome: the TCP door's "*** You are NAME; …" line in
// either language, and a screen's title bar "you: NAME".
var tcpWelcome = [][]byte{[]byte("*** You are "), []byte("*** Vous êtes ")}

// courseWelcome is the course's server's greeting: it has no other
// welcome, and a member is in its room once greeted.
var courseWelcome = [][]byte{[]byte("Vous êtes connectés")}

func screenWelcome(name string) [][]byte {
	return [][]byte{[]byte("you: " + name), []byte("vous : " + name)}
}

// connectTCP opens a TCP member and waits for its welcome.
func (r *runner) connectTCP(ctx context.Context, m *member) error {
	d := net.Dialer{Timeout: r.cfg.ConnectTimeout}
	if m.stalled {
		// A small receive buffer from the start, so that the server feels
		// the stall soon: the window is set when the connection opens.
		d.Control = smallReadBuffer
	}
	nc, err := d.DialContext(ctx, "tcp", r.addr(m))
	if err != nil {
		return err
	}
	m.conn, m.w, m.eol = nc, nc, '\n'
	m.reading = true
	welcome := tcpWelcome
	if r.cfg.Course {
		welcome = courseWelcome
	}
	go r.receive(m, nc, welcome, movedMarks, false)
	if err := r.wait(ctx, m, m.ready, "welcome"); err != nil || r.rooms <= 1 {
		return err
	}
	// The course's protocol has no room: a member moves with /join.
	if _, err := fmt.Fprintf(nc, "/join %s\n", roomName(m.room)); err != nil {
		return err
	}
	return r.wait(ctx, m, m.moved, "move to #"+roomName(m.room))
}

// connectSSH opens an SSH member with a pty and waits for its screen. A
// stalled one stops reading its stdout there: the client keeps reading the
// connection into the session's buffer until the channel's window (2 MiB)
// is full, and only then does the server's writing stall.
func (r *runner) connectSSH(ctx context.Context, m *member) error {
	d := net.Dialer{Timeout: r.cfg.ConnectTimeout}
	addr := r.addr(m)
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	m.conn = nc
	_ = nc.SetDeadline(time.Now().Add(r.cfg.ConnectTimeout)) // the handshake, too, is bounded
	cc, chans, reqs, err := gossh.NewClientConn(nc, addr, &gossh.ClientConfig{
		User:            m.name,
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), // loopback only
	})
	if err != nil {
		nc.Close()
		return fmt.Errorf("ssh handshake: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})
	m.ssh = gossh.NewClient(cc, chans, reqs)
	sess, err := m.ssh.NewSession()
	if err != nil {
		return fmt.Errorf("ssh session: %w", err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return err
	}
	sess.Stderr = &m.last // a refusal ("the room is full") comes this way
	if err := sess.RequestPty("xterm-256color", r.rows, r.cols, gossh.TerminalModes{}); err != nil {
		return fmt.Errorf("ssh pty: %w", err)
	}
	if err := sess.Shell(); err != nil {
		return fmt.Errorf("ssh shell: %w", err)
	}
	if m.stalled {
		// Its stdout is never read past the welcome, but its client still
		// reads the connection; the session ends when the server closes the
		// channel or the connection, which is how a hang-up shows.
		m.ended = make(chan struct{})
		go func() {
			_ = sess.Wait()
			close(m.ended)
		}()
	}
	m.w, m.eol = stdin, '\r'
	m.reading = true
	go r.receive(m, stdout, screenWelcome(m.name), movedMarks, true)
	if err := r.wait(ctx, m, m.ready, "welcome"); err != nil || r.rooms <= 1 {
		return err
	}
	// The member types /join on its screen, as a student would (the SSH
	// command naming the room is tested in sshui) — all the screens at once,
	// which once raced on the runes bubbletea shares for a space.
	if _, err := fmt.Fprintf(stdin, "/join %s\r", roomName(m.room)); err != nil {
		return err
	}
	return r.wait(ctx, m, m.moved, "move to #"+roomName(m.room))
}

// wait waits until done closes: the member's welcome, or its move.
func (r *runner) wait(ctx context.Context, m *member, done <-chan struct{}, what string) error {
	t := time.NewTimer(r.cfg.ConnectTimeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-m.gone:
		select {
		case <-done: // a stalled member stops reading once in its room
			return nil
		default:
		}
		if l := m.last.line(); l != "" {
			return fmt.Errorf("closed before the %s, after %q", what, l)
		}
		return fmt.Errorf("closed before the %s", what)
	case <-t.C:
		if l := m.last.line(); l != "" {
			return fmt.Errorf("no %s within %v, after %q", what, r.cfg.ConnectTimeout, l) // "no room #bench-120: the server has as many rooms as it may"
		}
		return fmt.Errorf("no %s within %v", what, r.cfg.ConnectTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// What xterm answers palabre's screen when asked whether it has left and
// right margins: mode 69 (DECLRMM) is known, and reset.
var (
	marginsQuery  = []byte(ansi.RequestModeLeftRightMargin)
	marginsAnswer = []byte(ansi.ReportMode(ansi.ModeLeftRightMargin, ansi.ModeReset))
)

// receive reads a member's stream until it ends: first until the welcome
// and, with rooms, the sign that it is in its room (moved marks followed by
// the room's name), then every token it holds, each counted at its first
// sighting. A screen's bytes are stripped of escape codes first, as they
// arrive.
func (r *runner) receive(m *member, rd io.Reader, welcome, moved [][]byte, screen bool) {
	defer close(m.gone)
	size := 4 << 10 // lines are short
	if screen {
		size = 32 << 10 // a frame is a few kB, and comes in one write
	}
	buf := make([]byte, size)
	var (
		st     stripper
		text   []byte
		window []byte // the recent text, until the welcome
		recent []byte // the last few hundred bytes of text, to tell why it was dropped
		now    time.Duration
	)
	sc := newScanner(r.run, func(sender, seq int) { r.deliver(m, sender, seq, now) })
	ready, inRoom, answered := false, false, false
	for {
		n, err := rd.Read(buf)
		if n > 0 {
			now = r.since()
			p := buf[:n]
			if screen && r.cfg.SSHMargins && !answered && bytes.Contains(p, marginsQuery) {
				// The question comes once, with the first frame; the
				// answer goes as the terminal's would, before any key.
				answered = true
				if _, err := m.write(marginsAnswer); err != nil {
					return
				}
			}
			if screen {
				text = st.strip(text[:0], p)
				p = text
			}
			if !inRoom {
				m.last.Write(p)
				window = append(window, p...)
				if !ready {
					for _, w := range welcome {
						ready = ready || bytes.Contains(window, w)
					}
					if ready {
						close(m.ready)
					}
				}
				// The move may come in the same read as the welcome: a
				// screen opened in its room.
				if ready && (r.rooms <= 1 || hasRoom(window, moved, roomName(m.room))) {
					inRoom, window = true, nil
					close(m.moved)
					if m.stalled {
						return // never reads again
					}
				} else if len(window) > 4<<10 {
					window = append(window[:0], window[len(window)-1<<10:]...)
				}
			}
			sc.feed(p)
			recent = keepEnd(recent, p, 256)
		}
		if err != nil {
			if ready && !r.closing.Load() {
				m.tail = recent
				m.lostIn.Store(r.phase.Load())
				m.dropped.Store(true)
			}
			return
		}
	}
}

// keepEnd appends p to b and keeps at least the last n bytes, at most 2n.
func keepEnd(b, p []byte, n int) []byte {
	if len(p) >= n {
		return append(b[:0], p[len(p)-n:]...)
	}
	b = append(b, p...)
	if len(b) > 2*n {
		b = append(b[:0], b[len(b)-n:]...)
	}
	return b
}
