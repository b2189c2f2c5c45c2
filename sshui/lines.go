package sshui

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/ssh"

	"palabre/internal/connerr"
	"palabre/internal/lineproto"
	"palabre/room"
)

// maxPending is the line protocol's bound on input with no newline, as on
// the TCP door; a paste on the screen longer than it also ends the session.
const maxPending = 16 << 10

// lines speaks the TCP door's line protocol over a session without a
// terminal (`ssh -T`, a pipe, a script): `echo hello | ssh -p 2222 host`
// posts "hello" and ends. With a terminal that draws no screen (TERM=dumb)
// the session gets a terminal's line discipline too: tty.
func (s *Server) lines(sess ssh.Session, out io.Writer, m *room.Member, history []room.Message, tty bool) room.Reason {
	var line *lineDiscipline
	if tty {
		line = &lineDiscipline{out: out}
		out = line
	}
	greeting := s.opts.Greeting
	if greeting == "" {
		greeting = s.opts.Lang.Greeting()
	}
	if msg, ok := s.arrival(m); ok {
		// Entered a room by its name: where, and with whom, first.
		where := lineproto.AppendMessage(nil, s.opts.Lang, m.ID(), &msg)
		greeting += "\n" + strings.TrimSuffix(string(where), "\n")
	}
	// Counted now, before the reading below can see the member leave: the
	// welcome says how many others were there when it came.
	others := m.Room().Count() - 1 // of its room
	written := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("writer panicked", "name", m.Name(), "panic", fmt.Sprint(r))
				s.opts.Hub.Leave(m, room.ReasonError)
				written <- nil
			}
			// The member has left (or the client stopped reading): end the
			// session, which also ends the read below.
			_ = sess.Exit(0)
		}()
		written <- lineproto.Deliver(out, s.opts.Lang, greeting, m, others, history)
	}()

	reason := room.ReasonClosed
	f := lineproto.Framer{MaxPending: maxPending}
	in := lineproto.Input{Hub: s.opts.Hub, Member: m, MessageBytes: s.opts.MaxMessageBytes}
	buf := make([]byte, 4096)
	var typed []byte // the lines ended on the terminal
	for in.Stop == 0 {
		n, err := sess.Read(buf)
		if n > 0 {
			data := buf[:n]
			if line != nil {
				var quit bool
				typed, quit = line.input(data, typed[:0])
				data = typed
				if quit {
					reason = room.ReasonQuit
					break
				}
				if line.pending() > maxPending {
					reason = room.ReasonTooLong
					break
				}
			}
			if f.Feed(data, in.Line) != nil {
				reason = room.ReasonTooLong
				break
			}
		}
		if err != nil {
			f.Flush(in.Line)
			in.End()
			if !errors.Is(err, io.EOF) {
				reason = connerr.Read(err)
			}
			break
		}
	}
	if in.Stop != 0 {
		reason = in.Stop
	}
	// Leave now, so that the writer sends what is left and returns.
	s.opts.Hub.Leave(m, reason)
	if err := <-written; err != nil {
		s.log.Info("write failed; member dropped", "name", m.Name(), "err", err)
	}
	return reason
}
