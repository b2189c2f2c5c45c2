// Package cluster makes a palabre process one node of several sharing the
// same rooms over NATS JetStream. Every room event goes through one stream
// (a subject per room), which gives them one order; each node relays to its
// own members what it consumes from the stream, in the stream's order and
// numbered by it. Names are claimed in a key-value bucket, bans live in
// another that every node watches, and nodes tell each other they are alive
// with heartbeats: the members of a node that stops are announced as gone.
//
// It implements room.Cluster; room knows nothing of NATS.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"palabre/room"
)

// The stream and buckets every node shares.
const (
	Stream      = "PALABRE"
	subjectRoom = "palabre.room."
	subjectDM   = "palabre.private"
	subjectLive = "palabre.alive."
	bucketNames = "palabre-names"
	bucketBans  = "palabre-bans"
	// The topics: a node replays them from the stream, and takes those
	// older than the stream from here.
	bucketTopics = "palabre-topics"
	// The names keys own: followed from the stream, and taken from here
	// by a node started after the stream let the events go.
	bucketOwners = "palabre-owners"
	// The rooms that last, their modes and their keyed members' mutes
	// (room.KeptRoom): followed from the stream, and taken from here by a
	// node started after the stream let the events go.
	bucketRooms = "palabre-rooms"
)

// Defaults for Options left at zero.
const (
	DefaultHeartbeat = time.Second
	DefaultGoneAfter = 3 * time.Second
	DefaultCutOff    = 15 * time.Second // nats-server elects a stream's next leader within 4 to 9 s of its last
	DefaultTimeout   = 2 * time.Second
	DefaultMaxAge    = 24 * time.Hour
	DefaultMaxBytes  = 1 << 30
)

// Options configure a Node.
type Options struct {
	Conn *nats.Conn // connected to a NATS server with JetStream, alone or in a cluster
	// Name names the node; a random suffix is added for each run, so that
	// the members of a run that crashed are never taken for a new run's.
	Name string
	// Replicas of the stream and the buckets: how many JetStream servers
	// keep each event. 0: 3 when the NATS cluster has 3 servers or more,
	// else 1.
	Replicas int
	// Heartbeat is how often the node says it is alive and checks that it
	// can reach the stream; a node unheard of for GoneAfter is gone.
	Heartbeat time.Duration
	GoneAfter time.Duration
	// CutOff is how long the node goes without reaching the stream before
	// it tells its members the room is unavailable, and how long a publish
	// is retried: more than a leader's election after a server died.
	CutOff   time.Duration
	Timeout  time.Duration // for one publish or one bucket operation
	MaxAge   time.Duration // how long the stream keeps events; a node replays them at its start
	MaxBytes int64
	Logger   *slog.Logger
}

// Node is this process in the cluster.
type Node struct {
	opts   Options
	id     string
	log    *slog.Logger
	js     jetstream.JetStream
	names  jetstream.KeyValue
	bans   jetstream.KeyValue
	topics jetstream.KeyValue
	owners jetstream.KeyValue
	rooms  jetstream.KeyValue

	hub      *room.Hub
	cancel   context.CancelFunc
	stopBans context.CancelFunc
	banq     chan func(context.Context) // the bans, topics and rooms to write to their buckets (buckets.go)
	ownq     chan func(context.Context) // the names' owners to write to theirs
	wg       sync.WaitGroup

	lastOK    atomic.Int64  // when the stream last answered, in Unix ns (presence.go)
	sent      atomic.Uint64 // events published, for their deduplication IDs
	mu        sync.Mutex
	lastHeard map[string]time.Time // node → its last heartbeat
	started   time.Time
	hb        *nats.Subscription
}

