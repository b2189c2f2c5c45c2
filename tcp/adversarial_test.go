package tcp_test

// The adversarial suite of the TCP door. It proves, over real sockets, that
// palabre keeps serving everyone else, loses no accepted message, and never
// lets one member's bytes reach another's terminal as commands. One named
// test per attack; every wait is on a condition with a deadline (patience).

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"palabre/internal/connlimit"
	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/tcp"
)

// rawClient is a member seen byte by byte: it keeps every byte the server
// sent, so that a test can check the stream itself (no ESC, no "\r"), not
// only the lines a scanner would make of it.
type rawClient struct {
	t      *testing.T
	nc     net.Conn
	notify chan struct{} // a token after each read

	mu  sync.Mutex
	buf []byte
	eof bool // the server closed the connection (or it failed)

	pos int // where the next line starts in buf; the test goroutine's own
}

func dialRaw(t *testing.T, addr string, d *net.Dialer) *rawClient {
	t.Helper()
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawClient{t: t, nc: nc, notify: make(chan struct{}, 1)}
	go c.readLoop()
	return c
}

func (c *rawClient) readLoop() {
	b := make([]byte, 32<<10)
	for {
		n, err := c.nc.Read(b)
		c.mu.Lock()
		c.buf = append(c.buf, b[:n]...)
		c.eof = err != nil
		c.mu.Unlock()
		select {
		case c.notify <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// joinRaw dials and reads past the greeting and the welcome, and returns
// the client and its name.
func (ts *testServer) joinRaw(t *testing.T) (*rawClient, string) {
	t.Helper()
	c := dialRaw(t, ts.addr, &net.Dialer{})
	c.expect("You are connected")
	w := c.expect("*** You are ")
	name, _, _ := strings.Cut(strings.TrimPrefix(w, "*** You are "), ";")
	return c, name
}

func (c *rawClient) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatalf("send %.60q: %v", s, err)
	}
}

// wait returns once cond holds of the bytes read so far; cond runs under
// the client's lock and must only look.
func (c *rawClient) wait(what string, cond func(b []byte, eof bool) bool) {
	c.t.Helper()
	deadline := time.NewTimer(patience)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok := cond(c.buf, c.eof)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.notify:
		case <-deadline.C:
			b := c.bytes()
			c.t.Fatalf("no %s within %v; the last bytes read: %q", what, patience, b[max(0, len(b)-300):])
		}
	}
}

// bytes returns a copy of everything read so far.
func (c *rawClient) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf)
}

// next returns the next line, as sent, without its "\n" (a "\r" stays).
func (c *rawClient) next() string {
	c.t.Helper()
	var line string
	closed := false
	c.wait("line", func(b []byte, eof bool) bool {
		if i := bytes.IndexByte(b[c.pos:], '\n'); i >= 0 {
			line = string(b[c.pos : c.pos+i])
			c.pos += i + 1
			return true
		}
		closed = eof
		return eof
	})
	if closed {
		c.t.Fatalf("connection closed while waiting for a line; rest %q", c.bytes()[c.pos:])
	}
	return line
}

func (c *rawClient) expect(prefix string) string {
	c.t.Helper()
	for {
		if l := c.next(); strings.HasPrefix(l, prefix) {
			return l
		}
	}
}

func (c *rawClient) expectExactly(want string) {
	c.t.Helper()
	if got := c.next(); got != want {
		c.t.Fatalf("got line %.120q, want %.120q", got, want)
	}
}

// closed waits until the server has closed the connection and returns the
// lines not read yet.
func (c *rawClient) closed() []string {
	c.t.Helper()
	c.wait("close", func(_ []byte, eof bool) bool { return eof })
	rest := string(c.bytes()[c.pos:])
	c.pos += len(rest)
	return strings.Split(strings.TrimSuffix(rest, "\n"), "\n")
}

// terminalUnsafe returns a description of the first thing in b that a
// terminal could take for a command, or that could reorder or hide text:
// invalid UTF-8, ESC and the other C0 controls but "\n", DEL, the C1
// controls, bidi controls and U+FEFF. The list is the test's own, not
// room.Sanitize's.
func terminalUnsafe(b []byte) string {
	if !utf8.Valid(b) {
		return "invalid UTF-8"
	}
	for i, r := range string(b) {
		bad := false
		switch {
		case r == '\n':
		case r < 0x20, r == 0x7f, 0x80 <= r && r <= 0x9f:
			bad = true
		case 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069:
			bad = true
		case r == 0x200e, r == 0x200f, r == 0x061c, r == 0xfeff:
			bad = true
		}
		if bad {
			return fmt.Sprintf("%U at byte %d, in %q", r, i, b[max(0, i-40):min(len(b), i+40)])
		}
	}
	return ""
}

// smallWindow dials with a 4 KiB receive buffer, so that the kernel holds
// little for a client that does not read.
var smallWindow = &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
	})
	return errors.Join(err, serr)
}}

