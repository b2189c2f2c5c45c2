package room

import (
	"errors"
	"slices"
	"time"
)

// Cluster is what a hub needs when it is one node of several sharing the
// same rooms. The hub decides, under its lock, what happened (a message, a
// join, a ban's leave); the cluster gives those events one order for every
// node and brings them back to each, the hub's own included, through
// Apply: a node shows its members only what came back, so that no member
// ever reads a message the others will not read, and all read them in one
// order, numbered by it.
//
// The room package holds no network code: the cluster is given to it.
type Cluster interface {
	// Publish hands msgs, in order, to the shared order and returns once
	// it accepted every one of them, or an error when it could not (the
	// node is cut off from the others). It is called without the hub's
	// lock, in the goroutine that caused the events.
	Publish(msgs []Message) error
	// Claim reserves name (as nameKey folds it) for one of this node's
	// members, cluster-wide, with the member's token (JoinRequest.Token;
	// "": none): ErrNameHeld when another member holds it. Take claims it
	// from the member holding it, on any node, if proof is that member's
	// token: the same member come back (ErrNameHeld otherwise). Release
	// gives names back, if this node holds them.
	Claim(name, token string) error
	Take(name, proof, token string) error
	Release(names ...string)
	// KeepRoom keeps what a node started after the stream let the events
	// go needs of a room (Hub.SeedRooms). It is called under the hub's
	// lock, by the node whose event changed it: it must not wait.
	KeepRoom(KeptRoom)
}

// ErrNameHeld is Cluster.Claim's answer for a name that another member, on
// any node, holds.
var ErrNameHeld = errors.New("room: the name is held on another node")

// ErrUnavailable is returned by Join while the node is cut off from the
// others of its cluster: it cannot tell them of a newcomer.
var ErrUnavailable = errors.New("room: the room is unavailable from this server")

// remote is a member of another node, as this node knows it from the
// joins, names and leaves the cluster brought.
type remote struct {
	node string
	id   uint64
	seq  uint64 // of its join
	addr string
	info MemberInfo
}

// remoteRef names a member of another node: its node, and its ID there.
type remoteRef struct {
	node string
	id   uint64
}

// remoteID marks the SenderID of another node's member as this node shows
// its messages: this node's own IDs never reach it.
const remoteID = 1 << 63

// clustered reports whether the hub is one node of a cluster.
func (h *Hub) clustered() bool { return h.opts.Cluster != nil }

// emitLocked hands msg to the cluster once the lock is released (unlock):
// it is shown, recorded and numbered when the cluster brings it back.
func (h *Hub) emitLocked(msg Message) {
	msg.Node = h.opts.Node
	msg.At = h.opts.Now()
	h.outgoing = append(h.outgoing, msg)
}

// recordLocked keeps msg in the transcript without showing it to anyone: a
// quiet join of a breakout, the leave after a kick. A cluster still brings
// it to every node, whose member lists follow it.
func (h *Hub) recordLocked(msg Message) {
	if h.clustered() {
		msg.Quiet = true
		h.emitLocked(msg)
		return
	}
	h.store.Record(h.stampLocked(msg))
}

