package room

import (
	"strings"
	"time"
)

// KeptRoom is what a cluster keeps of a room beside its stream, for a node
// started after the stream let the events go (its age): whether the room
// lasts, and its parent; its modes; its keyed members' mutes. Seq is the
// event it was taken after. The other nodes replay the rest (its poll,
// hands, questions) from the stream, as a server alone forgets them at a
// restart.
type KeptRoom struct {
	Name      string
	Seq       uint64
	Lasting   bool                 `json:",omitempty"`
	Parent    string               `json:",omitempty"`
	Slow      time.Duration        `json:",omitempty"`
	Quiet     bool                 `json:",omitempty"`
	Anonymous bool                 `json:",omitempty"`
	Mutes     map[string]time.Time `json:",omitempty"` // by key: the mute's end (zero: none)
}

// Empty reports whether there is nothing of the room to keep: a room that
// goes when its members do, with no mode and no mute.
func (k KeptRoom) Empty() bool {
	return !k.Lasting && k.Slow == 0 && !k.Quiet && !k.Anonymous && len(k.Mutes) == 0
}

// keepsRoom reports whether an event of kind k changes what KeptRoom holds.
func keepsRoom(k Kind) bool {
	switch k {
	case KindSlow, KindQuiet, KindOpen, KindAnon, KindMute, KindUnmute, KindBreakout, KindGather:
		return true
	}
	return false
}

// keptLocked is what a cluster keeps of r now, after event seq.
func (h *Hub) keptLocked(r *Room, seq uint64) KeptRoom {
	k := KeptRoom{Name: r.name, Seq: seq, Lasting: r.byOp && r != h.def, Slow: r.Slow(), Quiet: r.Quiet(),
		Anonymous: r.questions != nil && r.questions.anonymous}
	if r.parent != nil {
		k.Parent = r.parent.name
	}
	now := h.opts.Now()
	for key, until := range h.mutes {
		who, ok := keyedMute(r, key)
		if !ok || (!until.IsZero() && !now.Before(until)) {
			continue // another room's, a keyless member's (its session's), or over
		}
		if k.Mutes == nil {
			k.Mutes = make(map[string]time.Time)
		}
		k.Mutes[who] = until
	}
	return k
}

// keyedMute reports whether key (of Hub.mutes) is the mute of a keyed
// member in r, and gives that key.
func keyedMute(r *Room, key string) (who string, ok bool) {
	who, ok = strings.CutPrefix(key, muteKeyOf(r, ""))
	return who, ok && !strings.HasPrefix(who, "#")
}

// keepLocked hands the cluster what it keeps of r, after this node's own
// event seq changed it (Apply): one node writes it, the one whose event it was.
func (h *Hub) keepLocked(r *Room, seq uint64) {
	h.opts.Cluster.KeepRoom(h.keptLocked(r, seq))
}

// SeedRooms gives the hub what its cluster kept of the rooms, once the
// stream's replay is done: a room's kept state stands unless the replay
// brought a later change of it. A lasting room nobody is in is made.
func (h *Hub) SeedRooms(rooms []KeptRoom) {
	h.mu.Lock()
	defer h.unlock()
	for _, k := range rooms { // first the rooms, then their parents are there
		if h.rooms[nameKey(k.Name)] == nil && k.Lasting {
			h.addRoomLocked(k.Name, true, nil)
		}
	}
	for _, k := range rooms {
		r := h.rooms[nameKey(k.Name)]
		if r == nil || k.Seq < r.keptSeq {
			continue // it went with its members, or the stream brought a later change
		}
		r.byOp = r.byOp || k.Lasting
		if p := h.rooms[nameKey(k.Parent)]; p != nil && r.parent == nil {
			r.parent = p
		}
		r.slowquiet.every.Store(int64(k.Slow))
		r.slowquiet.quiet.Store(k.Quiet)
		h.questionsOf(r).anonymous = k.Anonymous
		for key := range h.mutes {
			if _, ok := keyedMute(r, key); ok {
				delete(h.mutes, key)
			}
		}
		for who, until := range k.Mutes {
			h.mutes[muteKeyOf(r, who)] = until
		}
		r.keptSeq = k.Seq
	}
}

// keptByLocked notes that msg, applied to r, changed what the cluster keeps
// of r, or of the rooms it names (a breakout's, a gather's), and has it
// kept if the event is this node's own.
func (h *Hub) keptByLocked(r *Room, msg *Message, mine bool) {
	rooms := []*Room{r}
	switch {
	case msg.Kind == KindJoin && msg.Op && r.byOp && r != h.def && r.keptSeq == 0:
		// An operator's room, come to last.
	case msg.Kind == KindBreakout || msg.Kind == KindGather:
		for _, ri := range msg.Rooms {
			if x := h.rooms[nameKey(ri.Name)]; x != nil {
				rooms = append(rooms, x)
			} else if mine {
				h.keepLocked(&Room{name: ri.Name}, msg.Seq) // gone already: nothing kept
			}
		}
	case !keepsRoom(msg.Kind):
		return
	}
	for _, x := range rooms {
		x.keptSeq = msg.Seq
		if mine {
			h.keepLocked(x, msg.Seq)
		}
	}
}
