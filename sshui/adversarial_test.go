package sshui_test

// Adversarial tests of the SSH door, over real sockets: palabre must keep
// serving everyone else, lose no accepted message, and never let one
// member's bytes reach another's terminal as commands.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"palabre/room"
	"palabre/sshui"
)

const (
	pasteStart = "\x1b[200~"
	pasteEnd   = "\x1b[201~"
)

// A client that connects and says nothing, or only its version, or stops
// in the middle of authentication, is closed at AuthTimeout and never
// becomes a member; a client that did authenticate is not touched.
func TestAdversarialSilentClientClosedByDeadline(t *testing.T) {
	const authTimeout = 300 * time.Millisecond
	a := startArena(t, room.Options{}, sshui.Options{AuthTimeout: authTimeout})
	tc := dialPeer(t, a.tcpAddr, false)
	scr := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 80, 24)
	tc.expect("*** alice joined (ssh)")
	scr.waitFor("you: alice")

	type result struct {
		name    string
		elapsed time.Duration
		err     error
	}
	results := make(chan result, 4)
	rawClient := func(name, send string) {
		nc, err := net.Dial("tcp", a.sshAddr)
		if err != nil {
			results <- result{name, 0, err}
			return
		}
		defer nc.Close()
		start := time.Now()
		if send != "" {
			if _, err := io.WriteString(nc, send); err != nil {
				results <- result{name, 0, err}
				return
			}
		}
		_ = nc.SetReadDeadline(time.Now().Add(patience))
		_, err = io.Copy(io.Discard, nc) // the server's version, its KEXINIT, then the end
		if errors.Is(err, os.ErrDeadlineExceeded) {
			results <- result{name, time.Since(start), errors.New("never closed by the server")}
			return
		}
		results <- result{name, time.Since(start), nil}
	}
	go rawClient("silent", "")
	go rawClient("version only", "SSH-2.0-x\r\n")
	// A real client that completes the key exchange and then stops while
	// authenticating (OpenSSH is not let in with "none"): it waits, in its
	// key callback, until its connection reads the server's hang-up.
	go func() {
		nc, err := net.Dial("tcp", a.sshAddr)
		if err != nil {
			results <- result{"stalled in authentication", 0, err}
			return
		}
		defer nc.Close()
		start := time.Now()
		wc := &watchedConn{Conn: nc, gone: make(chan struct{})}
		stuck := gossh.PublicKeysCallback(func() ([]gossh.Signer, error) {
			select {
			case <-wc.gone:
				return nil, errors.New("hung up on")
			case <-time.After(patience):
				return nil, errors.New("never hung up on")
			}
		})
		_, _, _, err = gossh.NewClientConn(wc, a.sshAddr, &gossh.ClientConfig{
			User: "mallory", ClientVersion: openSSH, Auth: []gossh.AuthMethod{stuck},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: patience,
		})
		if err == nil {
			results <- result{"stalled in authentication", 0, errors.New("let in")}
			return
		}
		select {
		case <-wc.gone:
			results <- result{"stalled in authentication", wc.goneAt.Sub(start), nil}
		default:
			results <- result{"stalled in authentication", 0, fmt.Errorf("never hung up on (%v)", err)}
		}
	}()

	// A client that authenticates and then never asks for a session:
	// keep-alives run in sessions, so the deadline covers this too.
	go func() {
		start := time.Now()
		c, err := gossh.Dial("tcp", a.sshAddr, &gossh.ClientConfig{User: "idle", HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: patience})
		if err != nil {
			results <- result{"authenticated, no session", 0, err}
			return
		}
		defer c.Close()
		ended := make(chan error, 1)
		go func() { ended <- c.Wait() }()
		select {
		case <-ended:
			results <- result{"authenticated, no session", time.Since(start), nil}
		case <-time.After(patience):
			results <- result{"authenticated, no session", 0, errors.New("never closed by the server")}
		}
	}()

	for range 4 {
		var r result
		select {
		case r = <-results:
		case <-time.After(2 * patience):
			t.Fatal("a stalled client is still connected")
		}
		if r.err != nil {
			t.Errorf("%s client: %v", r.name, r.err)
			continue
		}
		t.Logf("%s client closed after %v", r.name, r.elapsed.Round(time.Millisecond))
		if r.elapsed < authTimeout*2/3 || r.elapsed > authTimeout+3*time.Second {
			t.Errorf("%s client closed after %v; want about %v", r.name, r.elapsed, authTimeout)
		}
		if got := memberNames(a.hub); !slices.Equal(got, []string{"Thread-1", "alice"}) {
			t.Errorf("members %q while stalled clients came and went", got)
		}
	}

	// Well past the deadline, the member that did authenticate is still here.
	scr.typeText("still here\r")
	tc.expect("alice> still here")
	if got := memberNames(a.hub); !slices.Equal(got, []string{"Thread-1", "alice"}) {
		t.Errorf("members %q; want Thread-1 and alice", got)
	}
	if sessionEnded(scr) {
		t.Error("the authenticated client's session ended")
	}
}

