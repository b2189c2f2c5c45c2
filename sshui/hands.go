package sshui

import (
	"fmt"

	"github.com/muesli/termenv"
)

// handMark is what the member list puts before a raised hand's name: the
// hand where the terminal draws colour and so, we take it, UTF-8; a '?'
// where it draws plain text. The hand is two columns wide, and measured so.
func (m *model) handMark() string {
	if m.paint.profile == termenv.Ascii {
		return "? "
	}
	return "✋ "
}

// handsRaised is the title bar's count of raised hands, for an operator.
func (w words) handsRaised(n int) string {
	return fmt.Sprintf(w.pick("%d hand(s) raised", "%d main(s) levée(s)"), n)
}
