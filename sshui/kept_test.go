package sshui

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"palabre/room"
)

// servedScreens are n screens of one server (shared rows, shared kept
// messages), 100 × 30 and in colour as the bench's are.
func servedScreens(n int) []*model {
	rows, kept := newRowCache(), newKeptMessages()
	screens := make([]*model, n)
	for i := range screens {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.ANSI256)
		screens[i] = newModel(modelConfig{Renderer: r, Room: "lobby", Member: &fakeSelf{uint64(100 + i), fmt.Sprintf("member%d", i)},
			Width: 100, Height: 30, Location: time.UTC, Rows: rows, Kept: kept})
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

// A screen keeps the server's copy of a public message, not one of its
// own; what is not the same for every screen stays each screen's.
func TestScreensShareKeptMessages(t *testing.T) {
	screens := servedScreens(3)
	said := roomSays(5)
	private := room.Message{Seq: 6, Kind: room.KindPrivate, From: "sender1", SenderID: 2, To: "member0", Text: "psst"}
	for _, m := range screens {
		m.receive(said)
	}
	screens[0].receive([]room.Message{private})
	for i := range said {
		a, b := screens[0].sb.entries.at(i).msg, screens[2].sb.entries.at(i).msg
		if a != b {
			t.Fatalf("message %d: screens keep copies of their own (%p, %p)", i+1, a, b)
		}
	}
	// The same number with other words (never from the hub; a store
	// restored by hand could) is not taken for the message kept.
	other := said[0]
	other.Text = "other words"
	screens[1].receive([]room.Message{other})
	last := screens[1].sb.entries.at(screens[1].sb.entries.n - 1).msg
	if last.Text != "other words" || last == screens[0].sb.entries.at(0).msg {
		t.Errorf("the screen keeps %q, the shared %p", last.Text, last)
	}
	if k := screens[0].cfg.Kept; k.msgs[private.Seq] != nil {
		t.Errorf("a private message was shared")
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
