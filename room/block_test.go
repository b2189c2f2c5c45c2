package room

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanBlock(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"indentation kept", "def f(x):\n    return x", "def f(x):\n    return x"},
		{"tabs to stops", "if x {\n\treturn\n\t\ty\n}", "if x {\n    return\n        y\n}"},
		{"tab mid-line", "ab\tc", "ab  c"},
		{"CRLF and CR", "a\r\nb\rc", "a\nb\nc"},
		{"blank ends trimmed", "\n  \n a\n\nb  \n \t\n\n", " a\n\nb"},
		{"escapes dropped", "x\x1b[2J\x1b]0;pwn\x07y\n\x1b[31mred", "x[2J]0;pwny\n[31mred"},
		{"bad UTF-8", "a\xff\xfeb\nc", "a\ufffd\ufffdb\nc"},
		{"bidi and BOM", "a\u202eb\ufeff", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CleanBlock(tt.in, DefaultMaxBlockBytes)
			if got != tt.want || !ok {
				t.Errorf("CleanBlock(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

// The block's bound is measured on what it becomes: lines, bytes; and a
// hostile paste far over it is refused unread.
func TestCleanBlockBound(t *testing.T) {
	line := strings.Repeat("x", 79)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"at the bound", strings.Repeat(line+"\n", 102) + strings.Repeat("y", 8192-80*102), true},
		{"a byte over", strings.Repeat(line+"\n", 102) + strings.Repeat("y", 8193-80*102), false},
		{"lines at the bound", strings.Repeat("x\n", MaxBlockLines), true},
		{"a line over", strings.Repeat("x\n", MaxBlockLines+1), false},
		{"10 000 lines", strings.Repeat("print(1)\n", 10000), false},
		{"escapes that shrink to fit", strings.Repeat("\x1b[31m", 1000) + "a\nb", true},
		{"bad bytes that grow past it", strings.Repeat("\xff", 3000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CleanBlock(tt.in, DefaultMaxBlockBytes)
			if ok != tt.ok {
				t.Errorf("fits = %v (%d bytes, %d lines); want %v", ok, len(got), strings.Count(got, "\n")+1, tt.ok)
			}
			if ok && (len(got) > DefaultMaxBlockBytes || !utf8.ValidString(got)) {
				t.Errorf("cleaned block of %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
			}
		})
	}
}

// A 40-line paste is one message to every member, its lines in order; not
// a command, not split, not bounded by MaxMessageBytes.
func TestPostBlockIsOneMessage(t *testing.T) {
	h := newTestHub(t, Options{MaxMessageBytes: 64})
	ms := joinAll(t, h, "alice", "bob")
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf("%*sline %02d", i%4*4, "", i))
	}
	lines[0] = "/quit"
	h.PostBlock(ms[0], strings.Join(lines, "\n"))
	got := ms[1].Drain(nil)
	if len(got) != 1 || got[0].Kind != KindBlock || got[0].From != "alice" {
		t.Fatalf("bob got %s", dump(got))
	}
	if got[0].Text != strings.Join(lines, "\n") {
		t.Errorf("the block reads\n%s", got[0].Text)
	}
	if isDone(ms[0]) {
		t.Error("a block's /quit ran as a command")
	}
	if r := h.def.history.Recent(); len(r) != 1 || r[0].Kind != KindBlock {
		t.Errorf("history holds %s", dump(r))
	}
}

func TestPostBlockOverTheBoundIsRefusedWhole(t *testing.T) {
	h := newTestHub(t, Options{MaxBlockBytes: 1000})
	ms := joinAll(t, h, "alice", "bob")
	h.PostBlock(ms[0], strings.Repeat("\x1b[2Jhostile\xff\n", 10000))
	if got := ms[1].Drain(nil); len(got) != 0 {
		t.Fatalf("bob got %s", dump(got))
	}
	got := ms[0].Drain(nil)
	if len(got) != 1 || got[0].Err != ErrBlockTooLong {
		t.Fatalf("alice got %s", dump(got))
	}
	if s := LangEN.Describe(got[0]); !strings.Contains(s, "1000 bytes") || !strings.Contains(s, "not sent") {
		t.Errorf("alice is told %q", s)
	}
}

func TestFenced(t *testing.T) {
	tests := []struct {
		in, lang, code string
		ok             bool
	}{
		{"```python\ndef f():\n    pass\n```", "python", "def f():\n    pass", true},
		{"```\nx\n```", "", "x", true},
		{"``` c++ \nx\n ``` ", "c++", "x", true},
		{"```python\nx", "", "", false},
		{"```py thon\nx\n```", "", "", false},
		{"```go\nx\n```go", "", "", false},
		{"a\n```", "", "", false},
	}
	for _, tt := range tests {
		lang, code, ok := Fenced(tt.in)
		if lang != tt.lang || code != tt.code || ok != tt.ok {
			t.Errorf("Fenced(%q) = %q, %q, %v", tt.in, lang, code, ok)
		}
	}
}
