package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/room"
	"palabre/sshui"
	"palabre/tcp"
	"palabre/web"
)

// startServer runs a room with both doors on 127.0.0.1:0 in the test's
// process, as a server the bench reaches by its addresses.
func startServer(t *testing.T) (tcpAddr, sshAddr string) {
	t.Helper()
	_, tcpAddr, sshAddr = startRoom(t, room.Options{}, 0)
	return tcpAddr, sshAddr
}

// startRoom is startServer with the room's options, and one write timeout
// for both doors and the age of the room's outboxes, as the server's
// PALABRE_WRITE_TIMEOUT sets them (0: the default); opts.Logger, when set,
// logs for the doors too, and opts.MaxMessageBytes bounds their messages.
func startRoom(t *testing.T, opts room.Options, writeTimeout time.Duration) (hub *room.Hub, tcpAddr, sshAddr string) {
	t.Helper()
	hub, addrs := startDoors(t, opts, writeTimeout)
	return hub, addrs.TCP, addrs.SSH
}

// startDoors is startRoom with the web door too, as cmd/palabre wires it
// (a member door on the HTTP listener), and every door's address.
func startDoors(t *testing.T, opts room.Options, writeTimeout time.Duration) (hub *room.Hub, addrs Addrs) {
	t.Helper()
	var lns [nDoors][]net.Listener
	for d := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[d] = []net.Listener{ln}
	}
	hub = serveDoors(t, opts, writeTimeout, lns)
	return hub, Addrs{TCP: lns[doorTCP][0].Addr().String(), SSH: lns[doorSSH][0].Addr().String(), Web: lns[doorWeb][0].Addr().String()}
}

// serveDoors is startDoors on the listeners given, one door or more on
// each: every door serves all of its own.
func serveDoors(t *testing.T, opts room.Options, writeTimeout time.Duration, lns [nDoors][]net.Listener) *room.Hub {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	logger := opts.Logger
	opts.OutboxAge = writeTimeout
	hub := room.NewHub(opts)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	// A minute for each SSH handshake: hundreds at once, on 2 cores shared
	// with the clients' side under -race, take longer than the door's 20 s,
	// and what they cost is not what the bench's tests are about.
	sshSrv, err := sshui.New(sshui.Options{Hub: hub, Logger: logger, HostKeyPEM: pem.EncodeToMemory(block),
		AuthTimeout: time.Minute, WriteTimeout: writeTimeout, MaxMessageBytes: opts.MaxMessageBytes})
	if err != nil {
		t.Fatal(err)
	}
	tcpSrv := &tcp.Server{Hub: hub, Logger: logger, WriteTimeout: writeTimeout, MaxMessageBytes: opts.MaxMessageBytes}
	webSrv, err := web.New(web.Options{Hub: hub, Logger: logger,
		Members: &web.MemberDoor{WriteTimeout: writeTimeout, MaxMessageBytes: opts.MaxMessageBytes}})
	if err != nil {
		t.Fatal(err)
	}
	serve := [nDoors]func(net.Listener) error{doorTCP: tcpSrv.Serve, doorSSH: sshSrv.Serve, doorWeb: webSrv.Serve}
	errs := make(chan error, len(lns[doorTCP])+len(lns[doorSSH])+len(lns[doorWeb]))
	for d := range lns {
		for _, ln := range lns[d] {
			go func() { errs <- serve[d](ln) }()
		}
	}
	t.Cleanup(func() {
		hub.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tcpSrv.Shutdown(ctx)
		sshSrv.Shutdown(ctx)
		webSrv.Shutdown(ctx)
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Errorf("Serve: %v", err)
			}
		}
	})
	return hub
}