// logBuffer collects a server's log lines, for asserting what it decided.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAdversarialEscapeAndBidiReachNobody(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	a, _ := ts.joinRaw(t)
	b, bn := ts.joinRaw(t)
	a.expect("*** " + bn + " joined")

	var c0 strings.Builder
	for c := byte(0); c < 0x20; c++ {
		if c != '\n' && c != '\t' {
			c0.WriteByte(c)
		}
	}
	tests := []struct {
		name string
		in   string // one message, without its "\n"
		want string // what b reads
	}{
		{"CSI colour", "\x1b[31mred\x1b[0m", "Thread-1> [31mred[0m"},
		{"CSI cursor movement and erase", "\x1b[2J\x1b[H\x1b[10;5Hhome\x1b[K\x1b[1A", "Thread-1> [2J[H[10;5Hhome[K[1A"},
		{"OSC 52 clipboard write", "\x1b]52;c;cm0gLXJmIH4K\x07copy", "Thread-1> ]52;c;cm0gLXJmIH4Kcopy"},
		{"OSC title, ST-terminated", "\x1b]0;pwned\x1b\\title", `Thread-1> ]0;pwned\title`},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", `Thread-1> ]8;;http://evil/\link]8;;\`},
		{"DCS", "\x1bP1$tq\x1b\\dcs", `Thread-1> P1$tq\dcs`},
		{"C1 CSI U+009B", "\u009b31mc1\u009b0m", "Thread-1> 31mc10m"},
		{"C1 OSC U+009D and ST U+009C", "\u009d0;t\u009cx", "Thread-1> 0;tx"},
		{"RLO", "abc\u202eevil", "Thread-1> abcevil"},
		{"LRE RLE PDF LRO", "\u202aa\u202bb\u202cc\u202dd", "Thread-1> abcd"},
		{"isolates", "\u2066a\u2067b\u2068c\u2069d", "Thread-1> abcd"},
		{"LRM RLM ALM", "x\u200ey\u200fz\u061c!", "Thread-1> xyz!"},
		{"BOM", "\ufeffbom", "Thread-1> bom"},
		{"NUL BEL BS DEL", "a\x00b\x07c\x08d\x7fe", "Thread-1> abcde"},
		{"every C0 but tab and newline", "<" + c0.String() + ">", "Thread-1> <>"},
		{"tab", "tab\there", "Thread-1> tab here"},
		{"action", "/me \x1b[5mblinks\u202e", "* Thread-1 [5mblinks"},
		{"private", "/msg " + bn + " \x1b]52;c;AAAA\x07\u2067psst", "[private] Thread-1> ]52;c;AAAApsst"},
	}
	for _, tt := range tests {
		a.send(tt.in + "\n")
		if got := b.next(); got != tt.want {
			t.Errorf("%s: b read %q, want %q", tt.name, got, tt.want)
		}
	}
	// Replies that quote the sender's input back to it are clean too.
	a.send("/\x1b[31mx\n")
	a.expect("*** unknown command /[31mx")
	a.send("/nick ab\x1b[31m\u202e\n")
	a.expect(`*** the name "ab[31m" is refused`)
	a.send("/msg " + bn + " \x1b[31m\n")
	b.expectExactly("[private] Thread-1> [31m")
	a.send("\x1b[31munframed\u009b") // no newline: the pause ends it
	b.expectExactly("Thread-1> [31munframed")
	a.send("/who\n")
	a.expect("*** 2 member(s)")

	for who, c := range map[string]*rawClient{"receiver": b, "sender": a} {
		if bad := terminalUnsafe(c.bytes()); bad != "" {
			t.Errorf("the %s's bytes hold %s", who, bad)
		}
	}
}

func TestAdversarialInvalidUTF8(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	a, _ := ts.join(t)
	b, bn := ts.joinRaw(t)
	a.expect("*** " + bn + " joined")
	tests := []struct{ name, bad string }{
		{"lone continuation byte", "\x80"},
		{"continuation bytes", "\xbf\x80\xbf"},
		{"truncated 2-byte sequence", "\xc3"},
		{"truncated 3-byte sequence", "\xe2\x82"},
		{"truncated 4-byte sequence", "\xf0\x9f\x98"},
		{"overlong slash", "\xc0\xaf"},
		{"overlong NUL", "\xc0\x80"},
		{"overlong 3-byte", "\xe0\x80\xaf"},
		{"UTF-16 surrogate", "\xed\xa0\x80"},
		{"above U+10FFFF", "\xf4\x90\x80\x80"},
		{"0xFE", "\xfe"},
		{"0xFF", "\xff"},
	}
	replaced := regexp.MustCompile(`^Thread-1> <(\x{FFFD}+)>$`)
	for _, tt := range tests {
		a.send("<" + tt.bad + ">\n")
		got := b.next()
		m := replaced.FindStringSubmatch(got)
		if m == nil {
			t.Errorf("%s: b read %q, want the bytes replaced by U+FFFD", tt.name, got)
			continue
		}
		if n := utf8.RuneCountInString(m[1]); n > len(tt.bad) {
			t.Errorf("%s: %d replacement characters for %d bytes", tt.name, n, len(tt.bad))
		}
	}
	// A character cut short at the end of an unframed send: the door waits
	// once for its rest, then gives it up as U+FFFD; nothing else is lost.
	a.send("end\xf0\x9f\x98")
	var text strings.Builder
	for !strings.HasSuffix(text.String(), "\uFFFD") {
		text.WriteString(strings.TrimPrefix(b.next(), "Thread-1> "))
	}
	if got := text.String(); !regexp.MustCompile(`^end\x{FFFD}+$`).MatchString(got) {
		t.Errorf("the unframed send arrived as %q", got)
	}
	if raw := b.bytes(); !utf8.Valid(raw) {
		t.Errorf("b's bytes are not valid UTF-8: %q", raw)
	}
}

