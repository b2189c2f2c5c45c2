package sshui

import (
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
)

// The scrollback's ring of messages keeps the newest, in order, as it
// grows, wraps and is rendered again at another width.
func TestScrollbackKeepsMessagesInOrder(t *testing.T) {
	h := newHarness(setup{profile: termenv.Ascii, w: 40, h: 10})
	h.m.sb.max = 150 // the ring grows past 16, 32, 64 and 128, then wraps
	const sent = 400
	for i := range sent {
		h.send(batchMsg{chat(i/60, "bob", 2, fmt.Sprintf("n%d", i))})
	}
	check := func(when string) {
		sb := &h.m.sb
		if sb.entries.n < sb.n || sb.entries.n > sb.max {
			t.Fatalf("%s: %d messages kept for %d rows", when, sb.entries.n, sb.n)
		}
		for i := range sb.entries.n {
			if got, want := sb.entries.at(i).msg.Text, fmt.Sprintf("n%d", sent-sb.entries.n+i); got != want {
				t.Fatalf("%s: message %d of %d is %q, want %q", when, i, sb.entries.n, got, want)
			}
		}
	}
	check("as they came")
	h.send(tea.WindowSizeMsg{Width: 60, Height: 10})
	check("at 60 columns")
}
