package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"palabre/room"
)

// live beats every Heartbeat until ctx ends, and nothing else: a beat
// must never wait behind the stream or a bucket, or a node busy announcing
// another's end would pass for gone itself.
func (n *Node) live(ctx context.Context) {
	defer n.wg.Done()
	every(ctx, n.opts.Heartbeat, n.beat)
}

// watchGone announces the nodes that stopped beating, every Heartbeat,
// until ctx ends.
func (n *Node) watchGone(ctx context.Context) {
	defer n.wg.Done()
	every(ctx, n.opts.Heartbeat, n.announceGone)
}

// every runs f now, then every d, until ctx ends.
func every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watchStream asks the stream for its state every Heartbeat, until ctx
// ends: a node that has had neither an answer nor an acknowledged publish
// for CutOff is cut off, and tells the hub; the first answer after that,
// it is back. A leader's election after a server died is shorter, and a
// stream too busy to answer at once is still taking posts: no member is
// told of either.
func (n *Node) watchStream(ctx context.Context) {
	defer n.wg.Done()
	t := time.NewTicker(n.opts.Heartbeat)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
		s, err := n.js.Stream(cctx, Stream)
		if err == nil {
			_, err = s.Info(cctx)
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err == nil:
			n.reached()
			n.hub.SetAvailable(true)
		case time.Since(n.lastReached()) >= n.opts.CutOff:
			n.hub.SetAvailable(false)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// beat tells the others this node is alive: plain NATS, not the stream.
func (n *Node) beat() {
	if err := n.opts.Conn.Publish(subjectLive+n.id, nil); err != nil {
		n.log.Debug("cluster: heartbeat not sent", "err", err)
	}
}

// heard notes another node's heartbeat.
func (n *Node) heard(m *nats.Msg) {
	node := strings.TrimPrefix(m.Subject, subjectLive)
	n.mu.Lock()
	n.lastHeard[node] = time.Now()
	n.mu.Unlock()
}

// announceGone publishes, for each node whose members this node knows and
// that has not beaten for GoneAfter, a leave of each of its members, and
// frees their names. Every node does it; the stream keeps one of each.
func (n *Node) announceGone() {
	if n.hub.Unavailable() {
		return // cut off, this node would take everyone else for gone
	}
	now := time.Now()
	// The nodes this one knows members of, and those it heard beat: one
	// that stopped in order has no members left, but may have left names.
	nodes := n.hub.Nodes()
	n.mu.Lock()
	for node := range n.lastHeard {
		if !slices.Contains(nodes, node) {
			nodes = append(nodes, node)
		}
	}
	n.mu.Unlock()
	for _, node := range nodes {
		if node == n.id {
			continue
		}
		n.mu.Lock()
		last, ok := n.lastHeard[node]
		if !ok {
			last = n.started // a node that crashed before this one started is heard of never
		}
		n.mu.Unlock()
		if now.Sub(last) < n.opts.GoneAfter {
			continue
		}
		if leaves := n.hub.Gone(node); len(leaves) > 0 {
			n.log.Info("cluster: a node stopped beating; its members are gone", "node", node, "members", len(leaves), "silent", now.Sub(last).Round(time.Millisecond))
			err := n.publish(leaves, goneID)
			if err != nil {
				n.log.Warn("cluster: the leaves of a gone node not published", "node", node, "err", err)
				continue
			}
		}
		n.forgetNames(node)
		n.mu.Lock()
		delete(n.lastHeard, node) // done with it; a beat again makes it known again
		n.mu.Unlock()
	}
}

// Alive lists the other nodes heard from within GoneAfter.
func (n *Node) Alive() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for node, last := range n.lastHeard {
		if node != n.id && time.Since(last) < n.opts.GoneAfter {
			out = append(out, node)
		}
	}
	return out
}

// reached notes that the stream answered or acknowledged a publish now.
func (n *Node) reached() { n.lastOK.Store(time.Now().UnixNano()) }

// lastReached is when the stream last answered or acknowledged a publish.
func (n *Node) lastReached() time.Time { return time.Unix(0, n.lastOK.Load()) }

// goneID is the deduplication ID of the leave of another node's member:
// its join's, so that the stream keeps one leave of it, whoever announces
// it and for whatever reason.
func goneID(m room.Message) string { return fmt.Sprintf("gone.%s.%d", m.Node, m.Seq) }
