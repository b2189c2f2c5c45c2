package bench

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The bench measures the course's own threaded server as it measures
// palabre: every message relayed to the others, counted, none lost.
func TestBenchCourseServer(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("the course's server is Python: install python3 (apt-get install python3)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // the server binds it itself; loopback, a moment later
	cmd := exec.Command(python, "-u", "testdata/course_server.py", "127.0.0.1", strconv.Itoa(port))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Serveur prêt") {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the course's server did not start")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the course's server did not start within 10 s")
	}
	// The course's server says it is ready before it listens: the first
	// connection that goes through says it listens. It stays, reading, a
	// member like the others (closed, the course's server could write to
	// it before its thread saw it go, and that write kills a sender).
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			go io.Copy(io.Discard, c)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the course's server does not listen: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // polling another process's listen: nothing to wait on
	}
	rep, err := Run(t.Context(), Config{Course: true, TCPClients: 20, Senders: 3, Rate: 10, Duration: 500 * time.Millisecond,
		AddrTCP: addr, PID: cmd.Process.Pid})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Seen == 0 || rep.Lost != 0 || rep.CPUS == nil || rep.MemEndPerMemberKB == nil {
		t.Errorf("seen %d, lost %d, cpu %v, memory at the end %v", rep.Seen, rep.Lost, rep.CPUS, rep.MemEndPerMemberKB)
	}
}
