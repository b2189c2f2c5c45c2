package room

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults for the rooms' options left at zero.
const (
	DefaultRoom     = "main"
	DefaultMaxRooms = 100
	DefaultRoomIdle = 10 * time.Minute
)

// Creation says who may create a room by joining it.
type Creation uint8

const (
	RoomsOpen Creation = iota // anyone
	RoomsOps                  // operators only; others join the rooms that exist
)

func (c Creation) String() string {
	if c == RoomsOps {
		return "ops"
	}
	return "open"
}

// UnmarshalText reads "open" or "ops".
func (c *Creation) UnmarshalText(b []byte) error {
	switch string(b) {
	case "open", "":
		*c = RoomsOpen
	case "ops":
		*c = RoomsOps
	default:
		return fmt.Errorf("rooms: %q is neither open nor ops", b)
	}
	return nil
}

// MaxRoomNameLen bounds a room's name: a member's name's rules, with room
// for the "-N" of breakout rooms made from a name of MaxNameLen.
const MaxRoomNameLen = MaxNameLen + 4

// maxBreakout bounds /breakout N: more rooms than that is no group work.
const maxBreakout = 50

// Room is one conversation of the hub. Its fields are guarded by the hub's
// lock, but for the counters that a screen reads without it.
type Room struct {
	name       string
	members    []*Member // in the order they came in
	topic      string
	history    History
	byOp       bool  // the default room, or one an operator made: it stays when empty
	parent     *Room // the room a breakout room was made from; nil: none
	emptySince time.Time
	slowquiet  slowQuiet      // slow and quiet modes (slowquiet.go)
	poll       roomPoll       // its open poll, or the last one closed
	hands      handQueue      // hands.go
	questions  *questionQueue // questions.go; nil: none asked yet

	// remote are the members of the other nodes of a cluster in the
	// room, as this node follows them (cluster.go).
	remote    []remote
	topicSeen bool   // a cluster's node read a topic event of it (SeedTopic)
	keptSeq   uint64 // the last event of it that changed what a cluster keeps (KeptRoom)

	count atomic.Int64
	last  atomic.Uint64 // the sequence number of its last public message
}

// size is how many members are in the room, on every node.
func (r *Room) size() int { return len(r.members) + len(r.remote) }

// Name is the room's name, as it was first written.
func (r *Room) Name() string { return r.name }

// Count is how many members are in the room.
func (r *Room) Count() int { return int(r.count.Load()) }

// Last is the sequence number of the room's last public message.
func (r *Room) Last() uint64 { return r.last.Load() }

func (r *Room) infos() []MemberInfo {
	out := make([]MemberInfo, len(r.members), r.size())
	for i, m := range r.members {
		out[i] = m.info()
	}
	for _, x := range r.remote {
		out = append(out, x.info)
	}
	return out
}

// CheckRoomName reads a room's name as a member may write it, with or
// without a leading '#': a member's name's rules, but a little longer.
func CheckRoomName(name string) (string, NameProblem) {
	name = strings.TrimPrefix(name, "#")
	p := CheckName(name)
	if p == NameTooLong && len(name) <= MaxRoomNameLen && CheckName(name[:MaxNameLen]) == NameOK {
		p = NameOK
	}
	return name, p
}

// addRoomLocked makes a room, from what the store kept of a room of that
// name if anything.
func (h *Hub) addRoomLocked(name string, byOp bool, parent *Room) *Room {
	r := &Room{name: name, byOp: byOp, parent: parent, history: NewRing(h.opts.HistorySize), emptySince: h.opts.Now()}
	if kept, ok := h.opts.State.Rooms[nameKey(name)]; ok {
		r.topic = kept.Topic
		for _, m := range kept.History {
			r.history.Append(m)
			r.last.Store(m.Seq)
		}
	}
	h.rooms[nameKey(name)] = r
	h.publishLocked()
	return r
}

// dropRoomLocked forgets an empty room, keeping what a room of that name
// made again would start from, as a store would have kept it.
func (h *Hub) dropRoomLocked(r *Room) {
	delete(h.rooms, nameKey(r.name))
	if h.opts.State.Rooms == nil {
		h.opts.State.Rooms = make(map[string]RoomState)
	}
	if len(h.opts.State.Rooms) >= 10*h.opts.MaxRooms {
		for k := range h.opts.State.Rooms { // bounded: forget one, any
			delete(h.opts.State.Rooms, k)
			break
		}
	}
	h.opts.State.Rooms[nameKey(r.name)] = RoomState{Topic: r.topic, History: r.history.Recent()}
	h.publishLocked()
}

