package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"palabre/room"
)

// Claim is room.Cluster's: the name's key is created in the names bucket
// with this node and the token's hash as its value; the bucket's
// compare-and-set makes one of two nodes claiming it at once the holder.
// A name this node took for that token (Take) is claimed already.
func (n *Node) Claim(name, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	value := n.holding(token)
	_, err := n.names.Create(ctx, nameKey(name), value)
	switch {
	case errors.Is(err, jetstream.ErrKeyExists):
		if e, err := n.names.Get(ctx, nameKey(name)); token != "" && err == nil && bytes.Equal(e.Value(), value) {
			return nil
		}
		return room.ErrNameHeld
	case err != nil:
		return err
	}
	return nil
}

// Take is room.Cluster's: the name's key becomes this node's, with the new
// token's hash, if it holds proof's: the member that held it, on whichever
// node, is the one come back here.
func (n *Node) Take(name, proof, token string) error {
	if proof == "" {
		return room.ErrNameHeld
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	e, err := n.names.Get(ctx, nameKey(name))
	if err != nil {
		return room.ErrNameHeld
	}
	if _, hash, _ := strings.Cut(string(e.Value()), "\n"); hash != tokenHash(proof) {
		return room.ErrNameHeld
	}
	if _, err := n.names.Update(ctx, nameKey(name), n.holding(token), e.Revision()); err != nil {
		return room.ErrNameHeld // taken meanwhile
	}
	return nil
}

// holding is a names key's value: the node holding it and the hash of its
// member's token, if it has one. The token itself never leaves the node.
func (n *Node) holding(token string) []byte {
	if token == "" {
		return []byte(n.id)
	}
	return []byte(n.id + "\n" + tokenHash(token))
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// holderOf is the node a names key's value says holds it.
func holderOf(value []byte) string {
	node, _, _ := strings.Cut(string(value), "\n")
	return node
}

// Release is room.Cluster's: the names' keys go, if this node holds them,
// within one timeout for all (a shutdown's hundreds of leavers, a cut-off
// node's: the others free them when they count it gone).
func (n *Node) Release(names ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	for _, name := range names {
		if ctx.Err() != nil {
			return
		}
		n.releaseHeld(ctx, nameKey(name), n.id)
	}
}

// releaseHeld deletes key if node holds it, at the revision read: a name
// claimed anew meanwhile stays its new holder's.
func (n *Node) releaseHeld(ctx context.Context, key, node string) {
	e, err := n.names.Get(ctx, key)
	if err != nil || holderOf(e.Value()) != node {
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
// the whole cluster: no two nodes ever give the same number. A node takes
// numbers from the counter name in the names bucket a block at a time,
// with compare-and-set, and gives them out one by one: a burst of hundreds
// of connections costs a few writes, not one each racing the others. after
// is where a server alone had got to (its store's).
func (n *Node) Counter(name string, after uint64) func() (uint64, error) {
	c := &counter{n: n, key: "count." + nameKey(name), after: after}
	return c.take1
}

// counterBlock is how many numbers a node takes at once.
const counterBlock = 16

type counter struct {
	n         *Node
	key       string
	after     uint64
	mu        sync.Mutex
	from, end uint64 // the node's block: from up to end, excluded
}

func (c *counter) take1() (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.from == c.end {
		first, err := c.take()
		if err != nil {
			return 0, err
		}
		c.from, c.end = first, first+counterBlock
	}
	c.from++
	return c.from - 1, nil
}

// take reserves the next block in the bucket and returns its first number.
func (c *counter) take() (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.n.opts.Timeout)
	defer cancel()
	for {
		e, err := c.n.names.Get(ctx, c.key)
		var last, rev uint64
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return 0, err
		default:
			last, _ = strconv.ParseUint(string(e.Value()), 10, 64)
			rev = e.Revision()
		}
		first := max(last, c.after) + 1
		value := []byte(strconv.FormatUint(first+counterBlock-1, 10))
		if rev == 0 {
			_, err = c.n.names.Create(ctx, c.key, value)
		} else {
			_, err = c.n.names.Update(ctx, c.key, value, rev)
		}
		if err == nil {
			return first, nil
		}
		if ctx.Err() != nil {
			return 0, err
		}
	}
}
