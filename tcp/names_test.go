package tcp_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"palabre/room"
)

// The course's naming survives squatters: a key that joined as Thread-3,
// then typed /nick Thread-N for every number to come, owns none of them,
// and the third member of the TCP door, the course's own client.py, is
// Thread-3 as in the course. (The key joins in-process, as the SSH door
// makes it join: this door has no keys. sshui's names tests do it over SSH.)
func TestCourseClientIsThreadNDespiteSquatters(t *testing.T) {
	python, script := courseClient(t)
	ts := start(t, room.Options{}, nil)
	sq, _, err := ts.hub.Join(room.JoinRequest{Name: "Thread-3", Door: room.DoorSSH, Key: "SHA256:squatter", Addr: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(sq.Name(), "Thread-") {
		t.Fatalf("a key joined as %s", sq.Name())
	}
	for i := 1; i <= 20; i++ {
		ts.hub.Post(sq, fmt.Sprintf("/nick Thread-%d", i))
	}
	if strings.HasPrefix(sq.Name(), "Thread-") {
		t.Fatalf("a key took %s by /nick", sq.Name())
	}
	ts.hub.Leave(sq, room.ReasonQuit)

	a, aName := ts.join(t)
	_, bName := ts.join(t)
	a.expectExactly("*** " + bName + " joined (tcp)")
	_, port, _ := net.SplitHostPort(ts.addr)
	py := startClientPy(t, python, script, port)
	py.waitOut("*** You are Thread-3;")
	a.expectExactly("*** Thread-3 joined (tcp)")
	py.input("bonjour")
	a.expectExactly("Thread-3> bonjour")
	py.input("FIN")
	py.stdin.Close()
	a.expectExactly("*** Thread-3 left (FIN)")
	py.waitOut("Client arrêté")
	if err := py.wait(); err != nil {
		t.Errorf("client.py: %v", err)
	}
	if aName != "Thread-1" || bName != "Thread-2" {
		t.Errorf("the first two are %s and %s", aName, bName)
	}
}