// A short run against a running server, read through /proc like an
// external one: every delivery arrives, and the figures hang together.
// The figures themselves are not asserted.
func TestBenchRunningServer(t *testing.T) {
	tcpAddr, sshAddr := startServer(t)
	var progress strings.Builder
	rep, err := Run(t.Context(), Config{
		TCPClients: 8, SSHClients: 2, Stalled: 2, StalledSSH: 1, Senders: 3, Rate: 5,
		Duration: time.Second, Warmup: 200 * time.Millisecond,
		AddrTCP: tcpAddr, AddrSSH: "localhost:" + sshAddr[strings.LastIndexByte(sshAddr, ':')+1:],
		PID: os.Getpid(), Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	rep.WriteTable(&table)
	t.Logf("\n%s", table.String())
	if rep.Server != "external" || rep.Connected != 13 {
		t.Errorf("server %q, %d connected, want external and 13", rep.Server, rep.Connected)
	}
	if rep.Stalled != 2 || rep.StalledSSH != 1 || rep.StalledDropped > 2 || rep.StalledSSHDropped > 1 {
		t.Errorf("stalled: %d tcp (%d hung up on), %d ssh (%d hung up on); want 2 and 1", rep.Stalled, rep.StalledDropped, rep.StalledSSH, rep.StalledSSHDropped)
	}
	for _, want := range []string{"+ 2 stalled tcp + 1 stalled ssh", "of 2 stalled tcp", "of 1 stalled ssh"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table has no %q", want)
		}
	}
	if rep.Sent == 0 || rep.Expected != rep.Sent*9 {
		t.Errorf("sent %d, expected %d: want 9 deliveries each", rep.Sent, rep.Expected)
	}
	if rep.Lost != 0 || rep.LossPct != 0 || rep.Seen != rep.Expected || rep.SSHSeen != rep.SSHExpected || rep.SSHExpected == 0 {
		t.Errorf("loss: %+v", rep)
	}
	if !(0 < rep.P50ms && rep.P50ms <= rep.P90ms && rep.P90ms <= rep.P99ms && rep.P99ms <= rep.MaxMs) {
		t.Errorf("latencies out of order: p50 %v p90 %v p99 %v max %v", rep.P50ms, rep.P90ms, rep.P99ms, rep.MaxMs)
	}
	if rep.CPUSPer1000 == nil || rep.MemPerMemberKB == nil || !strings.Contains(rep.CPUSource, "/proc/") {
		t.Errorf("cpu %v, memory %v from %q: want both, from /proc", rep.CPUSPer1000, rep.MemPerMemberKB, rep.CPUSource)
	}
	if rep.Dropped != 0 || rep.Strays != 0 || rep.SendErrors != 0 {
		t.Errorf("dropped %d, strays %d, send errors %d", rep.Dropped, rep.Strays, rep.SendErrors)
	}
	if !strings.Contains(progress.String(), "%") {
		t.Errorf("no progress bar: %q", progress.String())
	}
}

func TestBenchRefusesWhatItCannotMeasure(t *testing.T) {
	start := func(context.Context, bool) (Addrs, func() error, error) {
		return Addrs{}, nil, nil
	}
	base := Config{TCPClients: 2, Senders: 1, Rate: 1, Duration: time.Second}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"a remote TCP door", func(c *Config) { c.AddrTCP = "192.0.2.1:12800" }, "not a loopback address"},
		{"a remote SSH door", func(c *Config) { c.AddrTCP, c.AddrSSH, c.SSHClients = "127.0.0.1:1", "[2001:db8::1]:22", 1 }, "not a loopback address"},
		{"no port", func(c *Config) { c.AddrTCP = "127.0.0.1" }, "HOST:PORT"},
		{"ssh members without the door", func(c *Config) { c.AddrTCP, c.SSHClients = "127.0.0.1:1", 1 }, "--addr-ssh"},
		{"stalled ssh members without the door", func(c *Config) { c.AddrTCP, c.StalledSSH = "127.0.0.1:1", 1 }, "--addr-ssh"},
		{"stalled tcp members without the door", func(c *Config) { c.AddrSSH, c.TCPClients, c.SSHClients, c.Stalled = "127.0.0.1:1", 0, 2, 1 }, "--addr-tcp"},
		{"fewer than no stalled ssh members", func(c *Config) { c.StalledSSH = -1 }, "0 or more"},
		{"a pid without a running server", func(c *Config) { c.PID, c.StartServer = 1, start }, "--pid"},
		{"a profile of a running server", func(c *Config) { c.AddrTCP, c.CPUProfile = "127.0.0.1:1", io.Discard }, "--cpuprofile"},
		{"more senders than members", func(c *Config) { c.Senders = 3 }, "senders"},
		{"no rate", func(c *Config) { c.Rate = 0 }, "--rate"},
		{"a connect rate below 0", func(c *Config) { c.ConnectRate = -1 }, "--connect-rate"},
		{"no members", func(c *Config) { c.TCPClients, c.Senders = 0, 0 }, "no members"},
		{"web members without the door", func(c *Config) { c.AddrTCP, c.WebClients = "127.0.0.1:1", 1 }, "--addr-web"},
		{"stalled web members without the door", func(c *Config) { c.AddrTCP, c.StalledWeb = "127.0.0.1:1", 1 }, "--addr-web"},
		{"web members alone, no door to count by", func(c *Config) { c.AddrWeb, c.TCPClients, c.WebClients = "127.0.0.1:1", 0, 2 }, "--i-know"},
		{"a remote web door", func(c *Config) { c.AddrWeb, c.IKnow, c.TCPClients, c.WebClients = "192.0.2.1:80", true, 0, 2 }, "not a loopback address"},
		{"fewer than no web members", func(c *Config) { c.WebClients = -1 }, "0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.edit(&cfg)
			_, err := Run(t.Context(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one that mentions %q", err, tt.want)
			}
		})
	}
}

