package tcp_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"

	"palabre/internal/costprobe"
	"palabre/room"
	"palabre/tcp"
)

// The test binary doubles as a bare TCP door in a process of its own, so
// that BenchmarkIdleMemberCost measures the server without its clients.
func TestMain(m *testing.M) {
	if os.Getenv("PALABRE_TCP_SERVE") == "1" {
		serveForMeasure()
		return
	}
	os.Exit(m.Run())
}

// serveForMeasure runs a hub and the TCP door for costprobe.
func serveForMeasure() {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := room.NewHub(room.Options{Logger: logger})
	srv := &tcp.Server{Hub: hub, Logger: logger}
	costprobe.Serve(srv.Serve, func() int { return len(hub.Members()) })
}

// BenchmarkIdleMemberCost connects 1000 idle TCP members to a server in
// another process and reports what one costs it. Run it with -benchtime=1x.
func BenchmarkIdleMemberCost(b *testing.B) {
	const members = 1000
	child := costprobe.Start(b, "PALABRE_TCP_SERVE")
	for range b.N {
		before := child.Stat()
		conns := make([]net.Conn, members)
		// In rounds of 50 at once: each greeting waits for the HTTP sniff,
		// and a storm of a thousand joins at once is not an idle room.
		for round := 0; round < members; round += 50 {
			var wg sync.WaitGroup
			errs := make(chan error, 50)
			for i := round; i < round+50; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.Dial("tcp", child.Addr)
					if err != nil {
						errs <- err
						return
					}
					r := bufio.NewReader(c)
					for range 2 { // the greeting and the welcome: the member is in
						if _, err := r.ReadString('\n'); err != nil {
							errs <- err
						}
					}
					conns[i] = c
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
		}
		// Idle: every member down to its reader, the joins of the others
		// written to it.
		idle := child.StatWhen(func(s costprobe.Stat) bool { return s.Goroutines <= before.Goroutines+members })
		if path := os.Getenv("PALABRE_MEMBER_HEAP"); path != "" { // heap and goroutine profiles of the idle members
			idle = child.Profile(path)
		}
		if idle.Members != members {
			b.Fatalf("%v members in the room, want %d", idle.Members, members)
		}
		costprobe.PerMember(b, before, idle, members, "member")
		for _, c := range conns {
			c.Close()
		}
	}
}