// Escape sequences, C1 and bidi controls, U+FEFF, BEL and NUL, pasted or
// typed on a screen, reach nobody as such: the TCP member reads plain text
// and another screen never receives the sequences.
func TestAdversarialEscapeAndBidiOverSSHPaste(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, true)
	alice := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	tc.expect("*** alice joined (ssh)")
	bob := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "bob"}), 200, 30)
	tc.expect("*** bob joined (ssh)")
	alice.waitFor("you: alice")
	bob.waitFor("you: bob")

	const payload = "A\x1b[31mRED\x1b[0m" + // CSI: colour
		" B\x1b]52;c;cm0gLXJmIH4K\x07" + // OSC 52: write the clipboard
		" C\x1b]0;pwned\x07" + // OSC 0: the window title
		" D\u009b2J" + // C1 CSI: clear the screen
		" E\u202eevil\u202c\u2066x\u2069\u200f" + // bidi overrides and isolates
		" F\ufeffG" + // BOM
		" H\x07I\x00J" + // BEL, NUL
		" K\x1bPqdcs\x1b\\" + // DCS
		" Z\x1b[2J\x1b[H\x1b[?1049l end" // clear, home, leave the alternate screen
	const clean = "A[31mRED[0m B]52;c;cm0gLXJmIH4K C]0;pwned D2J Eevilx FG HIJ KPqdcs\\ Z[2J[H[?1049l end"

	// A one-line paste stays in the input until Enter; a line ended inside
	// the paste is sent as it came.
	alice.typeText(pasteStart + payload + pasteEnd)
	alice.typeText("\r")
	if got := tc.expect("alice> "); got != "alice> "+clean {
		t.Errorf("one-line paste reached TCP as\n%q\nwant\n%q", got, "alice> "+clean)
	}
	alice.typeText(pasteStart + payload + "\n" + pasteEnd)
	if got := tc.expect("alice> "); got != "alice> "+clean {
		t.Errorf("pasted line reached TCP as\n%q\nwant\n%q", got, "alice> "+clean)
	}
	// The same bytes typed, not pasted: the screen reads them as keys.
	alice.typeText("\x1b]52;c;cm0=\x07typed\u202e\x1b[2Jkeys\x1bP\x1b\\\r")
	typed := tc.expect("alice> ")
	if !strings.Contains(typed, "typed") || !strings.Contains(typed, "keys") {
		t.Errorf("typed line reached TCP as %q", typed)
	}

	// Multi-line paste: each line a message, in order.
	alice.typeText(pasteStart + "one\ntwo\nthree" + pasteEnd)
	alice.typeText("\r")
	for _, want := range []string{"alice> one", "alice> two", "alice> three"} {
		if got := tc.expect("alice> "); got != want {
			t.Errorf("multi-line paste: got %q, want %q", got, want)
		}
	}
	tc.send("sync\n")
	bob.waitFor(`Thread-1\s+sync`)

	if what, bad := unsafeForTerminal(tc.rawBytes()); bad {
		t.Errorf("the TCP member received %s:\n%q", what, tc.rawBytes())
	}
	raw := rawOut(bob)
	for _, seq := range []string{"\x1b]52;", "\x1b]0;", "\x1bP", "\u009b", "\u202e", "\u202c", "\u2066", "\u2069",
		"\u200f", "\ufeff", "\x07", "\x00", "cm0gLXJmIH4K\x07", "\x1b[?1049l end"} {
		if strings.Contains(raw, seq) {
			i := strings.Index(raw, seq)
			t.Errorf("bob's terminal received %q: …%q…", seq, raw[max(0, i-40):min(len(raw), i+40)])
		}
	}
	if n := strings.Count(bob.text(), "KPqdcs"); n < 2 {
		t.Errorf("bob's screen shows the cleaned message %d times, want 2:\n%s", n, bob.text())
	}
}