// shaped writes each part, 10 ms apart: the shape of the input, not a
// synchronisation. The server it writes to must have a longer idle flush
// than the pauses (withShapedFlush).
func shaped(c *client, parts ...string) {
	for i, p := range parts {
		if i > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		c.send(p)
	}
}

// shapedFlush is the idle flush of a server that input shaped by 10 ms
// pauses goes to: under -race on a loaded machine a 10 ms sleep can last
// longer than the default 40 ms, and a pause that long ends the message.
const shapedFlush = 300 * time.Millisecond

func withShapedFlush(s *tcp.Server) { s.IdleFlush = shapedFlush }

func TestAdversarialEmojiByteByByte(t *testing.T) {
	emoji := "😀"
	bytewise := func(tail string) []string {
		var parts []string
		for i := range len(emoji) {
			parts = append(parts, emoji[i:i+1])
		}
		if tail != "" {
			parts = append(parts, tail)
		}
		return parts
	}
	for _, tt := range []struct{ name, tail string }{
		{"then a newline", "\n"},
		{"unframed, as the course's client", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := start(t, room.Options{}, withShapedFlush)
			a, _ := ts.join(t)
			b, _ := ts.join(t)
			shaped(a, bytewise(tt.tail)...)
			b.expectExactly("Thread-1> " + emoji)
			a.send("end\n") // the next line is this: the emoji was one message
			b.expectExactly("Thread-1> end")
		})
	}
}

func TestAdversarialUnframedSendsJoin(t *testing.T) {
	ts := start(t, room.Options{}, withShapedFlush)
	a, _ := ts.join(t)
	b, _ := ts.join(t)
	shaped(a, "hel", "lo")
	b.expectExactly("Thread-1> hello")
	a.send("end\n")
	b.expectExactly("Thread-1> end")
}

// collect reads c's lines, each from sender, until the line "SENDER> end",
// and returns the texts before it.
func collect(c *rawClient, sender string) []string {
	c.t.Helper()
	var got []string
	for {
		l := c.next()
		text, ok := strings.CutPrefix(l, sender+"> ")
		if !ok {
			c.t.Fatalf("unexpected line %.80q", l)
		}
		if text == "end" {
			return got
		}
		got = append(got, text)
	}
}

