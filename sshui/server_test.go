package sshui_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"palabre/room"
	"palabre/sshui"
	"palabre/tcp"
)

const patience = 10 * time.Second

// openSSH is what OpenSSH announces: the server asks it for a key or an
// empty keyboard-interactive instead of letting it in with "none".
const openSSH = "SSH-2.0-OpenSSH_9.6p1"

type world struct {
	hub     *room.Hub
	ssh     *sshui.Server
	sshAddr string
	tcpAddr string
}

func newHostKey(t testing.TB) []byte {
	t.Helper()
	key, err := hostKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func hostKeyPEM() ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(block), nil
}

// start runs a hub with both doors on 127.0.0.1:0.
func start(t *testing.T, opts sshui.Options) *world {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := room.NewHub(room.Options{Logger: logger})
	opts.Hub, opts.Logger = hub, logger
	if opts.DataDir == "" && opts.HostKeyPEM == nil {
		opts.HostKeyPEM = newHostKey(t)
	}
	srv, err := sshui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	sshLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpSrv := &tcp.Server{Hub: hub, Logger: logger}
	tcpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() { errs <- srv.Serve(sshLn) }()
	go func() { errs <- tcpSrv.Serve(tcpLn) }()
	t.Cleanup(func() {
		hub.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("ssh Shutdown: %v", err)
		}
		if err := tcpSrv.Shutdown(ctx); err != nil {
			t.Errorf("tcp Shutdown: %v", err)
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("Serve: %v", err)
			}
		}
	})
	return &world{hub: hub, ssh: srv, sshAddr: sshLn.Addr().String(), tcpAddr: tcpLn.Addr().String()}
}

// dial connects an SSH client as user; with no auth methods it relies on
// "none".
func dial(t *testing.T, addr string, cfg *gossh.ClientConfig) *gossh.Client {
	t.Helper()
	if cfg.HostKeyCallback == nil {
		cfg.HostKeyCallback = gossh.InsecureIgnoreHostKey()
	}
	cfg.Timeout = patience
	c, err := gossh.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("ssh dial as %q: %v", cfg.User, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// screen is an SSH session with a pty, whose output is kept to be searched.
type screen struct {
	t     testing.TB
	sess  *gossh.Session
	stdin io.WriteCloser
	mu    sync.Mutex
	out   bytes.Buffer
	more  chan struct{} // a token when output arrived
	ended chan error
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.out.Write(p)
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default:
	}
	return len(p), nil
}

func openScreen(t testing.TB, c *gossh.Client, cols, rows int) *screen {
	t.Helper()
	return openIn(t, c, "", "xterm-256color", cols, rows)
}

// text is everything the screen has shown so far, without escape codes.
func (s *screen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.Strip(s.out.String())
}

// waitFor waits until a line of the screen matches re.
func (s *screen) waitFor(re string) {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(patience)
	for {
		if rx.MatchString(s.text()) {
			return
		}
		select {
		case <-s.more:
		case <-deadline:
			s.t.Fatalf("the screen never showed %q; it shows:\n%s", re, s.text())
		}
	}
}

func (s *screen) typeText(text string) {
	s.t.Helper()
	if _, err := io.WriteString(s.stdin, text); err != nil {
		s.t.Fatalf("type %q: %v", text, err)
	}
}

func (s *screen) waitEnd() error {
	s.t.Helper()
	select {
	case err := <-s.ended:
		return err
	case <-time.After(patience):
		s.t.Fatal("the session did not end")
		return nil
	}
}

// tcpClient is a member on the TCP door.
type tcpClient struct {
	t     *testing.T
	nc    net.Conn
	lines chan string
}

func dialTCP(t *testing.T, addr string) *tcpClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
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
	c.expect("*** You are ")
	return c
}

func (c *tcpClient) expect(prefix string) string {
	c.t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("connection closed before %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			c.t.Fatalf("no line starting %q", prefix)
		}
	}
}

// waitMembers waits until the room holds exactly the given names.
func waitMembers(t *testing.T, hub *room.Hub, names ...string) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		var got []string
		for _, m := range hub.Members() {
			got = append(got, m.Name)
		}
		if strings.Join(got, ",") == strings.Join(names, ",") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("members %v, want %v", got, names)
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond) // polling a condition, not a synchronisation by delay
	}
}

