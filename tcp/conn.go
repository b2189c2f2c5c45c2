package tcp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"palabre/internal/lineproto"
	"palabre/room"
)

// conn is one TCP member: a reader goroutine that frames input and posts it
// to the hub, and a writer goroutine that is the only one to write to the
// socket and the only one to close it.
type conn struct {
	srv *Server
	nc  net.Conn
	m   *room.Member
}

// serve runs the connection until both its goroutines have ended. A panic
// in either drops this member only: it is logged, the member leaves with
// ReasonError, and the connection closes.
func (c *conn) serve(history []room.Message, early []byte, greeting string) {
	written := make(chan struct{})
	go func() {
		defer close(written)
		defer c.recover("writer")
		c.write(history, greeting)
	}()
	reason := room.ReasonError
	func() {
		defer c.recover("reader")
		reason = c.read(early)
	}()
	c.srv.Hub.Leave(c.m, reason) // no-op if the hub removed the member first
	<-written
}

func (c *conn) recover(where string) {
	if r := recover(); r != nil {
		c.srv.log.Error("connection panicked", "in", where, "name", c.m.Name(), "addr", c.nc.RemoteAddr().String(), "panic", fmt.Sprint(r))
		c.srv.Hub.Leave(c.m, room.ReasonError)
		c.nc.Close()
	}
}

// read frames the input, starting with the bytes that came before the
// member joined, and posts each message until the member leaves or the
// connection fails. It returns the reason to leave with.
func (c *conn) read(early []byte) room.Reason {
	s := c.srv
	f := lineproto.Framer{MaxPending: s.MaxPendingBytes}
	var tn lineproto.Telnet
	in := lineproto.Input{Hub: s.Hub, Member: c.m, MessageBytes: s.MaxMessageBytes}
	if f.Feed(tn.Filter(early), in.Line) != nil {
		return room.ReasonTooLong
	}
	buf := make([]byte, 4096)
	armed := false // a read deadline is set for the idle flush
	for in.Stop == 0 {
		// While bytes wait for a boundary, each read may wait only the idle
		// time: a pause that long ends the message, as the course's client
		// sends one message per send() with no newline.
		if f.Pending() {
			_ = c.nc.SetReadDeadline(time.Now().Add(s.IdleFlush))
			armed = true
		} else if armed {
			_ = c.nc.SetReadDeadline(time.Time{})
			armed = false
		}
		n, err := c.nc.Read(buf)
		if n > 0 {
			if ferr := f.Feed(tn.Filter(buf[:n]), in.Line); ferr != nil {
				s.log.Info("input too long", "addr", c.nc.RemoteAddr().String(), "name", c.m.Name())
				return room.ReasonTooLong
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && f.Pending() {
				f.Idle(in.Line)
				continue
			}
			f.Flush(in.Line)
			if in.Stop != 0 {
				break
			}
			if errors.Is(err, io.EOF) {
				return room.ReasonClosed
			}
			return room.ReasonLost
		}
	}
	return in.Stop
}

// write runs the writing half until the member leaves, then closes the
// connection, which ends read.
func (c *conn) write(history []room.Message, greeting string) {
	defer c.nc.Close()
	s := c.srv
	err := lineproto.Deliver(deadlineWriter{c.nc, s.WriteTimeout}, s.Lang, greeting, c.m, len(s.Hub.Members())-1, history)
	if err != nil {
		s.log.Info("write failed; member dropped", "name", c.m.Name(), "addr", c.nc.RemoteAddr().String(), "err", err)
		s.Hub.Leave(c.m, room.ReasonTooSlow)
	}
}

// deadlineWriter gives every write to the connection a deadline: a member
// that stops reading is dropped after it, and its writer goroutine ends.
type deadlineWriter struct {
	nc      net.Conn
	timeout time.Duration
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	_ = w.nc.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.nc.Write(p)
}
