// Package sshui is the SSH door: `ssh -p 2222 host` opens a full-screen
// chat (bubbletea, through wish) in the same room as the TCP members; a
// session without a terminal speaks the TCP door's line protocol.
package sshui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/connlimit"
	"palabre/room"
)

// HostKeyFile is the host key's file name under the data directory.
const HostKeyFile = "ssh_host_ed25519_key"

// Options configure a Server.
type Options struct {
	Hub      *room.Hub
	Lang     room.Lang
	Greeting string // first line of a session without a terminal; "" : the language's
	Logger   *slog.Logger

	// The host key: an ed25519 key created on first start under DataDir
	// (mode 0600) and reused afterwards; or, for tests, HostKeyPEM.
	DataDir    string
	HostKeyPEM []byte

	Limits       *connlimit.Limiter // per-address limits, shared with the other doors; nil: none
	AuthTimeout  time.Duration      // the handshake, authentication and session start must end within it; 0: 20 s
	KeepAlive    time.Duration      // a keep-alive request this often; 0: 60 s
	KeepAliveMax int                // unanswered keep-alives before the connection is dropped; 0: 3
	WriteTimeout time.Duration      // a write to a client taking longer drops it; 0: 10 s

	MaxMessageBytes int // the line protocol's message size, as on TCP; 0: 1024

	// Password, when set, is the room password: every client must give it
	// (keyboard-interactive or password), a key holder after its key.
	Password string
	// Passwords paces the password's checks per address, shared with the
	// other doors; nil: a gate of its own with the default figures.
	Passwords *connlimit.PasswordGate
	// AllowedKeys, when not nil, are the only keys (SHA256 fingerprints)
	// that enter: nothing else does, password or not.
	AllowedKeys map[string]bool
}

// Defaults for the Options left at zero.
const (
	DefaultAuthTimeout  = 20 * time.Second
	DefaultKeepAlive    = 60 * time.Second
	DefaultKeepAliveMax = 3
	DefaultWriteTimeout = 10 * time.Second
)

// Server accepts SSH members into a room.
type Server struct {
	opts Options
	log  *slog.Logger
	srv  *ssh.Server
	rows *rowCache // messages as its screens render them

	// For metrics: bytes written to connections (encrypted, as they go
	// on the wire), and connections whose handshake or authentication failed.
	written, failedHandshakes atomic.Uint64

	// stopping ends with Shutdown: a password check waiting its turn gives up.
	stopping context.Context
	stop     context.CancelFunc

	// The listeners Serve was given, closed by Shutdown itself, which then
	// waits for every Serve to return before it asks the SSH library to
	// wait for the connections: the library closes only the listeners its
	// Serve has begun to track (a Shutdown that came first left the next
	// Serve accepting for ever), and its Shutdown racing a Serve's start
	// races on its own WaitGroup.
	lnMu    sync.Mutex
	lns     []net.Listener
	closed  bool
	serving sync.WaitGroup
}

