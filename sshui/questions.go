package sshui

import (
	"fmt"

	"github.com/charmbracelet/x/ansi"

	"palabre/room"
)

// questionsListed bounds the open questions the side panel shows: the
// most upvoted few; /questions lists them all.
const questionsListed = 3

// questionRows appends the side panel's open questions to side, in at
// most rows rows, and returns how many it took. No author is shown, so
// none can be shown to whom it should not.
func (m *model) questionRows(rows int, row func(string, ink) line) int {
	n := len(m.questions)
	if n == 0 || rows < 4 {
		return 0
	}
	text := sidebarWidth - 2
	// The member list keeps at least half the column.
	shown := min(n, max(rows/2-2, 1))
	m.side = append(m.side, row(ansi.Truncate(m.wd.questionsHeader(m.openQuestions), text, ""), m.st.sideHead))
	for _, q := range m.questions[:shown] {
		s := fmt.Sprintf("Q%d [%d] %s", q.N, q.Votes, room.Sanitize(q.Text))
		m.side = append(m.side, row(ansi.Truncate(s, text, "…"), m.st.sep))
	}
	taken := 1 + shown
	if more := m.openQuestions - shown; more > 0 {
		m.side = append(m.side, row(m.wd.more(more), m.st.sep))
		taken++
	}
	return taken
}

func (w words) questionsHeader(n int) string {
	return fmt.Sprintf(w.pick("Questions (%d)", "Questions (%d)"), n)
}
