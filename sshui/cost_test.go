package sshui_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"palabre/room"
	"palabre/sshui"
)

// The test binary doubles as a bare SSH door in a process of its own, so
// that BenchmarkSessionCost measures the server without its clients.
func TestMain(m *testing.M) {
	if os.Getenv("PALABRE_SSHUI_SERVE") == "1" {
		serveForMeasure()
		return
	}
	os.Exit(m.Run())
}

// serveForMeasure runs a hub and the SSH door on 127.0.0.1:0, prints the
// address, then answers each "stat" line on stdin with its goroutines, live
// heap and resident memory, until stdin ends.
func serveForMeasure() {
	runtime.MemProfileRate = 4096 // a session is tens of kB: the default samples one in 512 kB
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := room.NewHub(room.Options{Logger: logger})
	key, err := hostKeyPEM()
	if err != nil {
		fmt.Println("error", err)
		return
	}
	srv, err := sshui.New(sshui.Options{Hub: hub, Logger: logger, HostKeyPEM: key})
	if err != nil {
		fmt.Println("error", err)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		return
	}
	go srv.Serve(ln)
	fmt.Println("addr", ln.Addr())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if path, ok := strings.CutPrefix(sc.Text(), "heap "); ok {
			// A heap profile, to see where a session's memory goes.
			if f, err := os.Create(path); err == nil {
				runtime.GC()
				pprof.WriteHeapProfile(f)
				f.Close()
			}
			if f, err := os.Create(path + ".goroutines"); err == nil {
				pprof.Lookup("goroutine").WriteTo(f, 1)
				f.Close()
			}
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Println("stat", runtime.NumGoroutine(), ms.HeapInuse, rssBytes(), len(hub.Members()), ms.StackInuse)
	}
}

func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

type serverStat struct{ goroutines, heap, rss, members, stack float64 }

// BenchmarkSessionCost opens 100 idle chat screens (pty, 100x30) on a
// server in another process and reports what one costs it. Run it with
// -benchtime=1x: each run opens the same 100.
func BenchmarkSessionCost(b *testing.B) {
	const sessions = 100
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "PALABRE_SSHUI_SERVE=1")
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
	stat := func() serverStat {
		fmt.Fprintln(stdin, "stat")
		if !out.Scan() {
			b.Fatal("child gone")
		}
		var s serverStat
		fmt.Sscanf(out.Text(), "stat %g %g %g %g %g", &s.goroutines, &s.heap, &s.rss, &s.members, &s.stack)
		return s
	}

	for range b.N {
		before := stat()
		var clients []*gossh.Client
		for i := range sessions {
			c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: fmt.Sprintf("u%d", i), HostKeyCallback: gossh.InsecureIgnoreHostKey()})
			if err != nil {
				b.Fatal(err)
			}
			clients = append(clients, c)
			scr := openScreen(b, c, 100, 30)
			scr.waitFor(fmt.Sprintf("you: u%d", i))
		}
		if path := os.Getenv("PALABRE_SESSION_HEAP"); path != "" {
			fmt.Fprintln(stdin, "heap "+path)
			out.Scan()
		}
		open := stat()
		if open.members != sessions {
			b.Fatalf("%v members, want %d", open.members, sessions)
		}
		for _, c := range clients {
			c.Close()
		}
		b.ReportMetric((open.goroutines-before.goroutines)/sessions, "goroutines/session")
		b.ReportMetric((open.heap-before.heap)/sessions/1024, "heap-kB/session")
		b.ReportMetric((open.rss-before.rss)/sessions/1024, "rss-kB/session")
		b.ReportMetric((open.stack-before.stack)/sessions/1024, "stack-kB/session")
	}
}