func TestTCPMessageAppearsOnSSHScreen(t *testing.T) {
	w := start(t, sshui.Options{})
	scr := openScreen(t, dial(t, w.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	scr.waitFor(`alice`)
	waitMembers(t, w.hub, "alice")
	tc := dialTCP(t, w.tcpAddr)
	tc.send("hello from tcp\n")
	scr.waitFor(`Thread-1\s+hello from tcp`)
}

func (c *tcpClient) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatal(err)
	}
}

func TestSSHTypedTextReachesTCP(t *testing.T) {
	w := start(t, sshui.Options{})
	tc := dialTCP(t, w.tcpAddr)
	scr := openScreen(t, dial(t, w.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	tc.expect("*** alice joined (ssh)")
	scr.typeText("hi\r")
	tc.expect("alice> hi")
}

func TestSameNameGetsDistinctNames(t *testing.T) {
	w := start(t, sshui.Options{})
	openScreen(t, dial(t, w.sshAddr, &gossh.ClientConfig{User: "alice"}), 80, 24)
	waitMembers(t, w.hub, "alice")
	openScreen(t, dial(t, w.sshAddr, &gossh.ClientConfig{User: "Alice"}), 80, 24)
	waitMembers(t, w.hub, "alice", "Alice-2")
	openScreen(t, dial(t, w.sshAddr, &gossh.ClientConfig{User: "élève!"}), 80, 24) // made "eleve"
	waitMembers(t, w.hub, "alice", "Alice-2", "eleve")
	openScreen(t, dial(t, w.sshAddr, &gossh.ClientConfig{User: ""}), 80, 24) // generated
	deadline := time.Now().Add(patience)
	for len(w.hub.Members()) < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := w.hub.Members()
	if len(got) != 4 || got[2].Name != "eleve" || !strings.HasPrefix(got[3].Name, "guest-") {
		t.Errorf("members %+v", got)
	}
}

func TestAuthentication(t *testing.T) {
	_, clientKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	emptyAnswers := gossh.KeyboardInteractive(func(_, _ string, q []string, _ []bool) ([]string, error) {
		return make([]string, len(q)), nil
	})
	tests := []struct {
		name    string
		cfg     gossh.ClientConfig
		wantKey string
	}{
		{"no authentication at all", gossh.ClientConfig{User: "nokey"}, ""},
		{"keyboard-interactive answered by nothing, as OpenSSH without keys",
			gossh.ClientConfig{User: "kbd", ClientVersion: openSSH, Auth: []gossh.AuthMethod{emptyAnswers}}, ""},
		{"a key, as OpenSSH offers it", gossh.ClientConfig{User: "keyed", ClientVersion: openSSH,
			Auth: []gossh.AuthMethod{gossh.PublicKeys(signer), emptyAnswers}}, gossh.FingerprintSHA256(signer.PublicKey())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := start(t, sshui.Options{})
			tc := dialTCP(t, w.tcpAddr)
			cfg := tt.cfg
			scr := openScreen(t, dial(t, w.sshAddr, &cfg), 80, 24)
			tc.expect("*** " + tt.cfg.User + " joined (ssh)")
			_ = scr
			if got := keyOfMember(w, tt.cfg.User); got != tt.wantKey {
				t.Errorf("member key %q, want %q", got, tt.wantKey)
			}
		})
	}
}

// keyOfMember finds a member's key fingerprint through /who-like access.
func keyOfMember(w *world, name string) string {
	for _, m := range w.hub.Members() {
		if m.Name == name {
			return m.Key
		}
	}
	return "(absent)"
}

func TestSessionWithoutPTYUsesLineProtocol(t *testing.T) {
	w := start(t, sshui.Options{})
	tc := dialTCP(t, w.tcpAddr)
	c := dial(t, w.sshAddr, &gossh.ClientConfig{User: "bob"})

	// `echo hello | ssh -p 2222 host`: posts hello and ends.
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sess.Stdout = &out
	sess.Stdin = strings.NewReader("hello\n")
	if err := sess.Run(""); err != nil {
		t.Fatalf("session: %v", err)
	}
	tc.expect("bob> hello")
	tc.expect("*** bob left")
	if !strings.HasPrefix(out.String(), "You are connected. Please send your messages.\n*** You are bob;") {
		t.Errorf("the session read %q, want the greeting first", out.String())
	}

	// One session per connection.
	if _, err := c.NewSession(); err == nil || !strings.Contains(err.Error(), "one session per connection") {
		t.Errorf("a second session on the connection: err = %v, want a refusal", err)
	}

	// A longer line session: lines out as NAME> TEXT.
	c = dial(t, w.sshAddr, &gossh.ClientConfig{User: "bob"})
	sess, err = c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdin, _ := sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	waitLine := func(prefix string) {
		t.Helper()
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), prefix) {
				return
			}
		}
		t.Fatalf("no line %q", prefix)
	}
	waitLine("*** You are bob")
	tc.send("to the pipe\n")
	waitLine("Thread-1> to the pipe")
	io.WriteString(stdin, "FIN\n")
	tc.expect("*** bob left (FIN)")
	if err := sess.Wait(); err != nil {
		t.Errorf("session after FIN: %v", err)
	}
}

func TestHostKeySurvivesRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	hostKey := func() string {
		w := start(t, sshui.Options{DataDir: dir})
		var seen string
		c := dial(t, w.sshAddr, &gossh.ClientConfig{User: "k", HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			seen = gossh.FingerprintSHA256(key)
			return nil
		}})
		c.Close()
		return seen
	}
	first := hostKey()
	info, err := os.Stat(filepath.Join(dir, sshui.HostKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %v, want 0600", info.Mode().Perm())
	}
	if second := hostKey(); second != first || first == "" {
		t.Errorf("host key changed across a restart: %s then %s", first, second)
	}
}

func TestQuitEndsTheSessionCleanly(t *testing.T) {
	for _, how := range []string{"ctrl+c", "/quit"} {
		t.Run(how, func(t *testing.T) {
			w := start(t, sshui.Options{})
			tc := dialTCP(t, w.tcpAddr)
			scr := openScreen(t, dial(t, w.sshAddr, &gossh.ClientConfig{User: "carol"}), 80, 24)
			tc.expect("*** carol joined (ssh)")
			scr.waitFor("carol")
			if how == "ctrl+c" {
				scr.typeText("\x03")
			} else {
				scr.typeText("/quit\r")
			}
			tc.expect("*** carol left (quit)")
			if err := scr.waitEnd(); err != nil {
				t.Errorf("session ended with %v, want a clean exit", err)
			}
		})
	}
}

func TestShutdownEndsScreens(t *testing.T) {
	w := start(t, sshui.Options{})
	scr := openScreen(t, dial(t, w.sshAddr, &gossh.ClientConfig{User: "dave"}), 80, 24)
	scr.waitFor("dave")
	waitMembers(t, w.hub, "dave")
	w.hub.Shutdown()
	scr.waitEnd()
	if !strings.Contains(scr.text(), "The server is shutting down") {
		t.Errorf("the screen never showed the shutdown notice:\n%s", scr.text())
	}
}

// Every session's program, goroutines and member are gone when its
// connection ends.
func TestFiftySessionsLeaveNothingBehind(t *testing.T) {
	w := start(t, sshui.Options{})
	before := runtime.NumGoroutine()
	for i := range 50 {
		c := dial(t, w.sshAddr, &gossh.ClientConfig{User: "s" + string(rune('a'+i%26)) + string(rune('a'+i/26))})
		scr := openScreen(t, c, 80, 24)
		scr.waitFor("#main")
		if i%2 == 0 {
			c.Close() // the connection drops
		} else {
			scr.typeText("\x03") // or the member leaves
			scr.waitEnd()
			c.Close()
		}
	}
	waitMembers(t, w.hub)
	deadline := time.Now().Add(patience)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d before, %d after 50 sessions\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

// A Shutdown that comes before Serve has begun, or at the same moment,
// still ends it: a server stopped as soon as it started (a test, a wrong
// setting found late) returns instead of accepting for ever. Both orders,
// many times: the library alone closed only the listeners its Serve had
// begun to track.
func TestShutdownRacingServe(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	key := newHostKey(t)
	for i := range 200 {
		srv, err := sshui.New(sshui.Options{Hub: room.NewHub(room.Options{Logger: logger}), Logger: logger, HostKeyPEM: key})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		shutdown := func() {
			ctx, cancel := context.WithTimeout(context.Background(), patience)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		}
		if i%2 == 0 {
			go func() { served <- srv.Serve(ln) }()
			shutdown()
		} else {
			shutdown()
			go func() { served <- srv.Serve(ln) }()
		}
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("run %d: Serve: %v", i, err)
			}
		case <-time.After(patience):
			t.Fatalf("run %d: Serve still accepting %v after Shutdown", i, patience)
		}
	}
}