func TestAdversarialMessageSizes(t *testing.T) {
	t.Run("1024 bytes are one message", func(t *testing.T) {
		ts := start(t, room.Options{}, nil)
		a, _ := ts.join(t)
		b, _ := ts.joinRaw(t)
		in := strings.Repeat("x", 1024)
		a.send(in + "\nend\n")
		if got := collect(b, "Thread-1"); len(got) != 1 || got[0] != in {
			t.Fatalf("got %d messages, want the 1024 bytes as one", len(got))
		}
	})
	t.Run("1025 bytes are 1024 then 1", func(t *testing.T) {
		ts := start(t, room.Options{}, nil)
		a, _ := ts.join(t)
		b, _ := ts.joinRaw(t)
		in := strings.Repeat("x", 1024) + "y"
		a.send(in + "\nend\n")
		got := collect(b, "Thread-1")
		if len(got) != 2 || got[0] != in[:1024] || got[1] != "y" {
			t.Fatalf("got %d messages of %v bytes, want 1024 then 1", len(got), lens(got))
		}
	})
	t.Run("multi-byte characters are cut between characters", func(t *testing.T) {
		ts := start(t, room.Options{}, nil)
		a, _ := ts.join(t)
		b, _ := ts.joinRaw(t)
		for _, in := range []string{
			"a" + strings.Repeat("é", 512), // 1025 bytes: é straddles byte 1024
			"ab" + strings.Repeat("€😀é", 400),
		} {
			a.send(in + "\nend\n")
			got := collect(b, "Thread-1")
			for i, m := range got {
				if !utf8.ValidString(m) || len(m) > 1024 {
					t.Errorf("message %d of %d bytes is cut badly: %q", i, len(m), m[max(0, len(m)-8):])
				}
			}
			if strings.Join(got, "") != in {
				t.Errorf("the messages (%v bytes) do not add up to the %d bytes sent", lens(got), len(in))
			}
		}
	})
	t.Run("a line of 16 KiB is 16 messages in order", func(t *testing.T) {
		ts := start(t, room.Options{}, nil)
		a, _ := ts.join(t)
		b, _ := ts.joinRaw(t)
		var in strings.Builder
		for i := 0; in.Len() < 16<<10; i++ {
			fmt.Fprintf(&in, "%07d,", i)
		}
		a.send(in.String() + "\nend\n")
		got := collect(b, "Thread-1")
		if len(got) != 16 || strings.Join(got, "") != in.String() {
			t.Fatalf("got %d messages (%v bytes), want the 16 KiB in 16, in order", len(got), lens(got))
		}
	})
	t.Run("16 KiB + 1 KiB with no newline drops the sender", func(t *testing.T) {
		ts := start(t, room.Options{}, nil)
		a, _ := ts.joinRaw(t)
		b, _ := ts.joinRaw(t)
		a.expect("*** Thread-2 joined")
		a.send(strings.Repeat("z", 17<<10))
		b.expectExactly("*** Thread-1 left (input too long)")
		lines := a.closed()
		if last := lines[len(lines)-1]; last != "*** Thread-1 left (input too long)" {
			t.Fatalf("the sender's last line is %q, want it told why", last)
		}
		c, _ := ts.join(t) // and the room goes on
		c.send("still here\n")
		b.expect("Thread-3> still here")
	})
	// With flood control off, nothing holds a sender back to the pace of
	// the readers: the room's outboxes must hold what the readers' writers
	// have not sent yet. Outboxes of 2 MiB hold the whole burst; the
	// default 64 KiB ones do not (see the next case).
	t.Run("1 MiB with a newline every 1000 bytes arrives whole and in order", func(t *testing.T) {
		ts := start(t, room.Options{OutboxBytes: 2 << 20}, nil)
		a, _ := ts.join(t)
		b, _ := ts.joinRaw(t)
		in, want := megabyte()
		a.send(in + "end\n")
		got := collect(b, "Thread-1")
		if len(got) != len(want) {
			t.Fatalf("got %d messages, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("message %d is %.20q…, want %.20q…", i, got[i], want[i])
			}
		}
	})
	// With the default outboxes too: when a reader's outbox passes half
	// full, the sender's door yields (room.Member.Yield), so the reader's
	// writer gets its turn and a reader that keeps up is never dropped.
	t.Run("1 MiB with default outboxes arrives whole and in order", func(t *testing.T) {
		ts := start(t, room.Options{}, nil)
		a, _ := ts.join(t)
		b, _ := ts.joinRaw(t)
		in, want := megabyte()
		a.send(in + "end\n")
		for i, w := range want {
			if l := b.next(); l != "Thread-1> "+w {
				t.Fatalf("message %d of %d is %.40q, want %.20q…", i, len(want), l, w)
			}
		}
		if l := b.next(); l != "Thread-1> end" {
			t.Fatalf("after the burst b read %.40q", l)
		}
	})
	// A long line is one input, however it is cut into messages: its rest
	// never passes for a command, a FIN, or a public message when it was
	// private.
	t.Run("the rest of a long line is never a command", func(t *testing.T) {
		ts := start(t, room.Options{}, nil)
		a, _ := ts.join(t)
		b, bn := ts.joinRaw(t)
		c, _ := ts.joinRaw(t)
		b.expect("*** Thread-3 joined")
		pad := strings.Repeat("p", 1024)
		a.send(pad + "/quit\n" + pad + "FIN\n" + pad + "/nick admin2\nend\n")
		want := []string{pad, "/quit", pad, "FIN", pad, "/nick admin2"}
		if got := collect(b, "Thread-1"); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("b read %d messages %v, want %d, all text", len(got), lens(got), len(want))
		}
		if got := collect(c, "Thread-1"); len(got) != len(want) {
			t.Fatalf("c read %d messages, want %d", len(got), len(want))
		}
		secret := strings.Repeat("s", 1500)
		a.send("/msg " + bn + " " + secret + "\nend\n")
		var got strings.Builder
		for {
			l := b.next()
			if l == "Thread-1> end" {
				break
			}
			part, ok := strings.CutPrefix(l, "[private] Thread-1> ")
			if !ok {
				t.Fatalf("b read %.60q, want the private message", l)
			}
			got.WriteString(part)
		}
		if got.String() != secret {
			t.Errorf("b's private message is %d bytes, want %d", got.Len(), len(secret))
		}
		if l := c.next(); l != "Thread-1> end" {
			t.Fatalf("c read %.60q of a private message to %s", l, bn)
		}
		a.send("/who\n")
		a.expect("*** 3 member(s): Thread-1 (tcp), Thread-2 (tcp), Thread-3 (tcp)")
	})
}

// megabyte returns 1 MiB of input, a newline every 1000 bytes, and its lines.
func megabyte() (string, []string) {
	var in strings.Builder
	var lines []string
	for i := 0; in.Len() < 1<<20; i++ {
		line := fmt.Sprintf("%06d ", i) + strings.Repeat(string(rune('a'+i%26)), 992)
		lines = append(lines, line)
		in.WriteString(line + "\n")
	}
	return in.String(), lines
}

func lens(ss []string) []int {
	n := make([]int, len(ss))
	for i, s := range ss {
		n[i] = len(s)
	}
	return n
}

// stampHistory is a History that also records when each public message
// was stamped.
type stampHistory struct {
	room.History
	mu sync.Mutex
	at []time.Time
}

func (h *stampHistory) Append(m room.Message) {
	h.mu.Lock()
	h.at = append(h.at, m.At)
	h.mu.Unlock()
	h.History.Append(m)
}

func (h *stampHistory) stamps() []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Time(nil), h.at...)
}

