package sshui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/room"
	"palabre/sshui"
)

// A client whose screen stops reading (its channel's window full, the
// server's writes blocked) still has its session's requests taken at once:
// no lock a write holds stands between them, so window changes, and the
// client's other requests behind them, do not wait for the write timeout.
func TestAdversarialStalledScreenStillTakesRequests(t *testing.T) {
	const writeTimeout = patience // what the requests would wait for
	a := startArena(t, room.Options{History: room.NewRing(100)}, sshui.Options{WriteTimeout: writeTimeout})
	sender := dialPeer(t, a.tcpAddr, false)
	receiver := dialPeer(t, a.tcpAddr, false)
	// A history that fills the largest screen: each window change then
	// costs a whole screen of text, and the channel's window (2 MB) fills
	// within a few dozen.
	var flood strings.Builder
	for i := range 100 {
		fmt.Fprintf(&flood, "m%03d %s\n", i, strings.Repeat("x", 990))
	}
	sender.send(flood.String() + "sync\n")
	receiver.expect("Thread-1> sync")

	c := dial(t, a.sshAddr, &gossh.ClientConfig{User: "stuck"})
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.StdoutPipe(); err != nil { // and never read
		t.Fatal(err)
	}
	if _, err := sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 65535, 65535, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	receiver.expect("*** stuck joined (ssh)")

	// Window changes a frame apart, each drawn whole, each followed by a
	// request the session's loop answers (with a refusal) once it has
	// taken the window change.
	const changes = 80 // well past what fills the window
	tick := time.NewTicker(40 * time.Millisecond)
	defer tick.Stop()
	slowest := time.Duration(0)
	for i := range changes {
		<-tick.C // the client's pace, not a synchronisation
		if err := sess.WindowChange(200, 400-i%2); err != nil {
			t.Fatalf("window change %d: %v", i, err)
		}
		answered := make(chan error, 1)
		began := time.Now()
		go func() {
			_, err := sess.SendRequest("probe@palabre.test", true, nil)
			answered <- err
		}()
		select {
		case err := <-answered:
			if err != nil {
				t.Fatalf("request after window change %d: %v", i, err)
			}
		case <-time.After(writeTimeout / 3):
			t.Fatalf("after window change %d, a request waited %v unanswered: the session's loop is held up by a write", i, writeTimeout/3)
		}
		slowest = max(slowest, time.Since(began))
	}
	t.Logf("%d window changes; the slowest request took %v", changes, slowest.Round(time.Millisecond))
	if got := memberNames(a.hub); len(got) != 3 {
		t.Errorf("members %q; want the stalled screen still there", got)
	}
}
