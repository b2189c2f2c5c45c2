package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"palabre/room"
)

// Store wraps the node's own store: the transcript and names stay in it;
// bans also go to the bans bucket, which every node watches (a node
// started later applies the bans in force), topics and the names keys own
// to their buckets (a node started later takes those its replay did not
// set).
func (n *Node) Store(st room.Store) room.Store {
	return &sharedStore{Store: st, n: n}
}

// SaveTopic is called under the hub's lock: queued, as bans are.
func (s *sharedStore) SaveTopic(r, topic string) {
	s.Store.SaveTopic(r, topic)
	s.n.queue(func(ctx context.Context) error {
		_, err := s.n.topics.Put(ctx, token(r), []byte(r+"\n"+topic))
		return err
	})
}

// BindName and ReleaseName keep the names keys own in the owners bucket
// too. Every node binds what the stream tells it, so several write the
// same: the last write stands, and they agree.
func (s *sharedStore) BindName(name, key string, seen time.Time) {
	s.Store.BindName(name, key, seen)
	s.n.queueTo(s.n.ownq, "a name's owner", func(ctx context.Context) error {
		data, err := json.Marshal(room.NameOwner{Name: name, Key: key, Seen: seen})
		if err == nil {
			_, err = s.n.owners.Put(ctx, nameKey(name), data)
		}
		return err
	})
}

func (s *sharedStore) ReleaseName(name string) {
	s.Store.ReleaseName(name)
	s.n.queueTo(s.n.ownq, "a name's owner", func(ctx context.Context) error {
		err := s.n.owners.Delete(ctx, nameKey(name))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			err = nil
		}
		return err
	})
}

// seedOwners gives the hub the names the bucket keeps as keys', once the
// stream's replay is done.
func (n *Node) seedOwners(ctx context.Context) error {
	names, err := valuesOf[room.NameOwner](ctx, n.owners)
	if err != nil {
		return fmt.Errorf("cluster: the names' owners: %w", err)
	}
	n.hub.SeedOwners(names)
	return nil
}

// seedTopics gives the hub the topics the bucket keeps, once the stream's
// replay is done.
func (n *Node) seedTopics(ctx context.Context) error {
	err := eachValue(ctx, n.topics, func(v []byte) {
		if r, topic, ok := strings.Cut(string(v), "\n"); ok {
			n.hub.SeedTopic(r, topic)
		}
	})
	if err != nil {
		return fmt.Errorf("cluster: the topics: %w", err)
	}
	return nil
}

// valuesOf decodes the JSON value of each key of kv now; one that does
// not decode is skipped.
func valuesOf[T any](ctx context.Context, kv jetstream.KeyValue) ([]T, error) {
	var out []T
	err := eachValue(ctx, kv, func(v []byte) {
		var x T
		if json.Unmarshal(v, &x) == nil {
			out = append(out, x)
		}
	})
	return out, err
}

// eachValue gives f the value of each key of kv now; a key deleted
// meanwhile is skipped.
func eachValue(ctx context.Context, kv jetstream.KeyValue, f func([]byte)) error {
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return err
	}
	for key := range keys.Keys() {
		if e, err := kv.Get(ctx, key); err == nil {
			f(e.Value())
		}
	}
	return nil
}

type sharedStore struct {
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
func (s *sharedStore) SaveBan(b room.Ban) {
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

func (s *sharedStore) DeleteBan(target string) {
	s.Store.DeleteBan(target)
	s.n.queue(func(ctx context.Context) error {
		return s.n.bans.Delete(ctx, banKey(target))
	})
}

// queue hands f to the bans', topics' and rooms' writer; queueTo to the one of q
// (the owners' have theirs: a class of keyed members arriving at once
// must not crowd a ban out). A full queue drops f, logged.
func (n *Node) queue(f func(context.Context) error) { n.queueTo(n.banq, "a ban or a topic", f) }

func (n *Node) queueTo(q chan func(context.Context), what string, f func(context.Context) error) {
	select {
	case q <- func(ctx context.Context) {
		if err := f(ctx); err != nil {
			n.log.Warn("cluster: not kept for the other nodes", "what", what, "err", err)
		}
	}:
	default:
		n.log.Warn("cluster: the queue to the buckets is full: not kept for the other nodes", "what", what)
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
	n.wg.Add(3)
	go n.write(wctx, n.banq)
	go n.write(wctx, n.ownq)
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
	return nil
}

// write carries out q's writes to the buckets, one at a time, each within
// the node's timeout, until ctx ends.
func (n *Node) write(ctx context.Context, q chan func(context.Context)) {
	defer n.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-q:
			fctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
			f(fctx)
			cancel()
		}
	}
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