func TestAdversarialFloodIsPacedAndComplete(t *testing.T) {
	t.Run("100 lines at once", func(t *testing.T) {
		clock := fakeclock.New(time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC))
		hist := &stampHistory{History: room.NewRing(room.DefaultHistory)}
		ts := start(t, room.Options{MsgRate: 2, MsgBurst: 5, Now: clock.Now, Sleep: clock.Sleep, History: hist}, nil)
		a, _ := ts.join(t)
		b, _ := ts.joinRaw(t)
		const n = 100
		var in strings.Builder
		for i := range n {
			fmt.Fprintf(&in, "flood %03d\n", i)
		}
		began := time.Now()
		a.send(in.String())
		for i := range n {
			b.expectExactly(fmt.Sprintf("Thread-1> flood %03d", i))
		}
		real := time.Since(began)

		const want = (n - 5) * time.Second / 2 // past the burst of 5, two a second
		if got := clock.Slept(); got < want-10*time.Millisecond || got > want+10*time.Millisecond {
			t.Errorf("flood control slept %v, want %v", got, want)
		}
		// Each message past the burst was stamped half a second after the one before.
		at := hist.stamps()
		if len(at) != n {
			t.Fatalf("history got %d messages, want %d", len(at), n)
		}
		for i := range at {
			want := time.Duration(max(0, i-4)) * time.Second / 2
			if got := at[i].Sub(at[0]); got != want {
				t.Errorf("message %d stamped %v after the first, want %v", i, got, want)
			}
		}
		if real > want/2 {
			t.Errorf("the flood took %v of real time: pacing waited for real", real)
		}
		t.Logf("%d messages paced over %v of fake time in %v", n, clock.Slept(), real)
	})
	// A long line is as many messages as the room cuts it into, for flood
	// control too: one line of 16 KiB is no way around it.
	t.Run("a long line counts as the messages it makes", func(t *testing.T) {
		clock := fakeclock.New(time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC))
		ts := start(t, room.Options{MsgRate: 2, MsgBurst: 5, Now: clock.Now, Sleep: clock.Sleep}, nil)
		a, _ := ts.join(t)
		b, _ := ts.joinRaw(t)
		a.send(strings.Repeat("L", 16<<10) + "\nend\n")
		if got := collect(b, "Thread-1"); len(got) != 16 {
			t.Fatalf("got %d messages, want 16", len(got))
		}
		const want = (16 + 1 - 5) * time.Second / 2 // 16 messages and "end", past the burst
		if got := clock.Slept(); got < want-10*time.Millisecond || got > want+10*time.Millisecond {
			t.Errorf("flood control slept %v, want %v", got, want)
		}
	})
}

func TestAdversarialNameTricks(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	a, _ := ts.join(t)
	a.send("/nick alice\n")
	a.expectExactly("*** Thread-1 is now known as alice")
	b, _ := ts.joinRaw(t)
	a.expectExactly("*** Thread-2 joined (tcp)")
	b.send("/who\n")
	who := b.expect("*** 2 member(s)")
	if who != "*** 2 member(s): alice (tcp), Thread-2 (tcp)" {
		t.Fatalf("/who reads %q", who)
	}

	tests := []struct {
		name, nick string
		reason     string // what the refusal must say
	}{
		{"case clash", "ALICE", "taken"},
		{"case clash, mixed", "aLiCe", "taken"},
		{"case clash, with a tab", "Alice\t", "taken"},
		{"reserved admin", "admin", "reserved"},
		{"reserved ROOT", "ROOT", "reserved"},
		{"reserved Teacher", "Teacher", "reserved"},
		{"reserved server", "server", "reserved"},
		{"reserved System", "System", "reserved"},
		{"reserved everyone", "everyone", "reserved"},
		{"reserved all", "all", "reserved"},
		{"Cyrillic a", "\u0430lice", "only ASCII"},
		{"zero-width space", "ali\u200bce", "only ASCII"},
		{"zero-width joiner", "ali\u200dce", "only ASCII"},
		{"fullwidth", "\uff41lice", "only ASCII"},
		{"Kelvin sign", "\u212aelvin", "only ASCII"},
		{"too long", "abcdefghijklmnopq", "at most 16"},
		{"too short", "a", "at least 2"},
		{"a space inside", "al ice", "usage: /nick"},
		{"only a dash", "-", "at least 2"},
		{"ANSI in a name", "bob\x1b[31m", "only ASCII"},
	}
	for _, tt := range tests {
		b.send("/nick " + tt.nick + "\n")
		got := b.next()
		if !strings.HasPrefix(got, "*** ") || !strings.Contains(got, tt.reason) {
			t.Errorf("%s: /nick %q got %q, want a \"*** \" line saying %q", tt.name, tt.nick, got, tt.reason)
		}
	}
	b.send("/nick\n")
	if got := b.next(); !strings.HasPrefix(got, "*** usage: /nick") {
		t.Errorf("/nick alone got %q", got)
	}
	b.send("/who\n")
	b.expectExactly(who)
	b.send("marker\n")
	// a saw no rename, no join, no leave: only b's marker.
	a.expectExactly("Thread-2> marker")
	if bad := terminalUnsafe(b.bytes()); bad != "" {
		t.Errorf("the refusals quote back %s", bad)
	}
}

func TestAdversarialCRSpoofing(t *testing.T) {
	ts := start(t, room.Options{}, withShapedFlush)
	a, _ := ts.join(t)
	b, _ := ts.joinRaw(t)
	c, _ := ts.joinRaw(t)
	b.expect("*** Thread-3 joined")
	a.expect("*** Thread-3 joined")
	a.send("hi\r*** Thread-9 left (quit)\n")
	a.send("hi\rThread-2> fake\n")
	a.send("x\r\n\r\n*** server: reboot\n")
	a.send("\r*** Thread-3 is now known as root\r\n")
	a.send("y\r\rThread-3> z\r\r\n")
	shaped(a, "u\r*** unframed") // the pause ends it
	c.expect("Thread-1> u")
	a.send("end\n")
	want := []string{
		"hi*** Thread-9 left (quit)",
		"hiThread-2> fake",
		"x",
		"*** server: reboot",
		"*** Thread-3 is now known as root",
		"yThread-3> z",
		"u*** unframed",
	}
	got := collect(b, "Thread-1")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("b read %q, want %q", got, want)
	}

	system := map[string]bool{
		"*** You are Thread-2; 1 other(s) here. /help lists the commands.": true,
		"*** You are Thread-3; 2 other(s) here. /help lists the commands.": true,
		"*** Thread-3 joined (tcp)":                                        true,
	}
	speaker := regexp.MustCompile(`^([^ >]+)> `)
	for who, rc := range map[string]*rawClient{"Thread-2": b, "Thread-3": c} {
		raw := rc.bytes()
		if i := bytes.IndexByte(raw, '\r'); i >= 0 {
			t.Errorf("%s's bytes hold a \\r at %d", who, i)
		}
		for _, l := range strings.Split(string(raw), "\n") {
			switch {
			case strings.HasPrefix(l, "*** "):
				if !system[l] {
					t.Errorf("%s read a line that passes for the server's: %q", who, l)
				}
			case speaker.MatchString(l):
				if name := speaker.FindStringSubmatch(l)[1]; name != "Thread-1" {
					t.Errorf("%s read a line that passes for %s's: %q", who, name, l)
				}
			}
		}
	}
}

