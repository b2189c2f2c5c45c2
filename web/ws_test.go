package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"palabre/internal/connlimit"
	"palabre/room"
	"palabre/tcp"
	"palabre/web"
)

const patience = 5 * time.Second

// door is a hub with the TCP door and the web server's member door, over
// real sockets on 127.0.0.1.
type door struct {
	hub     *room.Hub
	tcpAddr string
	wsURL   string
	host    string
}

func open(t *testing.T, opts room.Options, md web.MemberDoor) *door {
	t.Helper()
	return openWith(t, opts, md, web.Options{})
}

// openWith is open with the web server's options of the test's choosing
// (its hub, logger and member door are open's).
func openWith(t *testing.T, opts room.Options, md web.MemberDoor, wo web.Options) *door {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.Logger = logger
	hub := room.NewHub(opts)
	// The TCP door shares the web door's limiter and password gate, as
	// cmd/palabre wires them.
	if md.Limits == nil {
		md.Limits = &connlimit.Limiter{}
	}
	if md.Passwords == nil {
		md.Passwords = &connlimit.PasswordGate{}
	}
	tsrv := &tcp.Server{Hub: hub, Logger: logger, Password: md.Password, Limits: md.Limits, Passwords: md.Passwords}
	wo.Hub, wo.Logger, wo.Members = hub, logger, &md
	wsrv, err := web.New(wo)
	if err != nil {
		t.Fatal(err)
	}
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go tsrv.Serve(tln)
	served := make(chan error, 1)
	go func() { served <- wsrv.Serve(wln) }()
	t.Cleanup(func() {
		hub.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := wsrv.Shutdown(ctx); err != nil {
			t.Errorf("web Shutdown: %v", err)
		}
		if err := tsrv.Shutdown(ctx); err != nil {
			t.Errorf("tcp Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &door{hub: hub, tcpAddr: tln.Addr().String(), wsURL: "ws://" + wln.Addr().String() + "/ws", host: wln.Addr().String()}
}

// frame is any message from the server, decoded loosely.
type frame struct {
	V       int     `json:"v"`
	Type    string  `json:"type"`
	Kind    string  `json:"kind"`
	Seq     uint64  `json:"seq"`
	At      string  `json:"at"`
	Room    string  `json:"room"`
	Name    string  `json:"name"`
	From    string  `json:"from"`
	Text    string  `json:"text"`
	System  string  `json:"system"`
	Reason  string  `json:"reason"`
	History []frame `json:"history"`
}

type wsClient struct {
	t      *testing.T
	c      *websocket.Conn
	frames chan frame
	err    chan error // the read error that ended the client
}

func (d *door) dial(t *testing.T, opts *websocket.DialOptions) (*wsClient, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, d.wsURL, opts)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (status %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c, frames: make(chan frame, 1000), err: make(chan error, 1)}, nil
}

// join dials, says hello and reads on.
func (d *door) join(t *testing.T, hello string) *wsClient {
	t.Helper()
	w, err := d.dial(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.send(hello)
	w.readOn()
	return w
}

func (w *wsClient) readOn() {
	go func() {
		for {
			_, b, err := w.c.Read(context.Background())
			if err != nil {
				w.err <- err
				close(w.frames)
				return
			}
			// A frame holds one message or several, one a line.
			for line := range bytes.SplitSeq(bytes.TrimSuffix(b, []byte{'\n'}), []byte{'\n'}) {
				var f frame
				if err := json.Unmarshal(line, &f); err != nil {
					w.err <- fmt.Errorf("bad frame %q: %w", b, err)
					close(w.frames)
					return
				}
				w.frames <- f
			}
		}
	}()
}

func (w *wsClient) send(s string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		w.t.Fatalf("write %q: %v", s, err)
	}
}

func (w *wsClient) say(text string) {
	w.t.Helper()
	b, _ := json.Marshal(map[string]any{"v": 1, "type": "say", "text": text})
	w.send(string(b))
}

// expect reads frames until one satisfies ok, within patience.
func (w *wsClient) expect(what string, ok func(frame) bool) frame {
	w.t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case f, open := <-w.frames:
			if !open {
				w.t.Fatalf("waiting for %s: connection ended: %v", what, <-w.err)
			}
			if ok(f) {
				return f
			}
		case <-deadline:
			w.t.Fatalf("no %s within %v", what, patience)
		}
	}
}

// ended waits for the server to end the connection and returns the frames
// read meanwhile and the read error.
func (w *wsClient) ended() ([]frame, error) {
	w.t.Helper()
	var got []frame
	deadline := time.After(patience)
	for {
		select {
		case f, open := <-w.frames:
			if !open {
				return got, <-w.err
			}
			got = append(got, f)
		case <-deadline:
			w.t.Fatalf("connection still open after %v; read %+v", patience, got)
		}
	}
}

func (w *wsClient) welcome() frame {
	w.t.Helper()
	return w.expect("welcome", func(f frame) bool { return f.Type == "welcome" })
}

type tcpClient struct {
	t     *testing.T
	nc    net.Conn
	lines chan string
}

func (d *door) tcp(t *testing.T) *tcpClient {
	t.Helper()
	nc, err := net.Dial("tcp", d.tcpAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &tcpClient{t: t, nc: nc, lines: make(chan string, 1000)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(nc)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	return c
}

func (c *tcpClient) send(s string) {
	c.t.Helper()
	if _, err := c.nc.Write([]byte(s + "\n")); err != nil {
		c.t.Fatal(err)
	}
}

func (c *tcpClient) expect(want string) {
	c.t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case l, open := <-c.lines:
			if !open {
				c.t.Fatalf("connection ended waiting for %q", want)
			}
			if l == want {
				return
			}
		case <-deadline:
			c.t.Fatalf("no %q within %v", want, patience)
		}
	}
}

func hello(name, roomName, password string) string {
	b, _ := json.Marshal(map[string]any{"v": 1, "type": "hello", "name": name, "room": roomName, "password": password})
	return string(b)
}

func chatFrom(from, text string) func(frame) bool {
	return func(f frame) bool { return f.Type == "msg" && f.Kind == "chat" && f.From == from && f.Text == text }
}

// A web member and a TCP member read each other's words, tagged with the
// sender; markup goes as a JSON string, unchanged.
func TestWebAndTCPMembersTalk(t *testing.T) {
	d := open(t, room.Options{}, web.MemberDoor{})
	w := d.join(t, hello("alice", "", ""))
	if f := w.welcome(); f.Name != "alice" || f.V != 1 {
		t.Fatalf("welcome %+v", f)
	}
	c := d.tcp(t)
	j := w.expect("Thread-1's join", func(f frame) bool { return f.Kind == "join" && f.From == "Thread-1" })
	if j.System != "Thread-1 joined (tcp)" || j.Seq == 0 {
		t.Errorf("join frame %+v: want the system wording and a seq", j)
	}
	if _, err := time.Parse(time.RFC3339, j.At); err != nil {
		t.Errorf("at %q: %v", j.At, err)
	}
	c.send("hello from tcp")
	w.expect("the TCP member's line", chatFrom("Thread-1", "hello from tcp"))
	const xss = `<img src=x onerror=alert(1)>`
	w.say(xss)
	c.expect("alice> " + xss)
	other := d.join(t, hello("bob", "", ""))
	other.welcome()
	w.say("again " + xss)
	other.expect("alice's markup as text", chatFrom("alice", "again "+xss))
}

func TestWebOrigin(t *testing.T) {
	d := open(t, room.Options{}, web.MemberDoor{Origins: []string{"course.example"}})
	for _, tt := range []struct {
		origin string
		ok     bool
	}{
		{"", true}, // not a browser
		{"http://" + d.host, true},
		{"https://course.example", true},
		{"https://evil.example", false},
	} {
		var opts websocket.DialOptions
		if tt.origin != "" {
			opts.HTTPHeader = http.Header{"Origin": {tt.origin}}
		}
		_, err := d.dial(t, &opts)
		switch {
		case tt.ok && err != nil:
			t.Errorf("origin %q refused: %v", tt.origin, err)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), "status 403")):
			t.Errorf("origin %q: %v, want a 403", tt.origin, err)
		}
	}
}