// publishLocked gives readers without the lock the list of rooms: the
// default first, then by name.
func (h *Hub) publishLocked() {
	list := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		list = append(list, r)
	}
	slices.SortFunc(list, func(a, b *Room) int {
		switch {
		case a == h.def:
			return -1
		case b == h.def:
			return 1
		}
		return strings.Compare(nameKey(a.name), nameKey(b.name))
	})
	h.list.Store(&list)
}

// Activity lists the rooms, the default first, with their member counts
// and their last public message's number, without taking the hub's lock:
// a screen showing which rooms have unread messages asks it often.
func (h *Hub) Activity() []RoomInfo {
	list := *h.list.Load()
	out := make([]RoomInfo, len(list))
	for i, r := range list {
		out[i] = RoomInfo{Name: r.name, Members: r.Count(), Last: r.Last()}
	}
	return out
}

// Seq is the last sequence number given, in any room.
func (h *Hub) Seq() uint64 { return h.seq.Load() }

// DefaultRoom is the room members land in.
func (h *Hub) DefaultRoom() *Room { return h.def }

func (h *Hub) roomInfosLocked(here *Room) []RoomInfo {
	h.sweepRoomsLocked()
	list := *h.list.Load()
	out := make([]RoomInfo, len(list))
	for i, r := range list {
		out[i] = RoomInfo{Name: r.name, Members: r.size(), Topic: r.topic, Here: r == here, Last: r.Last()}
	}
	return out
}

// enterableLocked finds the room m asks for by name, making it if m may;
// else it returns the refusal to tell m.
func (h *Hub) enterableLocked(m *Member, name string) (*Room, *Message) {
	name, p := CheckRoomName(name)
	if p != NameOK {
		return nil, &Message{Kind: KindError, Err: ErrRoomName, Problem: p, Text: Clip(name, 64)}
	}
	if r := h.rooms[nameKey(name)]; r != nil {
		return r, nil
	}
	if h.opts.Rooms == RoomsOps && !m.IsOp() {
		return nil, &Message{Kind: KindError, Err: ErrNoSuchRoom, Text: name}
	}
	h.sweepRoomsLocked()
	if len(h.rooms) >= h.opts.MaxRooms {
		h.events = append(h.events, event{"refused: too many rooms", []any{"name", m.Name(), "room", name, "rooms", len(h.rooms)}})
		return nil, &Message{Kind: KindError, Err: ErrTooManyRooms, Text: name}
	}
	r := h.addRoomLocked(name, m.IsOp(), nil)
	h.events = append(h.events, event{"room created", []any{"room", name, "by", m.Name(), "op", m.IsOp()}})
	return r, nil
}

// enterLocked puts m into r, telling r's members with join unless quiet
// (then the join is only recorded).
func (h *Hub) enterLocked(m *Member, r *Room, join Message, quiet bool) {
	if h.clustered() {
		join.Op, join.Addr = m.IsOp(), m.addr // for the other nodes, that list it and may ban it
	}
	if quiet {
		join.Room = r.name
		h.recordLocked(join)
	} else {
		h.broadcastLocked(r, join) // before m is in: a member is not told of its own arrival
	}
	r.members = append(r.members, m)
	r.count.Store(int64(r.size()))
	m.room = r
	m.at.Store(r)
	h.muteOnEntryLocked(m)
}

// leaveRoomLocked takes m out of its room, remembering what it had seen
// there. A room left empty that nobody made to last is due to go.
func (h *Hub) leaveRoomLocked(m *Member) {
	r := m.room
	if r == nil {
		return
	}
	r.members = slices.DeleteFunc(r.members, func(x *Member) bool { return x == m })
	r.count.Store(int64(r.size()))
	r.hands.lower(hand{m: m}) // a hand is raised in a room, to be seen there
	if m.seen == nil || len(m.seen) > 2*h.opts.MaxRooms {
		m.seen = make(map[string]uint64) // bounded: a member hopping through rooms for hours
	}
	m.seen[nameKey(r.name)] = h.seq.Load()
	h.leftLocked(r)
}

// leftLocked notes that a member left r: a room left empty, on every node
// of a cluster, that nobody made to last is due to go.
func (h *Hub) leftLocked(r *Room) {
	if r.size() > 0 {
		return
	}
	r.emptySince = h.opts.Now()
	if !r.byOp {
		if due := r.emptySince.Add(h.opts.RoomIdle); h.nextSweep.IsZero() || due.Before(h.nextSweep) {
			h.nextSweep = due
		}
	}
}