// stallUntilDropped sends rounds of ten 1000-byte messages from a while
// stalled never reads; b must read every one of them, in order. It returns
// once b has read that stalled left as too slow.
func stallUntilDropped(t *testing.T, a *client, b *rawClient, stalledName string) int {
	t.Helper()
	line := strings.Repeat("x", 1000)
	dropped := false
	rounds := 0
	for ; rounds < 5000 && !dropped; rounds++ {
		var in strings.Builder
		for i := range 10 {
			fmt.Fprintf(&in, "%d-%d %s\n", rounds, i, line)
		}
		a.send(in.String())
		for i := range 10 {
			want := fmt.Sprintf("Thread-1> %d-%d %s", rounds, i, line)
			for {
				got := b.next()
				if got == "*** "+stalledName+" left (too slow)" && !dropped {
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
	return rounds
}

func TestAdversarialStalledReaderIsDropped(t *testing.T) {
	t.Run("by the outbox bound", func(t *testing.T) {
		var logs logBuffer
		ts := start(t, room.Options{}, func(s *tcp.Server) {
			s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})
		a, _ := ts.join(t)
		b, _ := ts.joinRaw(t)
		stalled, err := smallWindow.Dial("tcp", ts.addr) // and never read from
		if err != nil {
			t.Fatal(err)
		}
		defer stalled.Close() // with unread bytes: a reset, which ends its writer
		b.expect("*** Thread-3 joined")
		rounds := stallUntilDropped(t, a, b, "Thread-3")
		if strings.Contains(logs.String(), "write failed") {
			t.Errorf("a write failed: the member was dropped by the write deadline, not the outbox bound")
		}
		t.Logf("dropped by the outbox bound after %d rounds of 10 messages", rounds)
		a.send("after\n")
		b.expectExactly("Thread-1> after")
		c, _ := ts.join(t)
		c.send("newcomer\n")
		b.expectExactly("*** Thread-4 joined (tcp)")
		b.expectExactly("Thread-4> newcomer")
	})
	t.Run("by the write deadline", func(t *testing.T) {
		var logs logBuffer
		// An outbox that cannot overflow here, so that only the deadline can drop.
		ts := start(t, room.Options{OutboxBytes: 1 << 30}, func(s *tcp.Server) {
			s.WriteTimeout = 200 * time.Millisecond
			s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})
		a, _ := ts.join(t)
		b, _ := ts.joinRaw(t)
		stalled, err := smallWindow.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer stalled.Close()
		b.expect("*** Thread-3 joined")
		rounds := stallUntilDropped(t, a, b, "Thread-3")
		if !strings.Contains(logs.String(), "write failed; member dropped") {
			t.Errorf("no write failed: log %q", logs.String())
		}
		t.Logf("dropped by the write deadline after %d rounds of 10 messages", rounds)
		// The server has closed its end: reading drains what it had sent, then ends.
		_ = stalled.SetReadDeadline(time.Now().Add(patience))
		if _, err := io.Copy(io.Discard, stalled); err != nil {
			t.Errorf("the dropped connection did not end cleanly: %v", err)
		}
		a.send("after\n")
		b.expectExactly("Thread-1> after")
	})
}

// boomHistory panics when asked to keep the text "boom".
type boomHistory struct{ room.History }

func (h boomHistory) Append(m room.Message) {
	if m.Text == "boom" {
		panic("boom")
	}
	h.History.Append(m)
}

func TestAdversarialPanicDropsOneMember(t *testing.T) {
	ts := start(t, room.Options{History: boomHistory{room.NewRing(room.DefaultHistory)}}, nil)
	a, _ := ts.joinRaw(t)
	b, _ := ts.join(t)
	c, _ := ts.join(t)
	b.expect("*** Thread-3 joined")
	a.send("before\n")
	b.expectExactly("Thread-1> before")
	c.expectExactly("Thread-1> before")
	a.send("boom\n")
	b.expectExactly("*** Thread-1 left (server error)")
	c.expectExactly("*** Thread-1 left (server error)")
	a.closed()

	b.send("still serving\n")
	c.expectExactly("Thread-2> still serving")
	c.send("boom?\n")
	b.expectExactly("Thread-3> boom?")
	d, dn := ts.join(t)
	b.expectExactly("*** " + dn + " joined (tcp)")
	d.expectHistory(room.LangEN, "Thread-1> before", "Thread-2> still serving", "Thread-3> boom?") // without "boom"
	d.send("hello\n")
	b.expectExactly(dn + "> hello")
	c.expect(dn + "> hello")
	if got := len(ts.hub.Members()); got != 3 {
		t.Errorf("%d members, want 3", got)
	}
}

// dialResult is what one connection of a flood read.
type dialResult struct {
	nc     net.Conn // still open when admitted; nil when refused
	line   string   // the first line
	closed bool     // refused, and closed by the server right after the line
	err    error
}

// dialAndRead dials from d and reads one line: the greeting of an admitted
// connection, or the refusal of one turned away, which it reads to the end.
func dialAndRead(addr string, d *net.Dialer) dialResult {
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return dialResult{err: err}
	}
	_ = nc.SetReadDeadline(time.Now().Add(patience))
	r := bufio.NewReader(nc)
	line, err := r.ReadString('\n')
	if err != nil {
		nc.Close()
		return dialResult{err: fmt.Errorf("reading the first line: %w (read %q)", err, line)}
	}
	res := dialResult{nc: nc, line: strings.TrimSuffix(line, "\n")}
	if strings.HasPrefix(line, "*** ") { // refused: the server hangs up
		_, err := r.ReadByte()
		res.closed = errors.Is(err, io.EOF)
		nc.Close()
		res.nc = nil
	} else {
		_ = nc.SetReadDeadline(time.Time{})
	}
	return res
}

func TestAdversarialConnectFlood(t *testing.T) {
	other := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	otherAddr := &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}
	exempt := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

	t.Run("rate", func(t *testing.T) {
		frozen := time.Now() // no token comes back during the test: the count is exact
		lim := &connlimit.Limiter{MaxPerIP: 64, Rate: 5, Burst: 20, Exempt: exempt,
			Now: func() time.Time { return frozen }}
		ts := start(t, room.Options{}, func(s *tcp.Server) { s.Limits = lim })
		a, _ := ts.join(t)
		b, _ := ts.join(t)
		a.expect("*** Thread-2 joined")

		const n = 200
		results := make(chan dialResult, n)
		for range n {
			go func() { results <- dialAndRead(ts.addr, other) }()
		}
		// Meanwhile the members from 127.0.0.1 chat, unaffected.
		for i := range 20 {
			a.send(fmt.Sprintf("during %d\n", i))
			b.expect(fmt.Sprintf("Thread-1> during %d", i))
		}
		admitted, refused := 0, 0
		for range n {
			r := <-results
			switch {
			case r.err != nil:
				t.Errorf("a flood connection: %v", r.err)
			case r.line == "You are connected. Please send your messages.":
				admitted++
				t.Cleanup(func() { r.nc.Close() })
			case strings.HasPrefix(r.line, "*** Too many"):
				refused++
				if !r.closed {
					t.Errorf("refused with %q but not closed after", r.line)
				}
			default:
				t.Errorf("a flood connection read %q", r.line)
			}
		}
		t.Logf("admitted %d, refused %d", admitted, refused)
		if admitted != 20 || refused != n-20 {
			t.Errorf("admitted %d and refused %d, want the burst of 20 and %d", admitted, refused, n-20)
		}
		if got := lim.Open(otherAddr); got != admitted {
			t.Errorf("the limiter counts %d open, want %d", got, admitted)
		}
		b.send("after the flood\n")
		a.expect("Thread-2> after the flood")
	})

	t.Run("connections at once", func(t *testing.T) {
		lim := &connlimit.Limiter{MaxPerIP: 64, Rate: 1e6, Burst: 1e6, Exempt: exempt}
		ts := start(t, room.Options{}, func(s *tcp.Server) { s.Limits = lim })
		a, _ := ts.join(t)
		results := make(chan dialResult, 64)
		for range 64 {
			go func() { results <- dialAndRead(ts.addr, other) }()
		}
		var open []net.Conn
		for range 64 {
			r := <-results
			if r.err != nil || r.nc == nil {
				t.Fatalf("connection %d of 64: %q, %v", len(open)+1, r.line, r.err)
			}
			open = append(open, r.nc)
			t.Cleanup(func() { r.nc.Close() })
		}
		r := dialAndRead(ts.addr, other)
		if r.err != nil || r.line != "*** Too many connections from your address." || !r.closed {
			t.Fatalf("the 65th read %q (closed: %v, err: %v), want the refusal then close", r.line, r.closed, r.err)
		}
		// One leaves: one more may come in.
		open[0].Close()
		deadline := time.Now().Add(patience)
		for lim.Open(otherAddr) != 63 {
			if time.Now().After(deadline) {
				t.Fatalf("the limiter still counts %d open", lim.Open(otherAddr))
			}
			time.Sleep(time.Millisecond) // polling a condition, with a deadline
		}
		if r := dialAndRead(ts.addr, other); r.nc == nil {
			t.Fatalf("after one left, a new connection read %q (err %v)", r.line, r.err)
		} else {
			t.Cleanup(func() { r.nc.Close() })
		}
		a.send("/who\n")
		a.expect("*** 65 member(s)")
	})
}

func TestAdversarialHTTPRequest(t *testing.T) {
	t.Run("a browser's request", func(t *testing.T) {
		ts := start(t, room.Options{}, nil)
		a, _ := ts.join(t)
		for _, req := range []string{
			"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			"GET /favicon.ico HTTP/1.1\r\nHost: x\r\nUser-Agent: " + strings.Repeat("M", 600) + "\r\nAccept: */*\r\n\r\n",
			"POST /api HTTP/1.0\nContent-Length: 0\n\n",
		} {
			h := dialRaw(t, ts.addr, &net.Dialer{})
			h.send(req)
			lines := h.closed()
			if len(lines) != 1 || !strings.Contains(lines[0], "this is a chat server, not HTTP") {
				t.Errorf("%.20q got %q, want one line then close", req, lines)
			}
		}
		b, _ := ts.join(t)
		// a's next line is b's join, as Thread-2: no request ever joined.
		a.expectExactly("*** Thread-2 joined (tcp)")
		b.send("hi\n")
		a.expectExactly("Thread-2> hi")
	})
	// A client that waits past the sniff window before sending a request
	// line is a member like any other: its request is chat text, harmless.
	t.Run("a request after the greeting is chat", func(t *testing.T) {
		ts := start(t, room.Options{}, nil)
		a, _ := ts.join(t)
		h, hn := ts.joinRaw(t)
		a.expectExactly("*** " + hn + " joined (tcp)")
		h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		a.expectExactly(hn + "> GET / HTTP/1.1")
		a.expectExactly(hn + "> Host: x")
		a.send("still serving\n")
		h.expectExactly("Thread-1> still serving")
	})
}

func TestAdversarialTelnetNegotiation(t *testing.T) {
	const (
		doEcho    = "\xff\xfd\x01"
		willSGA   = "\xff\xfb\x03"
		willTType = "\xff\xfb\x18"
		nawsLF    = "\xff\xfa\x1f\x00\x50\x00\x0a\xff\xf0" // 80x10: a "\n" inside
		ttypeSB   = "\xff\xfa\x18\x00xterm\xff\xf0"
		nop       = "\xff\xf1"
		ayt       = "\xff\xf6"
	)
	ts := start(t, room.Options{}, withShapedFlush)
	b, _ := ts.joinRaw(t)
	a := ts.dial(t)
	a.send(doEcho + willSGA + willTType + nawsLF) // at once, as telnet does
	a.expect("You are connected")
	a.expect("*** You are Thread-2")
	b.expectExactly("*** Thread-2 joined (tcp)")

	a.send("he" + willTType + "llo\n")
	b.expectExactly("Thread-2> hello")
	a.send("wo" + nawsLF + "rld\n")
	b.expectExactly("Thread-2> world")
	a.send("x" + ttypeSB + "y" + nop + "z" + ayt + "\n")
	b.expectExactly("Thread-2> xyz")
	shaped(a, "ab\xff", "\xfd", "\x01cd\n") // a command across writes
	b.expectExactly("Thread-2> abcd")
	shaped(a, "s\xff\xfa\x1f\x00", "\x50\x00\x18\xff", "\xf0t\n")
	b.expectExactly("Thread-2> st")
	a.send("crnul\r\x00 ok\r\n") // telnet's bare CR
	b.expectExactly("Thread-2> crnul ok")
	a.send("iac\xff\xff\n") // an escaped 255: not UTF-8, so U+FFFD
	b.expectExactly("Thread-2> iac\uFFFD")
	if bad := terminalUnsafe(b.bytes()); bad != "" {
		t.Errorf("b's bytes hold %s", bad)
	}
}

func TestAdversarialConnectDisconnectCycles(t *testing.T) {
	const cycles = 5000 // about 2 s, with -race or without
	// The sniff window would hold each greeting back 150 ms; a short one
	// keeps thousands of cycles within seconds.
	ts := start(t, room.Options{}, func(s *tcp.Server) { s.SniffTime = time.Millisecond })
	settle := func() (goroutines int, heap uint64) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapInuse
	}
	baseG, baseHeap := settle()
	began := time.Now()

	const workers = 4
	var next atomic.Int64
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(cycles) {
					return
				}
				nc, err := net.Dial("tcp", ts.addr)
				if err != nil {
					fail(fmt.Errorf("cycle %d: %w", i, err))
					continue
				}
				if i%2 == 0 { // gone at once
					nc.Close()
					continue
				}
				_ = nc.SetDeadline(time.Now().Add(patience))
				line, err := bufio.NewReader(nc).ReadString('\n')
				if err == nil && line != "You are connected. Please send your messages.\n" {
					err = fmt.Errorf("greeting %q", line)
				}
				if err == nil {
					_, err = fmt.Fprintf(nc, "cycle %d\n", i)
				}
				if err != nil {
					fail(fmt.Errorf("cycle %d: %w", i, err))
				}
				nc.Close()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	for _, err := range errs[:min(len(errs), 10)] {
		t.Error(err)
	}
	if len(errs) > 0 {
		t.Fatalf("%d of %d cycles failed", len(errs), cycles)
	}

	deadline := time.Now().Add(patience)
	var g int
	var heap uint64
	var members []room.MemberInfo
	for {
		g, heap = settle()
		members = ts.hub.Members()
		if g <= baseG && len(members) == 0 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("after %d cycles: %d goroutines (baseline %d), %d members; goroutines:\n%s",
				cycles, g, baseG, len(members), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
	}
	const margin = 4 << 20
	if heap > baseHeap+margin {
		t.Errorf("heap in use %d KiB after the cycles, baseline %d KiB", heap>>10, baseHeap>>10)
	}
	t.Logf("%d cycles in %v; goroutines %d → %d; heap in use %d → %d KiB",
		cycles, elapsed, baseG, g, baseHeap>>10, heap>>10)
}
