// Package room is the chat room every door leads into: membership, names,
// commands, history and the relay. It knows nothing of TCP, SSH or screens:
// a door turns a connection into a Member, posts what it reads and writes
// what the member's outbox holds.
package room

import (
	"errors"
	"iter"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// ErrClosed is returned by Join once the hub has shut down.
var ErrClosed = errors.New("room: the server is shutting down")

// ErrFull is returned by Join when the room holds MaxMembers already.
var ErrFull = errors.New("room: the room is full")

// BannedError is returned by Join for a key or address under a ban.
type BannedError struct {
	Ban Ban
	At  time.Time // when it was refused, on the hub's clock: "until 10:42 (in 10 min)"
}

func (e *BannedError) Error() string { return "room: banned" }

// Defaults for Options left at zero.
const (
	DefaultHistory         = 50
	DefaultOutboxAge       = 10 * time.Second
	DefaultOutboxBytes     = 64 << 10
	DefaultMaxMessageBytes = 1024
	DefaultMaxMembers      = 1000
)

// Options configure a Hub. The zero value is usable.
type Options struct {
	// Room is the default room's name: where a member lands unless it asks
	// for another. "": DefaultRoom.
	Room    string
	History History // the default room's; nil: an in-memory ring of HistorySize messages
	// HistorySize is how many recent public messages each room keeps for
	// its newcomers; 0: DefaultHistory; below 0: none.
	HistorySize int
	// Rooms says who may create a room; MaxRooms bounds how many exist at
	// once (0: DefaultMaxRooms); an empty room that is neither the default
	// nor an operator's goes after RoomIdle (0: DefaultRoomIdle).
	Rooms    Creation
	MaxRooms int
	RoomIdle time.Duration
	// A member is too slow, and removed, when the oldest message waiting for
	// it has waited longer than OutboxAge, or when OutboxBytes of messages
	// wait for it: both measure the member's own reading, never how many
	// others joined or spoke (join and leave notices gather instead of
	// counting). 0: DefaultOutboxAge, DefaultOutboxBytes.
	OutboxAge   time.Duration
	OutboxBytes int
	// OutboxNow is the clock outbox ages are read on. nil: time.Now, even
	// when Now is a test's: members read in real time, whatever the clock
	// of timestamps and mutes says.
	OutboxNow func() time.Time
	Now       func() time.Time // nil: time.Now
	Logger    *slog.Logger     // nil: slog.Default()

	// MaxMessageBytes splits longer text into consecutive messages, at
	// character boundaries; 0: DefaultMaxMessageBytes.
	MaxMessageBytes int
	// MaxBlockBytes bounds a block (PostBlock), which is never split;
	// 0: DefaultMaxBlockBytes.
	MaxBlockBytes int
	// MaxMembers refuses joins past it, on every door together; 0: DefaultMaxMembers.
	MaxMembers int
	// Flood control: past MsgBurst messages, a member may post MsgRate
	// messages a second; its door delays its input (Member.Pace). 0: off.
	MsgRate  float64
	MsgBurst int
	// Sleep waits d, or until cancel is closed, and reports whether the
	// whole of d passed. nil: a real timer. Tests inject it with Now, so
	// that flood control needs no real waiting.
	Sleep func(d time.Duration, cancel <-chan struct{}) bool

	// Store keeps the transcript, bans, topic and name owners; nil: none.
	// State is what it had kept, to start from: the sequence goes on from
	// State.Seq, and State.History is added to History.
	Store Store
	State State
	// Operators: members who authenticated with one of these key
	// fingerprints, and members who give OpPassword to /op ("": no /op).
	OpKeys     []string
	OpPassword string

	// IPv6Prefix is the length of the IPv6 network one subscriber holds:
	// a ban holds an address's whole network. 0: DefaultIPv6Prefix.
	IPv6Prefix int
	// Exempt networks are shared by many (a class behind one NAT): a ban
	// on a key there holds the key alone, not the network's keyless
	// newcomers. nil: none.
	Exempt []netip.Prefix

	// AnonymousQuestions: in every room, until an operator's /anonymous
	// says otherwise there, members who are not operators see questions
	// without their authors.
	AnonymousQuestions bool

	// Cluster, when set, makes the hub one node of several sharing the
	// rooms (cluster.go); Node names this node in it, uniquely. nil: a
	// server alone, numbering its events itself.
	Cluster Cluster
	Node    string
}

// Hub is the room. One mutex guards membership, names, the sequence and the
// history; the fan-out happens under it too, so every member receives the
// same order. Nothing under the lock waits: outboxes are non-blocking and
// log lines are written after unlocking.
type Hub struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	members []*Member          // every member of every room, in join order
	byName  map[string]*Member // by nameKey: names are unique server-wide
	nextID  uint64
	seq     atomic.Uint64 // the last sequence number given: written under mu, read anywhere (Seq)
	closed  bool
	events  []event // log lines to write once the lock is released
	// notes are the members whose door asked to hear of a first message
	// or of their removal (JoinRequest.Notify): told once the lock is
	// released, so that a door may write to its socket then, in the
	// poster's goroutine, without holding up the hub.
	notes []*Member

	def       *Room                   // the default room: never goes
	rooms     map[string]*Room        // by nameKey
	list      atomic.Pointer[[]*Room] // the rooms, for readers that take no lock (Activity)
	nextSweep time.Time               // when the first idle empty room is due to go; zero: none

	congested bool // set by a push into an outbox over half full, during one Post

	// A cluster's node: the events to publish once the lock is released,
	// the names to give back, its other nodes' members by the names they
	// hold (nameKey) and the room each is in, and whether it is cut off
	// from them (cluster.go).
	outgoing    []Message
	releases    []string
	remoteNames map[string]remoteRef
	remoteAt    map[remoteRef]*Room
	cutOff      bool
	recorded    uint64 // the last sequence number its store had recorded when it started

	store  Store
	bans   map[string]Ban        // by target: key fingerprint or network
	owners map[string]string     // nameKey → the key that owns it (or keeps it in grace)
	keys   map[string]*ownership // key fingerprint → the names it owns (owners.go)
	opKeys map[string]bool
	mutes  map[string]time.Time // muteKey(room, member) → end of its mute (zero: none)

	stats counters // for Stats, without the lock
}