func TestWebFrameOverTheLimitCloses(t *testing.T) {
	d := open(t, room.Options{}, web.MemberDoor{ReadLimit: 4096})
	w := d.join(t, hello("big", "", ""))
	w.welcome()
	c := d.tcp(t)
	w.expect("Thread-1's join", func(f frame) bool { return f.Kind == "join" && f.From == "Thread-1" })
	w.say(strings.Repeat("y", 3000)) // within the bound: posted
	c.expect("big> " + strings.Repeat("y", 1024))
	w.say(strings.Repeat("z", 5000))
	_, err := w.ended()
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("ended with %v, want status MessageTooBig", err)
	}
	c.expect("*** " + room.LangEN.Describe(room.Message{Kind: room.KindLeave, From: "big", Reason: room.ReasonTooLong}))
}

// A web member that stops reading is dropped as too slow; the others read
// every message all the same.
func TestWebMemberThatNeverReadsIsDropped(t *testing.T) {
	d := open(t, room.Options{OutboxBytes: 16 << 10}, web.MemberDoor{WriteTimeout: patience})
	a := d.tcp(t)
	b := d.join(t, hello("reader", "", ""))
	b.welcome()
	small := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		return errors.Join(err, serr)
	}}
	stalled, err := d.dial(t, &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: small.DialContext}}})
	if err != nil {
		t.Fatal(err)
	}
	stalled.send(hello("stalled", "", "")) // and never read
	b.expect("stalled's join", func(f frame) bool { return f.Kind == "join" && f.From == "stalled" })

	line := strings.Repeat("x", 1000)
	dropped := false
	rounds := 0
	for ; rounds < 2000 && !dropped; rounds++ {
		for i := range 10 {
			a.send(fmt.Sprintf("%d-%d %s", rounds, i, line))
		}
		for i := range 10 {
			want := fmt.Sprintf("%d-%d %s", rounds, i, line)
			f := b.expect("the next line", func(f frame) bool {
				if f.Kind == "leave" && f.From == "stalled" {
					if f.System != "stalled left (too slow)" {
						t.Fatalf("leave %+v, want too slow", f)
					}
					dropped = true
				}
				return f.Kind == "chat"
			})
			if f.Text != want || f.From != "Thread-1" {
				t.Fatalf("reader read %.40q from %s, want %.40q", f.Text, f.From, want)
			}
		}
	}
	// Its outbox (16 KiB) and the socket's buffers fill within a few
	// hundred kilobytes: with the kernel's autotuned send buffer it took
	// 2.5 MB (253 rounds).
	if !dropped || rounds > 100 {
		t.Fatalf("the web member that never reads was dropped: %v, after %d rounds of 10 messages of 1 kB", dropped, rounds)
	}
	t.Logf("dropped after %d rounds of 10 messages", rounds)
	a.send("after")
	b.expect("the line after", chatFrom("Thread-1", "after"))
}