func TestBenchProcParsing(t *testing.T) {
	stat := []byte("4242 (palabre (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 12 0 100 0 0\n")
	cpu, err := parseStatCPU(stat)
	if err != nil || cpu != 3250*time.Millisecond {
		t.Errorf("cpu %v, %v; want 3.25s", cpu, err)
	}
	status := []byte("Name:\tpalabre\nVmPeak:\t  99999 kB\nVmRSS:\t   20480 kB\nThreads:\t9\n")
	rss, err := parseVmRSS(status)
	if err != nil || rss != 20<<20 {
		t.Errorf("rss %d, %v; want 20 MiB", rss, err)
	}
	if _, err := parseVmRSS([]byte("Name:\tx\n")); err == nil {
		t.Error("no VmRSS: no error")
	}
}

func TestBenchDropReasonsNameNoOne(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Thread-3> hi\n*** Thread-12 left (too slow)\n", "*** NAME left (too slow)"},
		{"\x1b[0m...\r\n*** b1a2fs17 left (too slow)\r\n\r\n", "*** NAME left (too slow)"},
		{"*** Thread-7 and 499 others left\n", "*** NAME and N others left"},
		{"\x1b[29;1H│ 12:38 - b1a2fs3 left (too slow)  │ +203 more\x1b[?1049l*** b1a2fs4 left (too slow)\r\n", "*** NAME left (too slow)"},
		{"*** Thread-7 et 12 autres sont partis\n", "*** NAME et N autres sont partis"},
		{"", "(the connection ended without a word)"},
	}
	for _, tt := range tests {
		var s stripper
		if got := lastLine(s.strip(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("lastLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var b []byte
	for i := range 100 {
		b = keepEnd(b, []byte(strings.Repeat(string(rune('a'+i%26)), i%7)), 16)
		if len(b) > 32 {
			t.Fatalf("keepEnd kept %d bytes, want at most 32", len(b))
		}
	}
	if got := string(keepEnd(b, []byte("0123456789abcdefXYZ"), 16)); got != "3456789abcdefXYZ" {
		t.Errorf("keepEnd of a long piece: %q", got)
	}
}

// With no senders, a run only connects: what members cost, and nothing lost.
func TestBenchWithoutSenders(t *testing.T) {
	tcpAddr, _ := startServer(t)
	rep, err := Run(t.Context(), Config{TCPClients: 3, Duration: 100 * time.Millisecond, AddrTCP: tcpAddr, PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Connected != 3 || rep.Sent != 0 || rep.Expected != 0 || rep.LossPct != 0 || rep.MemPerMemberKB == nil {
		t.Errorf("%+v", rep)
	}
}

// The in-process way, with stalled members of both doors: the readers
// lose nothing, and the stalled ones are counted, never as receivers.
func TestBenchInProcessWithStalledScreens(t *testing.T) {
	rep, err := Run(t.Context(), Config{
		TCPClients: 3, SSHClients: 2, Stalled: 1, StalledSSH: 1, Senders: 2, Rate: 10,
		Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond,
		StartServer: func(context.Context, bool) (Addrs, func() error, error) {
			tcpAddr, sshAddr := startServer(t) // stopped by the test's cleanup
			return Addrs{TCP: tcpAddr, SSH: sshAddr}, func() error { return nil }, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	rep.WriteTable(&table)
	t.Logf("\n%s", table.String())
	if rep.Server != "in-process" || rep.Connected != 7 || rep.Stalled != 1 || rep.StalledSSH != 1 {
		t.Errorf("server %q, %d connected, %d stalled tcp, %d stalled ssh; want in-process, 7, 1, 1", rep.Server, rep.Connected, rep.Stalled, rep.StalledSSH)
	}
	if rep.Sent == 0 || rep.Expected != rep.Sent*4 {
		t.Errorf("sent %d, expected %d: want 4 deliveries each", rep.Sent, rep.Expected)
	}
	if rep.Lost != 0 || rep.Seen != rep.Expected || rep.SSHSeen != rep.SSHExpected || rep.SSHExpected == 0 || rep.Dropped != 0 || rep.Strays != 0 {
		t.Errorf("loss: %+v", rep)
	}
	if !strings.Contains(table.String(), "+ 1 stalled tcp + 1 stalled ssh") {
		t.Errorf("the table does not count the stalled members")
	}
}

// fakeScreens is an SSH server that draws one title, "you: NAME", on every
// session with a pty, then hangs up at once or keeps the session open.
func fakeScreens(t *testing.T, hangUp bool) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	conf := &gossh.ServerConfig{NoClientAuth: true}
	conf.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			go func() {
				sc, chans, reqs, err := gossh.NewServerConn(nc, conf)
				if err != nil {
					return
				}
				go gossh.DiscardRequests(reqs)
				for nch := range chans {
					ch, creqs, err := nch.Accept()
					if err != nil {
						return
					}
					for req := range creqs {
						req.Reply(req.Type == "pty-req" || req.Type == "shell", nil)
						if req.Type != "shell" {
							continue
						}
						fmt.Fprintf(ch, "\x1b[H\x1b[2Jpalabre  you: %s\r\n", sc.User())
						if hangUp {
							ch.Close()
							sc.Close()
							return
						}
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// A stalled screen counts as hung up on when its session ends, and only then.
func TestBenchStalledScreenHungUpOn(t *testing.T) {
	for _, hangUp := range []bool{true, false} {
		t.Run(fmt.Sprintf("hang up %v", hangUp), func(t *testing.T) {
			r := &runner{cfg: Config{}.withDefaults(), run: "abcdef", sshAddr: fakeScreens(t, hangUp), cols: 100, rows: 30, start: time.Now()}
			m := newMember(doorSSH, "babcds0")
			m.stalled = true
			r.members = []*member{m}
			defer r.closeAll()
			if err := r.connectSSH(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			n := r.stalledDropped()
			if want := map[bool]int{true: 1, false: 0}[hangUp]; n[doorTCP] != 0 || n[doorSSH] != want || n[doorWeb] != 0 {
				t.Errorf("stalledDropped() = %d tcp, %d ssh, %d web; want 0, %d, 0", n[doorTCP], n[doorSSH], n[doorWeb], want)
			}
		})
	}
}