// event is a log line decided under the lock and written after it.
type event struct {
	msg   string
	attrs []any
}

// NewHub returns an open room.
func NewHub(opts Options) *Hub {
	switch {
	case opts.HistorySize == 0:
		opts.HistorySize = DefaultHistory
	case opts.HistorySize < 0:
		opts.HistorySize = 0 // none: newcomers are shown nothing, in any room
	}
	if opts.History == nil {
		opts.History = NewRing(opts.HistorySize)
	}
	if opts.Room == "" {
		opts.Room = DefaultRoom
	}
	if opts.MaxRooms <= 0 {
		opts.MaxRooms = DefaultMaxRooms
	}
	if opts.RoomIdle <= 0 {
		opts.RoomIdle = DefaultRoomIdle
	}
	if opts.OutboxNow == nil {
		opts.OutboxNow = time.Now
	}
	if opts.OutboxAge <= 0 {
		opts.OutboxAge = DefaultOutboxAge
	}
	if opts.OutboxBytes <= 0 {
		opts.OutboxBytes = DefaultOutboxBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.MaxBlockBytes <= 0 {
		opts.MaxBlockBytes = DefaultMaxBlockBytes
	}
	if opts.MaxMembers <= 0 {
		opts.MaxMembers = DefaultMaxMembers
	}
	if opts.MsgBurst <= 0 {
		opts.MsgBurst = 1
	}
	if opts.Sleep == nil {
		opts.Sleep = Sleep
	}
	if opts.Store == nil {
		opts.Store = noStore{}
	}
	h := &Hub{
		opts:   opts,
		log:    opts.Logger,
		store:  opts.Store,
		byName: make(map[string]*Member),
		rooms:  make(map[string]*Room),
		bans:   make(map[string]Ban),
		owners: make(map[string]string),
		keys:   make(map[string]*ownership),
		opKeys: make(map[string]bool),
		mutes:  make(map[string]time.Time),

		remoteNames: make(map[string]remoteRef),
		remoteAt:    make(map[remoteRef]*Room),
	}
	if opts.Cluster != nil {
		// A cluster's node rebuilds its rooms' histories, topics and
		// members from the shared order (Apply), from its start; its store
		// records only what it had not recorded yet.
		h.recorded = opts.State.Seq
		h.opts.State.Seq, h.opts.State.History, h.opts.State.Topic, h.opts.State.Rooms = 0, nil, "", nil
		opts = h.opts
	}
	h.seq.Store(opts.State.Seq)
	h.def = h.addRoomLocked(opts.Room, true, nil)
	h.def.history = opts.History
	h.def.topic = opts.State.Topic
	for _, m := range opts.State.History {
		h.def.history.Append(m)
		h.def.last.Store(m.Seq)
	}
	for _, b := range opts.State.Bans {
		h.loadBan(b)
	}
	h.loadOwnersLocked(opts.State.Names)
	for _, k := range opts.OpKeys {
		h.opKeys[k] = true
	}
	return h
}

// noStore forgets everything: a hub without persistence.
type noStore struct{}

func (noStore) Record(Message)                     {}
func (noStore) SaveBan(Ban)                        {}
func (noStore) DeleteBan(string)                   {}
func (noStore) SaveTopic(string, string)           {}
func (noStore) BindName(string, string, time.Time) {}
func (noStore) ReleaseName(string)                 {}

// JoinRequest is what a door knows of a newcomer.
type JoinRequest struct {
	Name string // wanted name; an unusable one is replaced by a generated name
	Door Door
	Addr string // remote address
	Key  string // SHA256 fingerprint of the SSH key the member proved it holds; "" for none
	// Generated says that the door numbered the member itself (the TCP
	// door's Thread-N): the name is then used as it is, never owned by a
	// key, and its form is reserved to the door (see Generated).
	Generated bool
	// Echo asks for the member's own chat messages and actions back, as a
	// screen that shows the conversation does. The course's protocol has no
	// echo: without it, a fast sender's outbox never fills with its own words.
	Echo bool
	// Room is the room to enter ("": the default room). One that cannot be
	// entered (a bad name, or one only operators may create) leaves the
	// member in the default room, told why.
	Room string
	// Notify, when set, is called when the outbox gets its first message
	// after being empty, and when the member is removed: a door can then
	// start a writer only when there is something to write, instead of
	// keeping a goroutine waiting on Ready. It runs once the hub's lock is
	// released, in the goroutine that caused it (a poster's, a leaver's):
	// it may write to a socket that takes the bytes at once, but must not
	// wait on one that does not.
	Notify func()
	// Token is a secret the door gave this member for its next session to
	// prove it is the same (the web door's resume token), and Resume an
	// earlier session's. A server alone needs neither (the door drops its
	// own ghosts). A cluster keeps Token with the member's name: a
	// newcomer whose Resume is the token of the member holding its name
	// on another node is that member come back (its page lost the socket,
	// unnoticed there, or that node died), and takes the name, the other
	// announced as gone.
	Token, Resume string
}

// Join adds a member to the room and returns it with the history the
// newcomer should be shown before anything from its outbox: both are taken
// under one lock, so nothing falls between them or appears twice.
func (h *Hub) Join(req JoinRequest) (*Member, []Message, error) {
	if h.clustered() {
		return h.joinCluster(req)
	}
	h.mu.Lock()
	defer h.unlock()
	if err := h.admitLocked(req); err != nil {
		return nil, nil, err
	}
	h.nextID++
	name, notice, bind := h.pickNameLocked(req, h.nextID, nil)
	m, history := h.addLocked(req, h.nextID, name, notice, bind)
	return m, history, nil
}

// joinCluster is Join for a node of a cluster: the name is claimed
// cluster-wide before the member is in, and the join is published before
// Join returns, or the member is refused.
func (h *Hub) joinCluster(req JoinRequest) (*Member, []Message, error) {
	h.mu.Lock()
	if err := h.admitLocked(req); err != nil {
		h.unlock()
		return nil, nil, err
	}
	h.nextID++
	id := h.nextID
	ghost, ok := h.ghostLocked(req)
	h.mu.Unlock()
	if ok && h.opts.Cluster.Take(ghost.info.Name, req.Resume, req.Token) == nil {
		// The member come back: its name is its own again, and its ghost
		// leaves before it joins.
		if h.locked(func() { h.ghostGoneLocked(ghost) }) != nil {
			h.opts.Cluster.Release(ghost.info.Name)
			return nil, nil, ErrUnavailable
		}
	}
	held := map[string]bool{} // names other nodes' members turned out to hold
	for range 32 {
		h.mu.Lock()
		name, notice, bind := h.pickNameLocked(req, id, held)
		h.mu.Unlock()
		switch err := h.opts.Cluster.Claim(name, req.Token); {
		case errors.Is(err, ErrNameHeld):
			held[nameKey(name)] = true
			continue
		case err != nil:
			return nil, nil, ErrUnavailable
		}
		var m *Member
		var history []Message
		var refused error
		err := h.locked(func() {
			if refused = h.admitLocked(req); refused != nil {
				return
			}
			if again, _, _ := h.pickNameLocked(req, id, held); again == name {
				m, history = h.addLocked(req, id, name, notice, bind)
			}
		})
		switch {
		case refused != nil:
			h.opts.Cluster.Release(name)
			return nil, nil, refused
		case m == nil:
			h.opts.Cluster.Release(name) // taken here meanwhile: claim the next one
			continue
		case err != nil:
			// The others were not told: it was never in the room.
			h.mu.Lock()
			h.members = slices.DeleteFunc(h.members, func(x *Member) bool { return x == m })
			h.detachLocked(m, ReasonLost)
			h.outgoing = nil
			h.unlock()
			return nil, nil, ErrUnavailable
		}
		return m, history, nil
	}
	return nil, nil, ErrUnavailable
}

// admitLocked refuses a newcomer when the hub is closed, cut off from its
// cluster or full, or when a ban holds it.
func (h *Hub) admitLocked(req JoinRequest) error {
	switch {
	case h.closed:
		return ErrClosed
	case h.cutOff:
		return ErrUnavailable
	case len(h.members)+h.remoteCountLocked() >= h.opts.MaxMembers: // a cluster's cap is on all its nodes
		h.events = append(h.events, event{"refused: the room is full", []any{"door", req.Door, "addr", req.Addr, "members", len(h.members)}})
		return ErrFull
	}
	now := h.opts.Now()
	if b, ok := h.bannedLocked(req.Key, req.Addr, now); ok {
		h.events = append(h.events, event{"banned member refused", []any{"door", req.Door, "addr", req.Addr, "key", req.Key, "ban", b.Target}})
		return &BannedError{b, now}
	}
	return nil
}

// pickNameLocked is the name a newcomer gets, what it is told of it, and
// whether the name becomes its key's. held are names that members of
// other nodes hold, beside those this node knows of.
//
// The wanted name, made of the login name if need be (élodie: elodie,
// and the member is told), if it is usable and not another key's;
// taken from its holder if it is this member's key's and the holder
// has another key; else a suffix (a second session of one key is
// alice-2, as two of bob without a key are bob and bob-2) or a guest
// name. The name becomes the key's only if it is the one wanted.
func (h *Hub) pickNameLocked(req JoinRequest, id uint64, held map[string]bool) (name string, notice *Message, bind bool) {
	want := req.Name
	if p := CheckName(want); p != NameOK && !req.Generated && want != "" {
		if made := NameFrom(want); CheckName(made) == NameOK {
			want = made
			notice = &Message{Kind: KindError, Err: ErrNameCleaned}
		}
	}
	name = want
	takeBack := false // the name is the newcomer's key's, held by another key: addLocked takes it back
	if p := CheckName(name); p != NameOK && (p != NameGenerated || !req.Generated) {
		notice = &Message{Kind: KindError, Err: ErrNameInvalid, Problem: p, Text: Clip(req.Name, 64)}
		name = guestName(id)
	} else if owner := h.ownerLocked(name); owner != "" && owner != req.Key {
		notice = &Message{Kind: KindError, Err: ErrNameOwned, Text: name}
		name = guestName(id)
	} else if holder := h.byName[nameKey(name)]; holder != nil && owner != "" && holder.key != req.Key {
		takeBack = true
	}
	if !takeBack {
		name = h.freeNameLocked(name, req.Key, held)
	}
	bind = (notice == nil || notice.Err == ErrNameCleaned) && name == want && !req.Generated
	if notice != nil && notice.Err == ErrNameCleaned {
		notice.Text = name
	}
	return name, notice, bind
}

// addLocked makes the newcomer a member under name, in the room it asked
// for if it may enter it, and returns it with that room's history.
func (h *Hub) addLocked(req JoinRequest, id uint64, name string, notice *Message, bind bool) (*Member, []Message) {
	now := h.opts.Now()
	m := newMember(id, "", req.Door, req.Addr, now, h.opts.OutboxBytes, h.opts.OutboxAge)
	m.key, m.token, m.echo, m.notify, m.notes = req.Key, req.Token, req.Echo, req.Notify, &h.notes
	m.now, m.sleep = h.opts.Now, h.opts.Sleep
	m.stats = &h.stats
	if h.opts.MsgRate > 0 {
		m.limiter = rate.NewLimiter(rate.Limit(h.opts.MsgRate), h.opts.MsgBurst)
	}
	m.op.Store(req.Key != "" && h.opKeys[req.Key])
	r, roomRefusal := h.def, (*Message)(nil)
	if req.Room != "" {
		r, roomRefusal = h.enterableLocked(m, req.Room)
		if r == nil {
			r = h.def
		}
	}
	// The owner of the name takes it back from a holder with another key.
	if holder := h.byName[nameKey(name)]; holder != nil {
		h.evictNameLocked(holder)
	}
	m.name.Store(&name)
	if bind {
		h.claimLocked(req.Key, name)
	} else {
		h.touchLocked(req.Key)
	}

	h.members = append(h.members, m)
	h.byName[nameKey(name)] = m
	h.enterLocked(m, r, Message{Kind: KindJoin, From: name, Door: req.Door, Key: req.Key, SenderID: id, Owns: bind && req.Key != "" && h.clustered()}, false)
	for _, n := range []*Message{notice, roomRefusal} {
		if n != nil {
			n.At = now
			m.push(n, h.outboxNow())
		}
	}
	if r.topic != "" {
		m.push(&Message{At: now, Kind: KindTopic, Room: r.name, Text: r.topic}, h.outboxNow())
	}
	h.tellModesLocked(m)
	h.stats.joins.Add(1)
	h.events = append(h.events, event{"join", []any{"door", req.Door, "name", name, "addr", req.Addr, "key", req.Key, "op", m.IsOp(), "room", r.name}})
	return m, r.history.Recent()
}

// freeNameLocked returns name, or name with the first suffix that nobody
// holds and no other key owns.
func (h *Hub) freeNameLocked(name, key string, held map[string]bool) string {
	free := func(n string) bool {
		k := nameKey(n)
		if _, remote := h.remoteNames[k]; h.byName[k] != nil || held[k] || remote {
			return false
		}
		owner := h.ownerLocked(n)
		return owner == "" || owner == key
	}
	if free(name) {
		return name
	}
	for n := 2; ; n++ {
		if candidate := withSuffix(name, n); free(candidate) {
			return candidate
		}
	}
}

// evictNameLocked renames a member holding a name whose owner is taking it
// back, and tells it why. The holder has another key, or none: a session
// of the owner's own key keeps its name.
func (h *Hub) evictNameLocked(holder *Member) {
	old := holder.Name()
	h.renameLocked(holder, h.freeNameLocked(guestName(holder.id), holder.key, nil), false)
	h.replyLocked(holder, Message{Kind: KindError, Err: ErrNameOwned, Text: old})
}

// renameLocked gives m a new name and tells the room; owns says that the
// name becomes m's key's (a cluster's other nodes follow it).
func (h *Hub) renameLocked(m *Member, name string, owns bool) {
	old := m.Name()
	delete(h.byName, nameKey(old))
	h.byName[nameKey(name)] = m
	m.name.Store(&name)
	h.events = append(h.events, event{"nick", []any{"door", m.door, "old", old, "name", name, "addr", m.addr}})
	h.broadcastLocked(m.room, Message{Kind: KindNick, From: old, To: name, SenderID: m.id, Door: m.door, Key: m.key, Owns: owns && m.key != "" && h.clustered()})
}

// Post carries out one line of input from m: a public message or a command.
// Input from a member that has left is ignored. It reports whether the
// outbox of a member it reached is over half full: the door should then
// call m.Yield before posting more.
func (h *Hub) Post(m *Member, text string) (congested bool) {
	in := ParseInput(Sanitize(text))
	if in.Cmd == CmdNick && in.Err == 0 && h.clustered() {
		return h.nickCluster(m, in)
	}
	return h.posting(m, func() { h.postLocked(m, in) })
}

// posting runs post under the lock for input from m, unless m has left,
// and reports what Post reports. A cluster's node that is cut off from the
// others refuses it, and m is told, rather than show it to this node alone.
func (h *Hub) posting(m *Member, post func()) (congested bool) {
	if err := h.locked(func() {
		h.congested = false
		switch {
		case !h.presentLocked(m):
		case h.cutOff:
			h.replyLocked(m, Message{Kind: KindError, Err: ErrRoomUnavailable})
		default:
			h.sweepRoomsLocked()
			post()
			congested = h.congested
		}
	}); err != nil {
		_ = h.locked(func() { h.replyLocked(m, Message{Kind: KindError, Err: ErrRoomUnavailable}) })
	}
	return congested
}

// locked runs f under the lock and returns what unlock returns: whether a
// cluster took the events f decided. A panic in f (a failing store) still
// releases the lock.
func (h *Hub) locked(f func()) (err error) {
	h.mu.Lock()
	defer func() { err = h.unlock() }()
	f()
	return nil
}

// nickCluster is /nick on a cluster's node: the new name is claimed
// cluster-wide first, and whichever name m does not keep is given back.
func (h *Hub) nickCluster(m *Member, in Input) bool {
	old := m.Name()
	if CheckName(in.Name) != NameOK || nameKey(in.Name) == nameKey(old) {
		return h.posting(m, func() { h.postLocked(m, in) }) // refused, or a change of case
	}
	switch err := h.opts.Cluster.Claim(in.Name, m.token); {
	case errors.Is(err, ErrNameHeld):
		h.mu.Lock()
		h.replyLocked(m, Message{Kind: KindError, Err: ErrNameTaken, Text: in.Name})
		h.unlock()
		return false
	case err != nil:
		h.mu.Lock()
		h.replyLocked(m, Message{Kind: KindError, Err: ErrRoomUnavailable})
		h.unlock()
		return false
	}
	congested := h.posting(m, func() { h.postLocked(m, in) })
	if nameKey(m.Name()) == nameKey(in.Name) {
		h.opts.Cluster.Release(old)
	} else {
		h.opts.Cluster.Release(in.Name)
	}
	return congested
}

// postLocked carries out in, a line of m's.
func (h *Hub) postLocked(m *Member, in Input) {
	switch {
	case in.Err != ErrUnknownCommand && in.Cmd.opOnly() && !m.IsOp():
		// Refused before its arguments are read: what an operator's
		// command takes is for operators to learn.
		h.replyLocked(m, Message{Kind: KindError, Err: ErrNotOperator, Text: in.Word})
		return
	case in.Err == ErrBadDuration:
		h.replyLocked(m, Message{Kind: KindError, Err: in.Err, Text: in.Text})
		return
	case in.Err != 0:
		h.replyLocked(m, Message{Kind: KindError, Err: in.Err, Text: in.Word})
		return
	}
	switch in.Cmd {
	case CmdSay, CmdMe, CmdMsg, CmdNick:
		if h.mutedLocked(m) {
			return // a muted member reads but cannot post, and is told so
		}
	}
	if h.quietRefusedLocked(m, in.Cmd) {
		return
	}
	switch in.Cmd {
	case CmdSay:
		if !visible(in.Text) {
			return
		}
		for part := range splitText(in.Text, h.opts.MaxMessageBytes) {
			h.broadcastLocked(m.room, Message{Kind: KindChat, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key, Text: part})
		}
	case CmdMe:
		for part := range splitText(in.Text, h.opts.MaxMessageBytes) {
			h.broadcastLocked(m.room, Message{Kind: KindAction, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key, Text: part})
		}
	case CmdMsg:
		for part := range splitText(in.Text, h.opts.MaxMessageBytes) {
			if !h.privateLocked(m, in.Name, part) {
				break
			}
		}
	case CmdNick:
		h.nickLocked(m, in.Name)
	case CmdWho:
		h.replyLocked(m, Message{Kind: KindWho, Room: m.room.name, Members: m.room.infos()})
	case CmdHelp:
		h.replyLocked(m, Message{Kind: KindHelp, ForOp: m.IsOp()})
	case CmdQuit:
		h.removeLocked(m, ReasonQuit)
	case CmdOp:
		h.opLocked(m, in.Text)
	case CmdTopic:
		h.topicLocked(m, in.Text)
	case CmdKick, CmdMute, CmdUnmute, CmdBan, CmdUnban, CmdBans, CmdRelease:
		h.moderateLocked(m, in)
	case CmdJoin:
		h.joinRoomLocked(m, in.Name)
	case CmdPart:
		h.partLocked(m)
	case CmdRooms:
		h.replyLocked(m, Message{Kind: KindRooms, Room: m.room.name, Rooms: h.roomInfosLocked(m.room)})
	case CmdBreakout:
		h.breakoutLocked(m, in.Name)
	case CmdGather:
		h.gatherLocked(m)
	case CmdSlow:
		h.slowLocked(m, in.Name)
	case CmdQuiet, CmdOpen:
		h.quietLocked(m, in.Cmd == CmdQuiet)
	case CmdPoll, CmdVote, CmdEndPoll:
		h.pollLocked(m, in)
	case CmdHand:
		h.handLocked(m)
	case CmdHands:
		h.replyLocked(m, Message{Kind: KindHands, Room: m.room.name, Members: h.handInfosLocked(m.room)})
	case CmdNext:
		h.nextLocked(m)
	case CmdAsk:
		h.askLocked(m, in.Text)
	case CmdUp:
		h.upLocked(m, in.Name)
	case CmdQueue:
		h.questionsLocked(m)
	case CmdAnswer:
		h.answerLocked(m, in.Name, in.Text)
	case CmdDismiss:
		h.dismissLocked(m, in.Name)
	case CmdAnon:
		h.anonymousLocked(m, in.Name)
	}
}

// privateLocked delivers one private message and reports whether it did.
func (h *Hub) privateLocked(from *Member, to, text string) bool {
	target, ok := h.byName[nameKey(to)]
	if _, remote := h.remoteNames[nameKey(to)]; !ok && remote {
		// A member of another node: that node shows it (Apply).
		h.emitLocked(Message{Kind: KindPrivate, From: from.Name(), SenderID: from.id, Door: from.door, Key: from.key, To: h.remoteNameLocked(to), Text: text})
		return true
	}
	switch {
	case !ok:
		h.replyLocked(from, Message{Kind: KindError, Err: ErrNoSuchMember, Text: to})
		return false
	case target == from:
		h.replyLocked(from, Message{Kind: KindError, Err: ErrMsgSelf})
		return false
	}
	msg := Message{Kind: KindPrivate, From: from.Name(), SenderID: from.id, Door: from.door, Key: from.key, To: target.Name(), Text: text}
	if h.clustered() {
		h.emitLocked(msg)
		return true
	}
	msg = h.stampLocked(msg)
	h.store.Record(msg) // the store keeps private messages only when told to
	h.stats.posted.Add(1)
	if !target.push(&msg, h.outboxNow()) {
		h.stats.evictions.Add(1)
		h.removeLocked(target, ReasonTooSlow) // the sender reads the leave instead
		return false
	}
	h.stats.deliveries.Add(1)
	// The sender's copy confirms delivery and shows it on the sender's screen.
	h.sendLocked(&msg, []*Member{from})
	return true
}

func (h *Hub) nickLocked(m *Member, name string) {
	if p := CheckName(name); p != NameOK {
		h.replyLocked(m, Message{Kind: KindError, Err: ErrNameInvalid, Problem: p, Text: name})
		return
	}
	owner := h.ownerLocked(name)
	if owner != "" && owner != m.key {
		h.replyLocked(m, Message{Kind: KindError, Err: ErrNameOwned, Text: name})
		return
	}
	if holder, taken := h.byName[nameKey(name)]; taken && holder != m {
		if owner == "" || holder.key == m.key { // another session of the same key keeps it
			h.replyLocked(m, Message{Kind: KindError, Err: ErrNameTaken, Text: name})
			return
		}
		h.evictNameLocked(holder) // the owner takes its name back
	}
	if name == m.Name() {
		return
	}
	h.renameLocked(m, name, true)
	h.claimLocked(m.key, name)
}

// visible reports whether text shows anything: a message of spaces and
// zero-width characters would be an invisible line.
func visible(text string) bool {
	return strings.IndexFunc(text, func(r rune) bool {
		return !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r)
	}) >= 0
}

