package sshui

import (
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"palabre/room"
)

// roomsEvery is how often a screen looks for rooms with messages it has not
// shown: soon enough for a teacher watching breakout rooms, and a look
// costs one atomic load when nothing was said anywhere since the last.
const roomsEvery = time.Second

// maxRoomsListed bounds the rooms the side panel lists as unread; past it,
// "+N more", and Ctrl+N still reaches them.
const maxRoomsListed = 5

// roomScreen is what a screen keeps of a room it has shown.
type roomScreen struct {
	name  string
	sb    scrollback // while another room shows; the room shown has model.sb
	width int        // the width sb was rendered at
	seen  uint64     // the number of the last message of the room shown
	left  int        // the move that last left it: the room left longest ago gives its rows up first
	alive int        // the last look that found it on the server
}

// roomsState is what a screen knows of the server's rooms.
type roomsState struct {
	cur   *roomScreen            // the room shown
	byKey map[string]*roomScreen // the rooms shown since the session began, the current one included
	// start is the server's last sequence number when the session began: a
	// room never shown has unread messages when its last is past it.
	start  uint64
	looked uint64   // the server's last sequence number at the last look
	unread []string // the other rooms with messages not shown, in the server's order
	spare  []string // the previous unread, reused
	listed bool     // the side panel lists them
	moves  int
	looks  int
}

func roomKey(name string) string { return strings.ToLower(name) }

// startRooms begins in the room the member entered, with its history.
func (m *model) startRooms(name string, history []room.Message) {
	m.rm.byKey = make(map[string]*roomScreen)
	m.rm.start = m.cfg.StartSeq
	m.rm.cur = &roomScreen{name: room.Sanitize(name)}
	m.rm.byKey[roomKey(name)] = m.rm.cur
	meID, meName := m.cfg.Member.ID(), m.cfg.Member.Name()
	for i := range history {
		m.add(&history[i], meID, meName)
		m.rm.cur.seen = max(m.rm.cur.seen, history[i].Seq)
	}
	m.lookAtRooms(true)
}

// move shows the room the member was moved into: its own scrollback, then
// what was said there that the screen has not shown, then where it is and
// with whom.
func (m *model) move(msg *room.Message, meID uint64, meName string) {
	m.showRoom(msg.Room)
	cur := m.rm.cur
	for i := range msg.History {
		past := &msg.History[i]
		if past.Seq <= cur.seen {
			continue // shown before the member left
		}
		m.add(past, meID, meName)
		cur.seen = past.Seq
	}
	m.add(msg, meID, meName)
	m.topic = room.Sanitize(msg.Text)
	m.offset, m.unread = 0, 0
}

// showRoom makes name's scrollback the one shown, the current one kept.
func (m *model) showRoom(name string) {
	name = room.Sanitize(name)
	k := roomKey(name)
	cur := m.rm.cur
	if roomKey(cur.name) == k {
		cur.name = name
		return
	}
	m.rm.moves++
	cur.sb, cur.width, cur.left = m.sb, m.areaW, m.rm.moves
	next := m.rm.byKey[k]
	if next == nil {
		next = &roomScreen{width: m.areaW}
		m.rm.byKey[k] = next
	}
	next.name = name
	budget := m.boundRooms(next)
	m.sb, next.sb = next.sb, scrollback{}
	m.sb.bound(budget)
	m.rm.cur = next
	if next.width != m.areaW {
		m.rerender()
	}
}

// boundRooms keeps the rooms' scrollbacks together within maxRows, the
// bound of one screen before rooms: the rooms not shown keep at most half
// of it, the one left longest ago giving its oldest rows up first, and the
// room shown, next, may fill the rest. It returns next's bound.
func (m *model) boundRooms(next *roomScreen) int {
	others := 0
	for _, r := range m.rm.byKey {
		if r != next {
			others += r.sb.n
		}
	}
	for others > m.maxRows/2 {
		var oldest *roomScreen
		for _, r := range m.rm.byKey {
			if r != next && r.sb.n > 0 && (oldest == nil || r.left < oldest.left) {
				oldest = r
			}
		}
		cut := min(oldest.sb.n, others-m.maxRows/2)
		oldest.sb.bound(oldest.sb.n - cut)
		others -= cut
	}
	return m.maxRows - others
}

// lookAtRooms finds the rooms other than the one shown with messages the
// screen has not shown, and forgets the rooms gone from the server. It
// reports whether the side panel changed. Unless always, it looks only
// when something was said somewhere since the last look.
func (m *model) lookAtRooms(always bool) bool {
	seq := m.cfg.Seq()
	if seq == m.rm.looked && !always {
		return false
	}
	m.rm.looked = seq
	m.rm.looks++
	unread := m.rm.spare[:0]
	for _, r := range m.cfg.Activity() {
		rs := m.rm.byKey[roomKey(r.Name)]
		if rs != nil {
			rs.alive = m.rm.looks
		}
		if rs != m.rm.cur && m.unreadIn(r, rs) {
			unread = append(unread, r.Name)
		}
	}
	for k, rs := range m.rm.byKey {
		if rs != m.rm.cur && rs.alive != m.rm.looks {
			delete(m.rm.byKey, k) // and its rows
		}
	}
	if slices.Equal(unread, m.rm.unread) {
		m.rm.spare = unread
		return false
	}
	m.rm.unread, m.rm.spare = unread, m.rm.unread
	m.buildSidebar()
	return true
}

// unreadIn says whether room r, whose screen is rs (nil: never shown), has
// a public message the screen has not shown.
func (m *model) unreadIn(r room.RoomInfo, rs *roomScreen) bool {
	if rs == nil {
		return r.Last > m.rm.start
	}
	return r.Last > rs.seen
}

// toRoom asks the room for the next room (d = 1) or the previous (d = -1),
// in the server's order, with messages the screen has not shown; when
// there are none, for the next or previous room. It goes the way typed
// lines go, as /join NAME: the hub decides.
func (m *model) toRoom(d int) {
	list := m.cfg.Activity()
	here, unread := -1, false
	for i, r := range list {
		rs := m.rm.byKey[roomKey(r.Name)]
		switch {
		case rs == m.rm.cur:
			here = i
		case m.unreadIn(r, rs):
			unread = true
		}
	}
	if here < 0 && d < 0 {
		here = len(list)
	}
	for step := 1; step <= len(list); step++ {
		i := ((here+d*step)%len(list) + len(list)) % len(list)
		r := list[i]
		rs := m.rm.byKey[roomKey(r.Name)]
		if rs == m.rm.cur || unread && !m.unreadIn(r, rs) {
			continue
		}
		m.cfg.Send("/join " + r.Name)
		return
	}
}

// roomRows appends the side panel's rooms with unread messages to side,
// in at most rows rows, and returns how many it took.
func (m *model) roomRows(rows int, row func(string, ink) line) int {
	n := len(m.rm.unread)
	if n == 0 || rows < 4 {
		return 0
	}
	text := sidebarWidth - 2
	// The member list keeps at least half the column.
	shown := min(n, maxRoomsListed, max(rows/2-2, 1))
	m.side = append(m.side, row(ansi.Truncate(m.wd.unreadRooms(), text, ""), m.st.sideHead))
	for _, name := range m.rm.unread[:shown] {
		m.side = append(m.side, row(ansi.Truncate("#"+name, text-2, "…")+" •", m.st.mark))
	}
	taken := 1 + shown
	if more := n - shown; more > 0 {
		m.side = append(m.side, row(m.wd.more(more), m.st.sep))
		taken++
	}
	m.rm.listed = true
	return taken
}
