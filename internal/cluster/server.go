package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerOptions are an embedded nats-server's: a palabre node that carries
// its own, so that three palabre processes make a JetStream cluster of
// three with no other software.
type ServerOptions struct {
	Name     string   // the server's name, unique in the cluster; "": the host's name and a random suffix
	Listen   string   // HOST:PORT for NATS clients (other nodes given PALABRE_NATS_URL); "": loopback, a free port
	Cluster  string   // HOST:PORT for the routes to the other servers; "": no cluster, a server alone
	Routes   []string // the other servers' route URLs, nats://host:port
	StoreDir string   // where JetStream keeps its streams
}

// ClusterName is the name of the NATS cluster the embedded servers form.
const ClusterName = "palabre"

// StartServer starts an embedded nats-server with JetStream and returns it
// once it accepts connections.
func StartServer(o ServerOptions) (*server.Server, error) {
	host, port, err := hostPort(o.Listen, "127.0.0.1", -1)
	if err != nil {
		return nil, fmt.Errorf("PALABRE_NATS_LISTEN: %w", err)
	}
	opts := &server.Options{
		ServerName: o.Name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		NoLog:      true,
	}
	if opts.ServerName == "" {
		opts.ServerName = UniqueName()
	}
	if o.Cluster != "" {
		ch, cp, err := hostPort(o.Cluster, "0.0.0.0", 6222)
		if err != nil {
			return nil, fmt.Errorf("PALABRE_NATS_CLUSTER: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: ClusterName, Host: ch, Port: cp}
		for _, r := range o.Routes {
			u := server.RoutesFromStr(r)
			if len(u) == 0 {
				return nil, fmt.Errorf("PALABRE_NATS_ROUTES: %q is no nats://host:port", r)
			}
			opts.Routes = append(opts.Routes, u...)
		}
		if len(opts.Routes) == 0 {
			return nil, errors.New("PALABRE_NATS_CLUSTER needs PALABRE_NATS_ROUTES: a JetStream cluster's servers are told of each other")
		}
	} else if len(o.Routes) > 0 {
		return nil, errors.New("PALABRE_NATS_ROUTES needs PALABRE_NATS_CLUSTER, the address the others reach this server on")
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("embedded NATS: not ready within 10 s (is its port free?)")
	}
	return s, nil
}

// UniqueName is the host's name with a random suffix: two processes on one
// machine never share it.
func UniqueName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "palabre"
	}
	return h + "-" + suffix()
}

// suffix is six random hex digits.
func suffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// hostPort splits HOST:PORT, with defaults for a missing part.
func hostPort(addr, defHost string, defPort int) (string, int, error) {
	if addr == "" {
		return defHost, defPort, nil
	}
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	if h == "" {
		h = defHost
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%q: the port is no number from 0 to 65535", addr)
	}
	if port == 0 {
		port = -1 // nats-server's "any free port"
	}
	return h, port, nil
}
