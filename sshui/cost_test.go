package sshui_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/costprobe"
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

// serveForMeasure runs a hub and the SSH door for costprobe.
func serveForMeasure() {
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
	costprobe.Serve(srv.Serve, func() int { return len(hub.Members()) })
}

// BenchmarkSessionCost opens 100 idle chat screens (pty, 100x30) on a
// server in another process and reports what one costs it. Run it with
// -benchtime=1x: each run opens the same 100.
func BenchmarkSessionCost(b *testing.B) {
	const sessions = 100
	child := costprobe.Start(b, "PALABRE_SSHUI_SERVE")
	for range b.N {
		before := child.Stat()
		var clients []*gossh.Client
		for i := range sessions {
			c, err := gossh.Dial("tcp", child.Addr, &gossh.ClientConfig{User: fmt.Sprintf("u%d", i), HostKeyCallback: gossh.InsecureIgnoreHostKey()})
			if err != nil {
				b.Fatal(err)
			}
			clients = append(clients, c)
			scr := openScreen(b, c, 100, 30)
			scr.waitFor(fmt.Sprintf("you: u%d", i))
		}
		var open costprobe.Stat
		if path := os.Getenv("PALABRE_SESSION_HEAP"); path != "" {
			open = child.Profile(path)
		} else {
			open = child.Stat()
		}
		if open.Members != sessions {
			b.Fatalf("%v members, want %d", open.Members, sessions)
		}
		for _, c := range clients {
			c.Close()
		}
		costprobe.PerMember(b, before, open, sessions, "session")
	}
}