// Thirty lines pasted at once under flood control wait on the screen, with
// a notice, and all reach the others in order.
func TestAdversarialSSHFloodQueuedWithNotice(t *testing.T) {
	a := startArena(t, room.Options{MsgRate: 20, MsgBurst: 2}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	alice := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	tc.expect("*** alice joined (ssh)")
	alice.waitFor("you: alice")

	var paste strings.Builder
	var want []string
	for i := 1; i <= 30; i++ {
		// One paste a line: a paste of several lines is one block.
		fmt.Fprintf(&paste, pasteStart+"flood-%02d\n"+pasteEnd, i)
		want = append(want, fmt.Sprintf("alice> flood-%02d", i))
	}
	start := time.Now()
	alice.typeText(paste.String())
	alice.waitFor(`\d+ waiting: flood control`)
	var got []string
	for range want {
		got = append(got, tc.expect("alice> "))
	}
	elapsed := time.Since(start)
	if !slices.Equal(got, want) {
		t.Fatalf("the TCP member received\n%q\nwant\n%q", got, want)
	}
	// 28 lines past the burst, at 20 a second.
	if elapsed < time.Second {
		t.Errorf("30 lines went out in %v: flood control did not hold them", elapsed)
	}
	t.Logf("30 lines delivered in %v", elapsed.Round(time.Millisecond))
	// The notice goes once the queue is empty.
	poll(t, patience, "the flood notice gone", func() bool {
		shown := strings.Join(emulate(rawOut(alice)), "\n")
		return strings.Contains(shown, "flood-30") && !strings.Contains(shown, "waiting: flood control")
	})
}

// A paste longer than a message may be, with no line break, ends the
// session as "input too long"; the others stay.
func TestAdversarialSSHPasteTooLong(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	alice := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	tc.expect("*** alice joined (ssh)")
	bob := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "bob"}), 100, 30)
	tc.expect("*** bob joined (ssh)")
	alice.waitFor("you: alice")

	alice.typeText(pasteStart + strings.Repeat("x", 20<<10) + pasteEnd)
	tc.expect("*** alice left (input too long)")
	waitEnded(t, alice)
	if !strings.Contains(alice.text(), "*** alice left (input too long)") {
		t.Errorf("alice was not told why the session ended:\n%s", alice.text())
	}
	waitMembers(t, a.hub, "Thread-1", "bob")
	tc.send("after\n")
	bob.waitFor(`Thread-1\s+after`)
}

// watchedConn notes when the server hangs up.
type watchedConn struct {
	net.Conn
	once   sync.Once
	gone   chan struct{}
	goneAt time.Time
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.once.Do(func() {
			c.goneAt = time.Now()
			close(c.gone)
		})
	}
	return n, err
}

