package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"palabre/room"
	"palabre/tcp"
)

// frenchDoor runs a room whose TCP door speaks French.
func frenchDoor(t *testing.T) string {
	t.Helper()
	hub := room.NewHub(room.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := &tcp.Server{Hub: hub, Lang: room.LangFR, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		hub.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-served
	})
	return ln.Addr().String()
}

// A running server's room with someone in it: the bench, which would flood
// them, refuses and says how many they are, whichever door it counts by and
// whatever the room's language; --i-know runs it anyway.
func TestBenchRefusesAnOccupiedRoom(t *testing.T) {
	tests := []struct {
		name string
		cfg  func() Config
	}{
		{"tcp door", func() Config {
			tcpAddr, _ := startServer(t)
			return Config{TCPClients: 2, AddrTCP: tcpAddr}
		}},
		{"tcp door in french", func() Config { return Config{TCPClients: 2, AddrTCP: frenchDoor(t)} }},
		{"ssh door alone", func() Config {
			tcpAddr, sshAddr := startServer(t)
			c := Config{SSHClients: 1, AddrSSH: sshAddr}
			c.AddrTCP = tcpAddr // for the member already there, below; the bench is given the SSH door only
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg()
			// Someone is in the room.
			nc, err := net.Dial("tcp", cfg.AddrTCP)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			sc := bufio.NewScanner(nc)
			for sc.Scan() && !strings.Contains(sc.Text(), "***") {
			}
			if cfg.SSHClients > 0 {
				cfg.AddrTCP = ""
			}
			cfg.Senders, cfg.Rate, cfg.Duration = 1, 5, 200*time.Millisecond
			_, err = Run(t.Context(), cfg)
			if err == nil || !strings.Contains(err.Error(), "the room has 1 member(s), who would be flooded") || !strings.Contains(err.Error(), "--i-know") {
				t.Fatalf("err = %v; want a refusal that counts 1 member and names --i-know", err)
			}
			cfg.IKnow = true
			rep, err := Run(t.Context(), cfg)
			if err != nil || rep.Connected != cfg.TCPClients+cfg.SSHClients {
				t.Errorf("with --i-know: %v, %d connected", err, rep.Connected)
			}
		})
	}
}

// Only loopback addresses are benched: a name is resolved first, and
// refused if any of its addresses is elsewhere.
func TestBenchRefusesNamesThatResolveElsewhere(t *testing.T) {
	tcpAddr, _ := startServer(t)
	_, port, _ := net.SplitHostPort(tcpAddr)
	tests := []struct {
		name, host string
		ips        []net.IP
		want       string // "": accepted
	}{
		{"a name for another machine", "classroom.test", []net.IP{net.ParseIP("192.0.2.7")}, "192.0.2.7 is not a loopback address"},
		{"a name for loopback and elsewhere", "both.test", []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("192.0.2.7")}, "192.0.2.7 is not a loopback address"},
		{"a name for loopback", "here.test", []net.IP{net.ParseIP("127.0.0.1")}, ""},
		{"the unspecified address", "0.0.0.0", nil, "not a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{TCPClients: 1, Duration: 50 * time.Millisecond, AddrTCP: net.JoinHostPort(tt.host, port),
				Resolver: fakeDNS(t, tt.ips)}
			_, err := Run(t.Context(), cfg)
			if tt.want == "" && err != nil {
				t.Errorf("refused: %v", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("err = %v, want a refusal with %q", err, tt.want)
			}
		})
	}
}

// fakeDNS is a resolver whose DNS server, on 127.0.0.1, answers every A
// query with ips and every other query with nothing.
func fakeDNS(t *testing.T, ips []net.IP) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			// The question: a name of labels, then its type and class.
			end := 12
			for end < n && buf[end] != 0 {
				end += 1 + int(buf[end])
			}
			end += 5
			if end > n {
				continue
			}
			qtype := binary.BigEndian.Uint16(buf[end-4:])
			resp := append([]byte{}, buf[:end]...)
			resp[2], resp[3] = 0x81, 0x80 // a response, recursion available, no error
			binary.BigEndian.PutUint16(resp[6:], 0)
			binary.BigEndian.PutUint16(resp[8:], 0)
			binary.BigEndian.PutUint16(resp[10:], 0)
			if qtype == 1 { // A
				binary.BigEndian.PutUint16(resp[6:], uint16(len(ips)))
				for _, ip := range ips {
					resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
					resp = append(resp, ip.To4()...)
				}
			}
			pc.WriteTo(resp, from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// Needs the hub's rooms (issue 12). With rooms, the bench counts the
// members of its own rooms too, by /rooms: someone in bench-2 is flooded,
// someone in a room the bench does not use is not, whatever the door and
// the language.
func TestBenchRefusesOccupiedBenchRooms(t *testing.T) {
	tests := []struct {
		name   string
		addrs  func() (tcpAddr, sshAddr string)
		room   string
		refuse bool
	}{
		{"someone in bench-2", func() (string, string) { return startServer(t) }, "bench-2", true},
		{"someone in bench-2, in french", func() (string, string) { return frenchDoor(t), "" }, "bench-2", true},
		{"someone in bench-2, counted by the ssh door", func() (string, string) { return startServer(t) }, "bench-2", true},
		{"someone in bench-4, a room the bench does not use", func() (string, string) { return startServer(t) }, "bench-4", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tcpAddr, sshAddr := tt.addrs()
			nc, err := net.Dial("tcp", tcpAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if _, err := fmt.Fprintf(nc, "/join %s\n", tt.room); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(nc)
			for sc.Scan() && !hasRoom(sc.Bytes(), movedMarks, tt.room) {
			}
			cfg := Config{Rooms: 3, TCPClients: 3, Senders: 1, Rate: 5, Duration: 200 * time.Millisecond, AddrTCP: tcpAddr}
			if strings.Contains(tt.name, "ssh door") {
				cfg = Config{Rooms: 3, SSHClients: 3, Senders: 1, Rate: 5, Duration: 200 * time.Millisecond, AddrSSH: sshAddr}
			}
			_, err = Run(t.Context(), cfg)
			if refused := err != nil && strings.Contains(err.Error(), "bench-1 … bench-3 have 1 member(s), who would be flooded"); refused != tt.refuse {
				t.Fatalf("err = %v; want a refusal counting 1 member: %v", err, tt.refuse)
			}
			if tt.refuse {
				cfg.IKnow = true
				if _, err := Run(t.Context(), cfg); err != nil {
					t.Errorf("with --i-know: %v", err)
				}
			}
		})
	}
}