// Apply carries out an event the cluster brought back, in the cluster's
// order: it records it, keeps it in its room's history and shows it to
// this node's members. An event at or before the last one applied is
// ignored (a catch-up after a restart, a redelivery): no member reads a
// message twice. It reports what Post reports alone: whether an outbox it
// reached is over half full; the cluster should then give the readers a
// moment (Yield) before the next, as a door does a poster.
func (h *Hub) Apply(msg Message) (congested bool) {
	h.mu.Lock()
	defer h.unlock()
	h.congested = false
	defer func() { congested = h.congested }()
	if msg.Seq <= h.seq.Load() {
		return
	}
	h.seq.Store(msg.Seq)
	mine := msg.Node == h.opts.Node
	h.bansLocked(&msg, mine)
	known := true // a leave of a member this node knew: a second one is neither shown nor kept
	if !mine {
		known = h.rosterLocked(&msg)
	} else if msg.Kind == KindLeave && msg.Reason == ReasonReplaced {
		// Another node took the name of this node's member, come back there
		// (its page lost its socket, unnoticed here): the room reads it
		// leave, and it goes from here without another word.
		m := h.memberLocked(msg.SenderID)
		if known = m != nil; known {
			h.members = slices.DeleteFunc(h.members, func(x *Member) bool { return x == m })
			h.detachLocked(m, ReasonReplaced)
		}
	} else if msg.Kind == KindLeave && msg.Reason == ReasonLost {
		// The others took one of this node's members for gone (this node
		// was cut off from them for a while): it is still here, and says
		// so. (Its own leaves, a move's among them, are of members gone
		// from here, or for another reason.)
		if m := h.memberLocked(msg.SenderID); m != nil && m.room != nil {
			h.emitLocked(joinOf(m))
		}
	}
	var r *Room // the room it happened in
	switch msg.Kind {
	case KindPrivate, KindStart, KindStop, KindCrash, KindShutdown:
	default:
		if r = h.rooms[nameKey(msg.Room)]; r == nil && !msg.Quiet && msg.Kind != KindLeave {
			r = h.addRoomLocked(msg.Room, false, nil)
		}
	}
	shown := known && (r == nil || h.effectLocked(r, &msg))
	if r != nil && shown {
		h.keptByLocked(r, &msg, mine)
	}
	if msg.Seq > h.recorded && msg.Kind != KindBallot && shown {
		h.store.Record(msg)
	}
	if msg.Quiet || !shown {
		return
	}
	if !mine && msg.SenderID != 0 {
		// IDs are each node's own: marked, another node's member's never
		// passes for one of this node's in a door's "is it mine?".
		msg.SenderID |= remoteID
	}
	switch msg.Kind {
	case KindPrivate:
		h.applyPrivateLocked(&msg, mine)
		return
	case KindStart, KindStop, KindCrash, KindShutdown:
		return
	}
	if r == nil {
		return // a leave of a room gone here: nobody to tell
	}
	switch msg.Kind {
	case KindChat, KindAction, KindBlock:
		r.history.Append(msg)
		r.last.Store(msg.Seq)
		h.stats.posted.Add(1)
	case KindTopic:
		r.topic, r.topicSeen = msg.Text, true
	}
	var skip uint64 // a member of this node not to show it to (IDs start at 1)
	if mine {
		switch msg.Kind {
		case KindChat, KindAction, KindBlock:
			skip = msg.SenderID // unless it asked for an echo: fanOutLocked
		case KindJoin:
			skip = msg.SenderID // a member is not told of its own arrival
		}
	}
	if msg.Kind == KindQuestion && msg.To == AnonymousQuestion {
		h.anonymousQuestionLocked(r, msg)
		return
	}
	if msg.Kind == KindJoin && mine {
		to := slices.DeleteFunc(slices.Clone(r.members), func(m *Member) bool { return m.id == skip })
		h.fanOutLocked(&msg, to, 0)
		return
	}
	h.fanOutLocked(&msg, r.members, skip)
	if !mine {
		h.moderatedLocked(&msg)
	}
	return
}

// moderatedLocked carries out, on this node's member it names, an
// operator's /kick or /ban typed on another node: the member has read it
// with the room, and goes. (A mute is every node's: mutedByLocked.)
func (h *Hub) moderatedLocked(msg *Message) {
	t := h.byName[nameKey(msg.To)]
	if t == nil {
		return
	}
	switch msg.Kind {
	case KindKick:
		h.detachQuietLocked(t, ReasonKicked)
	case KindBan:
		h.detachQuietLocked(t, ReasonBanned)
	}
}

// bansLocked takes a ban or an unban of another node as it comes, in the
// cluster's order: by the time the room reads of a ban, every node refuses
// its target (the bans bucket keeps them for the nodes that start later).
func (h *Hub) bansLocked(msg *Message, mine bool) {
	switch {
	case msg.Kind == KindBan && len(msg.Bans) == 1:
		if !mine {
			h.bans[msg.Bans[0].Target] = msg.Bans[0]
		}
		msg.Bans = nil // what it holds is the operators' business (KindBanScope)
	case msg.Kind == KindUnban && !mine:
		delete(h.bans, msg.Text)
	}
}

// remoteCountLocked is how many members the other nodes have.
func (h *Hub) remoteCountLocked() int {
	if !h.clustered() {
		return 0
	}
	n := 0
	for _, r := range h.rooms {
		n += len(r.remote)
	}
	return n
}

// remoteLocked is the member of another node named name, or nil.
func (h *Hub) remoteLocked(name string) *remote {
	ref, ok := h.remoteNames[nameKey(name)]
	if !ok {
		return nil
	}
	x, _ := h.remoteOfLocked(ref)
	return x
}

// remoteOfLocked is the member of another node ref names, and its room;
// nil if this node knows no such member. Only its room's list is
// searched: a node that died with thousands of members has their leaves
// applied in time proportional to their number.
func (h *Hub) remoteOfLocked(ref remoteRef) (*remote, *Room) {
	r := h.remoteAt[ref]
	if r == nil {
		return nil, nil
	}
	for i := range r.remote {
		if r.remote[i].node == ref.node && r.remote[i].id == ref.id {
			return &r.remote[i], r
		}
	}
	return nil, nil
}

