package sshui

import (
	"sync"

	"github.com/muesli/termenv"
)

// rowCache holds the rows of the room's recent messages as screens render
// them, shared by every screen of the server: a message is formatted once
// per width and colour profile, not once per screen (with 500 screens of
// one size, 500 times less work and one copy of its rows in memory). A
// rendering holds its message too, and is never written once cached: the
// screens' scrollbacks keep it by pointer. Screens that render a message
// their own way (their own words, a mention of them) do not share it.
type rowCache struct {
	mu    sync.Mutex
	rows  map[rowKey]*rendered
	order []rowKey // in the order they came, to forget the oldest
	next  int      // where the next key goes in order, once it is full
}

type rowKey struct {
	seq     uint64
	width   int
	profile termenv.Profile
}

// cachedRows is how many renderings are kept: a few seconds of a busy
// room at every width in use; older messages are rarely drawn again.
const cachedRows = 4096

func newRowCache() *rowCache {
	return &rowCache{rows: make(map[rowKey]*rendered)}
}

func (c *rowCache) get(k rowKey) (*rendered, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.rows[k]
	return l, ok
}

// put keeps r for k and returns the rendering to use: r, or the one
// another screen put meanwhile.
func (c *rowCache) put(k rowKey, r *rendered) *rendered {
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.rows[k]; ok {
		return had // another screen rendered it meanwhile: one copy kept
	}
	if len(c.order) < cachedRows {
		c.order = append(c.order, k)
	} else {
		delete(c.rows, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % cachedRows
	}
	c.rows[k] = r
	return r
}
