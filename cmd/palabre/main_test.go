package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"palabre/internal/config"
)

const patience = 10 * time.Second

// The test binary doubles as palabre, so a test can run the real program
// in its own process and send it signals.
func TestMain(m *testing.M) {
	if os.Getenv("PALABRE_TEST_BE_MAIN") == "1" {
		// A disk that fills up, for SQLite as for real: no file may grow
		// past this many bytes (RLIMIT_FSIZE). Go ignores SIGXFSZ, so a
		// write past it fails with EFBIG.
		if n, err := strconv.ParseUint(os.Getenv("PALABRE_TEST_FILE_LIMIT"), 10, 64); err == nil {
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
				fmt.Fprintln(os.Stderr, "PALABRE_TEST_FILE_LIMIT:", err)
				os.Exit(2)
			}
		}
		main()
		return
	}
	code := m.Run()
	stopBrowser()
	os.Exit(code)
}

func TestConfigErrorsExitNonZeroNamingTheVariable(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env here
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"bad variable", nil, []string{"PALABRE_HISTORY=lots"}, "PALABRE_HISTORY: "},
		{"ssh address in use", nil, []string{"PALABRE_TCP_ADDR=127.0.0.1:0", "PALABRE_SSH_ADDR=" + taken.Addr().String()}, "PALABRE_SSH_ADDR: "},
		{"bad flag value", []string{"--lang", "de"}, nil, "PALABRE_LANG: "},
		{"bad address", nil, []string{"PALABRE_TCP_ADDR=nowhere"}, "PALABRE_TCP_ADDR: "},
		{"address in use", nil, []string{"PALABRE_TCP_ADDR=" + taken.Addr().String()}, "PALABRE_TCP_ADDR: "},
		{"unknown flag", []string{"--colour"}, nil, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, strings.NewReader(""), &stdout, &stderr, tt.environ)
			if code == 0 {
				t.Fatal("exit code 0")
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			last := lines[len(lines)-1]
			if !strings.Contains(last, tt.want) {
				t.Errorf("stderr %q: want a line with %q", stderr.String(), tt.want)
			}
		})
	}
}

// Flags win over the environment, which wins over the .env file.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(".env", []byte("PALABRE_HISTORY=7\nPALABRE_LANG=fr\nPALABRE_GREETING=from the file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := newRootCmd(nil, io.Discard, io.Discard, nil)
	if err := cmd.ParseFlags([]string{"--history", "9"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(cmd, []string{"PALABRE_LANG=en", "PALABRE_HISTORY=8"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.History != 9 || cfg.Lang != "en" || cfg.Greeting != "from the file" {
		t.Errorf("got history %d lang %s greeting %q; want 9 (flag), en (env), \"from the file\" (.env)", cfg.History, cfg.Lang, cfg.Greeting)
	}
}

// startServe runs serve in-process on a free port and returns its TCP
// address and a function that stops it and returns serve's error.
func startServe(t *testing.T, cfg config.Config) (string, func() error) {
	t.Helper()
	cfg.TCPAddr, cfg.SSHAddr, cfg.HTTPAddr, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan map[string]net.Addr, 1)
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, io.Discard, func(a map[string]net.Addr) { addrs <- a }) }()
	var addr string
	select {
	case a := <-addrs:
		addr = a["tcp"].String()
	case err := <-served:
		t.Fatalf("serve: %v", err)
	case <-time.After(patience):
		t.Fatal("serve did not start")
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-served:
			return err
		case <-time.After(patience):
			t.Fatal("serve did not return")
			return nil
		}
	}
	t.Cleanup(func() { stop() })
	return addr, stop
}

func defaults(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// lineReader reads lines from r in a goroutine, for waiting with a deadline.
func lineReader(r io.Reader) <-chan string {
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

func waitLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stream ended before %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no line with %q", want)
		}
	}
}

func TestConnect(t *testing.T) {
	addr, _ := startServe(t, defaults(t))

	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"connect", addr}, stdinR, stdoutW, io.Discard, nil)
		stdoutW.Close()
	}()
	out := lineReader(stdoutR)
	waitLine(t, out, "You are Thread-1")

	other, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	otherLines := lineReader(other)
	waitLine(t, otherLines, "You are Thread-2")
	waitLine(t, out, "Thread-2 joined")

	io.WriteString(stdinW, "hello from connect\n")
	waitLine(t, otherLines, "Thread-1> hello from connect")
	io.WriteString(other, "hello back\n")
	waitLine(t, out, "Thread-2> hello back")

	io.WriteString(stdinW, "FIN\n")
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after FIN, want 0", code)
		}
	case <-time.After(patience):
		t.Fatal("connect did not end after FIN")
	}
	waitLine(t, otherLines, "Thread-1 left (FIN)")
}

func TestConnectFailsClearly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"connect", addr}, strings.NewReader(""), io.Discard, &stderr, nil)
	if code != 1 || !strings.Contains(stderr.String(), "cannot connect to "+addr) {
		t.Errorf("exit %d, stderr %q; want 1 and a clear error", code, stderr.String())
	}
}

