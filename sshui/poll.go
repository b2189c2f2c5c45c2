package sshui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"palabre/room"
)

// A screen shows its room's open poll and its tally, read from the hub as
// the rooms are (once a second, and at once after a poll event or its own
// vote): a class voting costs each screen at most a frame a second, not
// one per vote. From sidebarMin columns the side panel shows it above the
// member list; narrower, one row pinned at the top of the message area.

// pollScreen is what a screen shows of its room's poll.
type pollScreen struct {
	shown *room.PollView // the tally shown; nil: no poll open
}

// lookAtPoll takes the open poll's tally, and reports whether the screen
// changed. A tally is a snapshot the hub replaces at each vote: the same
// pointer is the same tally.
func (m *model) lookAtPoll() bool {
	v := m.cfg.Poll()
	if v == m.poll.shown {
		return false
	}
	m.poll.shown = v
	m.buildSidebar()
	return true
}

// pollEvent reports whether a message changes the poll the screen shows.
func pollEvent(k room.Kind) bool {
	return k == room.KindPoll || k == room.KindPollResult || k == room.KindVote || k == room.KindMove
}

// Side panel columns of a choice: "1 pizza    ███  12".
const (
	pollCountCols = 4
	pollBarCols   = 4
)

// pollRows appends the side panel's poll to side, in at most half of rows
// (the member list keeps the rest), and returns how many it took. Short of
// rows, the question goes first, then the last choices, counted in a row
// of their own ("+3 more"): /poll shows them all.
func (m *model) pollRows(rows int, row func(string, ink) line) int {
	v := m.poll.shown
	avail := rows / 2
	if v == nil || avail < 3 {
		return 0
	}
	n := len(v.Choices)
	fixed := 2 // the heading and a blank row
	withQuestion := avail >= fixed+1+n
	if withQuestion {
		fixed++
	}
	shown := min(n, avail-fixed)
	if shown < n {
		shown-- // a row says how many more
	}
	text := sidebarWidth - 2
	start := len(m.side)
	m.side = append(m.side, row(fitPoll(text, m.wd.pollHeader(v.Total), m.wd.votes(v.Total)), m.st.sideHead))
	if withQuestion {
		m.side = append(m.side, row(ansi.Truncate(room.Sanitize(v.Question), text, "…"), m.st.mark))
	}
	label := text - pollCountCols - pollBarCols - 1
	for i, c := range v.Choices[:shown] {
		name := ansi.Truncate(strconv.Itoa(i+1)+" "+room.Sanitize(c), label, "…")
		name += strings.Repeat(" ", label-ansi.StringWidth(name))
		bar, _ := room.PollBar(v.Counts[i], v.Total, pollBarCols)
		m.side = append(m.side, row(fmt.Sprintf("%s %s%*d", name, bar, pollCountCols, v.Counts[i]), m.st.sep))
	}
	if more := n - shown; more > 0 {
		m.side = append(m.side, row(ansi.Truncate(m.wd.pollMore(more), text, ""), m.st.sep))
	}
	m.side = append(m.side, m.sideBlank)
	return len(m.side) - start
}

// pollBanner is the row pinned at the top of a message area without a side
// panel: "Poll: Lunch? 1:12 2:18 · /vote N", cut to the width.
func (m *model) pollBanner() (line, bool) {
	if m.pinnedRows() == 0 {
		return line{}, false
	}
	v := m.poll.shown
	var b strings.Builder
	b.WriteString(" " + m.wd.pollLabel() + " " + room.Sanitize(v.Question))
	for i, n := range v.Counts {
		fmt.Fprintf(&b, " %d:%d", i+1, n)
	}
	b.WriteString(" · /vote N ")
	s := ansi.Truncate(b.String(), m.areaW, "…")
	s += strings.Repeat(" ", max(0, m.areaW-ansi.StringWidth(s)))
	return line{m.st.title.Render(s), m.areaW}, true
}

func (w words) pollLabel() string { return w.pick("Poll:", "Sondage :") }

func (w words) pollHeader(votes int) string {
	return w.pick("Poll · ", "Sondage · ") + w.votes(votes)
}

// pollMore says how many choices the side panel cannot show (8 at most).
func (w words) pollMore(n int) string {
	return fmt.Sprintf(w.pick("+%d more: /poll", "+%d autres : /poll"), n)
}

func (w words) votes(n int) string {
	if n == 1 {
		return w.pick("1 vote", "1 voix")
	}
	return fmt.Sprintf(w.pick("%d votes", "%d voix"), n)
}

// fitPoll is long if it fits in width columns, else short, cut if need be.
func fitPoll(width int, long, short string) string {
	if ansi.StringWidth(long) <= width {
		return long
	}
	return ansi.Truncate(short, width, "")
}

// pinnedRows is how many rows at the top of the message area are pinned.
func (m *model) pinnedRows() int {
	if m.poll.shown != nil && !m.sidebar() {
		return 1
	}
	return 0
}
