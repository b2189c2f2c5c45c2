package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"palabre/room"
)

// natsCluster is n embedded nats-servers routed to each other on loopback,
// each with its own store directory, as three palabre nodes embed them.
type natsCluster struct {
	t       *testing.T
	servers []*server.Server
	opts    []ServerOptions
}

// startNATS starts n servers, each routed to all the others: a JetStream
// cluster needs its routes configured.
func startNATS(t *testing.T, n int) *natsCluster {
	t.Helper()
	c := &natsCluster{t: t}
	ports := make([]string, n)
	for i := range ports {
		ports[i] = "127.0.0.1:" + freePort(t)
	}
	for i := range n {
		o := ServerOptions{Name: fmt.Sprintf("nats-%d", i+1), Listen: "127.0.0.1:0", StoreDir: t.TempDir()}
		if n > 1 {
			o.Cluster = ports[i]
			for j, p := range ports {
				if j != i {
					o.Routes = append(o.Routes, "nats://"+p)
				}
			}
		}
		c.opts = append(c.opts, o)
	}
	t.Cleanup(func() {
		for _, s := range c.servers {
			if s != nil {
				s.Shutdown()
			}
		}
	})
	for i := range c.opts {
		s, err := StartServer(c.opts[i])
		if err != nil {
			t.Fatal(err)
		}
		c.opts[i].Listen = s.Addr().String() // the same port on a restart
		c.servers = append(c.servers, s)
	}
	return c
}

// kill stops server i, as a killed process.
func (c *natsCluster) kill(i int) {
	c.servers[i].Shutdown()
	c.servers[i].WaitForShutdown()
	c.servers[i] = nil
}

// restart starts server i again with its store and ports.
func (c *natsCluster) restart(i int) {
	s, err := StartServer(c.opts[i])
	if err != nil {
		c.t.Fatal(err)
	}
	c.servers[i] = s
}

// url is server i's client URL.
func (c *natsCluster) url(i int) string { return "nats://" + c.opts[i].Listen }

// freePort is a loopback port free now (for a route listener, which the
// others must be told before it starts).
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}

// testNode is a hub and its cluster node, as one palabre process.
type testNode struct {
	hub  *room.Hub
	node *Node
	conn *nats.Conn
	rec  *recorder
}

// nodeOptions tune a test node.
type nodeOptions struct {
	url   string    // NATS URL
	store *recorder // kept across a restart; nil: a new one
	name  string
	hub   func(*room.Options)
	age   time.Duration // the stream's MaxAge; 0: the default
	// cutOff is how long a publish is tried before the node counts itself
	// cut off; 0: 2 s, for the partition test's sake.
	cutOff time.Duration
}

// fast presence for tests: a node is gone after a second of silence.
const (
	testBeat = 100 * time.Millisecond
	testGone = time.Second
)

// startNode connects a hub to the cluster through url and returns once it
// has caught up with the stream.
func startNode(t *testing.T, o nodeOptions) *testNode {
	t.Helper()
	// Only the server it is given: a node behind the test's link must not
	// go round the partition to the servers it learns of.
	nc, err := nats.Connect(o.url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond), nats.IgnoreDiscoveredServers(), nats.DontRandomize())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if o.cutOff == 0 {
		o.cutOff = 2 * time.Second
	}
	node, err := New(ctx, Options{Conn: nc, Name: o.name, Heartbeat: testBeat, GoneAfter: testGone, CutOff: o.cutOff, MaxAge: o.age, Logger: quiet()})
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	rec := o.store
	if rec == nil {
		rec = &recorder{}
	}
	opts := room.Options{Cluster: node, Node: node.ID(), Store: node.Store(rec), State: room.State{Seq: rec.last()}, Logger: quiet()}
	if o.hub != nil {
		o.hub(&opts)
	}
	hub := room.NewHub(opts)
	if err := node.Start(ctx, hub); err != nil {
		nc.Close()
		t.Fatal(err)
	}
	tn := &testNode{hub: hub, node: node, conn: nc, rec: rec}
	t.Cleanup(tn.stop)
	return tn
}

// stop shuts the node down in order: its members' leaves published first.
func (n *testNode) stop() {
	if n.conn.IsClosed() {
		return
	}
	n.hub.Shutdown()
	n.node.Close()
	n.conn.Close()
}

// crash stops the node as a killed process would: nothing more is said.
func (n *testNode) crash() {
	n.node.Close()
	n.conn.Close()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// recorder is a store that keeps the transcript in memory.
type recorder struct {
	mu   sync.Mutex
	msgs []room.Message
}

func (r *recorder) Record(m room.Message) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
}
func (r *recorder) SaveBan(room.Ban)                   {}
func (r *recorder) DeleteBan(string)                   {}
func (r *recorder) SaveTopic(string, string)           {}
func (r *recorder) BindName(string, string, time.Time) {}
func (r *recorder) ReleaseName(string)                 {}
func (r *recorder) seqs() []uint64                     { return seqsOf(r.all()) }
func (r *recorder) all() []room.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}
func (r *recorder) last() uint64 { s := r.seqs(); return lastOf(s) }
func lastOf(s []uint64) uint64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}
func seqsOf(ms []room.Message) []uint64 {
	out := make([]uint64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

// reader collects what a member is shown, in a goroutine of its own, as a
// door would.
type reader struct {
	m    *room.Member
	mu   sync.Mutex
	msgs []room.Message
	done chan struct{}
}

func join(t *testing.T, n *testNode, name string) *reader {
	t.Helper()
	m, _, err := n.hub.Join(room.JoinRequest{Name: name, Door: room.DoorTCP, Addr: "127.0.0.1:1", Echo: true})
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	return read(m)
}

func read(m *room.Member) *reader {
	r := &reader{m: m, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		var buf []room.Message
		for {
			msgs, left := m.Next(buf[:0])
			r.mu.Lock()
			r.msgs = append(r.msgs, msgs...)
			r.mu.Unlock()
			if left {
				return
			}
		}
	}()
	return r
}

func (r *reader) all() []room.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// kinds is what the reader got of these kinds.
func (r *reader) kinds(ks ...room.Kind) []room.Message {
	var out []room.Message
	for _, m := range r.all() {
		if slices.Contains(ks, m.Kind) {
			out = append(out, m)
		}
	}
	return out
}

// waitFor waits until cond holds, failing with what() past the deadline.
func waitFor(t *testing.T, d time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what())
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
}

// settled waits until every node has applied the stream's last event: what
// was published before it is seen by all. (Two nodes' equal Seq is not
// enough: both may not yet have read the event just published.)
func settled(t *testing.T, nodes ...*testNode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := nodes[0].node.js.Stream(ctx, Stream)
	if err != nil {
		t.Fatalf("the stream: %v", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("the stream's state: %v", err)
	}
	last := info.State.LastSeq
	waitFor(t, 5*time.Second, func() bool {
		for _, n := range nodes {
			if n.hub.Seq() < last {
				return false
			}
		}
		return true
	}, func() string {
		var seqs []uint64
		for _, n := range nodes {
			seqs = append(seqs, n.hub.Seq())
		}
		return fmt.Sprintf("the nodes applied up to %v, the stream holds %d", seqs, last)
	})
}