// A client that stops reading its session, with or without a terminal, is
// dropped while a TCP member floods the room; everyone else receives
// everything, and the hub never waits.
func TestAdversarialSSHStalledReaderIsDropped(t *testing.T) {
	for _, tt := range []struct {
		name string
		pty  bool
	}{{"screen", true}, {"line protocol", false}} {
		t.Run(tt.name, func(t *testing.T) {
			a := startArena(t, room.Options{}, sshui.Options{WriteTimeout: 500 * time.Millisecond})
			sender := dialPeer(t, a.tcpAddr, false)   // Thread-1
			receiver := dialPeer(t, a.tcpAddr, false) // Thread-2
			reader := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "reader"}), 60, 20)
			receiver.expect("*** reader joined (ssh)")
			reader.waitFor("you: reader")

			c := dial(t, a.sshAddr, &gossh.ClientConfig{User: "stuck"})
			sess, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sess.StdoutPipe(); err != nil { // and never read
				t.Fatal(err)
			}
			// Stdin stays open: an empty one would end a line session at once.
			if _, err := sess.StdinPipe(); err != nil {
				t.Fatal(err)
			}
			if tt.pty {
				// The largest screen the server draws: each frame is big.
				if err := sess.RequestPty("xterm-256color", 65535, 65535, gossh.TerminalModes{}); err != nil {
					t.Fatal(err)
				}
			}
			if err := sess.Shell(); err != nil {
				t.Fatal(err)
			}
			hungUp := make(chan struct{})
			go func() {
				c.Wait() // the connection's end
				close(hungUp)
			}()
			receiver.expect("*** stuck joined (ssh)")

			body := strings.Repeat("z", 990)
			seq := 0
			readerSeen := len(rawOut(reader))
			chunk := func() {
				t.Helper()
				start := time.Now()
				for range 20 {
					seq++
					sender.send(fmt.Sprintf("m%05d %s\n", seq, body))
				}
				mark := fmt.Sprintf("sync%05d", seq)
				sender.send(mark + "\n")
				receiver.expect("Thread-1> " + mark)
				// The screen that reads keeps up too: it is paced, not flooded
				// past its outbox by the test's own speed.
				poll(t, patience, "the reader showing "+mark, func() bool {
					raw := rawOut(reader)
					if strings.Contains(ansi.Strip(raw[readerSeen:]), mark) {
						readerSeen = max(0, len(raw)-200)
						return true
					}
					return false
				})
				if d := time.Since(start); d > patience/2 {
					t.Errorf("20 messages took %v to go round", d)
				}
			}
			start := time.Now()
			for slices.Contains(memberNames(a.hub), "stuck") {
				if time.Since(start) > 3*patience {
					t.Fatalf("the stalled member is still in the room after %d messages", seq)
				}
				chunk()
			}
			t.Logf("stalled member dropped after %d messages, %v", seq, time.Since(start).Round(time.Millisecond))
			left := receiver.find("*** stuck left (")
			t.Log(left)
			if !slices.Contains([]string{"too slow)", "connection lost)", "connection closed)"}, strings.TrimPrefix(left, "*** stuck left (")) {
				t.Errorf("the stalled member left as %q", left)
			}
			for range 5 {
				chunk()
			}
			// And the server let go of its connection.
			select {
			case <-hungUp:
			case <-time.After(patience):
				t.Error("the stalled client's connection is still open")
			}

			lines, _ := receiver.snapshot()
			want := 1
			for _, l := range lines {
				if !strings.HasPrefix(l, "Thread-1> m") {
					continue
				}
				if exp := fmt.Sprintf("Thread-1> m%05d %s", want, body); l != exp {
					t.Fatalf("message %d reached the receiver as %.30q…", want, l)
				}
				want++
			}
			if want != seq+1 {
				t.Fatalf("the receiver got %d messages of %d", want-1, seq)
			}
			if got := memberNames(a.hub); !slices.Equal(got, []string{"Thread-1", "Thread-2", "reader"}) {
				t.Errorf("members %q", got)
			}
		})
	}
}

// Pty sizes of 0×0 and 65535×65535, at the start or in a window change,
// neither break the server nor make it draw past its clamp.
func TestAdversarialPtySizes(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	const huge = 65535
	for _, tt := range []struct {
		user       string
		cols, rows int
		changes    [][2]int // cols, rows
	}{
		{"zero", 0, 0, [][2]int{{huge, huge}, {0, 0}, {1, 1}}},
		{"huge", huge, huge, [][2]int{{0, 0}, {huge, huge}, {1, huge}, {huge, 1}, {1<<32 - 1, 1<<32 - 1}}},
	} {
		t.Run(tt.user, func(t *testing.T) {
			scr := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: tt.user}), tt.cols, tt.rows)
			tc.expect("*** " + tt.user + " joined (ssh)")
			say := func(text string) {
				t.Helper()
				scr.typeText(text + "\r")
				tc.expect(tt.user + "> " + text)
				scr.waitFor(text) // drawn on the member's own screen too
			}
			say("hi")
			for i, ch := range tt.changes {
				if err := scr.sess.WindowChange(ch[1], ch[0]); err != nil {
					t.Fatalf("window change to %dx%d: %v", ch[0], ch[1], err)
				}
				say(fmt.Sprintf("hi%d", i))
			}
			if sessionEnded(scr) {
				t.Fatal("the session ended")
			}
			widest := 0
			for _, row := range screenRows(rawOut(scr)) {
				widest = max(widest, ansi.StringWidth(row))
			}
			if widest > 400 || widest == 0 {
				t.Errorf("the widest row drawn is %d columns; want 1 to 400", widest)
			}
		})
	}
}

// panicky is a History that fails on one text, as a buggy store would.
type panicky struct{ *room.Ring }

