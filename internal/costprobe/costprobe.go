// Package costprobe measures what a door's members cost a server: the test
// binary runs again as the server alone, in a process of its own, so that
// the clients' memory is not counted, and answers the benchmark's requests
// for its figures over stdin and stdout.
package costprobe

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Stat is the server's state after a GC.
type Stat struct {
	Goroutines, Members int
	Heap, Stack, RSS    uint64        // bytes: heap in use, goroutine stacks, resident
	CPU                 time.Duration // the process's user and system time so far
}

// Serve runs in the child (see Start): it listens on 127.0.0.1:0, serves
// with serve, prints its address, then answers each line on stdin until
// stdin ends: "stat" with a Stat of the server whose room has members();
// "heap PATH" writes a heap profile to PATH and a goroutine profile to
// PATH.goroutines first.
func Serve(serve func(net.Listener) error, members func() int) {
	runtime.MemProfileRate = 4096 // a member is kB: the default samples one in 512 kB
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		return
	}
	go serve(ln)
	fmt.Println("addr", ln.Addr())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cpu := cpuTime() // before the GCs below, which are the probe's, not the server's
		if path, ok := strings.CutPrefix(sc.Text(), "heap "); ok {
			runtime.GC()
			writeProfile(path, func(f *os.File) error { return pprof.WriteHeapProfile(f) })
			writeProfile(path+".goroutines", func(f *os.File) error { return pprof.Lookup("goroutine").WriteTo(f, 1) })
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Println("stat", runtime.NumGoroutine(), members(), ms.HeapInuse, ms.StackInuse, rss(), int64(cpu))
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func writeProfile(path string, write func(*os.File) error) {
	if f, err := os.Create(path); err == nil {
		_ = write(f)
		f.Close()
	}
}

func rss() uint64 {
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

// Child is the server process, seen from the benchmark.
type Child struct {
	Addr string
	b    *testing.B
	in   interface{ Write([]byte) (int, error) }
	out  *bufio.Scanner
}

// Start runs the test binary again with env=1 set, which its TestMain
// turns into a call of Serve; the child ends with the benchmark.
func Start(b *testing.B, env string) *Child {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	c := &Child{b: b, in: stdin, out: bufio.NewScanner(stdout)}
	if !c.out.Scan() || !strings.HasPrefix(c.out.Text(), "addr ") {
		b.Fatalf("child: %q", c.out.Text())
	}
	c.Addr = strings.TrimPrefix(c.out.Text(), "addr ")
	return c
}

// Stat asks the child for its figures.
func (c *Child) Stat() Stat {
	return c.ask("stat")
}

// StatWhen asks the child for its figures until settled says they are
// what is to be measured (members whose greetings are still being written
// are not idle yet), for 10 s at most.
func (c *Child) StatWhen(settled func(Stat) bool) Stat {
	c.b.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := c.Stat()
		if settled(s) {
			return s
		}
		if time.Now().After(deadline) {
			c.b.Fatalf("the server did not settle: %+v", s)
		}
		time.Sleep(50 * time.Millisecond) // polling another process: nothing to wait on
	}
}

// Profile has the child write its heap and goroutine profiles to path.
func (c *Child) Profile(path string) Stat {
	return c.ask("heap " + path)
}

func (c *Child) ask(line string) Stat {
	c.b.Helper()
	fmt.Fprintln(c.in, line)
	if !c.out.Scan() {
		c.b.Fatal("child gone")
	}
	var s Stat
	if _, err := fmt.Sscanf(c.out.Text(), "stat %d %d %d %d %d %d", &s.Goroutines, &s.Members, &s.Heap, &s.Stack, &s.RSS, &s.CPU); err != nil {
		c.b.Fatalf("child: %q: %v", c.out.Text(), err)
	}
	return s
}

// PerMember reports what the server gained from before to after, for n
// members, per member: in kB, goroutines as they are; the metrics are
// named for what a member is called.
func PerMember(b *testing.B, a, z Stat, n int, member string) {
	per := func(x, y uint64) float64 { return (float64(y) - float64(x)) / float64(n) / 1024 }
	b.ReportMetric(float64(z.Goroutines-a.Goroutines)/float64(n), "goroutines/"+member)
	b.ReportMetric(per(a.Heap, z.Heap), "heap-kB/"+member)
	b.ReportMetric(per(a.Stack, z.Stack), "stack-kB/"+member)
	b.ReportMetric(per(a.Heap+a.Stack, z.Heap+z.Stack), "kB/"+member)
	b.ReportMetric(per(a.RSS, z.RSS), "rss-kB/"+member)
}