// Leave removes m from the room for reason r and tells the others. Leaving
// twice is harmless: the first reason stands.
func (h *Hub) Leave(m *Member, r Reason) {
	h.mu.Lock()
	defer h.unlock()
	h.removeLocked(m, r)
}

// Shutdown tells every member that the server is stopping, then removes
// them all. Later joins fail with ErrClosed. Doors deliver what is queued
// and close their connections when they see Done.
func (h *Hub) Shutdown() {
	h.mu.Lock()
	defer h.unlock()
	if h.closed {
		return
	}
	h.closed = true
	msg := Message{Kind: KindShutdown, At: h.opts.Now()} // a cluster's other nodes go on
	if !h.clustered() {
		msg = h.stampLocked(msg)
		h.store.Record(msg)
	}
	now := h.outboxNow()
	for _, m := range h.members {
		m.push(&msg, now) // best effort: a full outbox is closed just the same
	}
	for _, m := range h.members {
		r := m.room
		h.detachLocked(m, ReasonShutdown)
		if h.clustered() {
			h.emitLocked(m.leave(r, ReasonShutdown)) // the others see them go
			continue
		}
		h.store.Record(h.stampLocked(m.leave(r, ReasonShutdown)))
	}
	h.members = nil
	for _, r := range h.rooms {
		r.members = nil
		r.count.Store(int64(r.size()))
	}
	if !h.clustered() {
		h.store.Record(h.stampLocked(Message{Kind: KindStop}))
	}
}