// moderateRemoteLocked is /kick or /ban of a member of another node: the
// room reads it as any, and that member's node sends it away when the
// cluster brings it there (Apply); a ban also goes to the cluster's bans.
// Other commands on another node's member are refused as for a stranger.
func (h *Hub) moderateRemoteLocked(op *Member, in Input, x *remote) bool {
	msg := Message{From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, To: x.info.Name, Text: in.Text}
	here := x.info.Room == op.room.name // /kick and /mute act in the operator's room
	switch {
	case in.Cmd == CmdKick && here:
		msg.Kind = KindKick
		h.broadcastLocked(op.room, msg)
	case (in.Cmd == CmdMute || in.Cmd == CmdUnmute) && here:
		msg.Kind, msg.Text = KindUnmute, ""
		if in.Cmd == CmdMute {
			msg.Kind = KindMute
			if in.Dur > 0 {
				msg.Until = h.opts.Now().Add(in.Dur)
			}
		}
		h.broadcastLocked(op.room, msg)
	case in.Cmd == CmdBan:
		b := h.banOn(x.info.Key, x.addr, x.info.Name, op, in, h.opts.Now())
		h.bans[b.Target] = b
		h.store.SaveBan(b)
		msg.Kind, msg.Until, msg.Bans = KindBan, b.Until, []Ban{b}
		h.broadcastLocked(h.rooms[nameKey(x.info.Room)], msg)
		msg.Bans = nil
		if op.room.name != x.info.Room {
			h.replyLocked(op, msg)
		}
		h.replyLocked(op, Message{Kind: KindBanScope, Bans: []Ban{h.shownLocked(b)}})
	default:
		return false
	}
	h.events = append(h.events, event{"operator action", []any{"op", op.Name(), "op_key", op.key,
		"command", in.Cmd.String(), "target", x.info.Name, "target_addr", x.addr, "duration", in.Dur, "text", Clip(in.Text, 128)}})
	return true
}

// applyPrivateLocked shows a private message to its target and its sender,
// whichever of them are members of this node.
func (h *Hub) applyPrivateLocked(msg *Message, mine bool) {
	h.stats.posted.Add(1)
	if t := h.byName[nameKey(msg.To)]; t != nil {
		if !t.push(msg, h.outboxNow()) {
			h.stats.evictions.Add(1)
			h.removeLocked(t, ReasonTooSlow)
		} else {
			h.stats.deliveries.Add(1)
		}
	}
	if !mine {
		return
	}
	if m := h.memberLocked(msg.SenderID); m != nil {
		h.sendLocked(msg, []*Member{m})
	}
}

// memberLocked is this node's member with that ID, or nil.
func (h *Hub) memberLocked(id uint64) *Member {
	if i := slices.IndexFunc(h.members, func(m *Member) bool { return m.id == id }); i >= 0 {
		return h.members[i]
	}
	return nil
}

// rosterLocked follows another node's members: who joined which room,
// changed name, became an operator or left. It reports false for the leave
// of a member it no longer knew (left already: the others announced its
// node gone, or its name was taken back while it left).
func (h *Hub) rosterLocked(msg *Message) bool {
	switch msg.Kind {
	case KindJoin:
		r := h.rooms[nameKey(msg.Room)]
		if r == nil {
			// A room an operator entered first was an operator's to make:
			// it lasts, empty, on every node, as on the operator's.
			r = h.addRoomLocked(msg.Room, msg.Op, nil)
		}
		h.dropRemoteLocked(msg.Node, msg.SenderID)
		r.remote = append(r.remote, remote{node: msg.Node, id: msg.SenderID, seq: msg.Seq, addr: msg.Addr,
			info: MemberInfo{Name: msg.From, Door: msg.Door, Joined: msg.At, Key: msg.Key, Room: r.name, Op: msg.Op}})
		ref := remoteRef{msg.Node, msg.SenderID}
		h.remoteNames[nameKey(msg.From)] = ref
		h.remoteAt[ref] = r
		r.count.Store(int64(r.size()))
		if msg.Owns {
			h.claimLocked(msg.Key, msg.From) // the name is that key's on every node
		}
	case KindLeave:
		return h.dropRemoteLocked(msg.Node, msg.SenderID)
	case KindRelease:
		h.releaseNameLocked(msg.Text)
	case KindBreakout:
		// The breakout rooms last until /gather, on every node.
		origin := h.rooms[nameKey(msg.Room)]
		for _, ri := range msg.Rooms {
			r := h.rooms[nameKey(ri.Name)]
			if r == nil {
				r = h.addRoomLocked(ri.Name, true, origin)
			}
			r.byOp, r.parent = true, origin
		}
		if origin != nil {
			origin.byOp = true
		}
	case KindGather:
		// They go once their members are back.
		for _, ri := range msg.Rooms {
			if r := h.rooms[nameKey(ri.Name)]; r != nil && r != h.def && len(r.members) == 0 && len(r.remote) == 0 {
				h.dropRoomLocked(r)
			}
		}
	case KindNick, KindOp:
		if msg.Kind == KindNick && msg.Owns {
			h.claimLocked(msg.Key, msg.To)
		}
		ref := remoteRef{msg.Node, msg.SenderID}
		switch x, _ := h.remoteOfLocked(ref); {
		case x == nil:
		case msg.Kind == KindOp:
			x.info.Op = true
		default:
			h.forgetRemoteNameLocked(x.info.Name, ref)
			x.info.Name = msg.To
			h.remoteNames[nameKey(msg.To)] = ref
		}
	}
	return true
}

