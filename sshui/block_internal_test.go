package sshui

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"palabre/room"
)

func blockPainter(profile termenv.Profile) *painter {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(profile)
	st := newStyles(r)
	return &painter{st: &st, loc: time.UTC, profile: profile}
}

// A line of code wider than the screen wraps under its own indentation,
// its continuation marked in the margin; nothing is lost and no row is
// wider than the screen.
func TestBlockWrapsUnderItsIndentation(t *testing.T) {
	long := "        return " + strings.Repeat("x", 60)
	msg := room.Message{Kind: room.KindBlock, From: "alice", SenderID: 2, Text: "def f():\n" + long}
	for _, profile := range []termenv.Profile{termenv.Ascii, termenv.ANSI256} {
		rows := blockPainter(profile).render(item{msg: &msg}, 1, 40).rows
		margin, cont := "| ", ": "
		if profile != termenv.Ascii {
			margin, cont = blockMargin, blockMarginCont
		}
		var text []string
		for i, r := range rows {
			plain := ansi.Strip(r.s)
			if w := ansi.StringWidth(r.s); w != r.w || w > 40 {
				t.Errorf("%v row %d %q: %d columns, measured %d", profile, i, plain, w, r.w)
			}
			switch {
			case i == 0:
				if !strings.Contains(plain, "alice:") {
					t.Errorf("%v head row %q", profile, plain)
				}
			case i == 1:
				if plain != "        "+margin+"def f():" {
					t.Errorf("%v row 1 %q", profile, plain)
				}
			case i == 2:
				body, ok := strings.CutPrefix(plain, "        "+margin)
				if !ok {
					t.Errorf("%v row 2 %q", profile, plain)
				}
				text = append(text, body)
			default:
				body, ok := strings.CutPrefix(plain, "        "+cont+"        ")
				if !ok {
					t.Errorf("%v continuation row %q lost the indentation", profile, plain)
				}
				text = append(text, body)
			}
		}
		if got := strings.Join(text, ""); got != long {
			t.Errorf("%v: the long line reads %q", profile, got)
		}
	}
}

// Fenced code is coloured with SGR sequences around its very text, on a
// terminal with colour; not at all without, nor in an unknown language.
func TestHighlight(t *testing.T) {
	lines := []string{"def f(x):", "    return x  # done", `    s = """a`, `b"""`}
	for _, profile := range []termenv.Profile{termenv.ANSI, termenv.ANSI256, termenv.TrueColor} {
		out := highlight("python", lines, profile)
		if len(out) != len(lines) || !strings.Contains(out[0], "\x1b[") {
			t.Fatalf("%v: %q", profile, out)
		}
		for i, s := range out {
			if !sgrOnly(s) || ansi.Strip(s) != lines[i] {
				t.Errorf("%v line %d: %q", profile, i, s)
			}
		}
	}
	if out := highlight("python", lines, termenv.Ascii); out != nil {
		t.Errorf("Ascii: %q", out)
	}
	if out := highlight("no-such-language", lines, termenv.ANSI256); out != nil {
		t.Errorf("an unknown language: %q", out)
	}
}

func TestSGROnly(t *testing.T) {
	for s, want := range map[string]bool{
		"plain": true, "\x1b[38;5;81mdef\x1b[0m": true, "\x1b[1m\x1b[3mx": true,
		"\x1b]52;c;x\x07": false, "\x1b[2J": false, "\x1b[?1049h": false, "a\x07": false, "\x1b": false, "\x1b[31": false,
	} {
		if got := sgrOnly(s); got != want {
			t.Errorf("sgrOnly(%q) = %v", s, got)
		}
	}
}
