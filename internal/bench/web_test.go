package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"palabre/room"
)

// Web members beside TCP members and a screen, the way `palabre bench`
// starts its own server: every message reaches every other reader, the web
// members' deliveries counted as such, and a web member that never reads is
// counted, never as a receiver.
func TestBenchWebMembers(t *testing.T) {
	askedWeb := false
	rep, err := Run(t.Context(), Config{
		TCPClients: 3, SSHClients: 1, WebClients: 4, StalledWeb: 1, Senders: 4, Rate: 10,
		Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond,
		StartServer: func(_ context.Context, web bool) (Addrs, func() error, error) {
			askedWeb = web
			_, addrs := startDoors(t, room.Options{}, 0) // stopped by the test's cleanup
			return addrs, func() error { return nil }, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	rep.WriteTable(&table)
	t.Logf("\n%s", table.String())
	if !askedWeb {
		t.Error("the server was started without its web door")
	}
	if rep.Connected != 9 || rep.WebMembers != 4 || rep.StalledWeb != 1 {
		t.Errorf("%d connected, %d web, %d stalled web; want 9, 4, 1", rep.Connected, rep.WebMembers, rep.StalledWeb)
	}
	if rep.Sent == 0 || rep.Expected != rep.Sent*7 {
		t.Errorf("sent %d, expected %d: want 7 deliveries each", rep.Sent, rep.Expected)
	}
	// Each message reaches the 4 web members, but its sender when it is one.
	if rep.WebExpected == 0 || rep.WebExpected < rep.Sent*3 || rep.WebExpected > rep.Sent*4 {
		t.Errorf("web: expected %d of %d messages; want 3 to 4 each", rep.WebExpected, rep.Sent)
	}
	if rep.Lost != 0 || rep.Seen != rep.Expected || rep.WebSeen != rep.WebExpected || rep.SSHSeen != rep.SSHExpected || rep.TCPSeen != rep.TCPExpected {
		t.Errorf("loss: %+v", rep)
	}
	if !(0 < rep.WebP50ms && rep.WebP50ms <= rep.WebP99ms && rep.WebP99ms <= rep.MaxMs) {
		t.Errorf("web latencies: p50 %v p99 %v max %v", rep.WebP50ms, rep.WebP99ms, rep.MaxMs)
	}
	if rep.Dropped != 0 || rep.Strays != 0 || rep.SendErrors != 0 {
		t.Errorf("dropped %d, strays %d, send errors %d", rep.Dropped, rep.Strays, rep.SendErrors)
	}
	for _, want := range []string{"+ 4 web +", "+ 1 stalled web", "  to web", "of 1 stalled web"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table has no %q", want)
		}
	}
}

// Web members in rooms, against a running server: each names its room in
// its hello, and sees its room's messages only.
func TestBenchWebMembersInRooms(t *testing.T) {
	_, addrs := startDoors(t, room.Options{}, 0)
	rep, err := Run(t.Context(), Config{
		Rooms: 2, TCPClients: 2, WebClients: 4, Senders: 4, Rate: 10,
		Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond,
		AddrTCP: addrs.TCP, AddrWeb: addrs.Web,
	})
	if err != nil {
		t.Fatal(err)
	}
	// 3 readers a room: each message to the 2 others of its room.
	if rep.Sent == 0 || rep.Expected != rep.Sent*2 || rep.Lost != 0 || rep.Crossed != 0 || rep.WebSeen != rep.WebExpected || rep.WebExpected == 0 {
		t.Errorf("sent %d, expected %d, lost %d, crossed %d, web %d of %d", rep.Sent, rep.Expected, rep.Lost, rep.Crossed, rep.WebSeen, rep.WebExpected)
	}
}

// A run without web members reports as it did before there were any: no
// web in its table, none in its JSON.
func TestBenchWithoutWebReadsAsBefore(t *testing.T) {
	tcpAddr, sshAddr := startServer(t)
	rep, err := Run(t.Context(), Config{TCPClients: 2, SSHClients: 1, Senders: 1, Rate: 10,
		Duration: 200 * time.Millisecond, AddrTCP: tcpAddr, AddrSSH: sshAddr})
	if err != nil {
		t.Fatal(err)
	}
	var table, js strings.Builder
	rep.WriteTable(&table)
	rep.WriteJSON(&js)
	if strings.Contains(table.String(), "web") || strings.Contains(js.String(), "web") {
		t.Errorf("web figures in a run without web members:\n%s\n%s", table.String(), js.String())
	}
}

// fakeWebDoor is a web door that welcomes every hello, then closes the
// socket at once or keeps it open without a word.
func fakeWebDoor(t *testing.T, hangUp bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		if _, _, err := c.Read(r.Context()); err != nil { // the hello
			return
		}
		welcome, _ := json.Marshal(map[string]any{"v": 1, "type": "welcome", "name": "Web-1", "room": "main", "history": []any{}})
		if c.Write(r.Context(), websocket.MessageText, welcome) != nil {
			return
		}
		// A type the bench does not know: read and ignored.
		_ = c.Write(r.Context(), websocket.MessageText, []byte(`{"v":1,"type":"typing","from":"x"}`))
		if hangUp {
			c.Close(websocket.StatusNormalClosure, "bye")
			return
		}
		<-r.Context().Done()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// A stalled web member counts as hung up on when the server closes its
// socket, and only then.
func TestBenchStalledWebMemberHungUpOn(t *testing.T) {
	for _, hangUp := range []bool{true, false} {
		t.Run(fmt.Sprintf("hang up %v", hangUp), func(t *testing.T) {
			r := &runner{cfg: Config{}.withDefaults(), run: "abcdef", webAddr: fakeWebDoor(t, hangUp), rooms: 1, start: time.Now()}
			m := newMember(doorWeb, "")
			m.stalled = true
			r.members = []*member{m}
			defer r.closeAll()
			if err := r.connectWeb(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			n := r.stalledDropped()
			if want := map[bool]int{true: 1, false: 0}[hangUp]; n[doorTCP] != 0 || n[doorSSH] != 0 || n[doorWeb] != want {
				t.Errorf("stalledDropped() = %d tcp, %d ssh, %d web; want 0, 0, %d", n[doorTCP], n[doorSSH], n[doorWeb], want)
			}
		})
	}
}
