package sshui

import (
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// keepAlive asks the client for a sign of life every KeepAlive, and drops
// the connection after KeepAliveMax go unanswered: a laptop that slept or
// left the Wi-Fi does not hold its member forever, while a quiet student,
// whose client answers, stays.
func (s *Server) keepAlive(ctx ssh.Context, done <-chan struct{}, lost func()) {
	k := s.newKeeper(ctx, lost, 0)
	if k == nil {
		return
	}
	tick := time.NewTicker(s.opts.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			if !k.tick() {
				return
			}
		}
	}
}

// keeper keeps the count of unanswered keep-alives of one connection.
type keeper struct {
	s        *Server
	ctx      ssh.Context
	conn     gossh.Conn
	lost     func()
	grace    time.Duration // between giving the client up and closing its connection
	answered chan struct{} // the request in flight; nil when none
	missed   int
}

// newKeeper keeps the count for one connection. When the client is given
// up, lost removes its member, and the connection is closed after grace:
// at once for the line protocol; a screen gives the terminal back first,
// to a client that may only be slow to answer (a laptop waking up).
func (s *Server) newKeeper(ctx ssh.Context, lost func(), grace time.Duration) *keeper {
	conn, ok := ctx.Value(ssh.ContextKeyConn).(gossh.Conn)
	if !ok {
		return nil
	}
	return &keeper{s: s, ctx: ctx, conn: conn, lost: lost, grace: grace}
}

// tick is called every KeepAlive; it returns false once it has dropped
// the connection.
func (k *keeper) tick() bool {
	if k.answered != nil {
		select {
		case <-k.answered:
			k.missed = 0
		default:
			k.missed++
			if k.missed >= k.s.opts.KeepAliveMax {
				k.s.log.Info("no answer to keep-alives; connection dropped", "addr", remote(k.ctx))
				k.lost()
				if gc, ok := k.ctx.Value(connKey{}).(*guardedConn); ok && k.grace > 0 {
					gc.after(k.grace, func() { gc.Close() })
				} else {
					k.conn.Close()
				}
				return false
			}
			return true // still waiting for that one
		}
	}
	a := make(chan struct{})
	k.answered = a
	go func() {
		// Returns with the answer, or with an error once the connection is gone.
		if _, _, err := k.conn.SendRequest("keepalive@openssh.com", true, nil); err == nil {
			close(a)
		}
	}()
	return true
}

func remote(ctx ssh.Context) string {
	if a := ctx.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}