// Flood control holds a burst back: every message arrives, spaced.
func TestWebFloodControlDelaysNotDrops(t *testing.T) {
	const rate, burst, n = 20.0, 2, 8
	d := open(t, room.Options{MsgRate: rate, MsgBurst: burst}, web.MemberDoor{})
	w := d.join(t, hello("fast", "", ""))
	w.welcome()
	c := d.tcp(t)
	w.expect("Thread-1's join", func(f frame) bool { return f.Kind == "join" && f.From == "Thread-1" })
	start := time.Now()
	for i := range n {
		w.say(fmt.Sprintf("burst %d", i))
	}
	for i := range n {
		c.expect(fmt.Sprintf("fast> burst %d", i))
	}
	if took, least := time.Since(start), time.Duration(float64(n-burst)/rate*float64(time.Second))*9/10; took < least {
		t.Errorf("%d messages took %v, want at least %v: not paced", n, took, least)
	}
}

func TestWebRoomPassword(t *testing.T) {
	d := open(t, room.Options{}, web.MemberDoor{Password: "s3cret"})
	bad := d.join(t, hello("x", "", "nope"))
	got, _ := bad.ended()
	want := room.LangEN.Refusal(room.RefusedPassword)
	if len(got) != 1 || got[0].Type != "bye" || got[0].Reason != want {
		t.Errorf("wrong password: read %+v, want one bye %q", got, want)
	}
	good := d.join(t, hello("yves", "", "s3cret"))
	if f := good.welcome(); f.Name != "yves" {
		t.Errorf("welcome %+v", f)
	}
}