// New prepares a server; the host key is created now if it does not exist.
func New(opts Options) (*Server, error) {
	if opts.Hub == nil {
		return nil, errors.New("sshui: no hub")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Limits == nil {
		opts.Limits = &connlimit.Limiter{}
	}
	if opts.Passwords == nil {
		opts.Passwords = &connlimit.PasswordGate{}
	}
	if opts.AuthTimeout <= 0 {
		opts.AuthTimeout = DefaultAuthTimeout
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = DefaultKeepAlive
	}
	if opts.KeepAliveMax <= 0 {
		opts.KeepAliveMax = DefaultKeepAliveMax
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = room.DefaultMaxMessageBytes
	}
	s := &Server{opts: opts, log: opts.Logger.With("door", room.DoorSSH), rows: newRowCache()}
	s.stopping, s.stop = context.WithCancel(context.Background())

	hostKey := wish.WithHostKeyPEM(opts.HostKeyPEM)
	if opts.HostKeyPEM == nil {
		if opts.DataDir == "" {
			return nil, errors.New("sshui: no data directory for the host key")
		}
		// Never the working directory: wish would write id_ed25519 there.
		hostKey = wish.WithHostKeyPath(filepath.Join(opts.DataDir, HostKeyFile))
	}
	auth := []ssh.Option{
		wish.WithPublicKeyAuth(s.publicKeyAuth),
		wish.WithKeyboardInteractiveAuth(s.keyboardInteractiveAuth),
	}
	if opts.AllowedKeys == nil {
		// With allowed keys no password ever lets a client in: the method
		// is not offered, and OpenSSH asks for none.
		auth = append(auth, wish.WithPasswordAuth(s.passwordAuth))
	}
	srv, err := wish.NewServer(append(auth,
		hostKey,
		s.withAuthConfig(),
		s.withGuards(),
		// The last middleware listed runs first: recover wraps the session.
		// No scp, sftp or git middleware, ever: this server only chats.
		wish.WithMiddleware(s.session, s.recoverer),
	)...)
	if err != nil {
		return nil, fmt.Errorf("sshui: %w", err)
	}
	s.srv = srv
	return s, nil
}

// connKey holds a connection's guardedConn in its ssh.Context.
type connKey struct{}

// withGuards sets what protects the server from its clients: per-address
// limits before the handshake, a deadline on the handshake and
// authentication, and one session per connection.
func (s *Server) withGuards() ssh.Option {
	return func(srv *ssh.Server) error {
		srv.ConnCallback = s.admit
		srv.ConnectionFailedCallback = func(net.Conn, error) { s.failedHandshakes.Add(1) }
		srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": oneSession}
		return nil
	}
}

// admit runs for each new connection, before the handshake.
func (s *Server) admit(ctx ssh.Context, nc net.Conn) net.Conn {
	release, err := s.opts.Limits.Admit(nc.RemoteAddr())
	if err != nil {
		s.log.Info("connection refused", "addr", nc.RemoteAddr().String(), "why", err.Error())
		// SSH lets a server send lines before its version: this one shows
		// with `ssh -v` or nc, and a script gets a clear error, not a hang.
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		fmt.Fprintf(nc, "%s\r\n", s.opts.Lang.Refusal(connlimit.Refusal(err)))
		return nil // closed by the caller
	}
	gc := &guardedConn{Conn: nc, release: release, written: &s.written}
	ctx.SetValue(connKey{}, gc)
	// A client that has not authenticated and started its session by the
	// deadline is dropped: an open port must not hold connections for
	// clients that never speak, nor for authenticated ones that never ask
	// for a session (keep-alives run in sessions).
	gc.after(s.opts.AuthTimeout, func() {
		if ctx.Value(startedKey{}) == nil {
			s.log.Info("handshake, authentication or session start too slow; dropped", "addr", nc.RemoteAddr().String())
			gc.Close()
		}
	})
	return gc
}

// guardedConn gives its per-address slot back when it closes, and stops
// its timers then: a timer holds the connection and its whole context
// (about 26 kB once a session ran) until it fires, so a client connecting
// and leaving a thousand times a second would otherwise keep tens of
// thousands of dead connections in memory for the handshake deadline.
type guardedConn struct {
	net.Conn
	release func()
	written *atomic.Uint64 // the server's count

	mu     sync.Mutex
	timers []*time.Timer
	closed bool
}

// after runs f in d, unless the connection has closed by then.
func (c *guardedConn) after(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.timers = append(c.timers, time.AfterFunc(d, f))
	}
}

func (c *guardedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(uint64(n))
	return n, err
}

// BytesWritten is how many bytes the door has written to its clients'
// connections since it started, encryption included, for metrics.
func (s *Server) BytesWritten() uint64 { return s.written.Load() }

// FailedHandshakes counts the connections that ended before their session
// could start: a failed key exchange or authentication, a client that gave
// up or was too slow, a port scanner.
func (s *Server) FailedHandshakes() uint64 { return s.failedHandshakes.Load() }

func (c *guardedConn) Close() error {
	c.mu.Lock()
	c.closed = true
	timers := c.timers
	c.timers = nil
	c.mu.Unlock()
	for _, t := range timers {
		t.Stop()
	}
	c.release()
	return c.Conn.Close()
}

// oneSession lets a connection open one session: a client asking for more
// gets a refusal, not a second member. (The connection is hung up soon
// after its session ends.)
func oneSession(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	ctx.Lock()
	used, _ := ctx.Value(sessionKey{}).(bool)
	ctx.SetValue(sessionKey{}, true)
	ctx.Unlock()
	if used {
		_ = nc.Reject(gossh.ResourceShortage, "one session per connection")
		return
	}
	ready := make(chan struct{})
	ctx.SetValue(ptyReadKey{}, ready)
	ssh.DefaultSessionHandler(srv, conn, guardedRequests{nc, ready, ctx.Done()}, ctx)
}

type sessionKey struct{}

// ptyReadKey holds a channel the session handler closes once it has read
// the session's pty: see guardedRequests.
type ptyReadKey struct{}

