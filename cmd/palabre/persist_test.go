package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/config"
	"palabre/internal/store"
)

// proc is the real program running in its own process, on a working
// directory the test chose, so that a second run finds the first one's
// ./data. Its log is drained as it comes and shown if the test fails.
type proc struct {
	cmd     *exec.Cmd
	addr    string // the TCP door, once up is closed
	started string // the "palabre started" log line, once up is closed

	mu   sync.Mutex
	logs []string
	up   chan struct{} // closed at the start line
	eof  chan struct{} // closed when the log pipe ends: the process is gone
}

var startedLine = regexp.MustCompile(`msg="palabre started" tcp=(\S+)`)

func startProc(t *testing.T, dir string, env ...string) *proc {
	t.Helper()
	p := launchProc(t, dir, env...)
	p.waitStarted(t, patience)
	return p
}

// launchProc starts the program without waiting for it to be up: a
// cluster's nodes start together, each waiting for the others.
func launchProc(t *testing.T, dir string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PALABRE_TEST_BE_MAIN=1", "PALABRE_TCP_ADDR=127.0.0.1:0", "PALABRE_SSH_ADDR=127.0.0.1:0", "PALABRE_HTTP_ADDR=127.0.0.1:0", "PALABRE_LOG_LEVEL=info")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, up: make(chan struct{}), eof: make(chan struct{})}
	t.Cleanup(func() {
		cmd.Process.Kill()
		p.reap()
		if t.Failed() {
			t.Logf("log of process %d:\n%s", cmd.Process.Pid, strings.Join(p.log(), "\n"))
		}
	})
	go func() {
		defer close(p.eof)
		for l := range lineReader(stderr) {
			p.mu.Lock()
			p.logs = append(p.logs, l)
			p.mu.Unlock()
			if m := startedLine.FindStringSubmatch(l); m != nil && p.addr == "" {
				p.addr, p.started = m[1], l
				close(p.up)
			}
		}
	}()
	return p
}

// waitStarted waits for the start line, within the given time.
func (p *proc) waitStarted(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-p.up:
	case <-p.eof:
		t.Fatal("the server exited before starting")
	case <-time.After(within):
		t.Fatalf("no start line in the log within %v", within)
	}
}

func (p *proc) log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.logs)
}

// reap waits for the log pipe to end, then for the process: Wait closes
// the pipe, so it comes after the last read.
func (p *proc) reap() error {
	select {
	case <-p.eof:
	case <-time.After(patience):
		p.cmd.Process.Kill()
		<-p.eof
	}
	return p.cmd.Wait()
}

// member is one TCP connection that has joined the room.
type member struct {
	nc    net.Conn
	name  string
	lines <-chan string // what it reads after its welcome line
}

var welcomeLine = regexp.MustCompile(`^\*\*\* You are (\S+);`)

// joinTCP connects to addr and reads up to the welcome line.
func joinTCP(t *testing.T, addr string) *member {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	m := &member{nc: nc}
	lines := lineReader(nc)
	m.lines = lines
	deadline := time.After(patience)
	for m.name == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("connection closed before the welcome")
			}
			if w := welcomeLine.FindStringSubmatch(l); w != nil {
				m.name = w[1]
			}
		case <-deadline:
			t.Fatal("no welcome line")
		}
	}
	return m
}

// sshLines joins through the SSH door without a terminal (the line
// protocol) and returns its input and what it reads.
func sshLines(t *testing.T, addr, user string) (io.Writer, *member) {
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
	stdin, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	return stdin, &member{name: user, lines: lineReader(stdout)}
}

func (m *member) send(t *testing.T, lines ...string) {
	t.Helper()
	if _, err := io.WriteString(m.nc, strings.Join(lines, "\n")+"\n"); err != nil {
		t.Fatalf("%s sending: %v", m.name, err)
	}
}

// next returns the next line m reads.
func (m *member) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-m.lines:
		if !ok {
			t.Fatalf("%s: connection closed", m.name)
		}
		return l
	case <-time.After(patience):
		t.Fatalf("%s: no line within %v", m.name, patience)
	}
	return ""
}

