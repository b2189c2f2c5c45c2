package room

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Member is one participant of the room, whatever its door. The hub fills
// its outbox; the door drains it at its own pace. The hub never waits on a
// member: when the outbox is over its bounds the member is removed instead.
type Member struct {
	id     uint64
	door   Door
	addr   string
	joined time.Time
	key    string
	token  string                 // JoinRequest.Token: a cluster keeps it with the member's name
	echo   bool                   // receives its own public messages
	name   atomic.Pointer[string] // written under the hub's lock, read anywhere

	// The outbox: mu guards msgs and what is counted of them. ready holds
	// one token when msgs is non-empty, so a door can select on it.
	mu       sync.Mutex
	msgs     []Message
	bytes    int       // of the messages that are not presence notices
	since    time.Time // when the oldest message in msgs was queued
	presence int       // join and leave notices in msgs, groups included
	groups   [2]int    // index+1 in msgs of the join and the leave group; 0: none
	maxBytes int
	maxAge   time.Duration
	ready    chan struct{}

	done   chan struct{} // closed when the member is removed from the room
	reason atomic.Uint32 // a Reason, set before done is closed

	// Flood control; limiter is nil when it is off.
	limiter *rate.Limiter
	now     func() time.Time
	sleep   func(time.Duration, <-chan struct{}) bool
	stats   *counters // the hub's: Delay counts the messages it holds back

	half atomic.Bool // the outbox has been over half its bounds since the last Drain

	notify func()     // JoinRequest.Notify
	notes  *[]*Member // the hub's: members to notify once its lock is released

	// room is the room the member is in, guarded by the hub's lock; at is
	// the same, for its door to read without the lock. seen holds, for each
	// room it has left, the last sequence number it had seen there: coming
	// back, it is shown only what it missed.
	room *Room
	at   atomic.Pointer[Room]
	seen map[string]uint64 // by the room's nameKey: a room that went holds no memory here

	op         atomic.Bool // an operator: set at join or by /op
	mutedUntil time.Time   // guarded by the hub's lock; zero: not muted
	muted      bool        // guarded by the hub's lock: in its current room
	shownBans  []string    // guarded by the hub's lock: the targets of the last /bans it was shown, in order
}

func newMember(id uint64, name string, door Door, addr string, at time.Time, maxBytes int, maxAge time.Duration) *Member {
	m := &Member{
		id:       id,
		door:     door,
		addr:     addr,
		joined:   at,
		maxBytes: maxBytes,
		maxAge:   maxAge,
		ready:    make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	m.name.Store(&name)
	return m
}

// ID is unique to this member for the life of the hub.
func (m *Member) ID() uint64 { return m.id }

// Name is the member's current name; /nick changes it.
func (m *Member) Name() string { return *m.name.Load() }

// Door is the kind of connection the member came through.
func (m *Member) Door() Door { return m.door }

// Addr is the member's remote address.
func (m *Member) Addr() string { return m.addr }

// Key is the SHA256 fingerprint of the SSH key the member authenticated
// with, or "" when it has none.
func (m *Member) Key() string { return m.key }

// IsOp reports whether the member is an operator.
func (m *Member) IsOp() bool { return m.op.Load() }

// Joined is when the member entered the room.
func (m *Member) Joined() time.Time { return m.joined }

// Ready receives a value when the outbox may hold messages: Drain then.
func (m *Member) Ready() <-chan struct{} { return m.ready }

// Done is closed when the member has been removed from the room, by its own
// leave, for being too slow, or at shutdown. Messages queued before that
// are still in the outbox: drain it once more to deliver them.
func (m *Member) Done() <-chan struct{} { return m.done }

// Reason says why the member left; valid once Done is closed.
func (m *Member) Reason() Reason { return Reason(m.reason.Load()) }

// Next waits until the outbox may hold messages, or until the member has
// left, and appends what it holds to dst: a door's writer loops on it.
// left reports that the member has left; what Next appended is then the
// last of it.
func (m *Member) Next(dst []Message) (msgs []Message, left bool) {
	select {
	case <-m.ready:
	case <-m.done:
		left = true
	}
	return m.Drain(dst), left
}

// keptOutbox is the outbox capacity a member keeps between batches.
const keptOutbox = 4

// Pending reports whether the outbox holds messages.
func (m *Member) Pending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.msgs) > 0
}