// Started records the server's start in the transcript, before anyone
// joins: KindStart; or, when the previous run crashed (State.Crashed),
// KindCrash and a leave, for ReasonCrash, of each member that run left in
// the room (State.Present), so that the transcript says who was gone when.
func (h *Hub) Started() {
	h.mu.Lock()
	defer h.unlock()
	if h.clustered() {
		return // a cluster's transcript is its shared order: one node's runs are not in it
	}
	st := h.opts.State
	if !st.Crashed {
		h.store.Record(h.stampLocked(Message{Kind: KindStart}))
		return
	}
	h.store.Record(h.stampLocked(Message{Kind: KindCrash}))
	for _, mi := range st.Present {
		h.store.Record(h.stampLocked(Message{Kind: KindLeave, From: mi.Name, Door: mi.Door, Key: mi.Key, Reason: ReasonCrash, Room: mi.Room}))
	}
	h.events = append(h.events, event{"restarted after a crash", []any{"members_gone", len(st.Present)}})
}

// Members lists who is on the server, in every room, in join order.
func (h *Hub) Members() []MemberInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.membersLocked()
}

// MembersHead lists the first n members to have entered self's room, and
// how many are in it: a screen shows a few of them, and copying all of a
// room of 500 for each of its 500 screens on each join was a join storm's
// cost.
func (h *Hub) MembersHead(self *Member, n int) ([]MemberInfo, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.roomOfLocked(self)
	return r.headLocked(n), r.size()
}