// transcript runs `palabre transcript ARGS` in-process.
func transcript(t *testing.T, environ []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), append([]string{"transcript"}, args...), strings.NewReader(""), &out, &errb, environ)
	return out.String(), errb.String(), code
}

// entries runs `palabre transcript --format json` on dir and decodes it,
// checking that every line is one object with the fields every entry has.
func entries(t *testing.T, dir string, args ...string) []store.Entry {
	t.Helper()
	out, errs, code := transcript(t, nil, append([]string{"--data-dir", dir, "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("transcript exit %d: %s", code, errs)
	}
	var es []store.Entry
	for l := range strings.Lines(out) {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &fields); err != nil {
			t.Fatalf("transcript line %q: %v", l, err)
		}
		for _, f := range []string{"seq", "at", "kind", "name"} {
			if _, ok := fields[f]; !ok {
				t.Errorf("transcript line %q has no %q", l, f)
			}
		}
		var e store.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("transcript line %q: %v", l, err)
		}
		if (e.Kind == "chat" || e.Kind == "action") && !strings.Contains(l, `"text":`) {
			t.Errorf("transcript line %q has no text", l)
		}
		es = append(es, e)
	}
	return es
}

func chats(es []store.Entry) []string {
	var out []string
	for _, e := range es {
		if e.Kind == "chat" {
			out = append(out, e.Name+"> "+e.Text)
		}
	}
	return out
}

// checkSeqs fails unless the entries' seq numbers strictly increase.
func checkSeqs(t *testing.T, es []store.Entry) {
	t.Helper()
	for i := 1; i < len(es); i++ {
		if es[i].Seq <= es[i-1].Seq {
			t.Errorf("seq %d (%s %s) after seq %d: want strictly increasing", es[i].Seq, es[i].Kind, es[i].Text, es[i-1].Seq)
		}
	}
}

