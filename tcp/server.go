// Package tcp is the course's door: a plain TCP chat where each message is a
// line (or one unframed send) and each relayed message reads "NAME> TEXT",
// so the course's client.py, nc and telnet work unchanged.
package tcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"palabre/internal/connlimit"
	"palabre/internal/lineproto"
	"palabre/room"
)

// sendBuffer is the kernel's send buffer for each member: a few seconds of
// a busy room, well above what a member that reads needs.
const sendBuffer = 64 << 10

// Defaults for the Server's fields left at zero.
const (
	DefaultIdleFlush       = 40 * time.Millisecond
	DefaultWriteTimeout    = 10 * time.Second
	DefaultMaxMessageBytes = 1024
	DefaultMaxPendingBytes = 16 << 10
	DefaultSniffTime       = 150 * time.Millisecond
)

// Server accepts TCP members into a room.
type Server struct {
	Hub          *room.Hub
	Lang         room.Lang
	Greeting     string        // "" : the language's greeting
	IdleFlush    time.Duration // a pause this long ends an unframed message
	WriteTimeout time.Duration // a write taking longer drops the member
	// MaxMessageBytes is the size of one message for flood control: a
	// longer line is paced as several. The room cuts it into messages of
	// its own MaxMessageBytes, after parsing it whole; cmd/palabre gives
	// both the same value.
	MaxMessageBytes int
	MaxPendingBytes int                // this much input with no boundary drops the member
	SniffTime       time.Duration      // how long to wait for an HTTP request line before greeting
	Limits          *connlimit.Limiter // per-address limits; nil: none
	// Password, when set, is asked for after the greeting: the first
	// message is the answer (the course's client: type it first).
	Password string
	// Passwords paces the password's checks per address, shared with the
	// other doors; nil: a gate of its own with the default figures.
	Passwords *connlimit.PasswordGate
	// KeysOnly closes the door to everyone when there is no Password: the
	// room takes only SSH keys it knows.
	KeysOnly bool
	// LastThread is the last Thread number a previous run gave (the
	// store's State.Numbers["thread-"]): numbering goes on after it, so
	// that a newcomer never takes the name of someone in the history.
	LastThread uint64
	// Numbers, when set, gives the Thread numbers instead of the server's
	// own count: a cluster's, shared by its nodes, so that two students on
	// two nodes are never both Thread-3. An error falls back to the count.
	Numbers func() (uint64, error)
	Logger  *slog.Logger

	log      *slog.Logger
	threads  atomic.Uint64 // names members Thread-1, Thread-2, … in connection order
	written  atomic.Uint64 // bytes written to clients, for BytesWritten
	mu       sync.Mutex
	ln       []net.Listener
	conns    map[net.Conn]struct{}
	closing  bool
	quit     chan struct{} // closed by Shutdown: a password check waiting its turn gives up
	handlers sync.WaitGroup
	once     sync.Once
}

func (s *Server) init() {
	s.once.Do(func() {
		if s.IdleFlush <= 0 {
			s.IdleFlush = DefaultIdleFlush
		}
		if s.WriteTimeout <= 0 {
			s.WriteTimeout = DefaultWriteTimeout
		}
		if s.MaxMessageBytes <= 0 {
			s.MaxMessageBytes = DefaultMaxMessageBytes
		}
		if s.MaxPendingBytes <= 0 {
			s.MaxPendingBytes = DefaultMaxPendingBytes
		}
		if s.SniffTime <= 0 {
			s.SniffTime = DefaultSniffTime
		}
		if s.Limits == nil {
			s.Limits = &connlimit.Limiter{}
		}
		if s.Passwords == nil {
			s.Passwords = &connlimit.PasswordGate{}
		}
		s.quit = make(chan struct{})
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.Default()
		}
		s.log = s.log.With("door", room.DoorTCP)
		s.conns = make(map[net.Conn]struct{})
		s.threads.Store(s.LastThread)
	})
}

func (s *Server) greeting() string {
	if s.Greeting != "" {
		return s.Greeting
	}
	return s.Lang.Greeting()
}