// New prepares the stream and the buckets (creating them on the first
// node) and returns the node, to give to room.Options.Cluster; Start then
// runs it.
func New(ctx context.Context, o Options) (*Node, error) {
	if o.Conn == nil {
		return nil, errors.New("cluster: no NATS connection")
	}
	o.Heartbeat = cmpOr(o.Heartbeat, DefaultHeartbeat)
	o.GoneAfter = cmpOr(o.GoneAfter, DefaultGoneAfter)
	o.CutOff = cmpOr(o.CutOff, DefaultCutOff)
	o.Timeout = cmpOr(o.Timeout, DefaultTimeout)
	o.MaxAge = cmpOr(o.MaxAge, DefaultMaxAge)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Name == "" {
		o.Name = UniqueName()
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
		if len(o.Conn.Servers()) >= 3 {
			o.Replicas = 3
		}
	}
	js, err := jetstream.New(o.Conn)
	if err != nil {
		return nil, err
	}
	n := &Node{opts: o, id: o.Name + "-" + suffix(), log: o.Logger, js: js, lastHeard: map[string]time.Time{}, banq: make(chan func(context.Context), 256), ownq: make(chan func(context.Context), 1024)}
	// A cluster forming elects its JetStream leader in its first seconds:
	// retried until ctx ends.
	err = retry(ctx, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:       Stream,
			Subjects:   []string{subjectRoom + ">", subjectDM},
			Storage:    jetstream.FileStorage,
			Replicas:   o.Replicas,
			MaxAge:     o.MaxAge,
			MaxBytes:   o.MaxBytes,
			Duplicates: min(2*time.Minute, o.MaxAge),
		})
		if err != nil {
			return fmt.Errorf("cluster: the stream %s: %w", Stream, err)
		}
		if n.names, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucketNames, Replicas: o.Replicas, Storage: jetstream.FileStorage}); err != nil {
			return fmt.Errorf("cluster: the bucket %s: %w", bucketNames, err)
		}
		if n.bans, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucketBans, Replicas: o.Replicas, Storage: jetstream.FileStorage}); err != nil {
			return fmt.Errorf("cluster: the bucket %s: %w", bucketBans, err)
		}
		if n.topics, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucketTopics, Replicas: o.Replicas, Storage: jetstream.FileStorage}); err != nil {
			return fmt.Errorf("cluster: the bucket %s: %w", bucketTopics, err)
		}
		if n.owners, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucketOwners, Replicas: o.Replicas, Storage: jetstream.FileStorage}); err != nil {
			return fmt.Errorf("cluster: the bucket %s: %w", bucketOwners, err)
		}
		if n.rooms, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucketRooms, Replicas: o.Replicas, Storage: jetstream.FileStorage}); err != nil {
			return fmt.Errorf("cluster: the bucket %s: %w", bucketRooms, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// ID is this run of the node, as room.Options.Node.
func (n *Node) ID() string { return n.id }

// Replicas is how many servers keep each event.
func (n *Node) Replicas() int { return n.opts.Replicas }

// Start replays the stream into hub (histories, topics, the other nodes'
// members) and returns once it has caught up with what the stream held,
// then goes on relaying, watching bans and exchanging heartbeats until
// Close.
func (n *Node) Start(ctx context.Context, hub *room.Hub) error {
	n.hub = hub
	n.started = time.Now()
	n.reached()
	info, err := n.streamInfo(ctx)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	n.wg.Add(1)
	go n.relay(lctx)
	stop := func() {
		cancel()
		n.wg.Wait()
	}
	// The last event is the one to wait for, unless the stream let every
	// event go (its age): then there is nothing to replay.
	for info.State.Msgs > 0 && hub.Seq() < info.State.LastSeq {
		select {
		case <-ctx.Done():
			stop()
			return fmt.Errorf("cluster: catching up with %s: at %d of %d: %w", Stream, hub.Seq(), info.State.LastSeq, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := n.seedOwners(ctx); err != nil {
		stop()
		return err
	}
	if err := n.seedTopics(ctx); err != nil {
		stop()
		return err
	}
	if err := n.seedRooms(ctx); err != nil {
		stop()
		return err
	}
	if err := n.watchBans(ctx); err != nil {
		stop()
		return err
	}
	n.hb, err = n.opts.Conn.Subscribe(subjectLive+">", n.heard)
	if err != nil {
		stop()
		return err
	}
	n.wg.Add(3)
	go n.live(lctx)
	go n.watchGone(lctx)
	go n.watchStream(lctx)
	n.log.Info("cluster node started", "node", n.id, "replicas", n.opts.Replicas, "seq", hub.Seq())
	return nil
}

// Close stops relaying, watching and beating. The hub's members should
// have been told of the shutdown first (its leaves published).
func (n *Node) Close() {
	if n.cancel != nil {
		n.cancel()
	}
	if n.stopBans != nil {
		n.stopBans()
	}
	n.wg.Wait()
	if n.hb != nil {
		_ = n.hb.Unsubscribe()
	}
}

// apply hands one event of the stream to the hub, numbered by the stream.
func (n *Node) apply(m jetstream.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		n.log.Warn("cluster: an event without metadata", "err", err)
		return
	}
	var msg room.Message
	if err := json.Unmarshal(m.Data(), &msg); err != nil {
		n.log.Warn("cluster: an event that does not decode, skipped", "seq", meta.Sequence.Stream, "err", err)
		msg = room.Message{Kind: room.KindStart, Quiet: true} // keeps the numbering whole
	}
	msg.Seq = meta.Sequence.Stream
	if n.hub.Apply(msg) {
		// A reader's outbox is over half full: a burst from another
		// node outpaces no reader that keeps up (room.Member.Yield).
		time.Sleep(time.Millisecond)
	}
}

// Publish is room.Cluster's: each event is in the stream, acknowledged,
// before the next is sent, so that a batch (a kick and its leave) keeps
// its order.
func (n *Node) Publish(msgs []room.Message) error {
	return n.publish(msgs, func(m room.Message) string {
		if m.Node != n.id {
			return goneID(m) // another node's member's leave (its name taken back here)
		}
		return ""
	})
}

// publish sends msgs, each with a deduplication ID: ids's when it gives
// one (the stream keeps one of several nodes' announcements of the same
// event), else one of this node's own. A publish that gets no answer is
// sent again until CutOff has passed, under the same ID: a stream whose
// leader died elects another in a few seconds, and an event that was
// stored but whose answer was lost is not stored twice.
func (n *Node) publish(msgs []room.Message, ids func(room.Message) string) error {
	deadline := time.Now().Add(n.opts.CutOff)
	for _, msg := range msgs {
		data, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		id := ""
		if ids != nil {
			id = ids(msg)
		}
		if id == "" {
			id = fmt.Sprintf("%s.%d", n.id, n.sent.Add(1))
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
			_, err = n.js.Publish(ctx, subjectOf(msg), data, jetstream.WithMsgID(id))
			cancel()
			if err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond) // a leader's election: not a synchronisation
		}
		if err != nil {
			return fmt.Errorf("cluster: publishing to %s: %w", Stream, err)
		}
		n.reached()
	}
	return nil
}

// subjectOf is the stream subject of an event: its room's, or the private
// messages'.
func subjectOf(msg room.Message) string {
	if msg.Kind == room.KindPrivate {
		return subjectDM
	}
	return subjectRoom + token(msg.Room)
}

// token is a room's name as one subject token: names are ASCII letters,
// digits, '_' and '-' (room.CheckRoomName), folded as the hub folds them.
func token(name string) string {
	name = strings.ToLower(name)
	if name == "" {
		return "_"
	}
	ok := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			ok = false
			break
		}
	}
	if ok {
		return name
	}
	return "=" + fmt.Sprintf("%x", name) // a default room configured with other characters
}

// streamInfo is the stream's state, retried while a cluster elects its leader.
func (n *Node) streamInfo(ctx context.Context) (*jetstream.StreamInfo, error) {
	var info *jetstream.StreamInfo
	err := retry(ctx, func(ctx context.Context) error {
		s, err := n.js.Stream(ctx, Stream)
		if err != nil {
			return err
		}
		info, err = s.Info(ctx)
		return err
	})
	return info, err
}

// retry runs f until it succeeds or ctx ends, with its last error.
func retry(ctx context.Context, f func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, DefaultTimeout)
		err := f(actx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
