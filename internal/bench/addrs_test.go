package bench

import (
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"palabre/room"
)

// countingListener counts the connections it accepts: which of a door's
// addresses the members came by.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return nc, err
}

// A server with two listeners a door, as a cluster of two nodes offers
// (here one room behind both): given both addresses of each door, the
// bench spreads every door's members over them, and nothing is lost.
func TestBenchSeveralAddrsADoor(t *testing.T) {
	var lns [nDoors][]net.Listener
	var counted [nDoors][2]*countingListener
	var addrs [nDoors][]string
	for d := range nDoors {
		for i := range 2 {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			counted[d][i] = &countingListener{Listener: ln}
			lns[d] = append(lns[d], counted[d][i])
			addrs[d] = append(addrs[d], ln.Addr().String())
		}
	}
	serveDoors(t, room.Options{}, 0, lns)
	rep, err := Run(t.Context(), Config{
		TCPClients: 4, Stalled: 2, SSHClients: 2, WebClients: 2, Senders: 4, Rate: 5,
		Duration: time.Second, Warmup: 200 * time.Millisecond,
		AddrTCP: strings.Join(addrs[doorTCP], ","), AddrSSH: strings.Join(addrs[doorSSH], ", "), AddrWeb: strings.Join(addrs[doorWeb], ","),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The first TCP address also took the connection that counted the room.
	want := [nDoors][2]int64{doorTCP: {3 + 1, 3}, doorSSH: {1, 1}, doorWeb: {1, 1}}
	for d := range nDoors {
		got := [2]int64{counted[d][0].accepted.Load(), counted[d][1].accepted.Load()}
		if got != want[d] {
			t.Errorf("%s door: %v connections by address, want %v", door(d), got, want[d])
		}
	}
	if rep.Connected != 10 || rep.Sent == 0 || rep.Expected != rep.Sent*7 {
		t.Errorf("%d connected, sent %d, expected %d: want 10, and 7 deliveries each", rep.Connected, rep.Sent, rep.Expected)
	}
	if rep.Lost != 0 || rep.Seen != rep.Expected || rep.SSHSeen == 0 || rep.WebSeen == 0 || rep.Dropped != 0 || rep.Strays != 0 {
		t.Errorf("loss: %+v", rep)
	}
}

// Each door's members go round its addresses: every address has as many
// members and senders as the others, give or take one, and the
// non-sending readers of a room are on every address when they are enough.
func TestBenchSpreadsOverAddrs(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		addrs [nDoors]int
	}{
		{"one address a door", Config{TCPClients: 10, SSHClients: 3, WebClients: 2, Stalled: 2, Senders: 4}, [nDoors]int{1, 1, 1}},
		{"three tcp addresses", Config{TCPClients: 10, Stalled: 3, Senders: 4}, [nDoors]int{3, 1, 1}},
		{"two rooms on two addresses", Config{Rooms: 2, TCPClients: 12, Senders: 2}, [nDoors]int{2, 1, 1}},
		{"four rooms on two addresses, every reader sends", Config{Rooms: 4, TCPClients: 16, Senders: 16}, [nDoors]int{2, 1, 1}},
		{"fewer senders than addresses", Config{TCPClients: 9, Senders: 1}, [nDoors]int{3, 1, 1}},
		{"three doors, each its own", Config{Rooms: 3, TCPClients: 30, SSHClients: 6, WebClients: 12, Stalled: 4, StalledSSH: 2, StalledWeb: 3, Senders: 9},
			[nDoors]int{3, 2, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Duration, cfg.Rate = time.Second, 1
			r := &runner{cfg: cfg.withDefaults(), run: "abcdef", start: time.Now()}
			lists := [nDoors]*string{&r.tcpAddr, &r.sshAddr, &r.webAddr}
			for d, n := range tt.addrs {
				var l []string
				for i := range n {
					l = append(l, fmt.Sprintf("127.0.0.1:%d", 1000*(d+1)+i))
				}
				*lists[d] = strings.Join(l, ",")
			}
			if err := r.plan(); err != nil {
				t.Fatal(err)
			}
			for d := range nDoors {
				n := tt.addrs[d]
				members, senders := make([]int, n), make([]int, n)
				readers := make([][]int, r.rooms) // the room's non-sending readers, by address
				for i := range readers {
					readers[i] = make([]int, n)
				}
				for _, m := range r.members {
					if m.door != d {
						continue
					}
					if want := fmt.Sprintf("127.0.0.1:%d", 1000*(int(d)+1)+m.at); r.addr(m) != want {
						t.Fatalf("a %s member at %d connects to %s, want %s", door(d), m.at, r.addr(m), want)
					}
					members[m.at]++
					switch {
					case m.sender >= 0:
						senders[m.at]++
					case !m.stalled:
						readers[m.room][m.at]++
					}
				}
				if slices.Max(members)-slices.Min(members) > 1 || slices.Max(senders)-slices.Min(senders) > 1 {
					t.Errorf("%s members by address %v, senders %v: want them spread evenly", door(d), members, senders)
				}
				for room, by := range readers {
					if total(by) >= n && slices.Min(by) == 0 {
						t.Errorf("%s readers of room %d by address %v: want some on every address", door(d), room, by)
					}
				}
			}
		})
	}
}

func total(counts []int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// A door's addresses are each checked as one alone is: a bad one among
// good ones is refused, named, with the door's flag; and so are a process
// given twice and one below 0.
func TestBenchRefusesBadAddrLists(t *testing.T) {
	base := Config{TCPClients: 2, SSHClients: 2, WebClients: 2, Senders: 1, Rate: 1, Duration: time.Second,
		AddrTCP: "127.0.0.1:1", AddrSSH: "127.0.0.1:2", AddrWeb: "127.0.0.1:3", IKnow: true}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no port in a tcp list", func(c *Config) { c.AddrTCP = "127.0.0.1:1,127.0.0.1" }, `--addr-tcp "127.0.0.1": want HOST:PORT`},
		{"an empty entry", func(c *Config) { c.AddrTCP = "127.0.0.1:1,,127.0.0.1:2" }, `--addr-tcp "": want HOST:PORT`},
		{"a trailing comma", func(c *Config) { c.AddrSSH = "127.0.0.1:2," }, `--addr-ssh "": want HOST:PORT`},
		{"a remote ssh door among loopback ones", func(c *Config) { c.AddrSSH = "127.0.0.1:2, [2001:db8::1]:22" }, `--addr-ssh "[2001:db8::1]:22": 2001:db8::1 is not a loopback address`},
		{"a remote web door last", func(c *Config) { c.AddrWeb = "127.0.0.1:3,192.0.2.1:80" }, `--addr-web "192.0.2.1:80": 192.0.2.1 is not a loopback address`},
		{"a process twice", func(c *Config) { c.PID, c.PIDs = os.Getpid(), []int{os.Getpid()} }, fmt.Sprintf("--pid %d: want each process", os.Getpid())},
		{"a process twice in the list", func(c *Config) { c.PIDs = []int{os.Getpid(), 1, os.Getpid()} }, fmt.Sprintf("--pid %d: want each process", os.Getpid())},
		{"a process below 0", func(c *Config) { c.PIDs = []int{-4} }, "--pid -4: want each process"},
		{"processes without a running server", func(c *Config) { c.AddrTCP, c.AddrSSH, c.AddrWeb, c.PIDs = "", "", "", []int{2, 3} }, "--pid reads a running server"},
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
	got, err := loopbacks(t.Context(), nil, "--addr-tcp", " 127.0.0.1:1 ,[::1]:2,127.0.0.2:3")
	if want := "127.0.0.1:1,[::1]:2,127.0.0.2:3"; err != nil || got != want {
		t.Errorf("loopbacks = %q, %v; want %q", got, err, want)
	}
}

// Several processes (a cluster's nodes): each one's CPU and memory has a
// row of the table and an entry of the JSON, and the server's figures are
// theirs summed; one process reads as it always did.
func TestBenchSeveralPids(t *testing.T) {
	sleeper := exec.Command("sleep", "60") // a second process, idle
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sleeper.Process.Kill()
		sleeper.Wait()
	})
	tests := []struct {
		name string
		pids []int
	}{
		{"one process", []int{os.Getpid()}},
		{"two processes", []int{os.Getpid(), sleeper.Process.Pid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tcpAddr, _ := startServer(t)
			rep, err := Run(t.Context(), Config{TCPClients: 4, Senders: 2, Rate: 10,
				Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond, AddrTCP: tcpAddr, PIDs: tt.pids})
			if err != nil {
				t.Fatal(err)
			}
			var table, js strings.Builder
			rep.WriteTable(&table)
			rep.WriteJSON(&js)
			t.Logf("\n%s%s", table.String(), js.String())
			if rep.Lost != 0 || rep.Seen == 0 || rep.CPUS == nil || rep.CPUSPer1000 == nil || rep.MemPerMemberKB == nil || rep.MemEndPerMemberKB == nil {
				t.Fatalf("loss or figures missing: %+v", rep)
			}
			if len(tt.pids) == 1 {
				if rep.Processes != nil || rep.RSSKB != nil || strings.Contains(js.String(), `"processes"`) || strings.Contains(js.String(), `"rss_kb"`) ||
					strings.Contains(table.String(), "pid ") || strings.Contains(table.String(), "together") {
					t.Errorf("one process, reported as several")
				}
				return
			}
			if len(rep.Processes) != 2 || rep.RSSKB == nil {
				t.Fatalf("processes %+v, rss %v: want 2, and their RSS summed", rep.Processes, rep.RSSKB)
			}
			var cpu, per1000, mem, memEnd float64
			var rss int64
			for i, p := range rep.Processes {
				if p.PID != tt.pids[i] || p.CPUS == nil || p.CPUSPer1000 == nil || p.MemPerMemberKB == nil || p.MemEndPerMemberKB == nil || p.RSSKB == nil || *p.RSSKB <= 0 {
					t.Fatalf("process %d: %+v, want pid %d with every figure", i, p, tt.pids[i])
				}
				cpu, per1000, mem, memEnd, rss = cpu+*p.CPUS, per1000+*p.CPUSPer1000, mem+*p.MemPerMemberKB, memEnd+*p.MemEndPerMemberKB, rss+*p.RSSKB
				label := fmt.Sprintf("  pid %d ", p.PID)
				row := fmt.Sprintf(" cpu %.2f s, %.2f ms per 1000 deliveries; memory %.1f kB per member connected, %.1f kB at the end, RSS %.1f MiB",
					*p.CPUS, *p.CPUSPer1000*1000, *p.MemPerMemberKB, *p.MemEndPerMemberKB, float64(*p.RSSKB)/1024)
				if !slices.ContainsFunc(strings.Split(table.String(), "\n"), func(l string) bool {
					return strings.HasPrefix(l, label) && strings.HasSuffix(l, row)
				}) {
					t.Errorf("the table has no row %q…%q", label, row)
				}
				if !strings.Contains(js.String(), fmt.Sprintf(`{"pid":%d,"cpu_s":`, p.PID)) {
					t.Errorf("the JSON has no entry for pid %d", p.PID)
				}
			}
			near := func(a, b, tolerance float64) bool { return math.Abs(a-b) <= tolerance }
			if !near(cpu, *rep.CPUS, 0.002) || !near(per1000, *rep.CPUSPer1000, 1e-5) || !near(mem, *rep.MemPerMemberKB, 0.002) || !near(memEnd, *rep.MemEndPerMemberKB, 0.002) || rss != *rep.RSSKB {
				t.Errorf("the processes' figures sum to cpu %v, per 1000 %v, memory %v and %v, rss %d; the server's are %v, %v, %v, %v, %d",
					cpu, per1000, mem, memEnd, rss, *rep.CPUS, *rep.CPUSPer1000, *rep.MemPerMemberKB, *rep.MemEndPerMemberKB, *rep.RSSKB)
			}
			for _, want := range []string{"per 1000 deliveries, the 2 processes together (utime+stime of /proc/PID/stat of each of the 2 processes, summed)",
				fmt.Sprintf(", the 2 processes together, RSS %.1f MiB in all (VmRSS", float64(*rep.RSSKB)/1024)} {
				if !strings.Contains(table.String(), want) {
					t.Errorf("the table has no %q", want)
				}
			}
		})
	}
}
