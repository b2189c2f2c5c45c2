package tcp

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"palabre/internal/connerr"
	"palabre/internal/lineproto"
	"palabre/room"
)

// conn is one TCP member: a reader goroutine that frames input and posts it
// to the hub, and a writer that runs only while there is something to
// write — an idle member costs one goroutine, not two. The writer is the
// only one to write to the socket and the only one to close it.
type conn struct {
	srv *Server
	nc  net.Conn
	m   *room.Member // set once joined; the writer never runs before

	raw      syscall.RawConn // the socket, for a write that must not wait; nil: none
	writing  atomic.Bool     // a writer runs, a direct write is under way, or the intro is being written
	unframed atomic.Bool     // the member's last message came without a newline: the course's client
	finished chan struct{}   // closed once the connection is closed for good
	closing  sync.Once
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{srv: s, nc: nc, finished: make(chan struct{})}
	if sc, ok := nc.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	c.writing.Store(true) // held until the intro is written: nothing goes before it
	return c
}

// serve runs the connection until it is closed: it writes the intro, then
// reads until the member leaves; a writer started by the room's notices
// delivers the outbox meanwhile. A panic in either drops this member only:
// it is logged, the member leaves with ReasonError, and the connection
// closes.
func (c *conn) serve(history []room.Message, early []byte, greeting string) {
	s := c.srv
	intro := lineproto.AppendIntro(nil, s.Lang, greeting, c.m, c.m.Room().Count()-1, history)
	if err := c.writeOut(intro); err != nil {
		c.writeFailed(err)
	}
	c.release()
	reason := room.ReasonError
	func() {
		defer c.recover("reader")
		reason = c.read(early)
	}()
	s.Hub.Leave(c.m, reason) // no-op if the hub removed the member first
	<-c.finished
}

// kick writes the outbox unless a writer runs: the room calls it
// (JoinRequest.Notify) when the outbox gets a first message, and when the
// member is removed, in the goroutine of whoever caused it, after the
// room's lock. A socket with room for the bytes takes them there and then,
// in one system call, as the course's server writes to each client from
// the sender's thread: no goroutine to start, no deadline to set, no
// scheduler to cross. One that has no room (or a member that left) gets a
// writer goroutine, which waits for it within the write timeout.
func (c *conn) kick() {
	// A panic here is this member's, not the poster's whose goroutine this is.
	defer c.recover("direct writer")
	for c.writing.CompareAndSwap(false, true) {
		rest, ok := c.tryWrite()
		if !ok {
			go c.writeRest(rest)
			return
		}
		c.writing.Store(false)
		if !c.work() { // a message that came meanwhile found the writer busy
			return
		}
	}
}

// tryWrite drains the outbox and writes it if the socket takes it without
// waiting. It returns false, with what is left to write, when it did not
// all go, or when the member has left (the writer says farewell).
func (c *conn) tryWrite() ([]byte, bool) {
	select {
	case <-c.m.Done():
		return nil, false
	default:
	}
	var batch [4]room.Message
	msgs := c.m.Drain(batch[:0])
	if len(msgs) == 0 {
		return nil, true
	}
	bp := directBuffers.Get().(*[]byte)
	b := c.appendBatch((*bp)[:0], msgs)
	out := c.framed(b)
	n := c.writeNow(out)
	c.srv.written.Add(uint64(n))
	var rest []byte
	if n < len(out) {
		rest = bytes.Clone(out[n:])
	}
	if cap(b) <= directBuffer { // a large batch's buffer is not kept
		*bp = b[:0]
		directBuffers.Put(bp)
	}
	return rest, rest == nil
}

// directBuffers are the buffers of direct writes, shared by every
// connection: an idle member holds none.
var directBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// directBuffer is the largest buffer kept for the next direct write.
const directBuffer = 4096

// writeNow writes b with one non-blocking system call and returns how
// much the socket took: none when it has no room (EAGAIN) or failed (the
// writer then finds out why, within its deadline).
func (c *conn) writeNow(b []byte) int {
	if c.raw == nil {
		return 0
	}
	var n int
	// An error of Write itself (a closed socket) leaves n at 0: the writer
	// goroutine meets it again and says why the member went.
	_ = c.raw.Write(func(fd uintptr) bool {
		for {
			w, err := syscall.Write(int(fd), b[n:])
			if w > 0 {
				n += w
			}
			if err == syscall.EINTR || (err == nil && n < len(b) && w > 0) {
				continue
			}
			return true // done, or EAGAIN: never wait here
		}
	})
	return n
}

// writeRest writes what a direct write left, then carries on as the
// writer.
func (c *conn) writeRest(rest []byte) {
	defer c.recover("writer")
	if len(rest) > 0 {
		if err := c.writeOut(rest); err != nil {
			c.writeFailed(err)
			return
		}
	}
	c.write()
}

// release lets the writer go, then takes it back at once if a message or
// the member's removal came in meanwhile: a notice that found the writer
// busy is not lost.
func (c *conn) release() {
	c.writing.Store(false)
	if c.work() {
		c.kick()
	}
}

