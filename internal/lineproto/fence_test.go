package lineproto

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"palabre/room"
)

func blockHub(t *testing.T, opts room.Options) (*room.Hub, *room.Member, *room.Member) {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := room.NewHub(opts)
	var ms []*room.Member
	for _, name := range []string{"alice", "bob"} {
		m, _, err := hub.Join(room.JoinRequest{Name: name, Door: room.DoorTCP})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	ms[0].Drain(nil)
	ms[1].Drain(nil)
	return hub, ms[0], ms[1]
}

// Lines between fences are one block, fences kept; a fence opened by an
// unframed piece is no fence; one left open goes at the end.
func TestFence(t *testing.T) {
	hub, alice, bob := blockHub(t, room.Options{})
	in := Input{Hub: hub, Member: alice, MessageBytes: 1024}
	for _, l := range []string{"```python", "def f(x):", "\treturn x", "```", "after"} {
		in.Line(l)
	}
	got := bob.Drain(nil)
	if len(got) != 2 || got[0].Kind != room.KindBlock || got[0].Text != "```python\ndef f(x):\n    return x\n```" || got[1].Text != "after" {
		t.Fatalf("bob got %+v", got)
	}
	in.Piece("```")
	in.Line("x")
	if got := bob.Drain(nil); len(got) != 2 || got[0].Kind != room.KindChat || got[0].Text != "```" {
		t.Fatalf("an unframed fence opened a block: %+v", got)
	}
	in.Line("```")
	in.Line("open")
	if got := bob.Drain(nil); len(got) != 0 {
		t.Fatalf("an open fence posted %+v", got)
	}
	in.End()
	if got := bob.Drain(nil); len(got) != 1 || got[0].Text != "```\nopen" {
		t.Fatalf("an open fence at the end posted %+v", got)
	}
}

// A fence past the block's bound is flushed in blocks within it, in order,
// nothing lost; none refused.
func TestFenceFlushedAtTheBound(t *testing.T) {
	hub, alice, bob := blockHub(t, room.Options{MaxBlockBytes: 300})
	in := Input{Hub: hub, Member: alice, MessageBytes: 1024}
	in.Line("```go")
	var want []string
	for i := range 100 {
		l := fmt.Sprintf("line %03d", i)
		want = append(want, l)
		in.Line(l)
	}
	in.Line("```")
	var lines []string
	for _, m := range bob.Drain(nil) {
		if m.Kind != room.KindBlock || len(m.Text) > 300 {
			t.Fatalf("bob got a %v of %d bytes: %q", m.Kind, len(m.Text), m.Text)
		}
		for _, l := range strings.Split(m.Text, "\n") {
			if !strings.HasPrefix(l, "```") {
				lines = append(lines, l)
			}
		}
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("the blocks hold\n%q", lines)
	}
	if got := alice.Drain(nil); len(got) != 0 {
		t.Errorf("alice was told %+v", got)
	}
}

// Flood control counts a block once: a burst of 2 takes a 40-line block
// and a line with no wait.
func TestBlockCountsOnceForFloodControl(t *testing.T) {
	var slept time.Duration
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	hub, alice, bob := blockHub(t, room.Options{MsgRate: 1, MsgBurst: 2, Now: func() time.Time { return now },
		Sleep: func(d time.Duration, _ <-chan struct{}) bool { slept += d; return true }})
	in := Input{Hub: hub, Member: alice, MessageBytes: 1024}
	in.SendBlock(strings.Repeat("code\n", 40))
	in.Line("hello")
	if slept != 0 {
		t.Errorf("flood control held alice %v for a block and a line", slept)
	}
	in.Line("third")
	if slept == 0 {
		t.Error("the third message past a burst of 2 went unheld")
	}
	if got := bob.Drain(nil); len(got) != 3 {
		t.Errorf("bob got %d messages", len(got))
	}
}
