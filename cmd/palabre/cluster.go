package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"palabre/internal/cluster"
	"palabre/internal/config"
)

// clusterStartup bounds how long a node waits for its NATS cluster to
// form (its JetStream leader elected) and for the stream's replay.
const clusterStartup = 60 * time.Second

// node is this process as one node of a cluster: its embedded NATS server
// if it carries one, its connection and the cluster node.
type node struct {
	srv  *natsserver.Server // nil: the node joins a NATS cluster run apart
	conn *nats.Conn
	*cluster.Node
}

// joinCluster starts the embedded NATS server if the settings ask for one,
// connects, and prepares the stream and buckets.
func joinCluster(ctx context.Context, cfg config.Config, logger *slog.Logger) (*node, error) {
	n := &node{}
	replicas := cfg.NatsReplicas
	var err error
	if cfg.Embedded() {
		n.srv, err = cluster.StartServer(cluster.ServerOptions{
			Name: cfg.NatsName, Listen: cfg.NatsListen, Cluster: cfg.NatsCluster, Routes: cfg.Routes(),
			StoreDir: filepath.Join(cfg.DataDir, "nats"),
		})
		if err != nil {
			return nil, err
		}
		if replicas == 0 && 1+len(cfg.Routes()) >= 3 {
			replicas = 3
		}
		n.conn, err = nats.Connect("", nats.InProcessServer(n.srv), nats.Name("palabre"))
	} else {
		n.conn, err = nats.Connect(cfg.NatsURL, nats.Name("palabre"), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	}
	if err != nil {
		n.close()
		return nil, fmt.Errorf("PALABRE_NATS_URL: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, clusterStartup)
	defer cancel()
	n.Node, err = cluster.New(cctx, cluster.Options{Conn: n.conn, Name: cfg.NatsName, Replicas: replicas, Logger: logger})
	if err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

// close stops what joinCluster started, the server last: the node's
// members' leaves are published before it goes.
func (n *node) close() {
	if n.Node != nil {
		n.Node.Close()
	}
	if n.conn != nil {
		_ = n.conn.Drain()
		n.conn.Close()
	}
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
}