func TestServeShutdownTellsMembers(t *testing.T) {
	addr, stop := startServe(t, defaults(t))
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	lines := lineReader(nc)
	waitLine(t, lines, "You are Thread-1")
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	waitLine(t, lines, "The server is shutting down")
	for range lines { // the server closes the connection
	}
}

// startBinary runs the real program in its own process, with env added to
// its environment, and returns it with its TCP address and its log lines.
func startBinary(t *testing.T, env ...string) (*exec.Cmd, string, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "PALABRE_TEST_BE_MAIN=1", "PALABRE_TCP_ADDR=127.0.0.1:0", "PALABRE_SSH_ADDR=127.0.0.1:0", "PALABRE_HTTP_ADDR=127.0.0.1:0", "PALABRE_LOG_LEVEL=info")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	logs := lineReader(stderr)
	started := regexp.MustCompile(`msg="palabre started" tcp=(\S+)`)
	deadline := time.After(patience)
	for {
		select {
		case l, ok := <-logs:
			if !ok {
				t.Fatal("the server exited before starting")
			}
			if m := started.FindStringSubmatch(l); m != nil {
				return cmd, m[1], logs
			}
		case <-deadline:
			t.Fatal("no start line in the log")
		}
	}
}

// The real program, in its own process: SIGTERM tells the members, closes
// their connections and exits 0 within 5 s.
func TestSIGTERMExitsCleanly(t *testing.T) {
	cmd, addr, logs := startBinary(t)
	var members []<-chan string
	for range 3 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		lines := lineReader(nc)
		waitLine(t, lines, "You are Thread-")
		members = append(members, lines)
	}
	signalled := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for _, lines := range members {
		waitLine(t, lines, "The server is shutting down")
	}
	go func() {
		for range logs { // keep the pipe drained
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if took := time.Since(signalled); took > 5*time.Second {
		t.Errorf("exit took %v after SIGTERM, want within 5 s", took)
	}
	// Nothing but the data directory was written to the working directory.
	entries, err := os.ReadDir(cmd.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "data" {
			t.Errorf("the server wrote %s into its working directory", e.Name())
		}
	}
}

// A second signal ends the process at once, even while the shutdown waits
// on a member whose connection is stuck.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	cmd, addr, logs := startBinary(t, "PALABRE_MSG_RATE=0")
	go func() {
		for range logs {
		}
	}()
	dial := func(d *net.Dialer) net.Conn {
		nc, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		return nc
	}
	// A member that never reads, with a small window.
	dial(&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}})
	sender, reader := dial(&net.Dialer{}), dial(&net.Dialer{})
	lines := lineReader(reader)
	waitLine(t, lines, "You are Thread-")
	senderLines := lineReader(sender)
	waitLine(t, senderLines, "You are Thread-")
	// Send in rounds that the reader sees through, so that the stalled
	// member's writer drains into its socket until a write blocks; then its
	// outbox overflows, and it is dropped with that write still stuck.
	line := strings.Repeat("x", 1000)
	for round := 0; ; round++ {
		if round == 1000 {
			t.Fatal("the member that never reads was never dropped")
		}
		for i := range 20 {
			fmt.Fprintf(sender, "%d-%d %s\n", round, i, line)
		}
		last := fmt.Sprintf("> %d-19 ", round)
		dropped := false
		for l := range lines {
			dropped = dropped || strings.Contains(l, "left (too slow)")
			if strings.Contains(l, last) {
				break
			}
		}
		if dropped {
			break
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lines, "The server is shutting down")
	second := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if took := time.Since(second); took > 2*time.Second {
		t.Errorf("exit took %v after the second signal", took)
	}
	// Killed by the signal: the graceful shutdown was still waiting.
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !exit.Sys().(syscall.WaitStatus).Signaled() {
		t.Errorf("exit: %v; want the second signal to end the process", err)
	}
}

// connect takes HOST PORT, as the course's client.py does, or HOST:PORT.
func TestConnectTakesHostAndPort(t *testing.T) {
	addr, _ := startServe(t, defaults(t))
	host, port, _ := net.SplitHostPort(addr)
	for _, args := range [][]string{{"connect", host, port}, {"connect", addr}} {
		var stdout bytes.Buffer // read once run has returned
		done := make(chan int, 1)
		go func() {
			done <- run(context.Background(), args, strings.NewReader("FIN\n"), &stdout, io.Discard, nil)
		}()
		select {
		case code := <-done:
			if code != 0 || !strings.Contains(stdout.String(), "You are Thread-") {
				t.Errorf("%v: exit %d, output %q; want 0 and a welcome", args, code, stdout.String())
			}
		case <-time.After(patience):
			t.Fatalf("%v did not end after FIN", args)
		}
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"connect", host}, strings.NewReader(""), io.Discard, &stderr, nil); code != 1 ||
		!strings.Contains(stderr.String(), "want HOST PORT") {
		t.Errorf("a host alone: exit %d, stderr %q; want 1 and what to give", code, stderr.String())
	}
}