// Serve accepts connections on l until Shutdown. It returns nil after
// Shutdown, or the error that stopped accepting.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return nil
	}
	s.ln = append(s.ln, l)
	s.mu.Unlock()

	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return nil
			}
			if temporary(err) {
				// Out of file descriptors and the like: wait, don't spin.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("tcp: accept: %w", err)
		}
		backoff = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			// A fixed send buffer: left to autotuning, the kernel holds up to
			// 4 MiB for a member that stopped reading before its outbox ever
			// fills, and "too slow" would take minutes to notice.
			_ = tc.SetWriteBuffer(sendBuffer)
		}
		if !s.track(nc) {
			nc.Close()
			continue
		}
		go s.handle(nc)
	}
}

// temporary reports whether an accept error will likely pass, such as
// running out of file descriptors. (net.Error's Temporary is deprecated for
// reads and writes, not for accept.)
func temporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[nc] = struct{}{}
	s.handlers.Add(1)
	return true
}

// handle admits a connection and, once its member is in the room, runs the
// member in a goroutine of its own: the one that admitted it, deep in the
// password check, the sniff and the join, ends, and what stays for the
// member's life is a stack of the reader's frames only (an idle member's
// largest cost is its stack: 8 kB where the admitting goroutine's frames
// stayed below it, 4 kB without them).
func (s *Server) handle(nc net.Conn) {
	done := func() {
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
		s.handlers.Done()
	}
	c, life, ok := s.admit(nc)
	if !ok {
		done()
		return
	}
	go func() {
		defer done()
		defer life.release()
		c.serve(life.history, life.early, life.greeting)
	}()
}

// admitted is what admit hands the member's goroutine.
type admitted struct {
	history  []room.Message
	early    []byte
	greeting string
	release  func() // the per-address limiter's slot
}

// admit checks the connection against the limits, the HTTP sniff and the
// room password, and joins it to the room. Refused, it has closed nc; a
// panic drops the connection only.
func (s *Server) admit(nc net.Conn) (c *conn, life admitted, ok bool) {
	release := func() {}
	defer func() {
		if r := recover(); r != nil { // before the member exists: drop the connection only
			s.log.Error("connection panicked", "addr", nc.RemoteAddr().String(), "panic", fmt.Sprint(r))
			nc.Close()
			ok = false
		}
		if !ok && release != nil {
			release()
		}
	}()
	release, err := s.Limits.Admit(nc.RemoteAddr())
	if err != nil {
		s.log.Info("connection refused", "addr", nc.RemoteAddr().String(), "why", err.Error())
		s.refuse(nc, s.Lang.Refusal(connlimit.Refusal(err)))
		return nil, life, false
	}

	early, isHTTP := s.sniff(nc)
	if isHTTP {
		s.log.Info("HTTP request refused", "addr", nc.RemoteAddr().String(), "request", room.Clip(string(early), 64))
		s.refuse(nc, "this is a chat server, not HTTP")
		return nil, life, false
	}
	greeting := s.greeting()
	unframed := false // the password came as the course's client sends
	switch {
	case s.KeysOnly && s.Password == "":
		s.refuse(nc, s.Lang.Refusal(room.RefusedNoPassword))
		return nil, life, false
	case s.Password != "":
		var pok bool
		if early, unframed, pok = s.checkPassword(nc, early); !pok {
			return nil, life, false
		}
		greeting = "" // given with the question
	}
	name := fmt.Sprintf("Thread-%d", s.nextThread())
	c = newConn(s, nc)
	c.unframed.Store(unframed)
	m, history, err := s.Hub.Join(room.JoinRequest{Name: name, Generated: true, Door: room.DoorTCP, Addr: nc.RemoteAddr().String(), Notify: c.kick})
	if err != nil {
		s.refuse(nc, s.Lang.RefusalOf(err))
		return nil, life, false
	}
	c.m = m
	return c, admitted{history: history, early: early, greeting: greeting, release: release}, true
}

// passwordTimeout bounds how long the door waits for the room password.
const passwordTimeout = 2 * time.Minute