// ptyRead tells guardedRequests that sess's pty has been read.
func ptyRead(sess ssh.Session) {
	if ch, ok := sess.Context().Value(ptyReadKey{}).(chan struct{}); ok {
		select {
		case <-ch:
		default:
			close(ch)
		}
	}
}

// startedKey marks a connection whose session handler has started.
type startedKey struct{}

// Bounds on the environment a session may set: the SSH library keeps every
// "env" request made before the shell, with no limit of its own, so a
// client could make the server hold gigabytes. OpenSSH sends a few.
const (
	maxEnvVars  = 64
	maxEnvBytes = 16 << 10
)

// guardedRequests stands between a session channel and the SSH library's
// request loop: it refuses "env" requests past the bounds, and agent
// forwarding, which the library would accept (a chat has no use for the
// client's keys). It also holds the requests that follow a shell or exec
// until the handler has read the pty (ready): the library's Pty copies the
// pty that its window-change writes, with no lock, so a client resizing as
// its session starts would race with the handler.
type guardedRequests struct {
	gossh.NewChannel
	ready <-chan struct{} // closed once the handler has read the pty
	done  <-chan struct{} // the connection's end
}

func (c guardedRequests) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, in, err := c.NewChannel.Accept()
	if err != nil {
		return ch, in, err
	}
	out := make(chan *gossh.Request)
	go func() {
		defer close(out)
		vars, size := 0, 0
		hold := false
		for req := range in {
			if hold {
				select {
				case <-c.ready:
				case <-c.done:
				}
				hold = false
			}
			switch req.Type {
			case "shell", "exec":
				hold = true
			case "env":
				vars, size = vars+1, size+len(req.Payload)
				if vars > maxEnvVars || size > maxEnvBytes {
					_ = req.Reply(false, nil)
					continue
				}
			case "auth-agent-req@openssh.com":
				_ = req.Reply(false, nil)
				continue
			}
			out <- req
		}
	}()
	return ch, out, nil
}

// Serve accepts connections on l until Shutdown; then it returns nil.
func (s *Server) Serve(l net.Listener) error {
	s.lnMu.Lock()
	if s.closed {
		s.lnMu.Unlock()
		l.Close()
		return nil
	}
	s.lns = append(s.lns, l)
	s.serving.Add(1)
	s.lnMu.Unlock()
	defer s.serving.Done()
	s.log.Debug("serving", "addr", l.Addr().String())
	err := s.srv.Serve(l)
	s.lnMu.Lock()
	closed := s.closed
	s.lnMu.Unlock()
	if errors.Is(err, ssh.ErrServerClosed) || closed {
		return nil // closed by Shutdown, whichever of it or the library saw it first
	}
	return err
}

// Shutdown stops accepting and waits for the sessions to end: the caller
// shuts the hub down first, which ends every session. When ctx ends first,
// the remaining connections are closed at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	s.lnMu.Lock()
	s.closed = true
	for _, l := range s.lns {
		l.Close()
	}
	s.lnMu.Unlock()
	served := make(chan struct{})
	go func() {
		s.serving.Wait()
		close(served)
	}()
	select {
	case <-served:
	case <-ctx.Done():
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// recoverer keeps a panic in one session from taking the server down: the
// session ends, its member leaves (deferred in session), the rest go on.
func (s *Server) recoverer(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("session panicked", "user", room.Clip(sess.User(), 64), "addr", sess.RemoteAddr().String(), "panic", fmt.Sprint(r))
				_ = sess.Exit(1)
			}
		}()
		next(sess)
	}
}

// keyOf returns the fingerprint of the key the session authenticated with,
// or "". It is checked against the fingerprint recorded when the key's
// signature was verified, not taken from the auth callback alone, which
// also sees keys a client merely offers.
func keyOf(sess ssh.Session) string {
	pk := sess.PublicKey()
	if pk == nil {
		return ""
	}
	conn, ok := sess.Context().Value(ssh.ContextKeyConn).(*gossh.ServerConn)
	if !ok || conn.Permissions == nil {
		return ""
	}
	fp := gossh.FingerprintSHA256(pk)
	if conn.Permissions.Extensions[verifiedKeyExt] != fp {
		return ""
	}
	return fp
}

// cleanName is the SSH user name as the room is asked for it: the hub
// makes a name of it (room.NameFrom: élodie is elodie, jean.dupont
// jean_dupont) and tells the member, or gives a generated one. Only its
// size is bounded here: a user name may be 100 kB.
func cleanName(user string) string {
	return room.Clip(user, 4*room.MaxNameLen)
}

var _ net.Conn = (*guardedConn)(nil)
