package tcp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"palabre/room"
	"palabre/tcp"
)

// patience bounds every wait: tests wait on a condition, never a fixed time.
const patience = 10 * time.Second

type testServer struct {
	hub     *room.Hub
	srv     *tcp.Server
	addr    string
	sshAddr string // once startSSH has opened the SSH door on the same hub
}

func start(t *testing.T, opts room.Options, configure func(*tcp.Server)) *testServer {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.Logger = logger
	hub := room.NewHub(opts)
	srv := &tcp.Server{Hub: hub, Logger: logger}
	if configure != nil {
		configure(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		hub.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &testServer{hub: hub, srv: srv, addr: ln.Addr().String()}
}

// client is one TCP member seen from the outside. A goroutine reads lines
// into a channel, so that a test can wait for a line with a deadline.
type client struct {
	t     *testing.T
	nc    net.Conn  // nil for a session of another door (an SSH session without a terminal)
	w     io.Writer // where send writes: nc, or the session's input
	lines chan string
	eof   chan struct{} // closed when the server closes the connection
}

func (ts *testServer) dial(t *testing.T) *client {
	t.Helper()
	return dialWith(t, ts.addr, &net.Dialer{})
}

func dialWith(t *testing.T, addr string, d *net.Dialer) *client {
	t.Helper()
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := lineClient(t, nc, nc)
	c.nc = nc
	return c
}

// lineClient reads the lines of r, and sends to w.
func lineClient(t *testing.T, r io.Reader, w io.Writer) *client {
	c := &client{t: t, w: w, lines: make(chan string, 4096), eof: make(chan struct{})}
	go func() {
		defer close(c.eof)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	return c
}

// join dials and reads past the greeting and welcome; it returns the client
// and the name the server gave it.
func (ts *testServer) join(t *testing.T) (*client, string) {
	t.Helper()
	c := ts.dial(t)
	c.expect("You are connected")
	w := c.expect("*** You are ")
	name, _, _ := strings.Cut(strings.TrimPrefix(w, "*** You are "), ";")
	return c, name
}

// enter dials and reads past the greeting and the welcome, in whatever
// language the server speaks.
func (ts *testServer) enter(t *testing.T) *client {
	t.Helper()
	c := ts.dial(t)
	c.next() // the greeting
	c.next() // the welcome
	return c
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.w, s); err != nil {
		c.t.Fatalf("send %q: %v", s, err)
	}
}

// next returns the next line, failing the test after patience.
func (c *client) next() string {
	c.t.Helper()
	select {
	case l := <-c.lines:
		return l
	case <-c.eof:
		select {
		case l := <-c.lines:
			return l
		default:
		}
		c.t.Fatal("connection closed while waiting for a line")
	case <-time.After(patience):
		c.t.Fatal("no line within the deadline")
	}
	return ""
}

// expect skips lines until one starts with prefix, and returns it.
func (c *client) expect(prefix string) string {
	c.t.Helper()
	for {
		l := c.next()
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
}

// expectExactly fails unless the very next line is want.
func (c *client) expectExactly(want string) {
	c.t.Helper()
	if got := c.next(); got != want {
		c.t.Fatalf("got line %q, want %q", got, want)
	}
}

// closed waits until the server has closed the connection, and returns the
// lines that came before.
func (c *client) closed() []string {
	c.t.Helper()
	var got []string
	for {
		select {
		case l := <-c.lines:
			got = append(got, l)
		case <-c.eof:
			for {
				select {
				case l := <-c.lines:
					got = append(got, l)
				default:
					return got
				}
			}
		case <-time.After(patience):
			c.t.Fatalf("connection still open; lines so far %q", got)
		}
	}
}

func TestRelayTagsAcrossThreeClients(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	a, an := ts.join(t)
	b, bn := ts.join(t)
	c, cn := ts.join(t)
	if an != "Thread-1" || bn != "Thread-2" || cn != "Thread-3" {
		t.Fatalf("names %s %s %s, want Thread-1..3 in connection order", an, bn, cn)
	}
	a.send("hello from a\n")
	b.expect("Thread-1> hello from a")
	c.expect("Thread-1> hello from a")
	c.send("and c\n")
	a.expect("Thread-3> and c")
	b.expect("Thread-3> and c")
}

func TestNoEcho(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	a, _ := ts.join(t)
	b, _ := ts.join(t)
	a.expect("*** Thread-2 joined")
	a.send("mine\n")
	b.expectExactly("Thread-1> mine")
	b.send("theirs\n")
	// The next line a reads is b's: its own message never came back.
	a.expectExactly("Thread-2> theirs")
}

func TestFraming(t *testing.T) {
	tests := []struct {
		name   string
		writes []string // each one write, a short pause between
		want   []string
	}{
		{"newline", []string{"hello\n"}, []string{"hello"}},
		{"crlf, as telnet sends", []string{"hello\r\n"}, []string{"hello"}},
		{"unframed send, as the course's client", []string{"bonjour"}, []string{"bonjour"}},
		{"unframed send in two parts 10 ms apart", []string{"hel", "lo"}, []string{"hello"}},
		{"utf-8 split across writes", []string{"caf\xc3", "\xa9\n"}, []string{"café"}},
		{"two lines in one write", []string{"one\ntwo\n"}, []string{"one", "two"}},
		{"invalid utf-8", []string{"a\xffb\n"}, []string{"a\uFFFDb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := start(t, room.Options{}, withShapedFlush)
			a, _ := ts.join(t)
			b, _ := ts.join(t)
			for i, w := range tt.writes {
				if i > 0 {
					time.Sleep(10 * time.Millisecond) // the input's shape, not a synchronisation (withShapedFlush)
				}
				a.send(w)
			}
			for _, w := range tt.want {
				b.expectExactly("Thread-1> " + w)
			}
			a.send("end\n")
			b.expectExactly("Thread-1> end")
		})
	}
}

func TestFINEndsTheSession(t *testing.T) {
	for _, fin := range []string{"FIN\n", "fin\r\n", "Fin"} {
		t.Run(strings.TrimSpace(fin), func(t *testing.T) {
			ts := start(t, room.Options{}, nil)
			a, _ := ts.join(t)
			b, _ := ts.join(t)
			a.send(fin)
			lines := a.closed()
			for _, l := range lines {
				if strings.Contains(l, "FIN") {
					t.Errorf("the leaving member read %q", l)
				}
			}
			if got := b.next(); got != "*** Thread-1 left (FIN)" {
				t.Fatalf("b read %q, want the leave; FIN itself is not relayed", got)
			}
		})
	}
}

func TestPeerCloseIsALeave(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	a, _ := ts.join(t)
	b, _ := ts.join(t)
	a.send("last words")
	a.nc.(*net.TCPConn).CloseWrite()
	b.expectExactly("Thread-1> last words")
	b.expectExactly("*** Thread-1 left (connection closed)")
	a.closed()
}

func TestCommands(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	a, _ := ts.join(t)
	b, _ := ts.join(t)
	c, _ := ts.join(t)
	a.expect("*** Thread-3 joined")
	b.expect("*** Thread-3 joined")

	a.send("/nick alice\n")
	a.expectExactly("*** Thread-1 is now known as alice")
	b.expectExactly("*** Thread-1 is now known as alice")
	c.expectExactly("*** Thread-1 is now known as alice")

	b.send("/nick ALICE\n")
	b.expectExactly("*** the name ALICE is taken")
	b.send("/nick root\n")
	b.expectExactly(`*** the name "root" is refused: this name is reserved`)

	c.send("/who\n")
	c.expectExactly("*** 3 member(s): alice (tcp), Thread-2 (tcp), Thread-3 (tcp)")

	b.send("/me waves\n")
	a.expectExactly("* Thread-2 waves")

	b.send("/msg alice just for you\n")
	a.expectExactly("[private] Thread-2> just for you")
	b.expectExactly("[private to alice] just for you")
	b.send("/msg nobody1 hello\n")
	b.expectExactly("*** nobody called nobody1 is here")

	a.send("//slash\n")
	c.expectExactly("* Thread-2 waves") // and nothing of the private message
	c.expectExactly("alice> /slash")

	c.send("/help\n")
	c.expectExactly("*** Commands:")
	c.expect("***   /quit")
	c.send("/nope\n")
	c.expect("*** unknown command /nope")
	c.send("/who is here\n")
	c.expectExactly("*** usage: /who")

	c.send("/quit\n")
	c.closed()
	a.expect("*** Thread-3 left (quit)")
	b.expect("*** Thread-3 left (quit)")
}

func TestPrivateMessageReachesOnlyItsTarget(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	a, _ := ts.join(t)
	b, _ := ts.join(t)
	c, _ := ts.join(t)
	a.expect("*** Thread-3 joined")
	b.expect("*** Thread-3 joined")
	a.send("/msg thread-2 secret\n") // names compare case-insensitively
	b.expectExactly("[private] Thread-1> secret")
	a.send("public\n")
	// c's next line is the public one: the private one never reached it.
	c.expectExactly("Thread-1> public")
}

func TestHistoryIsReplayedToNewcomers(t *testing.T) {
	ts := start(t, room.Options{History: room.NewRing(2)}, nil)
	a, _ := ts.join(t)
	b, _ := ts.join(t)
	for _, m := range []string{"one", "two", "three"} {
		a.send(m + "\n")
		b.expectExactly("Thread-1> " + m)
	}
	c := ts.dial(t)
	c.expectExactly("You are connected. Please send your messages.")
	c.expect("*** You are Thread-3")
	c.expectHistory(room.LangEN, "Thread-1> two", "Thread-1> three")
	a.send("live\n")
	c.expectExactly("Thread-1> live")
}

func TestGreetingInFrench(t *testing.T) {
	ts := start(t, room.Options{}, func(s *tcp.Server) { s.Lang = room.LangFR })
	c := ts.dial(t)
	c.expectExactly("Vous êtes connectés. SVP, envoyez vos messages.")
	c.expectExactly("*** Vous êtes Thread-1 ; 0 autre(s) ici. /help liste les commandes.")
	d := ts.dial(t)
	d.expect("*** Vous êtes Thread-2")
	c.expectExactly("*** Thread-2 a rejoint le salon (tcp)")
}

func TestGreetingOverride(t *testing.T) {
	ts := start(t, room.Options{}, func(s *tcp.Server) { s.Greeting = "Bienvenue en TP réseau" })
	c := ts.dial(t)
	c.expectExactly("Bienvenue en TP réseau")
}

// A member that never reads is dropped as too slow; the others receive
// every message all the same.
func TestMemberThatNeverReadsIsDropped(t *testing.T) {
	ts := start(t, room.Options{OutboxBytes: 16 << 10}, func(s *tcp.Server) { s.WriteTimeout = patience })
	a, _ := ts.join(t)
	b, _ := ts.join(t)
	// A small receive window, so that the kernel holds little for it.
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		return errors.Join(err, serr)
	}}
	stalled, err := d.Dial("tcp", ts.addr) // and never read from
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	b.expect("*** Thread-3 joined")

	line := strings.Repeat("x", 1000)
	dropped := false
	rounds := 0
	for ; rounds < 2000 && !dropped; rounds++ {
		round := rounds
		for i := range 10 {
			a.send(fmt.Sprintf("%d-%d %s\n", round, i, line))
		}
		for i := range 10 {
			want := fmt.Sprintf("Thread-1> %d-%d %s", round, i, line)
			for {
				got := b.next()
				if got == "*** Thread-3 left (too slow)" {
					dropped = true
					continue
				}
				if got != want {
					t.Fatalf("b read %.40q, want %.40q", got, want)
				}
				break
			}
		}
	}
	if !dropped {
		t.Fatal("the member that never reads was never dropped")
	}
	t.Logf("dropped after %d rounds of 10 messages", rounds)
	a.send("after\n")
	b.expectExactly("Thread-1> after")
}

func TestShutdownTellsEveryMember(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	var clients []*client
	for range 5 {
		c, _ := ts.join(t)
		clients = append(clients, c)
	}
	ts.hub.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for i, c := range clients {
		lines := c.closed()
		if len(lines) == 0 || lines[len(lines)-1] != "*** The server is shutting down. Goodbye!" {
			t.Errorf("client %d read %q, want the shutdown notice last", i, lines)
		}
	}
	// Nobody new gets in.
	if nc, err := net.Dial("tcp", ts.addr); err == nil {
		nc.Close()
		t.Error("the listener still accepts after Shutdown")
	}
}