// forgetRemoteNameLocked frees name, unless another member of another
// node holds it now: the same member come back on a third node, whose
// join came before its earlier session's leave.
func (h *Hub) forgetRemoteNameLocked(name string, ref remoteRef) {
	if k := nameKey(name); h.remoteNames[k] == ref {
		delete(h.remoteNames, k)
	}
}

// dropRemoteLocked forgets a member of another node, in whichever room,
// and reports whether it knew it.
func (h *Hub) dropRemoteLocked(node string, id uint64) bool {
	ref := remoteRef{node, id}
	x, r := h.remoteOfLocked(ref)
	if x == nil {
		return false
	}
	h.forgetRemoteNameLocked(x.info.Name, ref)
	delete(h.remoteAt, ref)
	r.hands.lower(handOf(x))
	r.remote = slices.DeleteFunc(r.remote, func(y remote) bool { return y.node == node && y.id == id })
	r.count.Store(int64(r.size()))
	h.leftLocked(r)
	return true
}

// Gone is what to tell the cluster when a node has disappeared without its
// members' leaves: a leave, for ReasonLost, of each member this node knew
// it had, with the sequence number of that member's join as its Seq: the
// same on every node, for the cluster to keep one of several nodes'
// announcements of the same leave.
func (h *Hub) Gone(node string) []Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Message
	for _, r := range *h.list.Load() {
		for _, x := range r.remote {
			if x.node == node {
				out = append(out, x.leave(ReasonLost, h.opts.Now()))
			}
		}
	}
	return out
}

// leave is the leave of another node's member that this node announces
// for it: the member's node and ID, and the sequence number of its join
// as Seq, the same on every node, for the cluster to keep one of several
// nodes' announcements of it.
func (x *remote) leave(r Reason, now time.Time) Message {
	return Message{Kind: KindLeave, Node: x.node, SenderID: x.id, From: x.info.Name,
		Door: x.info.Door, Key: x.info.Key, Room: x.info.Room, Reason: r, At: now, Seq: x.seq}
}

// ghostLocked is the member of another node that holds the name req asks
// for and that req may be, come back: req names an earlier session's
// token (Cluster.Take checks it).
func (h *Hub) ghostLocked(req JoinRequest) (remote, bool) {
	if req.Resume == "" || req.Generated {
		return remote{}, false
	}
	x := h.remoteLocked(req.Name)
	if x == nil {
		return remote{}, false
	}
	return *x, true
}

// ghostGoneLocked announces that x, whose name a member come back on this
// node took (Cluster.Take), has left: its node, reading it, lets it go.
// Its name is free here at once; it leaves the member lists, here too,
// when the cluster brings its leave back.
func (h *Hub) ghostGoneLocked(x remote) {
	h.forgetRemoteNameLocked(x.info.Name, remoteRef{x.node, x.id})
	h.outgoing = append(h.outgoing, x.leave(ReasonReplaced, h.opts.Now())) // as x's node's, not emitLocked's
}

// Nodes lists the other nodes this node knows members of.
func (h *Hub) Nodes() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.rooms {
		for _, x := range r.remote {
			if !slices.Contains(out, x.node) {
				out = append(out, x.node)
			}
		}
	}
	return out
}

