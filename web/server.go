// Package web is the HTTP door: the room's page and its WebSocket for
// members in a browser, and a health check and metrics for the teacher's
// infrastructure.
// It reads the hub and the store through snapshots and funcs given at
// wiring, so it imports neither the other doors nor the store.
package web

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"palabre/room"
)

// The server's timeouts: a client that sends its headers slowly, or keeps
// an idle connection, must not hold a goroutine for long; a scrape is
// written well within WriteTimeout.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
)

// Door is one of the other doors as the metrics see it: its name (a label)
// and its count of bytes written, read at each scrape.
type Door struct {
	Name         room.Door
	BytesWritten func() uint64
}

// StoreStats is what the health check and the metrics need of the store.
type StoreStats struct {
	Written, Dropped, Failed uint64 // transcript rows
	Pending                  uint64 // writes waiting for the writer
	Failing                  bool   // the last commit failed and none succeeded since
}

// Options configures a Server.
type Options struct {
	Hub   *room.Hub
	Store func() StoreStats // nil: no store to check
	Doors []Door            // members are counted for each, 0 included
	// SSHHandshakesFailed counts the SSH connections that failed before
	// a session; nil: no SSH door.
	SSHHandshakesFailed func() uint64
	Metrics             bool // serve /metrics
	Logger              *slog.Logger
	Now                 func() time.Time // nil: time.Now; uptime is measured with it
	// Members opens the member door, GET /ws; nil: none.
	Members *MemberDoor
	// ReadTimeout and WriteTimeout bound a request's reading and its
	// answer's writing (not a member's socket, which has its own bounds);
	// 0: the defaults above. Tests shorten them.
	ReadTimeout, WriteTimeout time.Duration
}

// Server serves /healthz and, if asked, /metrics.
type Server struct {
	opts    Options
	started time.Time
	http    *http.Server
	members *members // nil: no member door
}

// New prepares a server; it listens when Serve is called.
func New(opts Options) (*Server, error) {
	if opts.Hub == nil {
		return nil, errors.New("web: no hub")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, started: opts.Now()}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", http.HandlerFunc(s.healthz))
	if opts.Members != nil {
		s.members = newMembers(s, *opts.Members)
		mux.Handle("GET /ws", s.members)
		pg, err := newPage(opts.Members.Lang, opts.Members.Password != "")
		if err != nil {
			return nil, err
		}
		pg.register(mux)
		s.opts.Doors = append(s.opts.Doors, Door{Name: room.DoorWeb, BytesWritten: s.members.written.Load})
	}
	if opts.Metrics {
		h, err := s.metricsHandler()
		if err != nil {
			return nil, err
		}
		mux.Handle("GET /metrics", h)
	}
	s.http = &http.Server{
		Handler:           secureHeaders(mux),
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       cmp.Or(opts.ReadTimeout, ReadTimeout),
		WriteTimeout:      cmp.Or(opts.WriteTimeout, WriteTimeout),
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnContext:       fixSendBuffer,
		ErrorLog:          slog.NewLogLogger(opts.Logger.With("door", "web").Handler(), slog.LevelInfo),
	}
	return s, nil
}

// sendBuffer is a connection's send buffer, fixed as the TCP door fixes
// its own: left to autotuning, the kernel holds megabytes for a web member
// that stopped reading before its outbox ever fills, and "too slow" would
// take minutes to notice.
const sendBuffer = 64 << 10

func fixSendBuffer(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(sendBuffer)
	}
	return ctx
}

// Serve accepts HTTP connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting, lets requests in flight finish until ctx ends,
// then closes what is left.
// The member door's sockets are no longer the HTTP server's once upgraded:
// they are waited for (the hub, shut down first, has told their members).
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	if s.members != nil {
		err = errors.Join(err, s.members.shutdown(ctx))
	}
	return err
}

// BytesWritten is how many bytes the member door has written to its
// clients, for metrics.
func (s *Server) BytesWritten() uint64 {
	if s.members == nil {
		return 0
	}
	return s.members.written.Load()
}