// outboxNow is the time by which outbox ages are measured.
func (h *Hub) outboxNow() time.Time { return h.opts.OutboxNow() }

// Count is how many members are on the server, in every room.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.members)
}

// Members lists every member of every room, in join order.
func (h *Hub) membersLocked() []MemberInfo {
	out := make([]MemberInfo, len(h.members))
	for i, m := range h.members {
		out[i] = m.info()
	}
	return out
}

func (h *Hub) presentLocked(m *Member) bool {
	return h.byName[nameKey(m.Name())] == m
}

// stampLocked gives msg the server's next sequence number and the time.
func (h *Hub) stampLocked(msg Message) Message {
	msg.Seq = h.seq.Add(1)
	msg.At = h.opts.Now()
	return msg
}

// broadcastLocked stamps msg, keeps it in r's history when it is a public
// message, and sends it to every member of r; the sender of a public
// message gets it back only if it asked for an echo.
func (h *Hub) broadcastLocked(r *Room, msg Message) {
	msg.Room = r.name
	if h.clustered() {
		h.emitLocked(msg) // shown when the cluster brings it back (Apply)
		return
	}
	msg = h.stampLocked(msg)
	if !h.effectLocked(r, &msg) {
		return
	}
	h.store.Record(msg)
	if msg.Kind == KindQuestion && msg.To == AnonymousQuestion {
		h.anonymousQuestionLocked(r, msg)
		return
	}
	public := msg.Kind == KindChat || msg.Kind == KindAction || msg.Kind == KindBlock
	if public {
		r.history.Append(msg)
		r.last.Store(msg.Seq)
		h.stats.posted.Add(1)
	}
	var sender uint64 // 0: nobody's (member IDs start at 1)
	if public {
		sender = msg.SenderID
	}
	h.fanOutLocked(&msg, r.members, sender)
}

