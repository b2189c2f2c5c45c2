package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"palabre/room"
)

// Store wraps the node's own store: the transcript and names stay in it;
// bans also go to the bans bucket, which every node watches (a node
// started later applies the bans in force), and topics to the topics
// bucket (a node started later takes those its replay did not set).
func (n *Node) Store(st room.Store) room.Store {
	return &banStore{Store: st, n: n}
}

// SaveTopic is called under the hub's lock: queued, as bans are.
func (s *banStore) SaveTopic(r, topic string) {
	s.Store.SaveTopic(r, topic)
	s.n.queue(func(ctx context.Context) error {
		_, err := s.n.topics.Put(ctx, token(r), []byte(r+"\n"+topic))
		return err
	})
}

// seedTopics gives the hub the topics the bucket keeps, once the stream's
// replay is done.
func (n *Node) seedTopics(ctx context.Context) error {
	keys, err := n.topics.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("cluster: the topics: %w", err)
	}
	for key := range keys.Keys() {
		e, err := n.topics.Get(ctx, key)
		if err != nil {
			continue
		}
		r, topic, ok := strings.Cut(string(e.Value()), "\n")
		if ok {
			n.hub.SeedTopic(r, topic)
		}
	}
	return nil
}

type banStore struct {
	room.Store
	n *Node
}

// keptBan is a ban as the bucket keeps it: with the node that made it.
type keptBan struct {
	Ban  room.Ban
	Node string
}

// SaveBan and DeleteBan are called under the hub's lock: the bucket's side
// is queued, never waited for.
func (s *banStore) SaveBan(b room.Ban) {
	s.Store.SaveBan(b)
	s.n.queue(func(ctx context.Context) error {
		data, err := json.Marshal(keptBan{Ban: b, Node: s.n.id})
		if err != nil {
			return err
		}
		_, err = s.n.bans.Put(ctx, banKey(b.Target), data)
		return err
	})
}

func (s *banStore) DeleteBan(target string) {
	s.Store.DeleteBan(target)
	s.n.queue(func(ctx context.Context) error {
		return s.n.bans.Delete(ctx, banKey(target))
	})
}

// queue hands f to the bans' writer; a full queue drops it, logged.
func (n *Node) queue(f func(context.Context) error) {
	select {
	case n.banq <- func(ctx context.Context) {
		if err := f(ctx); err != nil {
			n.log.Warn("cluster: a ban not shared with the other nodes", "err", err)
		}
	}:
	default:
		n.log.Warn("cluster: the bans' queue is full: a ban not shared with the other nodes")
	}
}

// banKey is a ban's target (a key fingerprint, a network) as a bucket key.
func banKey(target string) string { return base64.RawURLEncoding.EncodeToString([]byte(target)) }

// watchBans applies the bucket's bans now (those made before this node
// started), then every change another node makes, and writes this node's
// own, until the node closes.
func (n *Node) watchBans(ctx context.Context) error {
	w, err := n.bans.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("cluster: watching %s: %w", bucketBans, err)
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.stopBans = cancel
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		defer w.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e != nil {
					n.applyBan(e)
				}
			}
		}
	}()
	go func() {
		defer n.wg.Done()
		for {
			select {
			case <-wctx.Done():
				return
			case f := <-n.banq:
				fctx, cancel := context.WithTimeout(wctx, n.opts.Timeout)
				f(fctx)
				cancel()
			}
		}
	}()
	return nil
}

// applyBan gives the hub one change of the bucket.
func (n *Node) applyBan(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		target, err := base64.RawURLEncoding.DecodeString(e.Key())
		if err == nil {
			n.hub.ApplyUnban(string(target))
		}
		return
	}
	var kb keptBan
	if err := json.Unmarshal(e.Value(), &kb); err != nil {
		n.log.Warn("cluster: a ban that does not decode", "key", e.Key(), "err", err)
		return
	}
	if kb.Node != n.id {
		n.hub.ApplyBan(kb.Ban)
	}
}
