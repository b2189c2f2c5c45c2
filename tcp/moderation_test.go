package tcp_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/connlimit"
	"palabre/internal/store"
	"palabre/room"
	"palabre/tcp"
)

// The teacher's tools on the course's door: operators, moderation, bans
// and the topic, persistence across a restart, and the room password.

const opPassword = "letmein"

// from dials from a loopback address of its own: every address of
// 127.0.0.0/8 reaches a listener on 127.0.0.1, so a ban by address can hit
// one member and spare another.
func from(ip string) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
}

// joinFrom dials from ip and reads past the greeting and welcome.
func (ts *testServer) joinFrom(t *testing.T, ip string) (*client, string) {
	t.Helper()
	c := dialWith(t, ts.addr, from(ip))
	c.expect("You are connected")
	w := c.expect("*** You are ")
	name, _, _ := strings.Cut(strings.TrimPrefix(w, "*** You are "), ";")
	return c, name
}

// openStore opens the SQLite store in dir; the test closes it at the end
// if it has not already (Close is safe twice).
func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// stop shuts a test server down as cmd/palabre does: the hub, then the door.
func (ts *testServer) stop(t *testing.T) {
	t.Helper()
	ts.hub.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func transcript(t *testing.T, dir string) []store.Entry {
	t.Helper()
	var out []store.Entry
	if err := store.ReadTranscript(dir, time.Time{}, func(e store.Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func names(h *room.Hub) []string {
	var out []string
	for _, m := range h.Members() {
		out = append(out, m.Name)
	}
	return out
}

// until matches what Lang.until adds to a line for a mute or ban with a
// duration: " until 15:04 (in 10 min)", with the date when it is not today's.
const until = ` until (\d{4}-\d\d-\d\d )?\d\d:\d\d \(in [0-9a-z ]+\)`

func expectMatch(c *client, re string) string {
	c.t.Helper()
	l := c.next()
	if !regexp.MustCompile("^" + re + "$").MatchString(l) {
		c.t.Fatalf("got line %q, want one matching %q", l, re)
	}
	return l
}

func TestOperatorCommandsOverTCP(t *testing.T) {
	ts := start(t, room.Options{OpPassword: opPassword}, nil)
	op, opName := ts.join(t)                     // 127.0.0.1
	target, tName := ts.joinFrom(t, "127.0.0.2") // the one to be banned, by address
	obs, obsName := ts.join(t)                   // 127.0.0.1, an onlooker
	if opName != "Thread-1" || tName != "Thread-2" || obsName != "Thread-3" {
		t.Fatalf("names %s %s %s", opName, tName, obsName)
	}
	op.expect("*** Thread-3 joined")
	target.expect("*** Thread-3 joined")
	everyone := []*client{op, target, obs}

	{ // Every operator command from a member that is not one: refused,
		// to it alone, and nothing changes.
		for _, tt := range []struct{ line, want string }{
			{"/kick Thread-2 spam", "*** /kick is for operators only"},
			{"/mute Thread-2 10m", "*** /mute is for operators only"},
			{"/unmute Thread-2", "*** /unmute is for operators only"},
			{"/ban Thread-2 1h spam", "*** /ban is for operators only"},
			{"/unban 127.0.0.2", "*** /unban is for operators only"},
			{"/bans", "*** /bans is for operators only"},
			{"/topic mine now", "*** /topic is for operators only"},
		} {
			obs.send(tt.line + "\n")
			obs.expectExactly(tt.want)
		}
		obs.send("/topic\n") // showing the topic is for everyone
		obs.expectExactly("*** No topic is set.")
		target.send("still here\n")
		// The next lines the others read: nothing of the refused commands.
		op.expectExactly("Thread-2> still here")
		obs.expectExactly("Thread-2> still here")
		if got := names(ts.hub); strings.Join(got, ",") != "Thread-1,Thread-2,Thread-3" {
			t.Errorf("members %v after refused commands", got)
		}
		if tp := ts.hub.Topic(); tp != "" {
			t.Errorf("topic %q after a refused /topic", tp)
		}
		for _, m := range ts.hub.Members() {
			if m.Op {
				t.Errorf("%s is an operator", m.Name)
			}
		}
	}

	{ // op
		op.send("/op wrong\n")
		op.expectExactly("*** wrong operator password")
		op.send("/op " + opPassword + "\n")
		for _, c := range everyone {
			c.expectExactly("*** Thread-1 is now an operator")
		}
		obs.send("/who\n")
		obs.expectExactly("*** 3 member(s): Thread-1 (tcp, op), Thread-2 (tcp), Thread-3 (tcp)")
		op.send("/op " + opPassword + "\n") // once is enough: no second announcement
		op.send("/kick Thread-1\n")
		op.expectExactly("*** /kick cannot aim at yourself")
		op.send("/kick nobody1\n")
		op.expectExactly("*** nobody called nobody1 is here")
		op.send("/unban 10.9.9.9\n")
		op.expectExactly("*** no ban on 10.9.9.9")
		op.send("/bans\n")
		op.expectExactly("*** No bans.")
	}

	{ // topic
		op.send("/topic TP 12: sockets\n")
		for _, c := range everyone {
			c.expectExactly("*** Thread-1 set the topic: TP 12: sockets")
		}
		if tp := ts.hub.Topic(); tp != "TP 12: sockets" {
			t.Errorf("hub topic %q", tp)
		}
		late := ts.dial(t)
		late.expectExactly("You are connected. Please send your messages.")
		late.expectExactly("*** You are Thread-4; 3 other(s) here. /help lists the commands.")
		late.expectHistory(room.LangEN, "Thread-2> still here") // the history,
		late.expectExactly("*** Topic: TP 12: sockets")         // then the topic
		late.send("FIN\n")
		late.closed()
		for _, c := range everyone {
			c.expectExactly("*** Thread-4 joined (tcp)")
			c.expectExactly("*** Thread-4 left (FIN)")
		}
	}

	{ // mute and unmute
		op.send("/mute Thread-2 10m\n")
		for _, c := range everyone {
			expectMatch(c, `\*\*\* Thread-2 was muted by Thread-1`+until)
		}
		// Whatever it tries to post, it is told; nobody reads a thing.
		for _, line := range []string{"can you hear me", "/me shouts", "/msg Thread-3 psst", "/nick loud"} {
			target.send(line + "\n")
			expectMatch(target, `\*\*\* you are muted: you can read but not post`+until)
		}
		target.send("/who\n") // reading commands still work
		target.expectExactly("*** 3 member(s): Thread-1 (tcp, op), Thread-2 (tcp), Thread-3 (tcp)")
		op.send("marker one\n")
		obs.expectExactly("Thread-1> marker one")
		target.expectExactly("Thread-1> marker one") // a muted member reads

		op.send("/unmute Thread-2\n")
		for _, c := range everyone {
			c.expectExactly("*** Thread-2 may speak again (Thread-1)")
		}
		target.send("thanks\n")
		op.expectExactly("Thread-2> thanks")
		obs.expectExactly("Thread-2> thanks")
	}

	{ // kick
		victim, vName := ts.join(t) // Thread-5, from 127.0.0.1 like the operator
		for _, c := range everyone {
			c.expectExactly("*** " + vName + " joined (tcp)")
		}
		op.send("/kick " + vName + " be nice\n")
		kicked := "*** " + vName + " was kicked by Thread-1: be nice"
		lines := victim.closed()
		if len(lines) == 0 || lines[len(lines)-1] != kicked {
			t.Fatalf("the kicked member read %q, then the connection closed; want %q last", lines, kicked)
		}
		for _, c := range everyone {
			c.expectExactly(kicked)
		}
		// The room reads the kick, and no leave line besides (the
		// transcript keeps the leave, with reason "kicked").
		op.send("after the kick\n")
		obs.expectExactly("Thread-1> after the kick")
		target.expectExactly("Thread-1> after the kick")
		if got := names(ts.hub); strings.Join(got, ",") != "Thread-1,Thread-2,Thread-3" {
			t.Errorf("members %v after the kick", got)
		}
		// A kick is no ban: the member may come back at once.
		back, bName := ts.join(t)
		back.send("FIN\n")
		back.closed()
		for _, c := range everyone {
			c.expectExactly("*** " + bName + " joined (tcp)")
			c.expectExactly("*** " + bName + " left (FIN)")
		}
	}

	{ // ban, bans, unban
		op.send("/ban Thread-2 1h flooding\n")
		banned := `\*\*\* Thread-2 was banned by Thread-1` + until + `: flooding`
		lines := target.closed()
		if len(lines) == 0 || !regexp.MustCompile("^"+banned+"$").MatchString(lines[len(lines)-1]) {
			t.Fatalf("the banned member read %q, then the connection closed", lines)
		}
		expectMatch(op, banned)
		// The operator alone is told what the ban holds: a member without
		// a key is banned by its address.
		op.expectExactly("*** the ban holds every newcomer without a key from 127.0.0.2")
		expectMatch(obs, banned)
		if got := names(ts.hub); strings.Join(got, ",") != "Thread-1,Thread-3" {
			t.Errorf("members %v after the ban", got)
		}

		// A new connection from the banned address: one line, then closed.
		again := dialWith(t, ts.addr, from("127.0.0.2"))
		if got := again.closed(); len(got) != 1 || !regexp.MustCompile(`^\*\*\* You are banned from this room`+until+`\.$`).MatchString(got[0]) {
			t.Fatalf("a banned address read %q", got)
		}
		// Another address is not banned.
		other, oName := ts.joinFrom(t, "127.0.0.3")
		other.send("FIN\n")
		other.closed()
		for _, c := range []*client{op, obs} {
			c.expectExactly("*** " + oName + " joined (tcp)")
			c.expectExactly("*** " + oName + " left (FIN)")
		}

		op.send("/bans\n")
		op.expectExactly("*** 1 ban(s):")
		expectMatch(op, `\*\*\*   1\. Thread-2 \(127\.0\.0\.2\) by Thread-1`+until+`: flooding`)
		op.expectExactly("***     the ban holds every newcomer without a key from 127.0.0.2")

		op.expectExactly("*** /unban N lifts ban N of this list; /unban NAME, /unban KEY|ADDRESS too")

		op.send("/unban 127.0.0.2\n")
		op.expectExactly("*** the ban on Thread-2 (127.0.0.2) is lifted")
		op.send("marker two\n")
		// The unban is told to the operator alone: a ban's target may be
		// an address, nobody else's business.
		obs.expectExactly("Thread-1> marker two")
		op.send("/bans\n")
		op.expectExactly("*** No bans.")

		back, bName := ts.joinFrom(t, "127.0.0.2")
		back.send("hello again\n")
		obs.expectExactly("*** " + bName + " joined (tcp)")
		obs.expectExactly(bName + "> hello again")
	}
}

// An operator who bans a TCP member banned the member's address; an
// operator at the same address must not be put out by its own ban.
func TestBanByAddressSparesTheOperator(t *testing.T) {
	ts := start(t, room.Options{OpPassword: opPassword}, nil)
	op, _ := ts.join(t)
	target, _ := ts.join(t) // same address, 127.0.0.1
	op.expect("*** Thread-2 joined")
	op.send("/op " + opPassword + "\n")
	target.expectExactly("*** Thread-1 is now an operator")
	op.send("/ban Thread-2 10m\n")
	target.closed()
	op.expect("*** Thread-2 was banned by Thread-1")
	// The ban is carried out within the command: no waiting needed.
	if got := names(ts.hub); !slices.Equal(got, []string{"Thread-1"}) {
		t.Fatalf("members %v after the ban, want the operator alone: an address ban takes its target only", got)
	}
	op.expectExactly("*** the ban holds every newcomer without a key from 127.0.0.1")
}

func TestBansAndTopicSurviveARestart(t *testing.T) {
	dir := t.TempDir()

	// The first run: a join, chat, an operator, a kick, a topic and a ban.
	st := openStore(t, dir)
	state, err := st.Load(room.DefaultHistory)
	if err != nil {
		t.Fatal(err)
	}
	ts := start(t, room.Options{OpPassword: opPassword, Store: st, State: state}, nil)
	op, _ := ts.join(t)
	banned, _ := ts.joinFrom(t, "127.0.0.2")
	op.expect("*** Thread-2 joined")
	kicked, _ := ts.join(t)
	op.expect("*** Thread-3 joined")
	op.send("/op " + opPassword + "\n")
	for _, c := range []*client{op, banned, kicked} {
		c.expect("*** Thread-1 is now an operator")
	}
	banned.send("hello before\n")
	op.expectExactly("Thread-2> hello before")
	op.send("/kick Thread-3 noise\n")
	op.expectExactly("*** Thread-3 was kicked by Thread-1: noise")
	op.send("/topic Exam on Friday\n")
	op.expectExactly("*** Thread-1 set the topic: Exam on Friday")
	op.send("/ban Thread-2 3d cheating\n")
	op.expect("*** Thread-2 was banned by Thread-1")
	kicked.closed()
	banned.closed()
	ts.stop(t)
	op.closed()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	before := transcript(t, dir)
	type row struct{ kind, name, target, text, reason string }
	want := []row{
		{"join", "Thread-1", "", "", ""},
		{"join", "Thread-2", "", "", ""},
		{"join", "Thread-3", "", "", ""},
		{"op", "Thread-1", "", "", ""},
		{"chat", "Thread-2", "", "hello before", ""},
		{"kick", "Thread-1", "Thread-3", "noise", ""},
		{"leave", "Thread-3", "", "", "kicked"},
		{"topic", "Thread-1", "", "Exam on Friday", ""},
		{"ban", "Thread-1", "Thread-2", "cheating", ""},
		{"leave", "Thread-2", "", "", "banned"},
		{"leave", "Thread-1", "", "", "server shutdown"},
		{"stop", "", "", "", ""},
	}
	if len(before) != len(want) {
		t.Fatalf("transcript of the first run: %d rows, want %d: %+v", len(before), len(want), before)
	}
	for i, e := range before {
		if got := (row{e.Kind, e.Name, e.Target, e.Text, e.Reason}); got != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, got, want[i])
		}
		wantSeq := uint64(i) + 1
		if i >= len(want)-2 {
			// The shutdown notice took a number of its own, and Shutdown
			// does not record it: the transcript skips one there.
			wantSeq++
		}
		if e.Seq != wantSeq {
			t.Errorf("row %d: seq %d, want %d", i, e.Seq, wantSeq)
		}
	}
	if ban := before[8]; ban.Until.Sub(ban.At) > 72*time.Hour || ban.Until.Sub(ban.At) < 72*time.Hour-time.Second {
		t.Errorf("the ban row: at %v until %v, want 3 days", ban.At, ban.Until)
	}
	lastSeq := before[len(before)-1].Seq

	// The second run, from what the store kept.
	st2 := openStore(t, dir)
	state2, err := st2.Load(room.DefaultHistory)
	if err != nil {
		t.Fatal(err)
	}
	if state2.Seq != lastSeq || state2.Topic != "Exam on Friday" || len(state2.Bans) != 1 ||
		state2.Bans[0].Target != "127.0.0.2" || state2.Bans[0].Reason != "cheating" || state2.Bans[0].By != "Thread-1" {
		t.Fatalf("loaded state: seq %d topic %q bans %+v", state2.Seq, state2.Topic, state2.Bans)
	}
	// Thread-N goes on from the first run's, as cmd/palabre passes it.
	ts2 := start(t, room.Options{OpPassword: opPassword, Store: st2, State: state2}, func(s *tcp.Server) { s.LastThread = state2.Numbers["thread-"] })

	refused := dialWith(t, ts2.addr, from("127.0.0.2"))
	if got := refused.closed(); len(got) != 1 || !regexp.MustCompile(`^\*\*\* You are banned from this room`+until+`\.$`).MatchString(got[0]) {
		t.Fatalf("the banned address, after the restart, read %q", got)
	}
	late := ts2.dial(t)
	late.expectExactly("You are connected. Please send your messages.")
	// After the first run's three, and the refused connection: Thread-5,
	// not the Thread-2 whose words the history shows.
	late.expectExactly("*** You are Thread-5; 0 other(s) here. /help lists the commands.")
	late.expectHistory(room.LangEN, "Thread-2> hello before") // the history came back too
	late.expectExactly("*** Topic: Exam on Friday")
	late.send("after the restart\n")
	late.send("FIN\n")
	late.closed()
	ts2.stop(t)
	if err := st2.Close(); err != nil {
		t.Fatal(err)
	}

	after := transcript(t, dir)[len(before):]
	wantAfter := []row{
		{"join", "Thread-5", "", "", ""},
		{"chat", "Thread-5", "", "after the restart", ""},
		{"leave", "Thread-5", "", "", "FIN"},
		{"stop", "", "", "", ""},
	}
	if len(after) != len(wantAfter) {
		t.Fatalf("transcript of the second run: %+v", after)
	}
	for i, e := range after {
		if got := (row{e.Kind, e.Name, e.Target, e.Text, e.Reason}); got != wantAfter[i] {
			t.Errorf("second run, row %d: %+v, want %+v", i, got, wantAfter[i])
		}
		wantSeq := lastSeq + uint64(i) + 1
		if i == len(wantAfter)-1 {
			wantSeq++ // the shutdown notice's number, not recorded
		}
		if e.Seq != wantSeq {
			t.Errorf("second run, row %d: seq %d, want %d (the sequence goes on from %d)", i, e.Seq, wantSeq, lastSeq)
		}
	}
}

// joinWithPassword connects, answers the password prompt and reads up to the welcome.
func (ts *testServer) joinWithPassword(t *testing.T, password string) *client {
	t.Helper()
	c := ts.dial(t)
	c.send(password + "\n")
	c.expectExactly("You are connected. Please send your messages.")
	c.expectExactly("*** Password:")
	c.expect("*** You are ")
	return c
}

func TestRoomPasswordOnTheTCPDoor(t *testing.T) {
	withPassword := func(s *tcp.Server) {
		s.Password = "sesame"
		s.Limits = &connlimit.Limiter{}
	}

	for _, answer := range []string{"sesame\n", "sesame\r\n", "sesame \n", " sesame\t\n"} {
		t.Run(fmt.Sprintf("right password, framed %q", answer), func(t *testing.T) {
			ts := start(t, room.Options{}, withPassword)
			a := ts.dial(t)
			a.send(answer) // sent at once, before the prompt, as a script would
			a.expectExactly("You are connected. Please send your messages.")
			a.expectExactly("*** Password:")
			a.expectExactly("*** You are Thread-1; 0 other(s) here. /help lists the commands.")
			b := ts.joinWithPassword(t, "sesame")
			a.expectExactly("*** Thread-2 joined (tcp)")
			b.send("hi\n")
			a.expectExactly("Thread-2> hi")
		})
	}

	// One wrong answer is within any address's allowance (see
	// passwords_test.go for the pacing): the right one comes in at once.
	t.Run("wrong password, then the right one", func(t *testing.T) {
		ts := start(t, room.Options{}, withPassword)
		c := ts.dial(t)
		c.send("open sesame\n")
		want := []string{"You are connected. Please send your messages.", "*** Password:", "*** Wrong password."}
		if got := c.closed(); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("a wrong password read %q, want %q then the close", got, want)
		}
		ts.joinWithPassword(t, "sesame")
		if n := len(ts.hub.Members()); n != 1 {
			t.Errorf("%d members, want only the one with the password", n)
		}
	})

	t.Run("course style: unframed sends", func(t *testing.T) {
		ts := start(t, room.Options{}, withPassword)
		obs := ts.joinWithPassword(t, "sesame")
		c := ts.dial(t)
		c.expectExactly("You are connected. Please send your messages.")
		c.expectExactly("*** Password:")
		c.send("sesame") // one send(), no newline: a pause ends it
		obs.expectExactly("*** Thread-2 joined (tcp)")
		c.send("hello")
		obs.expectExactly("Thread-2> hello")
		// Written as the course's client reads: no newline at the end.
		c.send("FIN")
		want := "*** You are Thread-2; 1 other(s) here. /help lists the commands."
		if got := c.closed(); len(got) != 1 || got[0] != want {
			t.Errorf("after the password, read %q, want %q with no newline, then the close", got, want)
		}
	})

	t.Run("the course's client.py", func(t *testing.T) {
		python, script := courseClient(t)
		ts := start(t, room.Options{}, withPassword)
		obs := ts.joinWithPassword(t, "sesame")
		_, port, _ := net.SplitHostPort(ts.addr)
		py := startClientPy(t, python, script, port)

		py.waitOut("Password:")
		py.input("sesame")
		py.waitOut("*** You are Thread-2;")
		obs.expectExactly("*** Thread-2 joined (tcp)")
		py.input("bonjour de python")
		obs.expectExactly("Thread-2> bonjour de python")
		py.input("FIN")
		py.stdin.Close() // the end of the student's typing: the client's input thread ends too
		obs.expectExactly("*** Thread-2 left (FIN)")
		py.waitOut("Client arrêté") // the server closed, and the client saw it
		if err := py.wait(); err != nil {
			t.Errorf("client.py: %v", err)
		}
	})

	t.Run("keys only and no password", func(t *testing.T) {
		ts := start(t, room.Options{}, func(s *tcp.Server) { s.KeysOnly = true })
		for _, first := range []string{"", "hello\n", "sesame\n", "sesame"} {
			c := ts.dial(t)
			if first != "" {
				c.send(first)
			}
			if got := c.closed(); len(got) != 1 || got[0] != "*** This room only takes SSH keys it knows." {
				t.Errorf("sending %q first: read %q", first, got)
			}
		}
		if n := len(ts.hub.Members()); n != 0 {
			t.Errorf("%d members, want none", n)
		}
	})
}

// courseClient returns python3 and the course's client.py (a copy of
// /work/shared/course/client.py, so that the test runs wherever the
// repository is). Without python3 the test fails: the course's own client
// is what the TCP door exists for.
func courseClient(t *testing.T) (python, script string) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("the course's client.py needs python3: install python3 (%v)", err)
	}
	script, err = filepath.Abs(filepath.Join("testdata", "client.py"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatal(err)
	}
	return python, script
}

