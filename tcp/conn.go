package tcp

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
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

// serve runs the connection until both its goroutines have ended.
func (c *conn) serve(history []room.Message) {
	written := make(chan struct{})
	go func() {
		defer close(written)
		c.write(history)
	}()
	reason := c.read()
	c.srv.Hub.Leave(c.m, reason) // no-op if the hub removed the member first
	<-written
}

// read frames the input and posts each message until the member leaves or
// the connection fails. It returns the reason to leave with.
func (c *conn) read() room.Reason {
	f := lineproto.Framer{MaxMessage: c.srv.MaxMessageBytes, MaxPending: c.srv.MaxPendingBytes}
	fin := false
	emit := func(msg string) {
		if fin {
			return
		}
		if strings.EqualFold(strings.TrimSpace(msg), "FIN") {
			fin = true
			return
		}
		c.srv.Hub.Post(c.m, msg)
	}
	buf := make([]byte, 4096)
	armed := false // a read deadline is set for the idle flush
	for !fin {
		// While bytes wait for a boundary, each read may wait only the idle
		// time: a pause that long ends the message, as the course's client
		// sends one message per send() with no newline.
		if f.Pending() {
			_ = c.nc.SetReadDeadline(time.Now().Add(c.srv.IdleFlush))
			armed = true
		} else if armed {
			_ = c.nc.SetReadDeadline(time.Time{})
			armed = false
		}
		n, err := c.nc.Read(buf)
		if n > 0 {
			if ferr := f.Feed(buf[:n], emit); ferr != nil {
				c.srv.log.Info("input too long", "addr", c.nc.RemoteAddr().String(), "name", c.m.Name())
				return room.ReasonTooLong
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && f.Pending() {
				f.Idle(emit)
				continue
			}
			f.Flush(emit)
			if errors.Is(err, io.EOF) {
				return room.ReasonClosed
			}
			return room.ReasonLost
		}
	}
	return room.ReasonFIN
}

// write runs the writing half until the member leaves, then closes the
// connection, which ends read.
func (c *conn) write(history []room.Message) {
	defer c.nc.Close()
	s := c.srv
	err := lineproto.Deliver(deadlineWriter{c.nc, s.WriteTimeout}, s.Lang, s.greeting(), c.m, len(s.Hub.Members())-1, history)
	if err != nil {
		s.log.Debug("write failed", "addr", c.nc.RemoteAddr().String(), "name", c.m.Name(), "err", err)
		s.Hub.Leave(c.m, room.ReasonLost)
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
