package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"golang.org/x/sync/errgroup"

	"palabre/internal/config"
	"palabre/internal/connlimit"
	"palabre/room"
	"palabre/sshui"
	"palabre/tcp"
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
	hub := room.NewHub(room.Options{
		History:         room.NewRing(cfg.History),
		Logger:          logger,
		OutboxMessages:  cfg.OutboxMessages,
		OutboxBytes:     cfg.OutboxBytes,
		MaxMessageBytes: cfg.MaxMessageBytes,
		MaxMembers:      cfg.MaxMembers,
		MsgRate:         cfg.MsgRate,
		MsgBurst:        cfg.MsgBurst,
	})
	// One limiter for both doors: the limits are per address, whatever the door.
	limits := &connlimit.Limiter{MaxPerIP: cfg.MaxPerIP, Rate: cfg.ConnectRate, Burst: cfg.ConnectBurst, Exempt: cfg.ExemptCIDRs}

	sshSrv, err := sshui.New(sshui.Options{
		Hub: hub, Lang: cfg.Lang, Greeting: cfg.Greeting, Logger: logger, DataDir: cfg.DataDir,
		Limits: limits, AuthTimeout: cfg.SSHAuthTimeout, KeepAlive: cfg.SSHKeepAlive, WriteTimeout: cfg.WriteTimeout,
		MaxMessageBytes: cfg.MaxMessageBytes,
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
	doors := []door{
		{"tcp", &tcp.Server{
			Hub: hub, Lang: cfg.Lang, Greeting: cfg.Greeting, Logger: logger,
			Limits: limits, WriteTimeout: cfg.WriteTimeout, MaxMessageBytes: cfg.MaxMessageBytes,
		}, tcpLn},
		{"ssh", sshSrv, sshLn},
	}
	addrs := map[string]net.Addr{}
	for _, d := range doors {
		addrs[d.name] = d.ln.Addr()
	}
	logger.Info("palabre started", "tcp", tcpLn.Addr().String(), "ssh", sshLn.Addr().String(), "lang", cfg.Lang, "history", cfg.History, "data", cfg.DataDir)
	if ready != nil {
		ready(addrs)
	}

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
		logger.Info("shutting down", "members", len(hub.Members()))
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		hub.Shutdown()
		for _, d := range doors {
			if err := d.srv.Shutdown(sctx); err != nil {
				logger.Warn("connections cut at the shutdown deadline", "door", d.name)
			}
		}
		logger.Info("stopped")
		return nil
	})
	return g.Wait()
}
