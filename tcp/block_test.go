package tcp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"palabre/room"
	"palabre/tcp"
)

// A 40-line fence on TCP is one block: another TCP member and an SSH
// session without a terminal read its lines tagged, consecutive, although
// a third member talks meanwhile (before, during or after: its lines may
// come on either side of the block, never inside).
func TestFenceOfFortyLinesIsConsecutiveOnLineDoors(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	ts.startSSH(t)
	alice, _ := ts.join(t)
	bob, _ := ts.join(t)
	noisy, _ := ts.join(t)
	carol, _ := ts.joinSSH(t, "carol")
	alice.expect("*** carol joined")
	bob.expect("*** carol joined")

	code := []string{"```python"}
	for i := range 40 {
		code = append(code, fmt.Sprintf("%sline %02d", strings.Repeat("\t", i%3), i))
	}
	code = append(code, "```")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 60 {
			fmt.Fprintf(noisy.nc, "noise %02d\n", i)
		}
	}()
	alice.send(strings.Join(code, "\n") + "\n")
	<-done
	for _, reader := range []*client{bob, carol} {
		reader.expect("Thread-1> ```python")
		for _, l := range code[1:] {
			want := "Thread-1> " + strings.ReplaceAll(l, "\t", "    ")
			if got := reader.next(); got != want {
				t.Fatalf("got %q inside the block, want %q", got, want)
			}
		}
	}
}

// A fence means something on framed lines only: the course's client, which
// sends with no newline, posts "```" as it is, and what follows is no block.
func TestUnframedFenceIsNoFence(t *testing.T) {
	ts := start(t, room.Options{}, func(s *tcp.Server) { s.IdleFlush = 20 * time.Millisecond })
	course, _ := ts.join(t)
	bob, _ := ts.join(t)
	course.send("```")
	bob.expectExactly("Thread-1> ```")
	course.send("hello")
	bob.expectExactly("Thread-1> hello")
}

// A fence never closed reaches the room when the connection ends.
func TestOpenFenceIsSentAtTheEnd(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	alice, _ := ts.join(t)
	bob, _ := ts.join(t)
	alice.send("```\ndef half():\n")
	alice.send("  pass\n")
	alice.nc.Close()
	for _, want := range []string{"Thread-1> ```", "Thread-1> def half():", "Thread-1>   pass"} {
		bob.expectExactly(want)
	}
}

// An SSH session without a terminal sends a block as a TCP member does.
func TestSSHLinesFenceReachesTCP(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	ts.startSSH(t)
	bob, _ := ts.join(t)
	carol, _ := ts.joinSSH(t, "carol")
	bob.expect("*** carol joined")
	carol.send("```go\nfunc main() {\n\tprintln()\n}\n```\n")
	for _, want := range []string{"carol> ```go", "carol> func main() {", "carol>     println()", "carol> }", "carol> ```"} {
		bob.expectExactly(want)
	}
}