// checkPassword greets, asks for the room password and reads the answer:
// the first message, framed as any other (a line, or the course client's
// one send()). Passwords compares it when the address's turn comes. On a
// wrong answer, or none in time, or too many wrong ones from the address
// lately, it says so in one line and closes. It returns what came after
// the answer, and whether the answer came unframed (the course's client).
func (s *Server) checkPassword(nc net.Conn, early []byte) (rest []byte, unframed, ok bool) {
	w := deadlineWriter{nc, s.WriteTimeout, &s.written}
	if _, err := w.Write(lineproto.AppendLine(lineproto.AppendLine(nil, s.greeting()), "*** ", s.Lang.PasswordPrompt())); err != nil {
		nc.Close()
		return nil, false, false
	}
	f := lineproto.Framer{MaxPending: s.MaxPendingBytes}
	var tn lineproto.Telnet
	var lines []string
	collect := func(l string) { lines = append(lines, l) }
	deadline := time.Now().Add(passwordTimeout)
	buf := make([]byte, 1024)
	err := f.Feed(tn.Filter(early), collect)
	for err == nil && len(lines) == 0 && time.Now().Before(deadline) {
		d := deadline
		if f.Pending() {
			d = time.Now().Add(s.IdleFlush)
		}
		_ = nc.SetReadDeadline(d)
		n, rerr := nc.Read(buf)
		err = f.Feed(tn.Filter(buf[:n]), collect)
		if errors.Is(rerr, os.ErrDeadlineExceeded) && f.Pending() {
			unframed = len(lines) == 0
			f.Idle(collect)
		} else if rerr != nil {
			f.Flush(collect)
			if len(lines) == 0 {
				err = rerr
			}
		}
	}
	_ = nc.SetReadDeadline(time.Time{})
	if len(lines) == 0 {
		if err == nil {
			s.log.Info("no room password in time", "addr", nc.RemoteAddr().String())
		}
		s.refuse(nc, s.Lang.Refusal(room.RefusedPassword))
		return nil, false, false
	}
	if refusal := s.Passwords.Answer(nc.RemoteAddr(), lines[0], s.Password, s.quit, s.Lang, s.log); refusal != "" {
		s.refuse(nc, refusal)
		return nil, false, false
	}
	for _, l := range lines[1:] {
		rest = append(append(rest, l...), '\n')
	}
	return append(rest, f.Buffered()...), unframed, true
}

// refuse sends one line and closes.
func (s *Server) refuse(nc net.Conn, line string) {
	_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
	n, _ := nc.Write(lineproto.AppendLine(nil, "*** ", line))
	s.written.Add(uint64(n))
	nc.Close()
}

// BytesWritten is how many bytes the door has written to its clients
// since it started, for metrics.
func (s *Server) BytesWritten() uint64 { return s.written.Load() }

// httpRequest matches an HTTP request line: a browser pointed at the port.
var httpRequest = regexp.MustCompile(`^[A-Z]{3,7} \S+ HTTP/\d(\.\d)?\r?$`)

// sniff reads what a client sends at once, within SniffTime, before it
// joins: a browser sends its request line straight away, and is then told
// in one line that this is no web server, without ever entering the room.
// What a chat client sent that early is returned, to be read as input.
func (s *Server) sniff(nc net.Conn) (early []byte, isHTTP bool) {
	_ = nc.SetReadDeadline(time.Now().Add(s.SniffTime))
	defer nc.SetReadDeadline(time.Time{})
	buf := make([]byte, 0, 1024)
	for len(buf) < cap(buf) {
		n, err := nc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if line, _, found := bytes.Cut(buf, []byte("\n")); found {
			return buf, httpRequest.Match(line)
		}
		if err != nil {
			break // the deadline, or the end: read decides what it means
		}
	}
	return buf, false
}

// Shutdown stops accepting and waits until every connection has ended. The
// caller shuts the hub down first, so that members are told and their
// connections close; when ctx ends first, the remaining connections are
// closed at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.mu.Lock()
	if !s.closing {
		close(s.quit)
	}
	s.closing = true
	for _, l := range s.ln {
		l.Close()
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// nextThread is the next member's Thread number.
func (s *Server) nextThread() uint64 {
	if s.Numbers != nil {
		n, err := s.Numbers()
		if err == nil {
			return n
		}
		s.log.Warn("the cluster gave no Thread number; the server's own count goes on", "err", err)
	}
	return s.threads.Add(1)
}
