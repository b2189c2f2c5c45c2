package bench

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDoor is a TCP door that welcomes nobody until want connections are
// open, then welcomes them all and hangs up at once on those hangUp picks
// (by arrival), keeping the others open until the test ends.
func fakeDoor(t *testing.T, want int, hangUp func(i int) bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
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
			if len(conns) == want {
				for i, c := range conns {
					fmt.Fprintf(c, "*** You are Thread-%d; %d others here\n", i+1, want-1)
					if hangUp(i) {
						c.Close()
					}
				}
			}
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

// With no connect rate, no member waits for another's welcome: all of them
// are connecting at once, so a door that welcomes only a full class still
// welcomes everyone — more than any batch of the bench's old pacing.
func TestBenchConnectsEveryMemberAtOnce(t *testing.T) {
	const n = 250
	addr := fakeDoor(t, n, func(int) bool { return false })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// IKnow: a fake door, no room to count the members of first.
	rep, err := Run(ctx, Config{TCPClients: n, Duration: 50 * time.Millisecond, AddrTCP: addr, IKnow: true})
	if err != nil {
		t.Fatalf("%v: members waited for others' welcomes", err)
	}
	if rep.Connected != n || rep.Dropped != 0 || rep.ConnectRate != 0 {
		t.Errorf("connected %d, dropped %d, rate %v; want %d, 0, 0", rep.Connected, rep.Dropped, rep.ConnectRate, n)
	}
}

// A connect rate spreads the members' starts: n members at rate r take at
// least (n-1)/r seconds to begin, and the report says how they came.
func TestBenchConnectRatePaces(t *testing.T) {
	const n, rate = 6, 20.0
	tcpAddr, _ := startServer(t)
	rep, err := Run(t.Context(), Config{TCPClients: n, Duration: 50 * time.Millisecond, AddrTCP: tcpAddr, ConnectRate: rate})
	if err != nil {
		t.Fatal(err)
	}
	if min := (n - 1) / rate; rep.Connected != n || rep.ConnectS < min {
		t.Errorf("%d connected in %v s; want %d in %v s or more", rep.Connected, rep.ConnectS, n, min)
	}
	var table strings.Builder
	rep.WriteTable(&table)
	if !strings.Contains(table.String(), "20 a second") {
		t.Errorf("the table does not give the connect rate:\n%s", table.String())
	}
}

// Members the server hangs up on while the class connects are a storm's
// casualties: counted among the dropped, and apart as before the measured
// window, with their last line.
func TestBenchCountsDropsBeforeTheWindow(t *testing.T) {
	const n = 40
	addr := fakeDoor(t, n, func(i int) bool { return i%4 == 0 })
	rep, err := Run(t.Context(), Config{TCPClients: n, Duration: 50 * time.Millisecond, AddrTCP: addr, IKnow: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Connected != n || rep.Dropped != n/4 || rep.DroppedBeforeWindow != n/4 {
		t.Errorf("connected %d, dropped %d, %d before the window; want %d, %d, %d", rep.Connected, rep.Dropped, rep.DroppedBeforeWindow, n, n/4, n/4)
	}
	var table strings.Builder
	rep.WriteTable(&table)
	for _, want := range []string{fmt.Sprintf("%d reading members (%d before the measured window)", n/4, n/4), "*** You are NAME; 39 others here"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table has no %q:\n%s", want, table.String())
		}
	}
}
