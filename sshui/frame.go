package sshui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// frame is what a screen shows, row by row. View joins it into one string
// (the tests' and bubbletea's way); the terminal (term) redraws only the
// rows that differ from the frame it drew last, and scrolls the message
// area when its rows moved, so that a new message costs each screen about
// one row of output, not a screen's worth.
type frame struct {
	w, h  int // the layout's size; the terminal's if it is not below the minimum
	title string
	rows  []areaRow // the message area, h-2 rows
	input line
	side  bool // whether rows hold the member list
	// sep begins the list's rows that have text ("│ ", styled, two
	// columns): a row of the list written again over another need not
	// write it again.
	sep   string
	areaW int // the message column's width
	// top is the number of the scrollback row shown first, and epoch
	// changes when the scrollback is drawn again: between two frames of
	// one epoch, the message area moved by the difference of their tops.
	top, epoch int
	clipped    bool // the terminal is smaller than the layout: View's rows are cut
}

// areaRow is one row of the message area: a message row, and the member
// list's row beside it when it shows.
type areaRow struct{ msg, side line }

// compose fills f with what shows now. Its cost follows the screen's size,
// not the scrollback's: every row was rendered when its message came.
func (m *model) compose(f *frame) {
	w, h := m.layout()
	areaH := h - 2
	f.w, f.h, f.side, f.areaW, f.epoch = w, h, m.sidebar(), m.areaW, m.sb.epoch
	f.sep = m.sideSep
	f.clipped = m.width < w || m.height < h
	f.title = m.titleBar(w)

	// A pinned row (the poll, on a narrow screen) takes the area's first
	// row: the messages show below it, row r showing the one at top+r.
	pinned, pinnedPoll := m.pollBanner()
	msgH, first := areaH, 0
	if pinnedPoll {
		msgH, first = areaH-1, 1
	}
	end := m.sb.n - m.offset
	start := max(0, end-msgH) - first
	f.top = m.sb.dropped + start
	mark := m.offset > 0 && m.unread > 0
	markRow := areaH - 1
	held := m.cfg.Held()
	queued := held > 0
	if queued {
		markRow-- // the flood notice takes the last row, above the input
	}
	lo := max(0, start)
	m.span = m.sb.appendRows(m.span[:0], lo, end)
	f.rows = f.rows[:0]
	for r := range areaH {
		var row areaRow
		switch {
		case pinnedPoll && r == 0:
			row.msg = pinned
		case queued && r == areaH-1:
			row.msg = m.banner(m.queuedText(held))
		case mark && r == markRow:
			row.msg = m.unreadMark()
		case start+r < end && start+r >= 0:
			row.msg = m.span[start+r-lo]
		}
		if f.side {
			row.side = m.sideBlank
			if r < len(m.side) {
				row.side = m.side[r]
			}
		}
		f.rows = append(f.rows, row)
	}
	f.input = m.inputRow(w)
}

// inputRow is the text input's row, drawn again only after something that
// may change it: a message costs no trip through the input's styling.
func (m *model) inputRow(w int) line {
	if m.inputDirty || m.input.s == "" {
		in := m.ti.View()
		iw := ansi.StringWidth(in)
		if iw > w {
			in = ansi.Truncate(in, w, "")
			iw = ansi.StringWidth(in)
		}
		m.input, m.inputDirty = line{in, iw}, false
	}
	return m.input
}

// View draws the frame as one string.
func (m *model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	f := &m.view
	m.compose(f)
	var b strings.Builder
	b.Grow((f.w + 64) * f.h) // room for the escape codes of a styled row
	b.WriteString(f.title)
	for _, r := range f.rows {
		b.WriteByte('\n')
		f.writeRow(&b, r)
	}
	b.WriteByte('\n')
	b.WriteString(f.input.s)
	if f.clipped {
		return clip(b.String(), m.width, m.height)
	}
	return b.String()
}

// writeRow writes an area row and returns its width.
func (f *frame) writeRow(b interface {
	WriteString(string) (int, error)
}, r areaRow) int {
	b.WriteString(r.msg.s)
	if !f.side {
		return r.msg.w
	}
	b.WriteString(spaces(f.areaW + 1 - r.msg.w))
	b.WriteString(r.side.s)
	return f.areaW + 1 + r.side.w
}

// spaces returns n spaces (none for n <= 0) without allocating for rows up
// to the widest terminal.
func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

var blanks = strings.Repeat(" ", maxCols)

// titleBar is cached: it changes with a nick, a join or a leave, a move, or
// a resize.
func (m *model) titleBar(w int) string {
	unread := 0
	if !m.rm.listed { // the side panel does not list them: the title counts them
		unread = len(m.rm.unread)
	}
	key := titleKey{m.cfg.Member.Name(), m.count, w, m.topic, m.rm.cur.name, unread, m.modesTitle(), m.hands}
	if key != m.titleKey || m.title == "" {
		m.titleKey, m.title = key, m.drawTitle(key)
	}
	return m.title
}

type titleKey struct {
	name  string
	count int
	width int
	topic string
	room  string
	// unread is how many other rooms have messages not shown, when the
	// side panel does not list them.
	unread int
	modes  string // the room's slow and quiet modes (slowquiet.go)
	hands  int    // raised hands, for an operator
}

// minTitleLeft is the fewest columns worth giving the room's part of the
// title bar, beside the member's name.
const minTitleLeft = 4

func (m *model) drawTitle(k titleKey) string {
	w := k.width
	// The room stands first, as a channel does in an IRC client's title.
	left := " #" + k.room + " · " + m.wd.memberCount(k.count)
	if k.hands > 0 {
		left += " · " + m.wd.handsRaised(k.hands)
	}
	if k.unread > 0 {
		left += " · " + m.wd.unreadCount(k.unread)
	}
	if k.modes != "" {
		left += " · " + k.modes // before the topic: a long topic is cut first
	}
	if k.topic != "" {
		left += " · " + k.topic
	}
	right := m.wd.you(k.name) + " "
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	var s string
	switch {
	case lw+1+rw <= w:
		s = left + strings.Repeat(" ", w-lw-rw) + right
	case w-rw-1 >= minTitleLeft:
		// Who the member is stays: the left part is cut from its end,
		// the topic first, then the member count.
		left = ansi.Truncate(left, w-rw-1, "…")
		s = left + strings.Repeat(" ", w-ansi.StringWidth(left)-rw) + right
	default:
		// Narrower than the name itself: the name, as much of it as fits.
		s = ansi.Truncate(right, w, "…")
		s += strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
	}
	return m.st.title.Render(s)
}

func (m *model) unreadMark() line {
	return m.banner(" ↓ " + m.wd.unreadText(m.unread) + " (" + m.wd.endKey() + ") ")
}

// banner is a row of the message area given to a notice, centred.
func (m *model) banner(text string) line {
	tw := ansi.StringWidth(text)
	if tw > m.areaW {
		text = ansi.Truncate(text, m.areaW, "")
		tw = ansi.StringWidth(text)
	}
	left := (m.areaW - tw) / 2
	s := strings.Repeat("─", left) + text + strings.Repeat("─", m.areaW-tw-left)
	return line{m.st.unread.Render(s), m.areaW}
}

// clip cuts a frame laid out for the minimum size to a smaller terminal,
// keeping its bottom rows, where the input is.
func clip(frame string, width, height int) string {
	rows := strings.Split(frame, "\n")
	rows = rows[max(0, len(rows)-height):]
	for i, r := range rows {
		rows[i] = ansi.Truncate(r, width, "")
	}
	return strings.Join(rows, "\n")
}