func (p panicky) Append(m room.Message) {
	if m.Text == "boom" {
		panic("history store failed")
	}
	p.Ring.Append(m)
}

// A panic while serving one member drops that member only.
func TestAdversarialPanicInSessionDropsOneMember(t *testing.T) {
	a := startArena(t, room.Options{History: panicky{room.NewRing(10)}}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	alice := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 80, 24)
	tc.expect("*** alice joined (ssh)")
	bob := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "bob"}), 80, 24)
	tc.expect("*** bob joined (ssh)")
	alice.waitFor("you: alice")

	alice.typeText("boom\r")
	if got := tc.expect("*** alice left ("); got != "*** alice left (server error)" {
		t.Errorf("alice left as %q; want server error", got)
	}
	waitEnded(t, alice)
	waitMembers(t, a.hub, "Thread-1", "bob")

	tc.send("still serving\n")
	bob.waitFor(`Thread-1\s+still serving`)
	bob.typeText("me too\r")
	tc.expect("bob> me too")
	carol := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "carol"}), 80, 24)
	tc.expect("*** carol joined (ssh)")
	carol.waitFor(`bob\s+me too`) // the history survived
	carol.typeText("hello\r")
	tc.expect("carol> hello")
	bob.waitFor(`carol\s+hello`)
}

// Unusable SSH user names become usable, distinct member names, and the
// member is told why its name was refused.
func TestAdversarialNameTricksOverSSH(t *testing.T) {
	t.Run("cleaned or generated", func(t *testing.T) {
		a := startArena(t, room.Options{}, sshui.Options{})
		tc := dialPeer(t, a.tcpAddr, false)
		for _, tt := range []struct {
			user, want, why string // want: a regexp of the whole name
		}{
			{"root", `guest-\d+`, `"root" is refused: this name is reserved`},
			{"ADMIN", `guest-\d+`, `"ADMIN" is refused: this name is reserved`},
			{"\u0430lice", "lice", "your name here is lice"}, // a Cyrillic а
			{"a", `guest-\d+`, `"a" is refused: at least 2 characters`},
			{strings.Repeat("abcdefghij", 4), "abcdefghijklmnop"[:10] + "abcdef", "your name here is abcdefghijabcdef"},
			{"", `guest-\d+`, ""},
			{"\x1b[31mred\x1b[0m", "31mred_0m", "your name here is 31mred_0m"},
			{"bob\r\n*** admin joined", "bob_admin_joined", "your name here is bob_admin_joined"},
			{"Server", `guest-\d+`, "this name is reserved"},
			{strings.Repeat("long", 25000), "longlonglonglong", "your name here is longlonglonglong"}, // 100 kB
		} {
			scr := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: tt.user}), 100, 30)
			joined := tc.expect("*** ")
			name, ok := strings.CutSuffix(strings.TrimPrefix(joined, "*** "), " joined (ssh)")
			if !ok || !regexpMatch("^"+tt.want+"$", name) {
				t.Errorf("user %q joined as %q; want %s", tt.user, joined, tt.want)
				continue
			}
			scr.waitFor("you: " + name)
			if tt.why != "" {
				scr.waitFor(tt.why)
			}
		}
	})
	t.Run("same name twice", func(t *testing.T) {
		a := startArena(t, room.Options{}, sshui.Options{})
		tc := dialPeer(t, a.tcpAddr, false)
		openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 80, 24)
		tc.expect("*** alice joined (ssh)")
		second := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 80, 24)
		tc.expect("*** alice-2 joined (ssh)")
		second.waitFor("you: alice-2")
	})
	t.Run("clash with a renamed TCP member", func(t *testing.T) {
		a := startArena(t, room.Options{}, sshui.Options{})
		tc := dialPeer(t, a.tcpAddr, false)
		tc.send("/nick alice\n")
		tc.expect("*** Thread-1 is now known as alice")
		scr := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "Alice"}), 80, 24)
		tc.expect("*** Alice-2 joined (ssh)")
		scr.waitFor("you: Alice-2")
		scr.typeText("hi\r")
		tc.expect("Alice-2> hi")
		waitMembers(t, a.hub, "alice", "Alice-2")
	})
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// A connection gets one session: the others it asks for are refused, and
// so are port forwarding both ways; the first session goes on working.
func TestAdversarialOneSessionPerConnection(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	c := dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"})
	first := openScreen(t, c, 80, 24)
	tc.expect("*** alice joined (ssh)")
	first.waitFor("you: alice")

	for i := 2; i <= 3; i++ {
		if s, err := c.NewSession(); err == nil || !strings.Contains(err.Error(), "one session per connection") {
			if s != nil {
				s.Close()
			}
			t.Errorf("session #%d: err = %v; want a refusal", i, err)
		}
	}
	// direct-tcpip: the server must not connect anywhere for a client,
	// not even to its own TCP door.
	if nc, err := c.Dial("tcp", a.tcpAddr); err == nil {
		nc.Close()
		t.Error("the server opened a direct-tcpip channel")
	}
	// tcpip-forward: nor listen for one.
	if l, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
		l.Close()
		t.Error("the server accepted a tcpip-forward")
	}
	if ok, _, err := c.SendRequest("no-such-request@example.com", true, nil); ok || err != nil {
		t.Errorf("an unknown global request: ok=%v err=%v; want a plain refusal", ok, err)
	}

	// No subsystem either (sftp, scp's server side): a session that asks
	// for one is refused and nobody joins.
	sub, err := dial(t, a.sshAddr, &gossh.ClientConfig{User: "sftp"}).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.RequestSubsystem("sftp"); err == nil {
		t.Error("the server started an sftp subsystem")
	}

	first.typeText("still one\r")
	tc.expect("alice> still one")
	if got := memberNames(a.hub); !slices.Equal(got, []string{"Thread-1", "alice"}) {
		t.Errorf("members %q", got)
	}
}

