package room

import "time"

// Names belong to keys, so that a student's name cannot be taken from it,
// on either door. The rules keep names from being hoarded:
//
//   - a key owns one name: the first it uses, then each one it takes by
//     /nick or by joining with it. Choosing another releases the previous,
//     which stays reserved to the key for NameGrace first: a typo or a
//     change of mind is undone before anyone can take the name, and twenty
//     /nick in a row leave the key with the last name (and the one before
//     it, for NameGrace);
//   - generated names (Thread-N, guest-N) are never owned (see Generated);
//   - the table is bounded: an owner unseen for NameTTL is forgotten, and
//     past MaxNameOwners the owner seen longest ago makes room;
//   - an operator frees a name with /release NAME.
//
// The grace is not kept across a restart: the store keeps each key's
// current name only.
const (
	NameGrace     = 10 * time.Minute
	NameTTL       = 120 * 24 * time.Hour // a term
	MaxNameOwners = 10000                // far above a school's students, far below what memory notices
)

// ownership is what one key owns.
type ownership struct {
	name      string    // the name it owns, as written; "" once released
	prev      string    // the name it owned before, reserved to it until prevUntil; "" none
	prevUntil time.Time //
	seen      time.Time // its last visit: a join or a change of name
}

// loadOwnersLocked takes the owners a Store kept. A name of the generated
// form (bound by an older palabre), an owner unseen for NameTTL, and any
// name of a key but its most recently seen are released.
func (h *Hub) loadOwnersLocked(names []NameOwner) {
	now := h.opts.Now()
	for _, n := range names {
		seen := n.Seen
		if seen.IsZero() {
			seen = now
		}
		if n.Key == "" || CheckName(n.Name) != NameOK || now.Sub(seen) > NameTTL {
			h.store.ReleaseName(n.Name)
			continue
		}
		if o := h.keys[n.Key]; o != nil {
			if o.seen.After(seen) {
				h.store.ReleaseName(n.Name)
				continue
			}
			delete(h.owners, nameKey(o.name))
			h.store.ReleaseName(o.name)
		}
		h.keys[n.Key] = &ownership{name: n.Name, seen: seen}
		h.owners[nameKey(n.Name)] = n.Key
	}
	for len(h.keys) > MaxNameOwners {
		h.forgetOldestLocked()
	}
}

// ownerLocked returns the key that owns name now, or "". Ownership that
// has run out (a grace, an owner unseen for NameTTL) ends here.
func (h *Hub) ownerLocked(name string) string {
	nk := nameKey(name)
	key := h.owners[nk]
	if key == "" {
		return ""
	}
	o := h.keys[key]
	now := h.opts.Now()
	switch {
	case now.Sub(o.seen) > NameTTL:
		h.forgetLocked(key)
		return ""
	case nk == nameKey(o.prev) && !now.Before(o.prevUntil):
		delete(h.owners, nk)
		o.prev = ""
		return ""
	}
	return key
}

// claimLocked makes name key's, its previous one reserved to it for
// NameGrace. The caller checked that no other key owns name. A member
// without a key, or a generated name, claims nothing.
func (h *Hub) claimLocked(key, name string) {
	if key == "" || CheckName(name) != NameOK {
		h.touchLocked(key)
		return
	}
	now := h.opts.Now()
	o := h.keys[key]
	if o == nil {
		if len(h.keys) >= MaxNameOwners {
			h.forgetOldestLocked()
		}
		o = &ownership{}
		h.keys[key] = o
	}
	o.seen = now
	if nameKey(name) == nameKey(o.name) {
		h.store.BindName(o.name, key, now)
		return
	}
	if o.prev != "" {
		delete(h.owners, nameKey(o.prev)) // one name in grace at most
	}
	o.prev, o.prevUntil = o.name, now.Add(NameGrace)
	o.name = name
	h.owners[nameKey(name)] = key
	h.store.BindName(name, key, now)
}

// touchLocked notes a visit of key under a name it does not claim.
func (h *Hub) touchLocked(key string) {
	o := h.keys[key]
	if key == "" || o == nil {
		return
	}
	o.seen = h.opts.Now()
	if o.name != "" {
		h.store.BindName(o.name, key, o.seen)
	}
}

// forgetLocked drops all that key owns.
func (h *Hub) forgetLocked(key string) {
	o := h.keys[key]
	for _, n := range []string{o.name, o.prev} {
		if n != "" && h.owners[nameKey(n)] == key {
			delete(h.owners, nameKey(n))
		}
	}
	if o.name != "" {
		h.store.ReleaseName(o.name)
	}
	delete(h.keys, key)
	h.events = append(h.events, event{"name owner forgotten", []any{"key", key, "name", o.name, "seen", o.seen}})
}

// forgetOldestLocked makes room in a full table: the owner seen longest
// ago goes. It reads the whole table, which happens only when it is full.
func (h *Hub) forgetOldestLocked() {
	var oldest string
	for k, o := range h.keys {
		if oldest == "" || o.seen.Before(h.keys[oldest].seen) {
			oldest = k
		}
	}
	if oldest != "" {
		h.forgetLocked(oldest)
	}
}

// releaseNameLocked frees name from the key that owns it, if one does (on
// this node, or, in a cluster, on the node of the /release), and returns
// it as its owner wrote it.
func (h *Hub) releaseNameLocked(name string) string {
	key := h.ownerLocked(name)
	if key == "" {
		return name
	}
	o := h.keys[key]
	delete(h.owners, nameKey(name))
	if nameKey(name) == nameKey(o.prev) {
		o.prev = ""
	} else {
		name = o.name
		o.name = ""
		h.store.ReleaseName(name)
	}
	if o.name == "" && o.prev == "" {
		delete(h.keys, key) // its next name is its own at once, as a newcomer's
	}
	return name
}

// releaseLocked is /release NAME: the name no longer belongs to a key. A
// member holding it keeps it, unowned, until it leaves or changes: taking
// a name from someone is what /kick is for. The operator alone is told,
// as for /unban; the transcript keeps it.
func (h *Hub) releaseLocked(op *Member, name string) {
	key := h.ownerLocked(name)
	if key == "" {
		h.replyLocked(op, Message{Kind: KindError, Err: ErrNameNotOwned, Text: name})
		return
	}
	name = h.releaseNameLocked(name)
	h.recordForLocked(op, Message{Kind: KindRelease, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, Text: name})
	h.events = append(h.events, event{"operator action", []any{"op", op.Name(), "op_key", op.key, "command", "release", "target", name, "target_key", key}})
}
