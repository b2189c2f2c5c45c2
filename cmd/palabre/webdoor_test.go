package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"testing"
	"time"

	"github.com/coder/websocket"

	"palabre/internal/config"
	"palabre/room"
)

// serveWeb runs serve on cfg.DataDir and returns the doors' addresses and
// a function that stops it.
func serveWeb(t *testing.T, cfg config.Config) (map[string]net.Addr, func()) {
	t.Helper()
	cfg.TCPAddr, cfg.SSHAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	return serveAt(t, cfg)
}

// serveAt runs serve with cfg's addresses as they are.
func serveAt(t *testing.T, cfg config.Config) (map[string]net.Addr, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan map[string]net.Addr, 1)
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, io.Discard, func(a map[string]net.Addr) { addrs <- a }) }()
	var a map[string]net.Addr
	select {
	case a = <-addrs:
	case err := <-served:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(patience):
		cancel()
		t.Fatal("serve did not start")
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(patience):
			t.Fatal("serve did not return")
		}
	}
	t.Cleanup(stop)
	return a, stop
}

type wsFrame struct {
	Type, Name, Reason string
}

// webHello joins through the web door with no name and returns the first
// frame the server sends: the welcome, or a bye.
func webHello(t *testing.T, httpAddr net.Addr) wsFrame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+httpAddr.String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"v":1,"type":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var f wsFrame
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// Web-N goes on after a restart, as Thread-N does.
func TestWebNumbersGoOnAfterRestart(t *testing.T) {
	cfg := defaults(t)
	cfg.DataDir = t.TempDir()
	a, stop := serveWeb(t, cfg)
	for _, want := range []string{"Web-1", "Web-2"} {
		if f := webHello(t, a["http"]); f.Type != "welcome" || f.Name != want {
			t.Fatalf("got %+v, want the welcome of %s", f, want)
		}
	}
	stop()
	a, _ = serveWeb(t, cfg)
	if f := webHello(t, a["http"]); f.Name != "Web-3" {
		t.Errorf("after the restart the newcomer is %+v, want Web-3", f)
	}
}

// The web door counts against the same per-address limit as the TCP door.
func TestWebDoorSharesTheLimiter(t *testing.T) {
	cfg := defaults(t)
	cfg.DataDir = t.TempDir()
	cfg.MaxPerIP, cfg.ExemptCIDRs = 1, nil
	a, _ := serveWeb(t, cfg)
	nc, err := net.Dial("tcp", a["tcp"].String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(patience))
	if _, err := bufio.NewReader(nc).ReadString('\n'); err != nil { // greeted: it holds the address
		t.Fatal(err)
	}
	want := room.LangEN.Refusal(room.RefusedTooMany)
	if f := webHello(t, a["http"]); f.Type != "bye" || f.Reason != want {
		t.Errorf("got %+v, want a bye %q", f, want)
	}
}