func (c *conn) work() bool {
	select {
	case <-c.m.Done():
		return true
	default:
		return c.m.Pending()
	}
}

// write drains the outbox into the socket, one write per batch, until it is
// empty; once the member has left it sends what is left and closes.
func (c *conn) write() {
	defer c.recover("writer")
	s := c.srv
	var batch []room.Message
	var b []byte
	for {
		left := false
		select {
		case <-c.m.Done():
			left = true
		default:
		}
		batch = c.m.Drain(batch[:0])
		b = c.appendBatch(b[:0], batch)
		if left {
			_ = c.writeOut(lineproto.AppendFarewell(b, s.Lang, c.m))
			c.close()
			return
		}
		if err := c.writeOut(b); err != nil {
			c.writeFailed(err)
			return
		}
		if !c.m.Pending() {
			break
		}
	}
	c.release()
}

// writeFailed drops a member whose socket would not take a write: in time
// (too slow), or at all (the peer reset the connection, or it is lost).
func (c *conn) writeFailed(err error) {
	s := c.srv
	r := connerr.Write(err)
	s.log.Info("write failed; member dropped", "name", c.m.Name(), "addr", c.nc.RemoteAddr().String(), "reason", r.String(), "err", err)
	s.Hub.Leave(c.m, r)
	c.close()
}

// close closes the connection, which ends the reader, once.
func (c *conn) close() {
	c.closing.Do(func() {
		c.nc.Close()
		close(c.finished)
	})
}

// writeOut writes b within the write timeout. To the course's client (see
// read) it writes without b's last newline.
func (c *conn) writeOut(b []byte) error {
	b = c.framed(b)
	if len(b) == 0 {
		return nil
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.WriteTimeout))
	n, err := c.nc.Write(b)
	c.srv.written.Add(uint64(n))
	return err
}

// appendBatch appends msgs as the member reads them.
func (c *conn) appendBatch(b []byte, msgs []room.Message) []byte {
	for i := range msgs {
		b = lineproto.AppendMessage(b, c.srv.Lang, c.m.ID(), &msgs[i])
	}
	return b
}

// framed is b as one write to this member goes: to the course's client
// (see read), without its last newline.
func (c *conn) framed(b []byte) []byte {
	if c.unframed.Load() {
		return bytes.TrimSuffix(b, []byte{'\n'})
	}
	return b
}

func (c *conn) recover(where string) {
	if r := recover(); r != nil {
		c.srv.log.Error("connection panicked", "in", where, "name", c.m.Name(), "addr", c.nc.RemoteAddr().String(), "panic", fmt.Sprint(r))
		c.srv.Hub.Leave(c.m, room.ReasonError)
		c.close()
	}
}

// readBuffer is what one read takes: a chat line or two; a paste takes
// several reads, and an idle member holds no more.
const readBuffer = 1024

// read frames the input, starting with the bytes that came before the
// member joined, and posts each message until the member leaves or the
// connection fails. It returns the reason to leave with.
func (c *conn) read(early []byte) room.Reason {
	s := c.srv
	f := lineproto.Framer{MaxPending: s.MaxPendingBytes}
	var tn lineproto.Telnet
	in := lineproto.Input{Hub: s.Hub, Member: c.m, MessageBytes: s.MaxMessageBytes}
	// How the member's last message ended says which client it runs: the
	// course's client.py sends each message with no newline, and prints
	// each recv() between '*' marks, as its course's server sent each
	// message with no newline. To it, each write goes without its last
	// newline ("*Thread-1> hi*", as in the course; several messages in one
	// write are still one a line); to nc and telnet, which send lines,
	// every line ends in one. Set before the message is posted, so that a
	// reply to it is already written the new way.
	line := func(l string) { c.unframed.Store(false); in.Line(l) }
	pause := func(l string) { c.unframed.Store(true); in.Piece(l) }
	if f.Feed(tn.Filter(early), line) != nil {
		return room.ReasonTooLong
	}
	buf := make([]byte, readBuffer)
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
			if ferr := f.Feed(tn.Filter(buf[:n]), line); ferr != nil {
				s.log.Info("input too long", "addr", c.nc.RemoteAddr().String(), "name", c.m.Name())
				return room.ReasonTooLong
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && f.Pending() {
				f.Idle(pause)
				continue
			}
			f.Flush(in.Line)
			in.End()
			if in.Stop != 0 {
				break
			}
			return connerr.Read(err)
		}
	}
	return in.Stop
}

// deadlineWriter gives every write to the connection a deadline: a member
// that stops reading is dropped after it, and its writer goroutine ends.
type deadlineWriter struct {
	nc      net.Conn
	timeout time.Duration
	written *atomic.Uint64 // the server's count
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	_ = w.nc.SetWriteDeadline(time.Now().Add(w.timeout))
	n, err := w.nc.Write(p)
	w.written.Add(uint64(n))
	return n, err
}
