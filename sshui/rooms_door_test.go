package sshui_test

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	xvt "github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/testterm"
	"palabre/room"
	"palabre/sshui"
)

// openIn is `ssh -t host COMMAND`: a pty of term's type, and a command
// ("": a shell, as openTerm).
func openIn(t testing.TB, c *gossh.Client, command, term string, cols, rows int) *screen {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	s := &screen{t: t, sess: sess, more: make(chan struct{}, 1), ended: make(chan error, 1)}
	sess.Stdout = s
	if s.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty(term, rows, cols, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	start := func() error { return sess.Start(command) }
	if command == "" {
		start = sess.Shell
	}
	if err := start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.ended <- sess.Wait() }()
	return s
}

// display is what a screen shows now: a terminal emulator (x/vt) fed what
// the screen received, as it comes.
type display struct {
	s   *screen
	em  *xvt.Emulator
	fed int
}

func newDisplay(s *screen, cols, rows int) *display {
	// Its answers go back to the server, as a terminal's do: x/vt says it
	// has left and right margins, so the screen scrolls beside its list.
	return &display{s: s, em: testterm.New(s.t, cols, rows, s.stdin)}
}

// now feeds the emulator what came since, and returns its screen.
func (d *display) now() string {
	d.s.mu.Lock()
	chunk := string(d.s.out.Bytes()[d.fed:])
	d.fed += len(chunk)
	d.s.mu.Unlock()
	_, _ = d.em.WriteString(chunk)
	return d.em.String()
}

// title is the first row of the screen.
func (d *display) title() string {
	first, _, _ := strings.Cut(d.now(), "\n")
	return first
}

// waitFor waits until the screen shows what cond wants, and returns it.
func (d *display) waitFor(what string, cond func(shown string) bool) string {
	d.s.t.Helper()
	deadline := time.After(patience)
	for {
		shown := d.now()
		if cond(shown) {
			return shown
		}
		select {
		case <-d.s.more:
		case <-deadline:
			d.s.t.Fatalf("the screen never showed %s; it shows:\n%s", what, shown)
		}
	}
}

// shows waits until the screen shows text.
func (d *display) shows(text string) string {
	d.s.t.Helper()
	return d.waitFor(fmt.Sprintf("%q", text), func(s string) bool { return strings.Contains(s, text) })
}

// titled waits until the title bar starts with prefix.
func (d *display) titled(prefix string) string {
	d.s.t.Helper()
	return d.waitFor(fmt.Sprintf("the title %q", prefix), func(s string) bool { return strings.HasPrefix(s, prefix) })
}

// never checks that a member in another room read nothing of text: a
// private message sent after it, by the same sender, arrives first.
func never(t *testing.T, p *peer, text string) {
	t.Helper()
	lines, _ := p.snapshot()
	for _, l := range lines {
		if strings.Contains(l, text) {
			t.Errorf("a member of another room read %q", l)
		}
	}
}

// `ssh -t host tp1` opens the screen in room tp1, as `#tp1` does: a member
// of tp1 reads its words, one in the default room does not.
func TestACommandNamingARoomOpensTheScreenThere(t *testing.T) {
	for _, command := range []string{"tp1", "#tp1", "#ls"} {
		t.Run(command, func(t *testing.T) {
			want := strings.TrimPrefix(command, "#")
			a := startArena(t, room.Options{}, sshui.Options{})
			there := dialPeer(t, a.tcpAddr, false) // Thread-1
			there.send("/join " + want + "\n")
			there.expect("*** You are now in #" + want)
			main := dialPeer(t, a.tcpAddr, false) // Thread-2

			s := openIn(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), command, "xterm-256color", 100, 30)
			d := newDisplay(s, 100, 30)
			d.titled(" #" + want + " · 2 members")
			d.shows("You are now in #" + want + ", with Thread-1")
			there.expect("*** alice joined (ssh)")

			s.typeText("words for " + want + "\r")
			there.expect("alice> words for " + want)
			s.typeText("/msg Thread-2 sent after\r")
			main.expect("[private] alice> sent after")
			never(t, main, "words for")
			there.send("hello alice\n")
			d.shows("hello alice")
		})
	}
}