// A web member takes /op, bans a TCP member by name (its address, the
// loopback), and the next web member from there is refused.
func TestWebOpAndBan(t *testing.T) {
	d := open(t, room.Options{OpPassword: "teach"}, web.MemberDoor{})
	op := d.join(t, hello("prof", "", ""))
	op.welcome()
	c := d.tcp(t)
	op.expect("Thread-1's join", func(f frame) bool { return f.Kind == "join" && f.From == "Thread-1" })
	op.say("/op teach")
	op.expect("op", func(f frame) bool { return f.Kind == "op" && f.From == "prof" })
	op.say("/ban Thread-1 10m")
	op.expect("the ban", func(f frame) bool { return f.Kind == "ban" && f.From == "prof" })
	_ = c
	late := d.join(t, hello("late", "", ""))
	got, _ := late.ended()
	if len(got) != 1 || got[0].Type != "bye" || !strings.Contains(got[0].Reason, "banned") {
		t.Errorf("banned address: read %+v, want one bye saying banned", got)
	}
}

func TestWebNamesAndRoom(t *testing.T) {
	d := open(t, room.Options{}, web.MemberDoor{LastWeb: 4})
	a := d.join(t, hello("", "", ""))
	if f := a.welcome(); f.Name != "Web-5" {
		t.Errorf("first nameless member is %q, want Web-5 (numbering goes on after LastWeb)", f.Name)
	}
	b := d.join(t, hello("", "tp1", ""))
	if f := b.welcome(); f.Name != "Web-6" || f.Room != "tp1" {
		t.Errorf("second: %q in %q, want Web-6 in tp1", f.Name, f.Room)
	}
	// Web-N is the door's: nobody may choose it.
	c := d.join(t, hello("Web-9", "", ""))
	if f := c.welcome(); f.Name == "Web-9" {
		t.Errorf("a member chose the generated name %q", f.Name)
	}
}

// refusedWith checks that a web member was told why in one bye, then closed.
func refusedWith(t *testing.T, w *wsClient, want string) {
	t.Helper()
	got, _ := w.ended()
	if len(got) != 1 || got[0].Type != "bye" || got[0].Reason != want {
		t.Errorf("read %+v, want one bye %q", got, want)
	}
}

// The per-address limit counts the members of every door.
func TestWebSharesThePerAddressLimit(t *testing.T) {
	d := open(t, room.Options{}, web.MemberDoor{Limits: &connlimit.Limiter{MaxPerIP: 1}})
	c := d.tcp(t)
	c.expect("*** " + room.LangEN.Welcome("Thread-1", 0)) // it holds the address
	first := d.join(t, hello("", "", ""))
	refusedWith(t, first, room.LangEN.Refusal(room.RefusedTooMany))
}