// sweepRoomsLocked lets go of the rooms empty for longer than RoomIdle
// that are neither the default nor an operator's.
func (h *Hub) sweepRoomsLocked() {
	now := h.opts.Now()
	if h.nextSweep.IsZero() || now.Before(h.nextSweep) {
		return
	}
	h.nextSweep = time.Time{}
	for _, r := range h.rooms {
		if r == h.def || r.byOp || r.size() > 0 {
			continue
		}
		due := r.emptySince.Add(h.opts.RoomIdle)
		if !now.Before(due) {
			h.dropRoomLocked(r)
			h.events = append(h.events, event{"room gone", []any{"room", r.name, "idle", h.opts.RoomIdle}})
		} else if h.nextSweep.IsZero() || due.Before(h.nextSweep) {
			h.nextSweep = due
		}
	}
}

// moveLocked takes m from its room into to. The room it leaves is told,
// and the one it enters, unless quiet (a breakout or a gather tells them
// at once); both are recorded. The member itself is told by tellMovedLocked.
func (h *Hub) moveLocked(m *Member, to *Room, quiet bool) {
	from := m.room
	h.leaveRoomLocked(m)
	leave := m.leave(from, ReasonMoved)
	leave.Text = to.name
	if quiet {
		h.recordLocked(leave)
	} else {
		h.broadcastLocked(from, leave)
	}
	h.enterLocked(m, to, Message{Kind: KindJoin, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key, Text: from.name}, quiet)
	h.events = append(h.events, event{"moved", []any{"name", m.Name(), "from", from.name, "to", to.name}})
}

// tellMovedLocked tells m the room it is in now: who else is there, the
// topic, and what was said there that it has not seen.
func (h *Hub) tellMovedLocked(m *Member, by *Member) {
	r := m.room
	msg := Message{Kind: KindMove, Room: r.name, Text: r.topic}
	if by != nil {
		msg.From = by.Name()
	}
	for _, x := range r.members {
		if x != m && len(msg.Members) < MoveListed {
			msg.Members = append(msg.Members, x.info())
		}
	}
	msg.Others = r.size() - 1 // how many others, listed or not, on every node
	seen := m.seen[nameKey(r.name)]
	for _, past := range r.history.Recent() {
		if past.Seq > seen {
			msg.History = append(msg.History, past)
		}
	}
	h.replyLocked(m, msg)
	h.tellModesLocked(m)
}

// joinRoomLocked is /join NAME.
func (h *Hub) joinRoomLocked(m *Member, name string) {
	r, refusal := h.enterableLocked(m, name)
	switch {
	case refusal != nil:
		h.replyLocked(m, *refusal)
	case r == m.room:
		h.replyLocked(m, Message{Kind: KindError, Err: ErrAlreadyInRoom, Text: r.name})
	default:
		h.moveLocked(m, r, false)
		h.tellMovedLocked(m, nil)
	}
}

// partLocked is /part: back to the default room.
func (h *Hub) partLocked(m *Member) {
	if m.room == h.def {
		h.replyLocked(m, Message{Kind: KindError, Err: ErrAlreadyInRoom, Text: h.def.name})
		return
	}
	h.moveLocked(m, h.def, false)
	h.tellMovedLocked(m, nil)
}