// Without a terminal, or with one that draws no screen (TERM=dumb), the
// command's room is where the line protocol speaks.
func TestACommandNamingARoomOpensTheLineProtocolThere(t *testing.T) {
	for _, term := range []string{"", "dumb"} {
		t.Run("term="+term, func(t *testing.T) {
			a := startArena(t, room.Options{}, sshui.Options{})
			there := dialPeer(t, a.tcpAddr, false)
			there.send("/join tp1\n")
			there.expect("*** You are now in #tp1")
			main := dialPeer(t, a.tcpAddr, false)

			sess, err := dial(t, a.sshAddr, &gossh.ClientConfig{User: "bob"}).NewSession()
			if err != nil {
				t.Fatal(err)
			}
			if term != "" {
				if err := sess.RequestPty(term, 24, 80, gossh.TerminalModes{}); err != nil {
					t.Fatal(err)
				}
			}
			stdin, _ := sess.StdinPipe()
			stdout, _ := sess.StdoutPipe()
			if err := sess.Start("tp1"); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 100)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- strings.TrimRight(sc.Text(), "\r")
				}
			}()
			var read []string
			waitLine := func(prefix string) {
				t.Helper()
				deadline := time.After(patience)
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							t.Fatalf("the session ended before a line %q; read %q", prefix, read)
						}
						read = append(read, l)
						if strings.HasPrefix(l, prefix) {
							return
						}
					case <-deadline:
						t.Fatalf("no line %q; read %q", prefix, read)
					}
				}
			}
			waitLine("*** You are bob; 1 other(s) here.")
			if want := []string{"You are connected. Please send your messages.", "*** You are now in #tp1, with Thread-1",
				"*** You are bob; 1 other(s) here. /help lists the commands."}; !slices.Equal(read, want) {
				t.Errorf("the session began with %q, want %q", read, want)
			}
			there.send("to the pipe\n")
			waitLine("Thread-1> to the pipe")
			io.WriteString(stdin, "from the pipe\r\n")
			there.expect("bob> from the pipe")
			io.WriteString(stdin, "/msg Thread-2 sent after\r\n")
			main.expect("[private] bob> sent after")
			never(t, main, "from the pipe")
			sess.Close()
		})
	}
}

// A command that is one word but no room's name is refused saying what a
// room's name may be; other commands are refused as before. Nobody joins.
func TestACommandThatNamesNoRoomIsRefused(t *testing.T) {
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		t.Run(string(lang), func(t *testing.T) {
			a := startArena(t, room.Options{}, sshui.Options{Lang: lang})
			_, port, _ := strings.Cut(a.sshAddr, ":")
			noCommand := map[room.Lang]string{room.LangEN: "palabre is a chat: connect with ssh -p " + port + " <host>, without a command.",
				room.LangFR: "palabre est un salon de discussion : connectez-vous avec ssh -p " + port + " <hôte>, sans commande."}[lang]
			for _, tt := range []struct {
				command, want string
			}{
				{"a", lang.Describe(room.Message{Kind: room.KindError, Err: room.ErrRoomName, Problem: room.NameTooShort, Text: "a"})},
				{"#caf\u00e9", lang.Describe(room.Message{Kind: room.KindError, Err: room.ErrRoomName, Problem: room.NameBadChars, Text: "caf\u00e9"})},
				{"./run.sh", lang.Describe(room.Message{Kind: room.KindError, Err: room.ErrRoomName, Problem: room.NameBadChars, Text: "./run.sh"})},
				{"root", lang.Describe(room.Message{Kind: room.KindError, Err: room.ErrRoomName, Problem: room.NameReserved, Text: "root"})},
				{"tp1 tp2", noCommand},
				{"whoami", noCommand},
			} {
				for _, pty := range []bool{false, true} {
					stdout, stderr, err := runCommand(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), tt.command, pty)
					if code := exitStatus(err); code != 1 {
						t.Errorf("%q (pty %v): the session ended with %v; want exit status 1", tt.command, pty, err)
					}
					if got := stderr.String(); got != tt.want+"\r\n" || stdout.Len() > 0 {
						t.Errorf("%q (pty %v): the client read %q on stderr, %q on stdout; want %q", tt.command, pty, got, stdout.String(), tt.want)
					}
				}
			}
			if names := memberNames(a.hub); len(names) != 0 {
				t.Errorf("members %q joined", names)
			}
		})
	}
}

