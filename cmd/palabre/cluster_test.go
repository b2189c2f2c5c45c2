package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	xvt "github.com/charmbracelet/x/vt"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/cluster"
	"palabre/internal/testterm"
)

// clusterStart bounds how long three nodes take to form their JetStream
// cluster and come up; the program itself gives them clusterStartup.
const clusterStart = 40 * time.Second

// goneWithin is how soon the members of the other nodes see a killed
// node's members leave: its heartbeats stop, and a node unheard of for
// cluster.DefaultGoneAfter (3 s) is gone; when it led the stream, the
// leave waits for the next leader's election too (nats-server's Raft: a
// few seconds more).
const goneWithin = 15 * time.Second

// Three real palabre processes, each embedding NATS, routed to each other
// over loopback, share one room: the course's client.py on the first, a
// TCP member on the second, an SSH screen on the third. Each reads the
// others' words under their names, Thread-N is numbered for the whole
// cluster, /who lists all three, and the three transcripts are one. When
// the second node is killed with -9, the others see its member leave
// (connection lost) within goneWithin, nobody else passes for gone, and
// the two still relay to each other. What each node's NATS server leads
// when the second dies (the stream, the names bucket) is logged: a failure
// may depend on it.
func TestClusterOfThreeBinaries(t *testing.T) {
	began := time.Now()
	nodes := startCluster(t, 3)
	t.Logf("three nodes up in %v", time.Since(began).Round(time.Millisecond))

	pyIn, py := joinClientPy(t, nodes[0].addr)
	tcpM := joinAny(t, nodes[1].addr)
	screen := openScreen(t, sshAddr(t, nodes[2]), "sam")
	if py.name == tcpM.name || !strings.HasPrefix(py.name, "Thread-") || !strings.HasPrefix(tcpM.name, "Thread-") {
		t.Fatalf("client.py on node 1 is %s, the TCP member on node 2 is %s: want two distinct Thread-N", py.name, tcpM.name)
	}
	waitContaining(t, py, "sam joined (ssh)")
	waitContaining(t, tcpM, "sam joined (ssh)")

	io.WriteString(pyIn, "bonjour du noeud 1\n")
	waitContaining(t, tcpM, py.name+"> bonjour du noeud 1")
	screen.showsLine(t, py.name, "bonjour du noeud 1")

	tcpM.send(t, "salut du noeud 2")
	waitContaining(t, py, tcpM.name+"> salut du noeud 2")
	screen.showsLine(t, tcpM.name, "salut du noeud 2")

	screen.typeLine(t, "hello from node 3")
	waitContaining(t, py, "sam> hello from node 3")
	waitContaining(t, tcpM, "sam> hello from node 3")

	tcpM.send(t, "/who")
	who := tcpM.next(t)
	for !strings.Contains(who, "member(s)") {
		who = tcpM.next(t)
	}
	for _, want := range []string{py.name + " (tcp)", tcpM.name + " (tcp)", "sam (ssh)"} {
		if !strings.HasPrefix(who, "*** 3 member(s)") || !strings.Contains(who, want) {
			t.Errorf("/who on node 2 answered %q: want 3 members, %s among them", who, want)
		}
	}

	sameTranscripts(t, "hello from node 3", nodes...)

	// Node 2 dies without a word: the others learn it from its silence.
	t.Logf("before the kill, the stream's leader is %s, the names bucket's %s; the stream's consumers are on %s",
		streamLeader(t, nodes[0], cluster.Stream), streamLeader(t, nodes[0], "KV_palabre-names"), consumersOn(t, nodes[0]))
	if err := nodes[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	gone := tcpM.name + " left (connection lost)"
	seen := waitWithin(t, py, gone, goneWithin)
	t.Logf("node 2's member seen gone on node 1 %v after the kill", time.Since(killed).Round(time.Millisecond))
	screen.showsLineWithin(t, goneWithin, gone)
	t.Logf("node 2's member seen gone on node 3 %v after the kill", time.Since(killed).Round(time.Millisecond))

	io.WriteString(pyIn, "toujours là\n")
	screen.showsLine(t, py.name, "toujours là")
	screen.typeLine(t, "still here too")
	seen = append(seen, waitWithin(t, py, "sam> still here too", patience)...)
	// Only the dead node's member left: the living never passed for gone.
	for _, l := range seen {
		if strings.Contains(l, "sam left") {
			t.Errorf("node 1's member read %q: node 3's member, connected, was taken for gone", l)
		}
	}
	for row := range strings.Lines(screen.shown()) {
		if strings.Contains(row, py.name+" left") { // Thread-1, not Thread-17
			t.Errorf("node 3's screen shows %q: node 1's member, connected, was taken for gone", strings.TrimSpace(row))
		}
	}
	sameTranscripts(t, "still here too", nodes[0], nodes[2])
	t.Logf("the whole test took %v", time.Since(began).Round(time.Millisecond))
}

// startCluster starts n nodes together, each embedding a NATS server
// routed to the others', and waits until all are up. The route ports are
// chosen free before the start, as a teacher would write them down.
func startCluster(t *testing.T, n int) []*proc {
	t.Helper()
	ports := freePorts(t, 2*n)
	clients, routes := ports[:n], ports[n:]
	nodes := make([]*proc, n)
	for i := range nodes {
		var others []string
		for j, p := range routes {
			if j != i {
				others = append(others, "nats://"+p)
			}
		}
		dir := t.TempDir()
		nodes[i] = launchProc(t, dir,
			"PALABRE_DATA_DIR="+filepath.Join(dir, "data"),
			"PALABRE_NATS_LISTEN="+clients[i],
			"PALABRE_NATS_CLUSTER="+routes[i],
			"PALABRE_NATS_ROUTES="+strings.Join(others, ","),
			fmt.Sprintf("PALABRE_NATS_NAME=n%d", i+1))
	}
	for _, p := range nodes {
		p.waitStarted(t, clusterStart)
	}
	return nodes
}

// freePorts returns n distinct loopback addresses free now: a route
// listener must be known before its server starts, since the others name
// it. All n are held at once so that none repeats.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// streamLeader asks p's NATS server which server leads the stream.
func streamLeader(t *testing.T, p *proc, stream string) string {
	t.Helper()
	s := natsStream(t, p, stream)
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Cluster == nil {
		t.Fatal("the stream has no cluster")
	}
	return info.Cluster.Leader
}

// consumersOn lists the servers the nodes' consumers of the stream live on.
func consumersOn(t *testing.T, p *proc) []string {
	t.Helper()
	var on []string
	cs := natsStream(t, p, cluster.Stream).ListConsumers(t.Context())
	for c := range cs.Info() {
		if c.Cluster != nil {
			on = append(on, c.Cluster.Leader)
		}
	}
	if err := cs.Err(); err != nil {
		t.Fatal(err)
	}
	return on
}

// natsStream connects to p's NATS server for the length of the test.
func natsStream(t *testing.T, p *proc, stream string) jetstream.Stream {
	t.Helper()
	var url string
	for _, e := range p.cmd.Env {
		if v, ok := strings.CutPrefix(e, "PALABRE_NATS_LISTEN="); ok {
			url = "nats://" + v
		}
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var sshStarted = regexp.MustCompile(` ssh=(\S+)`)

func sshAddr(t *testing.T, p *proc) string {
	t.Helper()
	m := sshStarted.FindStringSubmatch(p.started)
	if m == nil {
		t.Fatalf("no ssh address in %q", p.started)
	}
	return m[1]
}

// sameTranscripts waits until the nodes' transcripts, read while they
// run, are one and hold last: each node's store writes what it relays a
// little after it relays it.
func sameTranscripts(t *testing.T, last string, nodes ...*proc) {
	t.Helper()
	read := func(p *proc) string {
		dir := filepath.Join(p.cmd.Dir, "data")
		out, errs, code := transcript(t, nil, "--data-dir", dir, "--format", "json")
		if code != 0 {
			t.Fatalf("transcript of %s: exit %d: %s", dir, code, errs)
		}
		return out
	}
	deadline := time.Now().Add(patience)
	for {
		var got []string
		same := true
		for _, p := range nodes {
			got = append(got, read(p))
			same = same && got[len(got)-1] == got[0] && strings.Contains(got[0], last)
		}
		if same {
			if !strings.Contains(got[0], `"kind":"chat"`) {
				t.Errorf("the transcripts hold no chat:\n%s", got[0])
			}
			return
		}
		if time.Now().After(deadline) {
			for i, g := range got {
				t.Logf("transcript %d of %d:\n%s", i+1, len(got), g)
			}
			t.Fatalf("within %v, the nodes' transcripts were not one, holding %q", patience, last)
		}
		time.Sleep(50 * time.Millisecond) // a poll's pace, not a synchronisation: the comparison decides
	}
}

// joinClientPy runs the course's client.py (tcp/testdata's copy) against
// addr and reads up to its welcome: what it prints is the server's text
// between stars, a chunk at a time.
func joinClientPy(t *testing.T, addr string) (io.Writer, *member) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("the course's client.py needs python3: install python3 (%v)", err)
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "tcp", "testdata", "client.py"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(python, script, host, port)
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
	t.Cleanup(func() {
		cmd.Process.Kill() // the process this test started, by its pid
		cmd.Wait()
	})
	m := &member{lines: lineReader(stdout)}
	welcome := regexp.MustCompile(`You are (\S+);`)
	for m.name == "" {
		if w := welcome.FindStringSubmatch(m.next(t)); w != nil {
			m.name = w[1]
		}
	}
	return stdin, m
}

// waitWithin reads m's lines until one holds want, for at most d, and
// returns those it read before.
func waitWithin(t *testing.T, m *member, want string, d time.Duration) []string {
	t.Helper()
	deadline := time.After(d)
	var read []string
	for {
		select {
		case l, ok := <-m.lines:
			if !ok {
				t.Fatalf("%s: connection closed before %q; it read %q", m.name, want, read)
			}
			if strings.Contains(l, want) {
				return read
			}
			read = append(read, l)
		case <-deadline:
			t.Fatalf("%s: no %q within %v; it read %q", m.name, want, d, read)
		}
	}
}

// screen is an SSH session with a pty, as `ssh -t` opens it, and what it
// shows: a terminal emulator fed what the server wrote.
type screen struct {
	in   io.Writer
	mu   sync.Mutex
	out  []byte
	fed  int
	more chan struct{}
	em   *xvt.Emulator
}

const screenCols, screenRows = 120, 40

func openScreen(t *testing.T, addr, user string) *screen {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: patience})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	// The terminal's answers to the server's questions: none is needed.
	s := &screen{more: make(chan struct{}, 1), em: testterm.New(t, screenCols, screenRows, nil)}
	sess.Stdout = s
	if s.in, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", screenRows, screenCols, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.out = append(s.out, p...)
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default:
	}
	return len(p), nil
}

// shown feeds the emulator what came since and returns the screen.
func (s *screen) shown() string {
	s.mu.Lock()
	chunk := s.out[s.fed:]
	s.fed = len(s.out)
	s.mu.Unlock()
	s.em.Write(chunk)
	return s.em.String()
}

// showsLine waits until one row of the screen holds every one of parts.
func (s *screen) showsLine(t *testing.T, parts ...string) {
	t.Helper()
	s.showsLineWithin(t, patience, parts...)
}

func (s *screen) showsLineWithin(t *testing.T, d time.Duration, parts ...string) {
	t.Helper()
	deadline := time.After(d)
	for {
		shown := s.shown()
		for row := range strings.Lines(shown) {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(row, p)
			}
			if all {
				return
			}
		}
		select {
		case <-s.more:
		case <-deadline:
			t.Fatalf("within %v, the screen showed no row with %q; it shows:\n%s", d, parts, shown)
		}
	}
}

// typeLine types text and Enter.
func (s *screen) typeLine(t *testing.T, text string) {
	t.Helper()
	if _, err := io.WriteString(s.in, text+"\r"); err != nil {
		t.Fatal(err)
	}
}
