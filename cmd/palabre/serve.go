package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"palabre/internal/config"
	"palabre/internal/connlimit"
	"palabre/internal/store"
	"palabre/room"
	"palabre/sshui"
	"palabre/tcp"
	"palabre/web"
)

// server is the lifecycle every door shares, so that serve composes them
// alike and tests hand them a listener on 127.0.0.1:0.
type server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// shutdownGrace bounds how long members get to receive the shutdown notice
// before their connections are cut; the process exits within 5 s of a signal.
const shutdownGrace = 4 * time.Second

// door is one listening server.
type door struct {
	name string
	srv  server
	ln   net.Listener
}

// serve runs the room and its doors until ctx ends, then tells every member,
// closes every connection and returns. ready, when not nil, is called with
// the listening doors once they accept connections.
func serve(ctx context.Context, cfg config.Config, logw io.Writer, ready func(map[string]net.Addr)) error {
	logger := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: cfg.LogLevel}))
	opKeys, bad, err := readKeys("PALABRE_OPS_KEYS", cfg.OpsKeys)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		logger.Warn("lines that are not keys, skipped", "file", cfg.OpsKeys, "lines", bad)
	}
	allowed, bad, err := readKeys("PALABRE_ALLOWED_KEYS", cfg.AllowedKeys)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		logger.Warn("lines that are not keys, skipped", "file", cfg.AllowedKeys, "lines", bad)
	}
	defaultRoom := strings.TrimPrefix(cfg.Room, "#") // the '#' is how it may be written, not its name
	st, err := store.Open(cfg.DataDir, store.Options{Room: defaultRoom, StorePrivate: cfg.StorePrivate, Logger: logger})
	if err != nil {
		return fmt.Errorf("PALABRE_DATA_DIR: %w", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Error("closing the store", "err", err)
		}
	}()
	state, err := st.Load(cfg.History)
	if err != nil {
		return fmt.Errorf("PALABRE_DATA_DIR: %w", err)
	}

	// One node of several, when the settings say so (docs/cluster.md): the
	// stream orders every room's events, and the store records them.
	var (
		clu      *node
		hubStore room.Store = st
		nodeID   string
		hubClu   room.Cluster
	)
	if cfg.Clustered() {
		if clu, err = joinCluster(ctx, cfg, logger); err != nil {
			return err
		}
		defer clu.close()
		hubStore, nodeID, hubClu = clu.Store(st), clu.ID(), clu.Node
	}
	hub := room.NewHub(room.Options{
		Cluster:         hubClu,
		Node:            nodeID,
		Store:           hubStore,
		State:           state,
		OpKeys:          slices.Collect(maps.Keys(opKeys)),
		OpPassword:      cfg.OpPassword,
		Room:            defaultRoom,
		History:         room.NewRing(cfg.History),
		HistorySize:     cmp.Or(cfg.History, -1), // 0 is none here, in every room
		Rooms:           cfg.Rooms,
		MaxRooms:        cfg.MaxRooms,
		RoomIdle:        cfg.RoomIdle,
		Logger:          logger,
		OutboxAge:       cfg.WriteTimeout,
		OutboxBytes:     cfg.OutboxBytes,
		MaxMessageBytes: cfg.MaxMessageBytes,
		MaxBlockBytes:   cfg.MaxBlockBytes,
		MaxMembers:      cfg.MaxMembers,
		MsgRate:         cfg.MsgRate,
		MsgBurst:        cfg.MsgBurst,
		Exempt:          cfg.ExemptCIDRs, // a ban on a key there holds the key alone
		IPv6Prefix:      cfg.IPv6Prefix,

		AnonymousQuestions: cfg.AnonymousQuestions,
	})
	// One limiter and one password gate for both doors: the limits are per
	// network, whatever the door.
	limits := &connlimit.Limiter{MaxPerIP: cfg.MaxPerIP, Rate: cfg.ConnectRate, Burst: cfg.ConnectBurst, Exempt: cfg.ExemptCIDRs, IPv6Prefix: cfg.IPv6Prefix}
	passwords := &connlimit.PasswordGate{Exempt: cfg.ExemptCIDRs, IPv6Prefix: cfg.IPv6Prefix}

	sshSrv, err := sshui.New(sshui.Options{
		Hub: hub, Lang: cfg.Lang, Greeting: cfg.Greeting, Logger: logger, DataDir: cfg.DataDir,
		Limits: limits, AuthTimeout: cfg.SSHAuthTimeout, KeepAlive: cfg.SSHKeepAlive, WriteTimeout: cfg.WriteTimeout,
		MaxMessageBytes: cfg.MaxMessageBytes, Password: cfg.Password, Passwords: passwords, AllowedKeys: allowed,
	})
	if err != nil {
		return fmt.Errorf("PALABRE_DATA_DIR: %w", err)
	}
	tcpLn, err := net.Listen("tcp", cfg.TCPAddr)
	if err != nil {
		return fmt.Errorf("PALABRE_TCP_ADDR: %w", err)
	}
	sshLn, err := net.Listen("tcp", cfg.SSHAddr)
	if err != nil {
		tcpLn.Close()
		return fmt.Errorf("PALABRE_SSH_ADDR: %w", err)
	}
	tcpSrv := &tcp.Server{
		Hub: hub, Lang: cfg.Lang, Greeting: cfg.Greeting, Logger: logger,
		Limits: limits, WriteTimeout: cfg.WriteTimeout, MaxMessageBytes: cfg.MaxMessageBytes,
		Password: cfg.Password, Passwords: passwords, KeysOnly: allowed != nil,
		LastThread: state.Numbers["thread-"], // Thread-N goes on after a restart
	}
	var webNumbers func() (uint64, error)
	if clu != nil { // one numbering for every node: Thread-3 is one student
		tcpSrv.Numbers = clu.Counter("thread-", state.Numbers["thread-"])
		webNumbers = clu.Counter("web-", state.Numbers["web-"])
	}
	doors := []door{{"tcp", tcpSrv, tcpLn}, {"ssh", sshSrv, sshLn}}
	if cfg.HTTPAddr != "" {
		webSrv, err := web.New(web.Options{
			Hub: hub, Logger: logger, Metrics: cfg.Metrics,
			Store: func() web.StoreStats {
				s := st.Stats()
				return web.StoreStats{Written: s.Written, Dropped: s.Dropped, Failed: s.Failed, Pending: s.Pending(), Failing: s.Failing}
			},
			Doors: []web.Door{
				{Name: room.DoorTCP, BytesWritten: tcpSrv.BytesWritten},
				{Name: room.DoorSSH, BytesWritten: sshSrv.BytesWritten},
			},
			SSHHandshakesFailed: sshSrv.FailedHandshakes,
			// The member door: the same limiter, password gate and bounds
			// as the other doors.
			Members: &web.MemberDoor{
				Lang: cfg.Lang, WriteTimeout: cfg.WriteTimeout, MaxMessageBytes: cfg.MaxMessageBytes,
				Origins: cfg.Origins(), TrustedProxies: cfg.TrustedProxies, Limits: limits, Password: cfg.Password, Passwords: passwords,
				KeysOnly: allowed != nil,
				LastWeb:  state.Numbers["web-"], // Web-N goes on after a restart
				Numbers:  webNumbers,
			},
		})
		if err != nil {
			tcpLn.Close()
			sshLn.Close()
			return err
		}
		webLn, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			tcpLn.Close()
			sshLn.Close()
			return fmt.Errorf("PALABRE_HTTP_ADDR: %w", err)
		}
		// Last: it shuts down after the others, so that a scrape or a
		// health check sees the shutdown happen.
		doors = append(doors, door{"http", webSrv, webLn})
	}
	// In the transcript: the start, or the restart after a crash. Once the
	// doors listen, so that a server that could not start leaves no run.
	hub.Started()
	if clu != nil {
		// Caught up with the stream before anyone enters: histories,
		// topics and the other nodes' members are there.
		cctx, cancel := context.WithTimeout(ctx, clusterStartup)
		err := clu.Start(cctx, hub)
		cancel()
		if err != nil {
			for _, d := range doors {
				d.ln.Close()
			}
			return err
		}
	}
	addrs := map[string]net.Addr{}
	for _, d := range doors {
		addrs[d.name] = d.ln.Addr()
	}
	// ready first: the teacher reads how to join (main's start-up block)
	// before the log line, which is for the record.
	if ready != nil {
		ready(addrs)
	}
	httpAddr := "none"
	if a, ok := addrs["http"]; ok {
		httpAddr = a.String()
	}
	logger.Info("palabre started", "tcp", tcpLn.Addr().String(), "ssh", sshLn.Addr().String(), "http", httpAddr, "room", defaultRoom, "lang", cfg.Lang,
		"history", cfg.History, "data", cfg.DataDir, "seq", state.Seq, "bans", len(state.Bans), "operator_keys", len(opKeys),
		"room_password", cfg.Password != "", "allowed_keys", len(allowed))

	g, gctx := errgroup.WithContext(ctx)
	for _, d := range doors {
		g.Go(func() error {
			if err := d.srv.Serve(d.ln); err != nil {
				return fmt.Errorf("%s door: %w", d.name, err)
			}
			return nil
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		logger.Info("shutting down", "members", hub.Count())
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		hub.Shutdown() // in a cluster, its members' leaves are published here
		for _, d := range doors {
			if err := d.srv.Shutdown(sctx); err != nil {
				logger.Warn("connections cut at the shutdown deadline", "door", d.name)
			}
		}
		if err := st.Close(); err != nil { // commits what the last members said
			logger.Error("closing the store", "err", err)
		}
		stats := st.Stats()
		// Dropped: refused by a full queue; failed: refused or lost by the
		// database (a full disk). Either way not in the transcript.
		logger.Info("stopped", "transcript_written", stats.Written, "transcript_dropped", stats.Dropped,
			"transcript_failed", stats.Failed, "transcript_failed_batches", stats.FailedBatches)
		return nil
	})
	return g.Wait()
}