// breakoutLocked is /breakout N: the members of op's room but operators
// are dealt, in the order they came, into N rooms ROOM-1 … ROOM-N made for
// it, each told where it is and with whom.
func (h *Hub) breakoutLocked(op *Member, arg string) {
	origin := op.room
	var spread []*Member
	for _, m := range origin.members {
		if !m.IsOp() {
			spread = append(spread, m)
		}
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > maxBreakout || n > len(spread) {
		h.replyLocked(op, Message{Kind: KindError, Err: ErrBreakoutCount, Text: arg, Others: len(spread)})
		return
	}
	names := make([]string, n)
	fresh := 0
	for i := range names {
		name, p := CheckRoomName(origin.name + "-" + strconv.Itoa(i+1))
		if p != NameOK {
			h.replyLocked(op, Message{Kind: KindError, Err: ErrRoomName, Problem: p, Text: name})
			return
		}
		switch r := h.rooms[nameKey(name)]; {
		case r == nil:
			fresh++
		case len(r.members) > 0:
			h.replyLocked(op, Message{Kind: KindError, Err: ErrRoomBusy, Text: r.name})
			return
		}
		names[i] = name
	}
	h.sweepRoomsLocked()
	if len(h.rooms)+fresh > h.opts.MaxRooms {
		h.replyLocked(op, Message{Kind: KindError, Err: ErrTooManyRooms, Text: names[n-1]})
		return
	}
	origin.byOp = true // it lasts while its members are out: /gather brings them back to it
	rooms := make([]*Room, n)
	for i, name := range names {
		r := h.rooms[nameKey(name)]
		if r == nil {
			r = h.addRoomLocked(name, true, origin)
		}
		r.byOp, r.parent = true, origin
		rooms[i] = r
	}
	for i, m := range spread {
		h.moveLocked(m, rooms[i%n], true)
	}
	for _, m := range spread {
		h.tellMovedLocked(m, op)
	}
	infos := make([]RoomInfo, n)
	for i, r := range rooms {
		infos[i] = RoomInfo{Name: r.name, Members: len(r.members)}
	}
	h.broadcastLocked(origin, Message{Kind: KindBreakout, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, Others: len(spread), Rooms: infos})
	h.events = append(h.events, event{"operator action", []any{"op", op.Name(), "op_key", op.key, "command", "breakout", "room", origin.name, "rooms", n, "members", len(spread)}})
}

// gatherLocked is /gather: everyone in the breakout rooms of op's room (or
// of the room op's breakout room was made from) comes back to it, and the
// breakout rooms go.
func (h *Hub) gatherLocked(op *Member) {
	origin := op.room
	rooms := h.breakoutsLocked(origin)
	if len(rooms) == 0 && origin.parent != nil {
		origin = origin.parent
		rooms = h.breakoutsLocked(origin)
	}
	if len(rooms) == 0 {
		h.replyLocked(op, Message{Kind: KindError, Err: ErrNoBreakout, Text: origin.name})
		return
	}
	var moved []*Member
	infos := make([]RoomInfo, len(rooms))
	for i, r := range rooms {
		infos[i] = RoomInfo{Name: r.name, Members: len(r.members)}
		for _, m := range slices.Clone(r.members) {
			h.moveLocked(m, origin, true)
			moved = append(moved, m)
		}
		h.dropRoomLocked(r)
	}
	for _, m := range moved {
		by := op
		if m == op {
			by = nil // an operator gathering from a breakout room came back of itself
		}
		h.tellMovedLocked(m, by)
	}
	h.broadcastLocked(origin, Message{Kind: KindGather, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, Others: len(moved), Rooms: infos})
	h.events = append(h.events, event{"operator action", []any{"op", op.Name(), "op_key", op.key, "command", "gather", "room", origin.name, "rooms", len(rooms), "members", len(moved)}})
}

// breakoutsLocked lists the breakout rooms made from origin, by name.
func (h *Hub) breakoutsLocked(origin *Room) []*Room {
	var out []*Room
	for _, r := range *h.list.Load() {
		if r.parent == origin {
			out = append(out, r)
		}
	}
	return out
}

// muteKey names a mute: of a key in a room, or of one keyless member in a
// room (for its session only).
func muteKey(r *Room, m *Member) string {
	if m.key == "" {
		return muteKeyOf(r, "#"+strconv.FormatUint(m.id, 10))
	}
	return muteKeyOf(r, m.key)
}

func muteKeyOf(r *Room, who string) string { return nameKey(r.name) + "\x00" + who }

// muteOnEntryLocked sets whether m, entering its room, is muted there.
func (h *Hub) muteOnEntryLocked(m *Member) {
	m.muted, m.mutedUntil = false, time.Time{}
	k := muteKey(m.room, m)
	until, ok := h.mutes[k]
	switch {
	case !ok:
	case until.IsZero() || h.opts.Now().Before(until):
		m.muted, m.mutedUntil = true, until
	default:
		delete(h.mutes, k)
	}
}

// forgetMutesLocked forgets the mutes of a keyless member leaving: they
// held its session only.
func (h *Hub) forgetMutesLocked(m *Member) {
	if m.key != "" || len(h.mutes) == 0 {
		return
	}
	suffix := "\x00#" + strconv.FormatUint(m.id, 10)
	for k := range h.mutes {
		if strings.HasSuffix(k, suffix) {
			delete(h.mutes, k)
		}
	}
}
