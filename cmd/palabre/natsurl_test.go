package main

import (
	"strings"
	"testing"

	"palabre/internal/cluster"
	"palabre/internal/config"
)

// natsApart runs a NATS server with JetStream on loopback, as one run
// apart from palabre, and returns its URL.
func natsApart(t *testing.T) string {
	t.Helper()
	ns, err := cluster.StartServer(cluster.ServerOptions{Name: "nats-apart", Listen: "127.0.0.1:0", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	url := "nats://" + ns.Addr().String()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("the NATS server is not on loopback: %s", url)
	}
	return url
}

// natsNode is the configuration of a node named name joined to the NATS
// server at url, flood control off, its doors on loopback (httpAddr: ""
// for none).
func natsNode(t *testing.T, url, name, httpAddr string) config.Config {
	t.Helper()
	cfg, err := config.Load(map[string]string{
		"PALABRE_NATS_URL": url, "PALABRE_NATS_NAME": name,
		"PALABRE_MSG_RATE": "0", "PALABRE_DATA_DIR": t.TempDir(),
		"PALABRE_TCP_ADDR": "127.0.0.1:0", "PALABRE_SSH_ADDR": "127.0.0.1:0", "PALABRE_HTTP_ADDR": httpAddr,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestServeJoinsANATSCluster: two servers given PALABRE_NATS_URL of a NATS
// server with JetStream run apart share one room: their TCP members, on
// two servers, are numbered by the cluster (Thread-1, and Thread-17: each
// server takes its numbers sixteen at a time) and read each other.
func TestServeJoinsANATSCluster(t *testing.T) {
	url := natsApart(t)
	var tcp []string
	for _, name := range []string{"left", "right"} {
		addrs, _ := serveAt(t, natsNode(t, url, name, ""))
		tcp = append(tcp, addrs["tcp"].String())
	}
	a := joinTCP(t, tcp[0])
	b := joinTCP(t, tcp[1])
	if a.name != "Thread-1" || b.name != "Thread-17" {
		t.Fatalf("members of two servers of one cluster named %s and %s", a.name, b.name)
	}
	a.waitFor(t, "*** Thread-17 joined (tcp)")
	a.send(t, "hello from the left")
	b.waitFor(t, "Thread-1> hello from the left")
	b.send(t, "/who")
	for l := b.next(t); !strings.Contains(l, "Thread-1 (tcp)") || !strings.Contains(l, "Thread-17 (tcp)"); l = b.next(t) {
	}
}