// clientPy is the course's client.py run as a subprocess: lines typed on its
// stdin, what it prints read line by line.
type clientPy struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    chan string // closed at the end of its output
	seen   []string
	stderr bytes.Buffer // read once it has exited
}

func startClientPy(t *testing.T, python, script, port string) *clientPy {
	t.Helper()
	cmd := exec.Command(python, script, "127.0.0.1", port)
	p := &clientPy{t: t, cmd: cmd, out: make(chan string, 1024)}
	cmd.Stderr = &p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.stdin = stdin
	go func() {
		defer close(p.out)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.out <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // still running: the test failed half-way
			cmd.Process.Kill() // the process this test started, by its pid
			for range p.out {
			}
			cmd.Wait()
		}
	})
	return p
}

// input types one line, as a student would at the client's prompt.
func (p *clientPy) input(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatalf("typing %q: %v", line, err)
	}
}

// waitOut waits until the client prints a line containing substr.
func (p *clientPy) waitOut(substr string) {
	p.t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case l, ok := <-p.out:
			if !ok {
				p.t.Fatalf("client.py ended before printing %q; it printed %q", substr, p.seen)
			}
			p.seen = append(p.seen, l)
			if strings.Contains(l, substr) {
				return
			}
		case <-deadline:
			p.t.Fatalf("client.py never printed %q; it printed %q", substr, p.seen)
		}
	}
}

// wait waits for the client to exit on its own, its output read to the end.
func (p *clientPy) wait() error {
	p.t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case l, ok := <-p.out:
			if ok {
				p.seen = append(p.seen, l)
				continue
			}
			if err := p.cmd.Wait(); err != nil {
				return fmt.Errorf("%w; stderr: %s", err, p.stderr.Bytes())
			}
			return nil
		case <-deadline:
			p.t.Fatalf("client.py did not exit; it printed %q", p.seen)
			return nil
		}
	}
}
