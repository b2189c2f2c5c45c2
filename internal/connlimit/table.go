package connlimit

// table holds what is kept per network, and forgets what has gone idle a
// few entries at a time: each use examines the next sweepStep entries in
// turn, so that no admission ever pays for the whole table, however many
// addresses a scan sprays, and the table stays within a small multiple of
// the networks seen in the time an entry takes to go idle.
type table[K comparable, V any] struct {
	byKey map[K]*entry[K, V]
	all   []*entry[K, V] // in no order; the sweep walks it from next
	next  int
}

type entry[K comparable, V any] struct {
	key K
	at  int // index in all
	val V
}

// sweepStep is how many entries each use of a table examines. More than
// one, so that the sweep passes entries faster than uses add them.
const sweepStep = 4

// get returns the value kept for k, adding it with fresh when there is none.
func (t *table[K, V]) get(k K, fresh func() V) *V {
	if e := t.byKey[k]; e != nil {
		return &e.val
	}
	if t.byKey == nil {
		t.byKey = make(map[K]*entry[K, V])
	}
	e := &entry[K, V]{key: k, at: len(t.all), val: fresh()}
	t.byKey[k] = e
	t.all = append(t.all, e)
	return &e.val
}

// lookup returns the value kept for k, or nil.
func (t *table[K, V]) lookup(k K) *V {
	if e := t.byKey[k]; e != nil {
		return &e.val
	}
	return nil
}

// sweep examines the next sweepStep entries and forgets those idle says
// remembering would change nothing for.
func (t *table[K, V]) sweep(idle func(*V) bool) {
	for range sweepStep {
		if len(t.all) == 0 {
			return
		}
		if t.next >= len(t.all) {
			t.next = 0
		}
		if e := t.all[t.next]; idle(&e.val) {
			t.remove(e) // the last entry moves here: examined next
			continue
		}
		t.next++
	}
}

func (t *table[K, V]) remove(e *entry[K, V]) {
	last := t.all[len(t.all)-1]
	t.all[e.at], last.at = last, e.at
	t.all[len(t.all)-1] = nil
	t.all = t.all[:len(t.all)-1]
	delete(t.byKey, e.key)
}

func (t *table[K, V]) len() int { return len(t.all) }
