package sshui

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"palabre/room"
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
			if got, want := sb.entries.at(i).r.msg.Text, fmt.Sprintf("n%d", sent-sb.entries.n+i); got != want {
				t.Fatalf("%s: message %d of %d is %q, want %q", when, i, sb.entries.n, got, want)
			}
		}
	}
	check("as they came")
	h.send(tea.WindowSizeMsg{Width: 60, Height: 10})
	check("at 60 columns")
}

// servedScreens are n screens of one server (sharing renderings), 100 × 30
// and in colour as the bench's are.
func servedScreens(n int) []*model {
	rows := newRowCache()
	screens := make([]*model, n)
	for i := range screens {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.ANSI256)
		screens[i] = newModel(modelConfig{Renderer: r, Room: "lobby", Member: &fakeSelf{uint64(100 + i), fmt.Sprintf("member%d", i)},
			Width: 100, Height: 30, Location: time.UTC, Rows: rows})
	}
	return screens
}

// roomSays is the room's n public messages, numbered from 1, as the hub
// hands them to each member: one value per member, the same words.
func roomSays(n int) []room.Message {
	msgs := make([]room.Message, n)
	start := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for i := range msgs {
		sender := i % 10
		msgs[i] = room.Message{Seq: uint64(i + 1), At: start.Add(time.Duration(i) * 10 * time.Millisecond), Kind: room.KindChat,
			Room: "lobby", From: fmt.Sprintf("sender%d", sender), SenderID: uint64(sender + 1),
			Text: fmt.Sprintf("tok%08d a line of ordinary length, as a class types it", i)}
	}
	return msgs
}

// Screens of one server keep one copy of a message they render alike, its
// rows and the message itself; what is a screen's own (a mention of its
// member) stays its own, and no screen keeps the caller's message.
func TestScreensShareWhatTheyKeep(t *testing.T) {
	screens := servedScreens(3)
	said := roomSays(5)
	said[2].Text = "hello member1"
	for _, m := range screens {
		batch := append([]room.Message(nil), said...)
		m.receive(batch)
		clear(batch) // the pump's buffer, cleared once shown
	}
	for i := range said {
		a, b := screens[0].sb.entries.at(i).r, screens[2].sb.entries.at(i).r
		if a != b || a.msg != b.msg {
			t.Errorf("message %d: screens keep copies of their own (%p, %p)", i+1, a, b)
		}
		if a.msg.Text != said[i].Text {
			t.Errorf("message %d: kept %q, want %q", i+1, a.msg.Text, said[i].Text)
		}
	}
	own := screens[1].sb.entries.at(2).r
	if own == screens[0].sb.entries.at(2).r || !own.mention || own.rows[0].s == screens[0].sb.entries.at(2).r.rows[0].s {
		t.Errorf("the mention of member1 is not its screen's own: %+v", own)
	}
}

// BenchmarkScreensHold measures what 100 screens of one server hold, per
// screen, once the room has said 200 messages (10 a second for 20 s) or
// 2000 (100 a second): the Go heap they keep alive, after a GC.
func BenchmarkScreensHold(b *testing.B) {
	const screens = 100
	for _, n := range []int{200, 2000} {
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			said := roomSays(n)
			var held int64
			for range b.N {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				ms := servedScreens(screens)
				for j := range said {
					for _, m := range ms {
						m.receive(said[j : j+1])
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				runtime.KeepAlive(ms)
				held += int64(after.HeapAlloc) - int64(before.HeapAlloc)
			}
			b.ReportMetric(float64(held)/float64(b.N)/screens, "heap-B/screen")
		})
	}
}