func TestWebRefusedWhenTheServerIsFull(t *testing.T) {
	d := open(t, room.Options{MaxMembers: 1}, web.MemberDoor{})
	in := d.join(t, hello("first", "", ""))
	in.welcome()
	refusedWith(t, d.join(t, hello("second", "", "")), room.LangEN.RefusalOf(room.ErrFull))
}

// A wrong password on the web door counts against the address on the TCP
// door too: one gate for all doors.
func TestWebWrongPasswordsShareTheGate(t *testing.T) {
	gate := &connlimit.PasswordGate{Burst: 1, Every: time.Hour}
	d := open(t, room.Options{}, web.MemberDoor{Password: "s3cret", Passwords: gate})
	refusedWith(t, d.join(t, hello("x", "", "nope")), room.LangEN.Refusal(room.RefusedPassword))
	c := d.tcp(t)
	c.send("again")
	c.expect("*** " + room.LangEN.TooManyWrongPasswords(time.Hour))
}

func TestWebShutdownSaysBye(t *testing.T) {
	d := open(t, room.Options{}, web.MemberDoor{})
	w := d.join(t, hello("stay", "", ""))
	w.welcome()
	d.hub.Shutdown()
	got, _ := w.ended()
	if n := len(got); n == 0 || got[n-1].Type != "bye" || got[n-1].Reason != room.LangEN.Reason(room.ReasonShutdown) {
		t.Errorf("read %+v, want a bye for the shutdown last", got)
	}
}

// A say with several lines is a block, as the other doors' fences make one.
func TestWebSayWithLinesIsABlock(t *testing.T) {
	d := open(t, room.Options{}, web.MemberDoor{})
	a := d.join(t, hello("coder", "", ""))
	a.welcome()
	b := d.join(t, hello("reader", "", ""))
	b.welcome()
	a.say("func f() {\n\treturn\n}")
	b.expect("the block", func(f frame) bool {
		return f.Kind == "block" && f.From == "coder" && f.Text == "func f() {\n    return\n}"
	})
}

// Frames the door does not read are paced as messages: no free stream.
func TestWebIgnoredFramesArePaced(t *testing.T) {
	const rate, burst, n = 20.0, 2, 8
	d := open(t, room.Options{MsgRate: rate, MsgBurst: burst}, web.MemberDoor{})
	w := d.join(t, hello("junk", "", ""))
	w.welcome()
	c := d.tcp(t)
	w.expect("Thread-1's join", func(f frame) bool { return f.Kind == "join" && f.From == "Thread-1" })
	start := time.Now()
	for range n {
		w.send(`{"v":1,"type":"future"}`)
	}
	w.say("after the junk")
	c.expect("junk> after the junk")
	if took, least := time.Since(start), time.Duration(float64(n+1-burst)/rate*float64(time.Second))*9/10; took < least {
		t.Errorf("%d ignored frames and a line took %v, want at least %v: not paced", n, took, least)
	}
}

// TestWebMemberOutlivesTheHTTPTimeouts: a member's socket is no request: it
// stays open, reading and written, long past the server's read and write
// timeouts for requests. net/http clears the deadlines as the connection is
// hijacked; this holds whoever wraps the connection next.
func TestWebMemberOutlivesTheHTTPTimeouts(t *testing.T) {
	const timeout = 200 * time.Millisecond
	d := openWith(t, room.Options{}, web.MemberDoor{}, web.Options{ReadTimeout: timeout, WriteTimeout: timeout})
	w := d.join(t, hello("alice", "", ""))
	w.welcome()
	c := d.tcp(t)
	// Past both timeouts, with nothing said: the time a class listens.
	for deadline := time.Now().Add(3 * timeout); time.Now().Before(deadline); {
		time.Sleep(timeout / 4) // letting time pass is the test, not a synchronisation
	}
	c.send("still there?")
	w.expect("the TCP member's line", chatFrom("Thread-1", "still there?"))
	w.say("yes")
	c.expect("alice> yes")
}