// Drain appends every queued message to dst, in order, and empties the outbox.
func (m *Member) Drain(dst []Message) []Message {
	m.mu.Lock()
	dst = append(dst, m.msgs...)
	clear(m.msgs)
	m.msgs = m.msgs[:0]
	if cap(m.msgs) > keptOutbox {
		m.msgs = nil // a burst's room is not kept by an idle member
	}
	m.bytes, m.presence, m.groups, m.since = 0, 0, [2]int{}, time.Time{}
	m.half.Store(false)
	m.mu.Unlock()
	return dst
}

// Delay takes flood control's next slot for one message of m and returns
// how long m's door must hold that message back: 0 within the burst.
func (m *Member) Delay() time.Duration {
	if m.limiter == nil {
		return 0
	}
	now := m.now()
	d := m.limiter.ReserveN(now, 1).DelayFrom(now)
	if d > 0 && m.stats != nil {
		m.stats.delays.Add(1)
	}
	return d
}

// Pace holds the caller back as flood control requires before m posts one
// more message: input is delayed, never dropped. It returns false, at once,
// if m leaves the room meanwhile.
func (m *Member) Pace() bool {
	if d := m.Delay(); d > 0 {
		return m.sleep(d, m.done)
	}
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// Yield gives the room's readers a moment, when Post has reported that
// some outbox is over half full: one member's burst then outpaces no reader
// that keeps up, while a reader that has stopped is only waited for a
// millisecond a message, until it is dropped as too slow.
func (m *Member) Yield() {
	m.sleep(time.Millisecond, m.done)
}

// presenceKept is how many join and leave notices wait for a member one by
// one; past it, the next ones gather into one line per kind ("Thread-9 and
// 297 others joined"), so that a class arriving at once costs a member who
// is busy writing its screen a line, not a queue that someone else's
// arrivals could fill.
const presenceKept = 8

// presence tells the join and leave notices, which never count against a
// member's bounds, from everything else.
func presence(k Kind) (group int, ok bool) {
	switch k {
	case KindJoin:
		return 0, true
	case KindLeave:
		return 1, true
	}
	return 0, false
}

// push queues msg without waiting; now is the outbox clock's time. It reports
// false, and queues nothing, when the member is too slow by its own doing:
// its oldest undelivered message has waited longer than its maximum age, or
// msg would take the bytes waiting for it past their bound. Join and leave
// notices never fail: they gather instead.
func (m *Member) push(msg *Message, now time.Time) bool {
	m.mu.Lock()
	if g, ok := presence(msg.Kind); ok {
		// Gathered with the line of its kind waiting, if that line is of
		// the same room: a member that moved reads each room's arrivals and
		// leaves in that room's lines.
		if m.presence >= presenceKept && m.groups[g] > 0 && m.msgs[m.groups[g]-1].Room == msg.Room {
			m.msgs[m.groups[g]-1].Others += 1 + msg.Others
			m.mu.Unlock()
			return true
		}
		m.presence++
		if m.presence >= presenceKept {
			m.groups[g] = len(m.msgs) + 1
		}
	} else {
		size := msg.size()
		// One message always fits an empty outbox, however large: a member
		// that keeps up is never "too slow" for the size of one reply.
		if len(m.msgs) > 0 && (m.bytes+size > m.maxBytes || now.Sub(m.since) > m.maxAge) {
			m.mu.Unlock()
			return false
		}
		m.bytes += size
	}
	first := len(m.msgs) == 0
	if first {
		m.since = now
	}
	m.msgs = append(m.msgs, *msg)
	half := m.bytes > m.maxBytes/2
	m.mu.Unlock()
	if half {
		m.half.Store(true)
	}
	if first && m.notify != nil {
		*m.notes = append(*m.notes, m) // push runs under the hub's lock
	}
	select {
	case m.ready <- struct{}{}:
	default: // a token is already there
	}
	return true
}

// leave is m's leave of room r for reason why, as the room and the
// transcript tell it.
func (m *Member) leave(r *Room, why Reason) Message {
	msg := Message{Kind: KindLeave, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key, Reason: why}
	if r != nil {
		msg.Room = r.name
	}
	return msg
}

// Room is the room the member is in now, or was in when it left.
func (m *Member) Room() *Room { return m.at.Load() }

func (m *Member) info() MemberInfo {
	return MemberInfo{Name: m.Name(), Door: m.door, Joined: m.joined, Key: m.key, Op: m.IsOp(), Room: m.Room().Name()}
}