// replyLocked sends msg to m alone, outside the room's sequence.
func (h *Hub) replyLocked(m *Member, msg Message) {
	msg.At = h.opts.Now()
	h.sendLocked(&msg, []*Member{m})
}

// sendLocked pushes msg to each of to. A member whose outbox is over its
// bounds is removed as too slow once the fan-out is done, and the others
// are told in turn.
func (h *Hub) sendLocked(msg *Message, to []*Member) {
	h.fanOutLocked(msg, to, 0)
}

// fanOutLocked is sendLocked but for the member sender, when it asked for
// no echo of its own words (0: none skipped).
func (h *Hub) fanOutLocked(msg *Message, to []*Member, sender uint64) {
	var slow []*Member
	now := h.outboxNow()
	pushed := 0
	for _, m := range to {
		if m.id == sender && !m.echo {
			continue
		}
		if m.push(msg, now) {
			pushed++
		} else {
			slow = append(slow, m)
		}
		h.congested = h.congested || m.half.Load()
	}
	h.stats.deliveries.Add(uint64(pushed)) // once a fan-out, not once a member
	h.evictLocked(slow)
}

// evictLocked removes the members a fan-out found too slow, once it is
// done. Many at once (a class's Wi-Fi dropping) are told to each room as
// one line, "Thread-3 and 499 others left": one fan-out for all of them,
// not one each, so the lock is held for one pass over the room; the
// transcript still keeps each leave. A leave never makes anyone too slow in
// turn.
func (h *Hub) evictLocked(slow []*Member) {
	h.stats.evictions.Add(uint64(len(slow)))
	if len(slow) == 1 {
		h.removeLocked(slow[0], ReasonTooSlow)
		return
	}
	type gathered struct {
		first Message
		n     int
	}
	var rooms []*Room
	byRoom := map[*Room]*gathered{}
	for _, m := range slow {
		if !h.presentLocked(m) {
			continue
		}
		r := m.room
		h.detachLocked(m, ReasonTooSlow)
		msg := m.leave(r, ReasonTooSlow)
		if h.clustered() {
			// The first of each room is told, with how many others
			// (below); the others are recorded and followed.
			if byRoom[r] != nil {
				h.recordLocked(msg)
			}
		} else {
			msg = h.stampLocked(msg)
			h.store.Record(msg)
		}
		g := byRoom[r]
		if g == nil {
			g = &gathered{first: msg}
			byRoom[r] = g
			rooms = append(rooms, r)
		}
		g.n++
	}
	if len(rooms) == 0 {
		return
	}
	h.members = slices.DeleteFunc(h.members, func(x *Member) bool { return x.Reason() != 0 })
	for _, r := range rooms {
		g := byRoom[r]
		g.first.Others = g.n - 1
		if h.clustered() {
			h.emitLocked(g.first)
			continue
		}
		h.sendLocked(&g.first, r.members)
	}
}

