package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"palabre/room"
)

// `palabre transcript` prints a block as its lines, each dated and tagged
// with its sender, indentation kept; --format json keeps its newlines.
func TestTranscriptPrintsABlockAsItsLines(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	data := filepath.Join(t.TempDir(), "data")
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.Local)
	runStore(t, data, at, []event{
		{kind: room.KindBlock, room: "main", from: "alice", text: "```python\ndef f(x):\n    return x\n```"},
		{kind: room.KindChat, room: "main", from: "bob", text: "merci"},
	})
	out, errs, code := transcript(t, nil, "--data-dir", data, "--room", "main")
	want := "2026-11-24 10:02 alice> ```python\n" +
		"2026-11-24 10:02 alice> def f(x):\n" +
		"2026-11-24 10:02 alice>     return x\n" +
		"2026-11-24 10:02 alice> ```\n" +
		"2026-11-24 10:03 bob> merci\n"
	if code != 0 || out != want {
		t.Errorf("exit %d (%s)\n%s\nwant\n%s", code, errs, out, want)
	}
	out, _, _ = transcript(t, nil, "--data-dir", data, "--format", "json")
	if !strings.Contains(out, `"kind":"block"`) || !strings.Contains(out, `def f(x):\n    return x`) {
		t.Errorf("as JSON:\n%s", out)
	}
}