// On the screen, /join, /part, /rooms and /who show the rooms, and each
// room keeps its scrollback: what was said in tp1 shows again on coming
// back, once.
func TestRoomCommandsOnTheScreen(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false) // Thread-1
	s := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	d := newDisplay(s, 100, 30)
	d.titled(" #main · 2 members")
	tc.send("said in main\n")
	d.shows("said in main")

	s.typeText("/join tp1\r")
	d.titled(" #tp1 · 1 member")
	shown := d.shows("You are now in #tp1, alone for now")
	if strings.Contains(shown, "said in main") {
		t.Errorf("tp1 shows what was said in main:\n%s", shown)
	}
	s.typeText("words in tp1\r")
	d.shows("words in tp1")
	tc.expect("*** alice went to #tp1")
	tc.send("/join tp1\n")
	tc.expect("*** You are now in #tp1, with alice")
	d.titled(" #tp1 · 2 members")
	shown = d.shows("Thread-1 came from #main (tcp)")
	if !regexp.MustCompile(`│ Thread-1`).MatchString(shown) {
		t.Errorf("the member list is not of tp1:\n%s", shown)
	}

	s.typeText("/who\r")
	d.shows("2 member(s): alice (ssh), Thread-1 (tcp)")
	s.typeText("/rooms\r")
	d.shows("#tp1: 2 member(s), you are here")
	d.shows("#main: 0 member(s)")

	s.typeText("/part\r")
	d.titled(" #main · 1 member")
	shown = d.shows("You are now in #main, alone for now")
	if !strings.Contains(shown, "said in main") || strings.Contains(shown, "words in tp1") {
		t.Errorf("back in main the screen shows:\n%s", shown)
	}

	s.typeText("/join tp1\r")
	d.titled(" #tp1 · 2 members")
	shown = d.shows("You are now in #tp1, with Thread-1")
	if n := strings.Count(shown, "words in tp1"); n != 1 {
		t.Errorf("back in tp1, its words show %d times:\n%s", n, shown)
	}
}

// The side panel marks a room where someone spoke, and Ctrl+N goes there.
func TestUnreadRoomOnTheScreenAndCtrlN(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	s := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	d := newDisplay(s, 100, 30)
	d.titled(" #main · 1 member")
	tc := dialPeer(t, a.tcpAddr, false)
	tc.send("/join tp2\n")
	tc.expect("*** You are now in #tp2")
	shown := d.shows("│ Members")
	if strings.Contains(shown, "#tp2") {
		t.Errorf("tp2 is marked before anything was said there:\n%s", shown)
	}
	tc.send("news in tp2\n")
	d.shows("│ Unread · Ctrl+N")
	d.shows("│ #tp2 •")

	s.typeText("\x0e") // Ctrl+N
	d.titled(" #tp2 · 2 members")
	shown = d.shows("news in tp2")
	if strings.Contains(shown, "#tp2 •") {
		t.Errorf("the room shown is marked unread:\n%s", shown)
	}
	s.typeText("\x0e") // nothing unread: the next room, main
	d.titled(" #main · 1 member")
}

// An operator's /breakout 3 spreads twelve members, six screens and six on
// TCP, into main-1 … main-3: each screen's title names its room, and its
// mates show; /gather brings them all back to main.
func TestBreakoutAndGatherOnScreens(t *testing.T) {
	a := startArena(t, room.Options{OpPassword: "sesame"}, sshui.Options{})
	op := dialPeer(t, a.tcpAddr, false) // Thread-1
	op.send("/op sesame\n")
	op.expect("*** Thread-1 is now an operator")

	type member struct {
		name string
		d    *display // nil: on TCP
		p    *peer
	}
	var spread []member // in the order they came, as the hub deals them
	for i := range 6 {
		name := fmt.Sprintf("s%d", i+1)
		s := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: name}), 100, 30)
		d := newDisplay(s, 100, 30)
		d.titled(" #main · ")
		spread = append(spread, member{name: name, d: d})
		p := dialPeer(t, a.tcpAddr, false)
		spread = append(spread, member{name: fmt.Sprintf("Thread-%d", i+2), p: p})
	}
	poll(t, patience, "13 members", func() bool { return len(memberNames(a.hub)) == 13 })

	op.send("/breakout 3\n")
	op.expect("*** Thread-1 spread 12 member(s) into 3 room(s): #main-1 (4), #main-2 (4), #main-3 (4)")
	for i, m := range spread {
		where := fmt.Sprintf("main-%d", i%3+1)
		if m.d == nil {
			m.p.expect("*** Thread-1 moved you: you are now in #" + where + ", with ")
			continue
		}
		shown := m.d.titled(" #" + where + " · 4 members")
		shown = m.d.shows("Thread-1 moved you: you are now in #" + where)
		for j, mate := range spread {
			listed := regexp.MustCompile(`│ ` + regexp.QuoteMeta(mate.name) + ` *\n`).MatchString(shown)
			if mates := j%3 == i%3; listed != mates {
				t.Errorf("%s in %s: %s listed %v, want %v:\n%s", m.name, where, mate.name, listed, mates, shown)
			}
		}
	}

	op.send("/gather\n")
	op.expect("*** Thread-1 brought 12 member(s) back from #main-1 (4), #main-2 (4), #main-3 (4)")
	for _, m := range spread {
		if m.d == nil {
			m.p.expect("*** Thread-1 moved you: you are now in #main, with ")
			continue
		}
		m.d.titled(" #main · 13 members")
		m.d.shows("Thread-1 moved you: you are now in #main")
	}
}
