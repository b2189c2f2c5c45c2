package sshui

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

func TestUnfinished(t *testing.T) {
	for _, tt := range []struct {
		end  string
		want int
	}{
		{"abc", 0},
		{"abc\x1b", 1},
		{"abc\x1b[", 2},
		{"abc\x1b[20", 4},
		{"abc\x1b[200~", 0},
		{"abc\x1b[1;5", 5},
		{"abc\x1b[1;5A", 0},
		{"abc\x1bO", 2},
		{"abc\x1bOP", 0},
		{"abc 12", 0},
		{"a [12", 0},
		{"caf\xc3", 1},
		{"caf\xc3\xa9", 0},
		{"\xe4\xb8", 2},
		{"\xf0\x9f\x98", 3},
		{"\xf0\x9f\x98\x80", 0},
	} {
		if got := unfinished([]byte(tt.end)); got != tt.want {
			t.Errorf("unfinished(%q) = %d, want %d", tt.end, got, tt.want)
		}
	}
}

// keys records the keys a program is given until ctrl+c.
type keys struct{ got []tea.KeyMsg }

func (k *keys) Init() tea.Cmd { return nil }
func (k *keys) View() string  { return "" }
func (k *keys) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if key, ok := msg.(tea.KeyMsg); ok {
		if key.Type == tea.KeyCtrlC {
			return k, tea.Quit
		}
		k.got = append(k.got, key)
	}
	return k, nil
}

// Whatever the read a sequence or a character falls across, bubbletea's
// parser is given it whole: a paste whose start marker begins on the last
// byte of a full read is still a paste, not an Escape and typing.
func TestInputGuardKeepsSequencesWhole(t *testing.T) {
	const paste = "\x1b[200~"
	type stream struct {
		name   string
		first  string // 255 bytes: a full read ends with the first byte that follows
		follow string
		want   []string // each key's text, "P:" for a paste
	}
	var streams []stream
	// The start marker of a paste cut after each of its bytes.
	for cut := 1; cut < len(paste); cut++ {
		x := strings.Repeat("x", 256-cut-2*len(paste))
		streams = append(streams, stream{fmt.Sprintf("a paste's start marker cut after %d bytes", cut),
			paste + x + "\x1b[201~" + paste[:cut-1], paste[cut-1:] + "hello\n\x1b[201~", []string{"P:" + x, "P:hello\n"}})
	}
	streams = append(streams,
		stream{"an arrow key", strings.Repeat("y", 254) + "\x1b", "[A", []string{strings.Repeat("y", 254), "up"}},
		stream{"a character", strings.Repeat("z", 255), "é", []string{strings.Repeat("z", 255) + "é"}})
	for _, tt := range streams {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.first) != 255 {
				t.Fatalf("the start is %d bytes, want 255", len(tt.first))
			}
			g := &inputGuard{r: bytes.NewReader([]byte(tt.first + tt.follow + "\x03")), wait: func() {}, tooLong: func() {}}
			k := &keys{}
			p := tea.NewProgram(k, tea.WithInput(g), tea.WithoutRenderer(), tea.WithOutput(io.Discard), tea.WithoutSignalHandler())
			ran := make(chan error, 1)
			go func() { _, err := p.Run(); ran <- err }()
			select {
			case err := <-ran:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				p.Kill()
				t.Fatal("ctrl+c never came through")
			}
			var got []string
			for _, key := range k.got {
				switch {
				case key.Paste:
					got = append(got, "P:"+string(key.Runes))
				case key.Type == tea.KeyRunes && len(got) > 0 && !strings.HasPrefix(got[len(got)-1], "P:") && got[len(got)-1] != "up":
					got[len(got)-1] += string(key.Runes) // one run of characters, however the parser cut it
				case key.Type == tea.KeyRunes:
					got = append(got, string(key.Runes))
				default:
					got = append(got, key.String())
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("the program got %q, want %q", got, tt.want)
			}
		})
	}
}