// A quiet client that answers keep-alives stays; one whose network stops
// delivering is dropped after a few unanswered ones.
func TestAdversarialKeepAlive(t *testing.T) {
	const every = 50 * time.Millisecond
	a := startArena(t, room.Options{}, sshui.Options{KeepAlive: every})
	tc := dialPeer(t, a.tcpAddr, false)
	quiet := dialKeepAlive(t, a.sshAddr, "quiet")
	qs := openScreen(t, quiet.Client, 80, 24)
	tc.expect("*** quiet joined (ssh)")
	sleepy := dialKeepAlive(t, a.sshAddr, "sleepy")
	ss := openScreen(t, sleepy.Client, 80, 24)
	tc.expect("*** sleepy joined (ssh)")
	ss.waitFor("you: sleepy")
	poll(t, patience, "sleepy answering keep-alives", func() bool { return sleepy.keepAlives.Load() >= 2 })

	sleepy.conn.stall()
	stalled := time.Now()
	left := tc.expect("*** sleepy left (")
	took := time.Since(stalled)
	t.Logf("%s, %v after its network stalled", left, took.Round(time.Millisecond))
	if left != "*** sleepy left (connection lost)" {
		t.Errorf("the stalled client left as %q; want connection lost", left)
	}
	if took > 20*every+time.Second {
		t.Errorf("the stalled client was dropped after %v; want about %v", took, 4*every)
	}
	waitMembers(t, a.hub, "Thread-1", "quiet")

	poll(t, patience, "quiet answering more than 10 keep-alives", func() bool { return quiet.keepAlives.Load() > 10 })
	if sessionEnded(qs) {
		t.Fatal("the quiet client's session ended")
	}
	qs.typeText("still here\r")
	tc.expect("quiet> still here")
	waitMembers(t, a.hub, "Thread-1", "quiet")
}