// A message relayed more than a second before a kill -9 is in the
// transcript after the restart, the newcomers' history comes back from it,
// and the sequence goes on where it stopped.
func TestKillNineKeepsWhatWasRelayed(t *testing.T) {
	const n, history = 50, 10
	dir := t.TempDir()
	data := filepath.Join(dir, "data") // PALABRE_DATA_DIR's default, in the working directory
	env := []string{"PALABRE_HISTORY=" + strconv.Itoa(history), "PALABRE_MSG_RATE=0"}

	first := startProc(t, dir, env...)
	sender, receiver := joinTCP(t, first.addr), joinTCP(t, first.addr)
	var sent, want []string
	for i := range n {
		sent = append(sent, fmt.Sprintf("message %02d", i))
		want = append(want, sender.name+"> "+sent[i])
	}
	sender.send(t, sent...)
	for i := range n {
		if got := receiver.next(t); got != want[i] {
			t.Fatalf("relayed line %d: %q, want %q", i, got, want[i])
		}
	}
	// The condition under test is about elapsed time: what was relayed more
	// than one second before the kill must survive it. So this wait is the
	// scenario, not a synchronisation.
	time.Sleep(1100 * time.Millisecond)
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := first.reap()
	if ws, ok := first.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("exit: %v; want killed by SIGKILL", err)
	}

	// The transcript reads the database the killed server left.
	before := entries(t, data)
	if got := chats(before); !slices.Equal(got, want) {
		t.Fatalf("after kill -9, the transcript's chats are\n%q\nwant\n%q", got, want)
	}
	checkSeqs(t, before)
	last := before[len(before)-1].Seq

	second := startProc(t, dir, env...)
	if !strings.Contains(second.started, fmt.Sprintf(" seq=%d ", last)) {
		t.Errorf("restart log %q: want seq=%d, the last one recorded", second.started, last)
	}
	// Readable while the server runs, and kept by the restart.
	if got := entries(t, data); len(got) < len(before) || !slices.EqualFunc(got[:len(before)], before, func(a, b store.Entry) bool { return a.Seq == b.Seq && a.Text == b.Text }) {
		t.Errorf("with the server restarted, the transcript is\n%v\nwant it to start with\n%v", got, before)
	}
	newcomer := joinTCP(t, second.addr)
	// The history, each line with its time, between its two marks.
	var kept []store.Entry
	for _, e := range before {
		if e.Kind == "chat" {
			kept = append(kept, e)
		}
	}
	kept = kept[len(kept)-history:]
	if got := newcomer.next(t); !strings.HasPrefix(got, "*** earlier messages, since ") {
		t.Fatalf("before the history, the newcomer read %q", got)
	}
	for i := n - history; i < n; i++ {
		stamp := "[" + kept[i-(n-history)].At.Local().Format("15:04") + "] "
		if got := newcomer.next(t); got != stamp+want[i] {
			t.Fatalf("history line %d: %q, want %q", i-(n-history), got, stamp+want[i])
		}
	}
	if got := newcomer.next(t); got != "*** now live" {
		t.Fatalf("after the history, the newcomer read %q, want the live mark", got)
	}
	watcher := joinTCP(t, second.addr)
	if got, want := newcomer.next(t), "*** "+watcher.name+" joined (tcp)"; got != want {
		t.Errorf("after the history, the newcomer read %q, want %q", got, want)
	}
	newcomer.send(t, "after the restart")
	for {
		if l := watcher.next(t); l == newcomer.name+"> after the restart" {
			break
		}
	}

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.reap(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	for _, l := range second.log() {
		if strings.Contains(l, "store:") {
			t.Errorf("store trouble after the restart: %s", l)
		}
	}
	after := entries(t, data)
	checkSeqs(t, after)
	if len(after) <= len(before) || !slices.EqualFunc(after[:len(before)], before, func(a, b store.Entry) bool { return a.Seq == b.Seq && a.Text == b.Text }) {
		t.Fatalf("the transcript before the restart\n%v\nis not the start of the one after\n%v", before, after)
	}
	// The restart recorded that it follows a crash, and that both members
	// left for it.
	if k := kinds(after[len(before):]); len(k) < 3 || !slices.Equal(k[:3], []string{"crash", "leave", "leave"}) {
		t.Errorf("the restart recorded %v, want the crash and two leaves first", k)
	}
	found := false
	for _, e := range after[len(before):] {
		if e.Seq <= last {
			t.Errorf("after the restart, %s %q has seq %d; the last before was %d", e.Kind, e.Text, e.Seq, last)
		}
		found = found || (e.Kind == "chat" && e.Text == "after the restart")
	}
	if !found {
		t.Errorf("the message sent after the restart is not in the transcript:\n%v", after[len(before):])
	}
}

// startServeIn is startServe on the caller's cfg.DataDir, so that the
// test can read the transcript there.
func startServeIn(t *testing.T, cfg config.Config) (string, func() error) {
	t.Helper()
	cfg.TCPAddr, cfg.SSHAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan map[string]net.Addr, 1)
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, io.Discard, func(a map[string]net.Addr) { addrs <- a }) }()
	var addr string
	select {
	case a := <-addrs:
		addr = a["tcp"].String()
	case err := <-served:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(patience):
		cancel()
		t.Fatal("serve did not start")
	}
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-served:
			case <-time.After(patience):
				err = fmt.Errorf("serve did not return within %v", patience)
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return addr, stop
}

// waitFor reads m's lines until one is want.
func (m *member) waitFor(t *testing.T, want string) {
	t.Helper()
	for {
		if l := m.next(t); l == want {
			return
		}
	}
}

