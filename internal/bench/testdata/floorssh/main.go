// Command floorssh is the floor of an SSH chat in Go on this machine: an
// x/crypto/ssh server with no screen, no room and no history, that writes
// each message to every session's channel as one write of the size of
// palabre's frame for one message on a 100 × 30 screen (~410 bytes: the
// scrolling region, the new row, the cursor back to the input). palabre's
// SSH door cannot cost less per delivery than this does; `palabre bench`
// measures it as it measures palabre:
//
//	go run ./internal/bench/testdata/floorssh 127.0.0.1:2222
//	palabre bench --addr-ssh 127.0.0.1:2222 --i-know --pid PID --tcp-clients 0 --ssh-clients 500 ...
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"sync"

	"golang.org/x/crypto/ssh"
)

// frameBytes is what palabre writes to a 100 × 30 screen for one message.
const frameBytes = 410

type session struct {
	name string
	ch   ssh.Channel
	mu   sync.Mutex // one write at a time on a channel
}

var (
	mu       sync.Mutex
	sessions = map[*session]struct{}{}
)

func main() {
	addr := "127.0.0.1:2222"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		panic(err)
	}
	cfg := &ssh.ServerConfig{NoClientAuth: true}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for {
		nc, err := ln.Accept()
		if err != nil {
			continue
		}
		go serve(nc, cfg)
	}
}

func serve(nc net.Conn, cfg *ssh.ServerConfig) {
	conn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		nc.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "no")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			continue
		}
		s := &session{name: conn.User(), ch: ch}
		go func() {
			for req := range chReqs {
				req.Reply(req.Type == "pty-req" || req.Type == "shell" || req.Type == "window-change", nil)
				if req.Type == "shell" {
					s.write([]byte("\x1b[2J\x1b[H you: " + s.name + "\r\n"))
					mu.Lock()
					sessions[s] = struct{}{}
					mu.Unlock()
				}
			}
		}()
		go s.read()
	}
}

func (s *session) write(b []byte) {
	s.mu.Lock()
	s.ch.Write(b)
	s.mu.Unlock()
}

// read takes what the member types; Enter posts the line to everyone.
func (s *session) read() {
	defer func() {
		mu.Lock()
		delete(sessions, s)
		mu.Unlock()
		s.ch.Close()
	}()
	buf := make([]byte, 1024)
	var line []byte
	for {
		n, err := s.ch.Read(buf)
		if err != nil {
			return
		}
		for _, c := range buf[:n] {
			if c != '\r' && c != '\n' {
				line = append(line, c)
				continue
			}
			if len(line) > 0 {
				post(s.name, line)
				line = line[:0]
			}
		}
	}
}

func post(from string, text []byte) {
	frame := []byte("\x1b[1;28r\x1b[28;1H\n" + from + ": ")
	frame = append(frame, text...)
	frame = append(frame, "\x1b[K\x1b[r\x1b[30;3H"...)
	if pad := frameBytes - len(frame); pad > 0 {
		frame = append(frame, bytes.Repeat([]byte("\x1b[C"), pad/3)...)
	}
	mu.Lock()
	all := make([]*session, 0, len(sessions))
	for s := range sessions {
		all = append(all, s)
	}
	mu.Unlock()
	for _, s := range all {
		s.write(frame)
	}
}
