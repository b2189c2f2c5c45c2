package tcp_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

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

// serveForMeasure runs a hub and the TCP door on 127.0.0.1:0, prints the
// address, then answers each line on stdin with its live heap, goroutine
// stacks and goroutines after a GC, until stdin ends.
func serveForMeasure() {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := room.NewHub(room.Options{Logger: logger})
	srv := &tcp.Server{Hub: hub, Logger: logger}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		return
	}
	go srv.Serve(ln)
	fmt.Println("addr", ln.Addr())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Println(ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine(), len(hub.Members()))
	}
}

// BenchmarkIdleMemberCost connects 1000 idle TCP members to a server in
// another process and reports what one costs it. Run it with -benchtime=1x.
func BenchmarkIdleMemberCost(b *testing.B) {
	const members = 1000
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "PALABRE_TCP_SERVE=1")
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer child.Wait()
	defer stdin.Close()
	out := bufio.NewScanner(stdout)
	if !out.Scan() || !strings.HasPrefix(out.Text(), "addr ") {
		b.Fatalf("child: %q", out.Text())
	}
	addr := strings.TrimPrefix(out.Text(), "addr ")
	stat := func() (heap, stacks, goroutines, inRoom float64) {
		fmt.Fprintln(stdin, "stat")
		if !out.Scan() {
			b.Fatal("child gone")
		}
		fmt.Sscan(out.Text(), &heap, &stacks, &goroutines, &inRoom)
		return
	}
	for range b.N {
		h0, s0, g0, _ := stat()
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
					c, err := net.Dial("tcp", addr)
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
		h1, s1, g1, inRoom := stat()
		if inRoom != members {
			b.Fatalf("%v members in the room, want %d", inRoom, members)
		}
		b.ReportMetric((h1-h0)/members/1024, "heap-kB/member")
		b.ReportMetric((s1-s0)/members/1024, "stack-kB/member")
		b.ReportMetric((h1-h0+s1-s0)/members/1024, "kB/member")
		b.ReportMetric((g1-g0)/members, "goroutines/member")
		for _, c := range conns {
			c.Close()
		}
	}
}