var stamped = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d) (.*)$`)

func TestTranscriptCommand(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	cfg := defaults(t)
	cfg.DataDir, cfg.OpPassword, cfg.MsgRate = t.TempDir(), "sesame", 0
	began := time.Now()
	addr, stop := startServeIn(t, cfg)

	alice := joinTCP(t, addr)
	bob := joinTCP(t, addr)
	alice.waitFor(t, "*** "+bob.name+" joined (tcp)")
	alice.send(t, "/nick alice")
	bob.waitFor(t, "*** "+alice.name+" is now known as alice")
	bob.send(t, "/nick bob")
	alice.waitFor(t, "*** "+bob.name+" is now known as bob")
	alice.send(t, "bonjour", "/me waves", "/op sesame", "/topic Persistence", "/kick bob too noisy")
	bob.waitFor(t, "*** bob was kicked by alice: too noisy")
	want := []string{
		"*** server started",
		"*** " + alice.name + " joined (tcp)",
		"*** " + bob.name + " joined (tcp)",
		"*** " + alice.name + " is now known as alice",
		"*** " + bob.name + " is now known as bob",
		"alice> bonjour",
		"* alice waves",
		"*** alice is now an operator",
		"*** alice set the topic: Persistence",
		"*** bob was kicked by alice: too noisy",
		"*** bob left (kicked)",
	}
	wantKinds := []string{"start", "join", "join", "nick", "nick", "chat", "action", "op", "topic", "kick", "leave"}

	// While the server runs: the store commits on its own time and nothing
	// outside the server can wait on it, so poll until the kick's leave is in.
	deadline := time.Now().Add(patience)
	for {
		es := entries(t, cfg.DataDir)
		if len(es) >= len(wantKinds) {
			if got := kinds(es); !slices.Equal(got, wantKinds) {
				t.Errorf("while serving, the transcript's kinds are %q, want %q", got, wantKinds)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("while serving, the transcript has %d entries, want %d: %v", len(es), len(wantKinds), es)
		}
		time.Sleep(10 * time.Millisecond)
	}

	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	ended := time.Now()
	want = append(want, "*** alice left (server shutdown)", "*** server stopped")
	wantKinds = append(wantKinds, "leave", "stop")

	text := func(args ...string) []string {
		t.Helper()
		out, errs, code := transcript(t, nil, append([]string{"--data-dir", cfg.DataDir}, args...)...)
		if code != 0 {
			t.Fatalf("transcript %q: exit %d: %s", args, code, errs)
		}
		var lines []string
		for l := range strings.Lines(out) {
			m := stamped.FindStringSubmatch(strings.TrimSuffix(l, "\n"))
			if m == nil {
				t.Fatalf("transcript line %q: want YYYY-MM-DD HH:MM first", l)
			}
			at, err := time.ParseInLocation("2006-01-02 15:04", m[1], time.Local)
			if err != nil || at.Before(began.Truncate(time.Minute)) || at.After(ended) {
				t.Errorf("transcript line %q: the time is not the local time of the session (%v to %v)", l, began, ended)
			}
			lines = append(lines, m[2])
		}
		return lines
	}
	t.Run("text", func(t *testing.T) {
		if got := text(); !slices.Equal(got, want) {
			t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if got := text("--format", "text", "--since", "1h"); !slices.Equal(got, want) {
			t.Errorf("--since 1h:\n%s\nwant all of it", strings.Join(got, "\n"))
		}
		if got := text("--from", began.Add(-time.Minute).Format("2006-01-02 15:04")); !slices.Equal(got, want) {
			t.Errorf("--from a minute before:\n%s\nwant all of it", strings.Join(got, "\n"))
		}
		for _, since := range []string{"1d", "1h30m", "2hours"} { // the room's syntax, as /mute reads it
			if got := text("--since", since); !slices.Equal(got, want) {
				t.Errorf("--since %s:\n%s\nwant all of it", since, strings.Join(got, "\n"))
			}
		}
		if got := text("--from", ended.Add(2*time.Minute).Format("2006-01-02 15:04")); len(got) != 0 {
			t.Errorf("--from after the end: %q, want nothing", got)
		}
		if got := text("--from", time.Now().Add(time.Hour).Format(time.RFC3339)); len(got) != 0 {
			t.Errorf("--from in an hour: %q, want nothing", got)
		}
	})
	t.Run("json", func(t *testing.T) {
		es := entries(t, cfg.DataDir)
		if got := kinds(es); !slices.Equal(got, wantKinds) {
			t.Fatalf("kinds %q, want %q", got, wantKinds)
		}
		checkSeqs(t, es)
		for _, e := range es {
			if e.At.Before(began) || e.At.After(ended) {
				t.Errorf("%s at %v: not within the session (%v to %v)", e.Kind, e.At, began, ended)
			}
		}
		if e := es[5]; e.Name != "alice" || e.Text != "bonjour" || e.Door != "tcp" {
			t.Errorf("chat entry %+v: want alice, bonjour, tcp", e)
		}
		if e := es[9]; e.Name != "alice" || e.Target != "bob" || e.Text != "too noisy" {
			t.Errorf("kick entry %+v: want alice kicking bob for too noisy", e)
		}
		if e := es[10]; e.Name != "bob" || e.Reason != "kicked" {
			t.Errorf("leave entry %+v: want bob, kicked", e)
		}
		if got := entries(t, cfg.DataDir, "--since", "1h"); len(got) != len(es) {
			t.Errorf("--since 1h: %d entries, want %d", len(got), len(es))
		}
		if got := entries(t, cfg.DataDir, "--from", ended.Add(2*time.Minute).Format("2006-01-02 15:04")); len(got) != 0 {
			t.Errorf("--from after the end: %v, want nothing", got)
		}
	})
	t.Run("data dir from the environment", func(t *testing.T) {
		out, errs, code := transcript(t, []string{"PALABRE_DATA_DIR=" + cfg.DataDir})
		if code != 0 || strings.Count(out, "\n") != len(want) {
			t.Errorf("exit %d, %d lines, stderr %q; want 0 and %d lines", code, strings.Count(out, "\n"), errs, len(want))
		}
	})
	t.Run("errors", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nowhere")
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"bad --from", []string{"--data-dir", cfg.DataDir, "--from", "last tuesday"}, `--from "last tuesday": want a time`},
			{"bad --since", []string{"--data-dir", cfg.DataDir, "--since", "a while"}, `invalid argument "a while" for "--since"`},
			{"both", []string{"--data-dir", cfg.DataDir, "--since", "1h", "--from", "2026-01-01"}, "--since and --from: give one"},
			{"bad format", []string{"--data-dir", cfg.DataDir, "--format", "xml"}, `--format "xml": text, json, markdown or html`},
			{"missing data dir", []string{"--data-dir", missing}, "no palabre database in " + missing},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out, errs, code := transcript(t, nil, tt.args...)
				if code == 0 || out != "" {
					t.Errorf("exit %d, stdout %q; want non-zero, nothing", code, out)
				}
				if lines := strings.Split(strings.TrimSpace(errs), "\n"); len(lines) != 1 || !strings.Contains(errs, tt.want) {
					t.Errorf("stderr %q: want one line with %q", errs, tt.want)
				}
			})
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Errorf("the transcript created the missing data dir: %v", err)
		}
	})
}

func kinds(es []store.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Kind
	}
	return out
}

func TestPrivateMessagesStoredOnlyWhenAsked(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, storePrivate := range []string{"", "true"} {
		t.Run("PALABRE_STORE_PRIVATE="+storePrivate, func(t *testing.T) {
			vars := map[string]string{"PALABRE_MSG_RATE": "0"}
			if storePrivate != "" {
				vars["PALABRE_STORE_PRIVATE"] = storePrivate
			}
			cfg, err := config.Load(vars)
			if err != nil {
				t.Fatal(err)
			}
			cfg.DataDir = t.TempDir()
			addr, stop := startServeIn(t, cfg)
			alice, bob := joinTCP(t, addr), joinTCP(t, addr)
			alice.send(t, "/msg "+bob.name+" psst", "out loud")
			bob.waitFor(t, "[private] "+alice.name+"> psst")
			bob.waitFor(t, alice.name+"> out loud")
			if err := stop(); err != nil {
				t.Fatalf("serve: %v", err)
			}

			es := entries(t, cfg.DataDir)
			var private []store.Entry
			public := false
			for _, e := range es {
				switch {
				case e.Kind == "private":
					private = append(private, e)
				case e.Kind == "chat" && e.Text == "out loud":
					public = true
				}
			}
			if !public {
				t.Fatalf("the public message is not in the transcript: %v", es)
			}
			out, _, _ := transcript(t, nil, "--data-dir", cfg.DataDir)
			wantLine := "[private] " + alice.name + " -> " + bob.name + ": psst"
			if storePrivate == "" {
				if len(private) != 0 || strings.Contains(out, "psst") {
					t.Errorf("private messages kept without PALABRE_STORE_PRIVATE: %v\n%s", private, out)
				}
				return
			}
			if len(private) != 1 || private[0].Name != alice.name || private[0].Target != bob.name || private[0].Text != "psst" {
				t.Errorf("private entries %v: want %s to %s: psst", private, alice.name, bob.name)
			}
			if !strings.Contains(out, wantLine+"\n") {
				t.Errorf("text transcript:\n%s\nwant a line %q", out, wantLine)
			}
		})
	}
}

// The operator and allowed keys files: a missing file, or one with no key
// in it, stops the server with one line naming the variable.
func TestConfigForTeacherTools(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sshPub)))
	files := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "missing"), "no such file"},
		{"empty", write("empty", ""), "no key"},
		{"blank", write("blank", "\n  \n"), "no key"},
		{"comments only", write("comments", "# the teachers\n# (none yet)\n"), "no key"},
		{"not a key", write("garbage", "ssh-ed25519 not-base64 alice\n"), "no key"},
		{"a directory", dir, "is a directory"},
	}
	for _, variable := range []string{"PALABRE_OPS_KEYS", "PALABRE_ALLOWED_KEYS"} {
		for _, f := range files {
			t.Run(variable+"/"+f.name, func(t *testing.T) {
				environ := []string{"PALABRE_TCP_ADDR=127.0.0.1:0", "PALABRE_SSH_ADDR=127.0.0.1:0",
					"PALABRE_DATA_DIR=" + t.TempDir(), variable + "=" + f.path}
				ctx, cancel := context.WithTimeout(t.Context(), patience)
				defer cancel()
				var stderr bytes.Buffer
				code := run(ctx, nil, strings.NewReader(""), io.Discard, &stderr, environ)
				line := strings.TrimSpace(stderr.String())
				if code != 1 || strings.Contains(line, "\n") || !strings.HasPrefix(line, "palabre: "+variable+": ") || !strings.Contains(line, f.want) {
					t.Errorf("exit %d, stderr %q; want 1 and one line naming %s with %q", code, stderr.String(), variable, f.want)
				}
			})
		}
	}
	// A file with keys among comments and blank lines is read whole.
	other, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, err := gossh.NewPublicKey(other)
	if err != nil {
		t.Fatal(err)
	}
	good := write("good", "# the teachers\n\n"+key+" alice@school\n# bob:\n"+strings.TrimSpace(string(gossh.MarshalAuthorizedKey(otherPub)))+"\n\n")
	keys, bad, err := readKeys("PALABRE_OPS_KEYS", good)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || !keys[gossh.FingerprintSHA256(sshPub)] || !keys[gossh.FingerprintSHA256(otherPub)] || len(bad) != 0 {
		t.Errorf("readKeys: %v, bad lines %v; want the two keys", keys, bad)
	}
	// A typo on one line is reported by its number, the other keys kept.
	typo := write("typo", key+"\nssh-ed25519 AAAA-not-base64 carol\n")
	keys, bad, err = readKeys("PALABRE_OPS_KEYS", typo)
	if err != nil || len(keys) != 1 || len(bad) != 1 || bad[0] != 2 {
		t.Errorf("readKeys with a typo on line 2: keys %v, bad %v, err %v", keys, bad, err)
	}
}