// Fifty members on each door are all told of the shutdown before their
// connections close, and the shutdown takes seconds at most.
func TestAdversarialShutdownFiftyAndFifty(t *testing.T) {
	const n = 50
	a := startArena(t, room.Options{}, sshui.Options{})
	peers := make([]*peer, n)
	for i := range peers {
		peers[i] = connectPeer(t, a.tcpAddr, false)
	}
	for _, p := range peers {
		p.expect("*** You are ")
	}
	screens := make([]*screen, n)
	for i := range screens {
		c := dial(t, a.sshAddr, &gossh.ClientConfig{User: fmt.Sprintf("ssh%02d", i)})
		screens[i] = openScreen(t, c, 60, 20)
		// Like OpenSSH, the client hangs up once its session has ended.
		go func(s *screen) {
			err := <-s.ended
			s.ended <- err
			c.Close()
		}(screens[i])
	}
	poll(t, 3*patience, "100 members", func() bool { return len(a.hub.Members()) == 2*n })
	for i, s := range screens {
		s.waitFor(fmt.Sprintf("you: ssh%02d", i))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := a.stop(ctx)
	took := time.Since(start)
	t.Logf("shutdown of %d members took %v", 2*n, took.Round(time.Millisecond))
	if err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if took > 10*time.Second {
		t.Errorf("shutdown took %v", took)
	}

	const notice = "*** The server is shutting down. Goodbye!"
	for i, p := range peers {
		lines := p.waitClosed()
		if len(lines) == 0 || lines[len(lines)-1] != notice {
			t.Errorf("TCP member %d: the last lines before the close are %q", i+1, lines[max(0, len(lines)-3):])
		}
	}
	for i, s := range screens {
		waitEnded(t, s)
		raw := rawOut(s)
		// The notice is the last thing written, below the chat screen
		// that has just been left, where it stays for the member to read.
		farewell, left := strings.LastIndex(raw, notice), strings.LastIndex(raw, "\x1b[?1049l")
		if farewell < 0 || farewell < left {
			t.Errorf("screen %d: no shutdown notice after the chat screen closed; the end of its output: %q", i, raw[max(0, len(raw)-300):])
		}
	}
}

// Thousands of members come and go through both doors; afterwards the
// server holds no more goroutines, members or memory than before.
func TestAdversarialConnectDisconnectCyclesBothDoors(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	baseGoroutines := runtime.NumGoroutine()

	run := func(tcpCycles, sshCycles int) time.Duration {
		t.Helper()
		start := time.Now()
		jobs := make(chan int)
		errs := make(chan error, tcpCycles+sshCycles)
		var wg sync.WaitGroup
		for range cycleWorkers {
			wg.Go(func() {
				for i := range jobs {
					var err error
					if i < sshCycles {
						err = sshCycle(a.sshAddr, fmt.Sprintf("c%d", i), i%2 == 0)
					} else {
						err = tcpCycle(a.tcpAddr, i%2 == 0)
					}
					if err != nil {
						errs <- fmt.Errorf("cycle %d: %w", i, err)
					}
				}
			})
		}
		// SSH cycles first, each worker taking the next job: the costly
		// handshakes spread over the workers.
		for i := range tcpCycles + sshCycles {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(errs)
		n := 0
		for err := range errs {
			if n++; n <= 5 {
				t.Error(err)
			}
		}
		if n > 0 {
			t.Fatalf("%d cycles failed", n)
		}
		return time.Since(start)
	}
	settle := func(what string) {
		t.Helper()
		poll(t, 3*patience, what+": the room empty", func() bool { return len(a.hub.Members()) == 0 })
		err := pollErr(3*patience, what+": goroutines back to the start", func() bool { return runtime.NumGoroutine() <= baseGoroutines })
		if err != nil {
			buf := make([]byte, 1<<20)
			t.Fatalf("%v: %d goroutines, %d at the start\n%s", err, runtime.NumGoroutine(), baseGoroutines, buf[:runtime.Stack(buf, true)])
		}
	}

	// A few rounds first, so that what is made once (caches, pools) is made.
	run(50, 20)
	settle("after the warm-up")
	baseHeap := heapInUse()

	took := run(tcpCyclesTotal, sshCyclesTotal)
	t.Logf("%d TCP and %d SSH cycles in %v", tcpCyclesTotal, sshCyclesTotal, took.Round(time.Millisecond))
	settle("after the cycles")
	var heap uint64
	// Within seconds: a closed connection must not be held until a timer
	// of its own (the handshake deadline: 20 s) fires.
	err := pollErr(5*time.Second, "heap back near its start", func() bool {
		heap = heapInUse()
		return heap <= baseHeap+heapMargin
	})
	t.Logf("heap in use: %d kB before, %d kB after", baseHeap>>10, heap>>10)
	if err != nil {
		t.Error(err)
	}
}

// The cycles: 10 000 in all, over 8 workers. Under -race they take about
// 14 s on two cores, without it 7 s.
const (
	tcpCyclesTotal = 8000
	sshCyclesTotal = 2000
	cycleWorkers   = 8
)

// heapMargin is how much more heap the cycles may leave in use: the hub's
// name map keeps its buckets, the GC its own pace.
const heapMargin = 2 << 20

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// A bracketed paste that never ends, or a run of characters with no space
// or control, is held back by the screen's input parser until it can be
// parsed, in a buffer grown by copying: past a bound the member leaves as
// "input too long" instead of costing the server memory and quadratic time.
func TestAdversarialUnendingInputIsBounded(t *testing.T) {
	for _, tt := range []struct{ name, start, each string }{
		{"paste without its end", pasteStart, ""},
		{"paste starting again and again", pasteStart, pasteStart},
		{"characters without a break", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := startArena(t, room.Options{}, sshui.Options{})
			tc := dialPeer(t, a.tcpAddr, false)
			alice := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 80, 24)
			tc.expect("*** alice joined (ssh)")
			alice.waitFor("you: alice")

			// 8 MiB, or until the server stops taking it.
			sent := make(chan int, 1)
			go func() {
				chunk := tt.each + strings.Repeat("x", 32<<10)
				n := 0
				if _, err := io.WriteString(alice.stdin, tt.start); err == nil {
					for ; n < 8<<20; n += len(chunk) {
						if _, err := io.WriteString(alice.stdin, chunk); err != nil {
							break
						}
					}
				}
				sent <- n
			}()
			start := time.Now()
			left := tc.find("*** alice left (")
			if left != "*** alice left (input too long)" {
				t.Errorf("alice left as %q", left)
			}
			t.Logf("%s after %v", left, time.Since(start).Round(time.Millisecond))
			waitEnded(t, alice)
			select {
			case n := <-sent:
				t.Logf("the server took %d kB", n>>10)
			case <-time.After(patience):
				t.Error("the client's writes never ended")
			}
			tc.send("after\n") // the room goes on
			waitMembers(t, a.hub, "Thread-1")
		})
	}
}