// Unavailable says whether this node is cut off from its cluster; while it
// is, posts are refused and its members told so (SetAvailable).
func (h *Hub) Unavailable() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cutOff
}

// SetAvailable tells the hub whether its cluster can take its events: when
// it changes, every member of this node is told, and while it cannot,
// posts are refused rather than shown to this node alone.
func (h *Hub) SetAvailable(ok bool) {
	h.mu.Lock()
	defer h.unlock()
	if h.cutOff == !ok || h.closed {
		return
	}
	h.cutOff = !ok
	msg := Message{Kind: KindError, Err: ErrRoomUnavailable}
	if ok {
		msg.Err = ErrRoomAvailable
	}
	h.events = append(h.events, event{"cluster", []any{"available", ok}})
	for _, m := range h.members {
		h.replyLocked(m, msg)
	}
}

// joinOf is m's join of the room it is in, as a cluster's other nodes
// follow it.
func joinOf(m *Member) Message {
	return Message{Kind: KindJoin, SenderID: m.id, From: m.Name(), Door: m.door, Key: m.key, Room: m.room.name, Op: m.IsOp()}
}

// ApplyBan takes a ban made on another node: newcomers it holds are
// refused here from now on, and a member of this node it holds leaves.
func (h *Hub) ApplyBan(b Ban) {
	h.mu.Lock()
	defer h.unlock()
	h.bans[b.Target] = b
	if !b.Active(h.opts.Now()) {
		return
	}
	// Only the target goes, as on the node that banned it: a key's
	// holder, or the keyless members of the network banned.
	for _, m := range slices.Clone(h.members) {
		if m.key != "" && m.key == b.Target || m.key == "" && b.OnAddress() && h.netOf(m.addr) == b.Net {
			h.detachQuietLocked(m, ReasonBanned)
		}
	}
}

// SeedTopic gives a room the topic a cluster kept for it, unless the
// stream's replay set it since (topics older than the stream are kept
// apart, in a bucket): a room not here yet starts with it when it comes.
func (h *Hub) SeedTopic(room, topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[nameKey(room)]; r != nil {
		if !r.topicSeen {
			r.topic = topic
		}
		return
	}
	if h.opts.State.Rooms == nil {
		h.opts.State.Rooms = make(map[string]RoomState)
	}
	if len(h.opts.State.Rooms) < 10*h.opts.MaxRooms {
		h.opts.State.Rooms[nameKey(room)] = RoomState{Topic: topic}
	}
}

// SeedOwners gives the hub the names a cluster kept as keys' (a bucket
// beside the stream): those the stream's replay did not bind to another
// key are the keys' here too, as a store's would be at a start.
func (h *Hub) SeedOwners(names []NameOwner) {
	h.mu.Lock()
	defer h.unlock()
	var fresh []NameOwner
	for _, n := range names {
		if h.owners[nameKey(n.Name)] == "" && h.keys[n.Key] == nil {
			fresh = append(fresh, n)
		}
	}
	h.loadOwnersLocked(fresh)
}

// ApplyUnban lifts a ban lifted on another node.
func (h *Hub) ApplyUnban(target string) {
	h.mu.Lock()
	defer h.unlock()
	delete(h.bans, target)
}

// publishOutgoing hands the events decided under the lock to the cluster.
func (h *Hub) publishOutgoing(out []Message) error {
	if len(out) == 0 {
		return nil
	}
	err := h.opts.Cluster.Publish(out)
	if err != nil {
		h.log.Warn("cluster: events not accepted", "events", len(out), "err", err)
	}
	return err
}

// recordForLocked records msg and tells it to m alone: a lifted ban, a
// released name, an upvote. A cluster records it on every node and m reads
// it at once. An upvote's reader is shown the question as it now stands.
func (h *Hub) recordForLocked(m *Member, msg Message, question ...QuestionInfo) {
	if h.clustered() {
		h.recordLocked(msg)
		msg.Questions = question
		h.replyLocked(m, msg)
		return
	}
	msg = h.stampLocked(msg)
	h.store.Record(msg)
	msg.Questions = question
	h.sendLocked(&msg, []*Member{m})
}

// tellLeaverLocked shows a kick or a ban to its target before it goes: in
// a cluster the room reads it when it comes back, when the target is gone.
func (h *Hub) tellLeaverLocked(target *Member, msg Message) {
	if h.clustered() {
		h.replyLocked(target, msg)
	}
}

// remoteNameLocked is the name of another node's member as it wrote it.
func (h *Hub) remoteNameLocked(name string) string {
	if x := h.remoteLocked(name); x != nil {
		return x.info.Name
	}
	return name
}
