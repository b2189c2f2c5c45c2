package cluster

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"palabre/room"
)

// Claim is room.Cluster's: the name's key is created in the names bucket
// with this node as its value; the bucket's compare-and-set makes one of
// two nodes claiming it at once the holder.
func (n *Node) Claim(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	_, err := n.names.Create(ctx, nameKey(name), []byte(n.id))
	switch {
	case errors.Is(err, jetstream.ErrKeyExists):
		return room.ErrNameHeld
	case err != nil:
		return err
	}
	return nil
}

// Release is room.Cluster's: the name's key goes, if this node holds it.
func (n *Node) Release(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	n.releaseHeld(ctx, nameKey(name), n.id)
}

// releaseHeld deletes key if node holds it, at the revision read: a name
// claimed anew meanwhile stays its new holder's.
func (n *Node) releaseHeld(ctx context.Context, key, node string) {
	e, err := n.names.Get(ctx, key)
	if err != nil || string(e.Value()) != node {
		return
	}
	if err := n.names.Delete(ctx, key, jetstream.LastRevision(e.Revision())); err != nil {
		n.log.Debug("cluster: a name not released", "key", key, "err", err)
	}
}

// forgetNames frees every name a gone node's members held.
func (n *Node) forgetNames(node string) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*n.opts.Timeout)
	defer cancel()
	keys, err := n.names.ListKeys(ctx)
	if err != nil {
		return
	}
	for key := range keys.Keys() {
		n.releaseHeld(ctx, key, node)
	}
}

// nameKey is a name as a key of the bucket: names are ASCII letters,
// digits, '_' and '-', compared without case.
func nameKey(name string) string { return strings.ToLower(name) }

// Counter numbers the members a door names itself (Thread-N, Web-N) for
// the whole cluster: each call takes the next number of the counter name
// in the names bucket, with compare-and-set, so that two nodes never give
// the same one. after is where a server alone had got to (its store's).
func (n *Node) Counter(name string, after uint64) func() (uint64, error) {
	key := "count." + nameKey(name)
	return func() (uint64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
		defer cancel()
		for {
			e, err := n.names.Get(ctx, key)
			switch {
			case errors.Is(err, jetstream.ErrKeyNotFound):
				next := after + 1
				if _, err := n.names.Create(ctx, key, []byte(strconv.FormatUint(next, 10))); err == nil {
					return next, nil
				} else if !errors.Is(err, jetstream.ErrKeyExists) {
					return 0, err
				}
			case err != nil:
				return 0, err
			default:
				last, _ := strconv.ParseUint(string(e.Value()), 10, 64)
				next := max(last, after) + 1
				if _, err := n.names.Update(ctx, key, []byte(strconv.FormatUint(next, 10)), e.Revision()); err == nil {
					return next, nil
				} else if ctx.Err() != nil {
					return 0, err
				}
			}
		}
	}
}
