package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/config"
)

// checkLog is the server's log, keeping when each password check was
// made: every door logs one "wrong room password" per answer it compared.
type checkLog struct {
	start time.Time
	mu    sync.Mutex
	buf   []byte
	at    []time.Duration
}

func (l *checkLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		line, rest, ok := strings.Cut(string(l.buf), "\n")
		if !ok {
			break
		}
		l.buf = []byte(rest)
		if strings.Contains(line, `msg="wrong room password"`) {
			l.at = append(l.at, time.Since(l.start))
		}
	}
	return len(p), nil
}

// checks returns when each check was made, from start.
func (l *checkLog) checks() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.at...)
}

// serveLogged runs serve with cfg on free ports and returns the doors'
// addresses, its log and a function that stops it.
func serveLogged(t *testing.T, cfg config.Config) (map[string]net.Addr, *checkLog, func()) {
	t.Helper()
	cfg.TCPAddr, cfg.SSHAddr, cfg.HTTPAddr, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", t.TempDir()
	log := &checkLog{start: time.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan map[string]net.Addr, 1)
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, log, func(a map[string]net.Addr) { addrs <- a }) }()
	var got map[string]net.Addr
	select {
	case got = <-addrs:
	case err := <-served:
		t.Fatalf("serve: %v", err)
	case <-time.After(patience):
		t.Fatal("serve did not start")
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("serve: %v", err)
				}
			case <-time.After(patience):
				t.Error("serve did not return")
			}
		})
	}
	t.Cleanup(stop)
	return got, log, stop
}

// A guess is one connection that answers the password prompt with a wrong
// password once every guess is at its prompt (or turned away before it):
// all the answers arrive together, as from a script.
type guess func(addr string, prompted *sync.WaitGroup, answer <-chan struct{}) string

// guessTCP answers the TCP door's prompt and returns the last line read
// before the close.
func guessTCP(addr string, prompted *sync.WaitGroup, answer <-chan struct{}) string {
	var once sync.Once
	defer once.Do(prompted.Done)
	nc, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		return err.Error()
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(2 * patience))
	last := ""
	sc := bufio.NewScanner(nc)
	for sc.Scan() {
		last = sc.Text()
		if last == "*** Password:" {
			once.Do(prompted.Done)
			<-answer
			if _, err := io.WriteString(nc, "open sesame\n"); err != nil {
				return err.Error()
			}
		}
	}
	return last
}

// guessSSH gives a wrong SSH password and returns how it ended.
func guessSSH(addr string, prompted *sync.WaitGroup, answer <-chan struct{}) string {
	var once sync.Once
	defer once.Do(prompted.Done)
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: "guesser",
		Auth: []gossh.AuthMethod{gossh.PasswordCallback(func() (string, error) {
			once.Do(prompted.Done)
			<-answer
			return "open sesame", nil
		})},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: patience,
	})
	if err != nil {
		return err.Error()
	}
	c.Close()
	return "in"
}

// rightOnTCP gives the right password on the TCP door at once, and
// returns the line that follows the prompt.
func rightOnTCP(t *testing.T, addr string) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(patience))
	if _, err := io.WriteString(nc, "sesame\n"); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(nc)
	for sc.Scan() {
		if sc.Text() == "*** Password:" && sc.Scan() {
			return sc.Text()
		}
	}
	return ""
}

// rightOnSSH gives the right password by keyboard-interactive, and returns
// what the server told the client besides its question.
func rightOnSSH(addr string) string {
	var told []string
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: "classmate",
		Auth: []gossh.AuthMethod{gossh.KeyboardInteractive(func(_, instruction string, q []string, _ []bool) ([]string, error) {
			if instruction != "" {
				told = append(told, instruction)
			}
			out := make([]string, len(q))
			for i := range out {
				out[i] = "sesame"
			}
			return out, nil
		})},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: patience,
	})
	if err == nil {
		c.Close()
		return "in"
	}
	return strings.Join(told, " ")
}

// peerAddr hides the ports in an SSH client's errors, so that ends count.
var peerAddr = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+:\d+`)

// Fifty wrong passwords sent at once from one address get the documented
// number of checks, on each door: a burst, then one check per interval for
// the whole address, however many connections it opens, both doors
// together. Loopback is a classroom's network (exempt from the connection
// limits): a larger burst.
func TestPasswordGuessesArePacedPerAddress(t *testing.T) {
	const (
		attempts = 50
		window   = 2 * time.Second // checks are counted this long after the answers
	)
	for _, tt := range []struct {
		name   string
		exempt string
		burst  int           // wrong answers at once
		every  time.Duration // then one check per
	}{
		{"exempt loopback", "127.0.0.0/8,::1/128", 30, time.Second},
		{"not exempt", "none", 5, 5 * time.Second},
	} {
		for _, door := range []string{"tcp", "ssh"} {
			t.Run(tt.name+", "+door, func(t *testing.T) {
				cfg, err := config.Load(map[string]string{"PALABRE_PASSWORD": "sesame", "PALABRE_EXEMPT_CIDRS": tt.exempt})
				if err != nil {
					t.Fatal(err)
				}
				addrs, log, stop := serveLogged(t, cfg)
				try := guess(guessTCP)
				if door == "ssh" {
					try = guessSSH
				}
				var prompted sync.WaitGroup
				prompted.Add(attempts)
				answer := make(chan struct{})
				results := make(chan string, attempts)
				for range attempts {
					go func() { results <- try(addrs[door].String(), &prompted, answer) }()
				}
				prompted.Wait()
				begin := time.Since(log.start)
				close(answer)
				ends := map[string]int{}
				deadline := time.After(window)
			collect:
				for range attempts {
					select {
					case r := <-results:
						ends[peerAddr.ReplaceAllString(r, "ADDR")]++
					case <-deadline:
						break collect
					}
				}
				var checks []time.Duration
				for _, at := range log.checks() {
					if at-begin <= window {
						checks = append(checks, at-begin)
					}
				}
				// The other door shares the allowance: past the burst and
				// the turns given, the right password is told to wait.
				other := ""
				if tt.name == "not exempt" {
					if door == "tcp" {
						other = rightOnSSH(addrs["ssh"].String())
					} else {
						other = rightOnTCP(t, addrs["tcp"].String())
					}
				}
				stop() // ends the connections still waiting their turn
				want := tt.burst + int(window/tt.every) + 1
				last := time.Duration(0)
				if len(checks) > 0 {
					last = checks[len(checks)-1]
				}
				t.Logf("%d wrong passwords at once over %s: %d checked in %v (the last at %v); ends: %v",
					attempts, door, len(checks), window, last.Round(time.Millisecond), ends)
				if len(checks) > want {
					t.Errorf("%d checks in %v, want at most %d (a burst of %d, then one per %v)", len(checks), window, want, tt.burst, tt.every)
				}
				if len(checks) < tt.burst {
					t.Errorf("%d checks, want at least the burst of %d", len(checks), tt.burst)
				}
				if ends["in"] > 0 {
					t.Errorf("%d wrong passwords got in", ends["in"])
				}
				if tt.name == "not exempt" && !strings.Contains(other, "Too many wrong passwords from your address; try again in ") {
					t.Errorf("the right password on the other door, after the burst: %q, want to be told to wait", other)
				}
			})
		}
	}
}
