package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"palabre/internal/costprobe"
	"palabre/room"
	"palabre/web"
)

// The test binary doubles as a bare web door in a process of its own, so
// that BenchmarkIdleWebMemberCost measures the server without its clients.
func TestMain(m *testing.M) {
	if os.Getenv("PALABRE_WEB_SERVE") == "1" {
		serveForMeasure()
		return
	}
	os.Exit(m.Run())
}

// serveForMeasure runs a hub and the web server with its member door, as
// cmd/palabre wires it (metrics off: they are the server's, not a
// member's), for costprobe.
func serveForMeasure() {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := room.NewHub(room.Options{Logger: logger})
	srv, err := web.New(web.Options{Hub: hub, Logger: logger, Members: &web.MemberDoor{}})
	if err != nil {
		fmt.Println("error", err)
		return
	}
	costprobe.Serve(srv.Serve, func() int { return len(hub.Members()) })
}

// BenchmarkIdleWebMemberCost connects 500 idle web members (a WebSocket
// each, welcomed) to a server in another process and reports what one
// costs it. Run it with -benchtime=1x.
func BenchmarkIdleWebMemberCost(b *testing.B) {
	const members = 500
	child := costprobe.Start(b, "PALABRE_WEB_SERVE")
	url := "ws://" + child.Addr + "/ws"
	for range b.N {
		before := child.Stat()
		conns := make([]*websocket.Conn, members)
		// In rounds of 50 at once, as the TCP door's benchmark: a storm of
		// joins is not an idle room.
		for round := 0; round < members; round += 50 {
			var wg sync.WaitGroup
			errs := make(chan error, 50)
			for i := round; i < round+50; i++ {
				wg.Go(func() {
					c, err := joinWeb(url)
					if err != nil {
						errs <- err
						return
					}
					conns[i] = c
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
		}
		// Idle: every member in the room, the others' joins written to it,
		// its goroutines down to those that wait; the count no longer moves.
		last := -1
		idle := child.StatWhen(func(s costprobe.Stat) bool {
			settled := s.Members == members && s.Goroutines == last
			last = s.Goroutines
			return settled
		})
		costprobe.PerMember(b, before, idle, members, "member")
		for _, c := range conns {
			c.CloseNow()
		}
	}
}

// joinWeb opens a web member as the page does, with no Origin (a client
// that is not a browser), and reads until its welcome.
func joinWeb(url string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"v":1,"type":"hello"}`)); err != nil {
		c.CloseNow()
		return nil, err
	}
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			c.CloseNow()
			return nil, err
		}
		var f struct{ Type string }
		if json.Unmarshal(b, &f) == nil && f.Type == "welcome" {
			// The client never reads again: the others' joins wait in its
			// socket, as they would in an idle tab's.
			return c, nil
		}
	}
}