// Window changes sent while a screen ends, and after, are taken: the SSH
// library's request loop would otherwise block on one for good, with the
// session and its goroutine.
func TestAdversarialWindowChangeFloodLeavesNothing(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	base := runtime.NumGoroutine()
	for i, how := range []string{"ctrl+c", "drop"} {
		c := dial(t, a.sshAddr, &gossh.ClientConfig{User: fmt.Sprintf("flood%d", i)})
		scr := openScreen(t, c, 80, 24)
		tc.expect(fmt.Sprintf("*** flood%d joined (ssh)", i))
		scr.waitFor(fmt.Sprintf("you: flood%d", i))
		flooding := make(chan struct{})
		go func() {
			defer close(flooding)
			for n := 0; ; n++ {
				if scr.sess.WindowChange(24+n%50, 80+n%50) != nil {
					return
				}
			}
		}()
		if how == "ctrl+c" {
			scr.typeText("\x03")
			waitEnded(t, scr)
		}
		c.Close()
		<-flooding
	}
	waitMembers(t, a.hub, "Thread-1")
	err := pollErr(patience, "goroutines back to the start", func() bool { return runtime.NumGoroutine() <= base })
	if err != nil {
		buf := make([]byte, 1<<20)
		t.Fatalf("%v: %d goroutines, %d at the start\n%s", err, runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
	}
}

// Environment variables sent before the shell are kept by the SSH library
// with no bound: past a few, the server refuses them.
func TestAdversarialEnvFloodIsRefused(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	c := dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"})
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	// What OpenSSH sends is taken.
	for _, kv := range [][2]string{{"LANG", "fr_FR.UTF-8"}, {"LC_ALL", "C.UTF-8"}, {"COLORTERM", "truecolor"}} {
		if err := sess.Setenv(kv[0], kv[1]); err != nil {
			t.Errorf("setenv %s: %v", kv[0], err)
		}
	}
	before := heapInUse()
	value := strings.Repeat("v", 16<<10)
	accepted := 0
	for i := range 2000 { // 32 MB
		if sess.Setenv(fmt.Sprintf("V%d", i), value) == nil {
			accepted++
		}
	}
	after := heapInUse()
	t.Logf("%d of 2000 variables of 16 kB accepted; heap %d kB, then %d kB", accepted, before>>10, after>>10)
	if after > before+8<<20 {
		t.Errorf("the server holds %d MB more after the variables", (after-before)>>20)
	}
	// The session still starts.
	out := &screen{t: t, more: make(chan struct{}, 1), ended: make(chan error, 1)}
	sess.Stdout = out
	stdin, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	tc.expect("*** alice joined (ssh)")
	io.WriteString(stdin, "hi\r")
	tc.expect("alice> hi")
}
