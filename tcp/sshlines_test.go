package tcp_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"palabre/sshui"
)

// The line protocol is the TCP door's and the SSH door's without a
// terminal alike (internal/lineproto): a test of it may mix members of both.

// startSSH opens the SSH door on the test server's hub, in its language.
func (ts *testServer) startSSH(t *testing.T) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sshui.New(sshui.Options{
		Hub: ts.hub, Lang: ts.srv.Lang, HostKeyPEM: pem.EncodeToMemory(block),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// Registered after start's cleanup, so run before it: the hub is still
	// up, and the sessions end by the door's own shutdown.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		ts.hub.Shutdown()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("ssh Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("ssh Serve: %v", err)
		}
	})
	ts.sshAddr = ln.Addr().String()
}

// joinSSH opens an SSH session without a terminal as user, which speaks the
// line protocol, and reads past the greeting and welcome.
func (ts *testServer) joinSSH(t *testing.T, user string) (*client, string) {
	t.Helper()
	conn, err := gossh.Dial("tcp", ts.sshAddr, &gossh.ClientConfig{
		User: user, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: patience,
	})
	if err != nil {
		t.Fatalf("ssh as %s: %v", user, err)
	}
	t.Cleanup(func() { conn.Close() })
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil { // no terminal asked: the line protocol
		t.Fatal(err)
	}
	c := lineClient(t, stdout, stdin)
	c.next() // the greeting
	w := c.expect("*** ")
	name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(w, "*** You are "), "*** Vous êtes "), ";")
	return c, strings.TrimSpace(name)
}