// removeLocked takes m out of the room and announces its leave.
func (h *Hub) removeLocked(m *Member, reason Reason) {
	if !h.presentLocked(m) {
		return
	}
	r := m.room
	h.members = slices.DeleteFunc(h.members, func(x *Member) bool { return x == m })
	h.detachLocked(m, reason)
	h.broadcastLocked(r, m.leave(r, reason))
}

// detachLocked forgets m's name, takes it out of its room, records why it
// left and closes Done.
func (h *Hub) detachLocked(m *Member, r Reason) {
	h.leaveRoomLocked(m)
	h.forgetMutesLocked(m)
	delete(h.byName, nameKey(m.Name()))
	if h.clustered() {
		h.releases = append(h.releases, m.Name())
	}
	m.reason.Store(uint32(r))
	if int(r) < len(h.stats.leaves) {
		h.stats.leaves[r].Add(1)
	}
	close(m.done)
	if m.notify != nil {
		h.notes = append(h.notes, m)
	}
	h.events = append(h.events, event{"leave", []any{"door", m.door, "name", m.Name(), "addr", m.addr, "reason", r.String()}})
}

// unlock releases the lock, then does what was decided under it: a
// cluster's node publishes its events (and reports whether its cluster
// took them) and gives back the names its leavers held; doors are
// notified; log lines are written.
func (h *Hub) unlock() error {
	events, notes, out, releases := h.events, h.notes, h.outgoing, h.releases
	h.events, h.notes, h.outgoing, h.releases = nil, nil, nil, nil
	h.mu.Unlock()
	var err error
	if h.clustered() {
		err = h.publishOutgoing(out)
		if len(releases) > 0 {
			h.opts.Cluster.Release(releases...)
		}
	}
	for _, m := range notes {
		m.notify()
	}
	for _, e := range events {
		h.log.Info(e.msg, e.attrs...)
	}
	return err
}

// splitText yields text in parts of at most max bytes, cut between
// characters: long input becomes consecutive messages, nothing dropped.
func splitText(text string, max int) iter.Seq[string] {
	return func(yield func(string) bool) {
		for len(text) > max {
			cut := max
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
			if cut == 0 {
				cut = max // not UTF-8 at all: sanitised text never gets here
			}
			if !yield(text[:cut]) {
				return
			}
			text = text[cut:]
		}
		if text != "" {
			yield(text)
		}
	}
}

// Sleep is Options.Sleep on a real timer: it waits d, or until cancel is
// closed, and reports whether the whole of d passed. The doors' own waits
// (a password check waiting its turn) take it too.
func Sleep(d time.Duration, cancel <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-cancel:
		return false
	}
}
