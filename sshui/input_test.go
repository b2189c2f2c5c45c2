package sshui

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
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

// chunks is a reader that returns one chunk a Read, as a session's reads
// come with its packets.
type chunks []string

func (c *chunks) Read(p []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	if (*c)[0] = (*c)[0][n:]; (*c)[0] == "" {
		*c = (*c)[1:]
	}
	return n, nil
}

// readAll reads g to its end and returns each read's bytes.
func readAll(t *testing.T, g *inputGuard) []string {
	t.Helper()
	var reads []string
	buf := make([]byte, 256)
	for range 1 << 16 { // more reads than any test's input has bytes
		n, err := g.Read(buf)
		if n > 0 {
			reads = append(reads, string(buf[:n]))
		}
		if err != nil {
			return reads
		}
	}
	t.Fatal("no end")
	return nil
}

// The terminal's answer to whether it has margins is taken out of what the
// screen reads, wherever it comes, even cut across two reads; only the
// first answer is, and nothing typed is held back for long: an Escape
// alone is given at once.
func TestInputGuardTakesTheMarginsAnswer(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in      chunks
		reads   []string
		margins bool
	}{
		{"xterm's answer alone", chunks{"\x1b[?69;2$y"}, nil, true},
		{"set", chunks{"\x1b[?69;1$y"}, nil, true},
		{"amid keys", chunks{"ab\x1b[?69;2$ycd"}, []string{"abcd"}, true},
		{"cut in its head", chunks{"a\x1b[?6", "9;2$yb"}, []string{"a", "b"}, true},
		{"cut after ESC [", chunks{"a\x1b[", "?69;2$yb"}, []string{"a", "b"}, true},
		{"an arrow cut after ESC [", chunks{"\x1b[", "A"}, []string{"\x1b[A"}, false},
		{"cut after its number", chunks{"\x1b[?69;2", "$yq"}, []string{"q"}, true},
		{"unknown mode", chunks{"\x1b[?69;0$y", "x"}, []string{"x"}, false},
		{"permanently reset", chunks{"\x1b[?69;4$yx"}, []string{"x"}, false},
		{"permanently set", chunks{"\x1b[?69;3$yx"}, []string{"x"}, false},
		{"a second answer is keys", chunks{"\x1b[?69;0$y", "\x1b[?69;2$y"}, []string{"\x1b[?69;2$y"}, false},
		{"an Escape alone is given at once", chunks{"\x1b", "x\x1b[?69;2$y"}, []string{"\x1b", "x"}, true},
		{"another sequence held, then given", chunks{"k\x1b[?", "25hx"}, []string{"k", "\x1b[?25hx"}, false},
		{"not an answer", chunks{"\x1b[?69;x$y"}, []string{"\x1b[?69;x$y"}, false},
		{"too long a number", chunks{"\x1b[?69;1234$y"}, []string{"\x1b[?69;1234$y"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			has := false
			in := tt.in
			g := &inputGuard{r: &in, wait: func() {}, tooLong: func() {}, margins: func() { has = true }}
			if got := readAll(t, g); !slices.Equal(got, tt.reads) {
				t.Errorf("reads %q, want %q", got, tt.reads)
			}
			if has != tt.margins {
				t.Errorf("margins %v, want %v", has, tt.margins)
			}
		})
	}
}

var marginsAnswer = regexp.MustCompile(`\x1b\[\?69;([0-9]{1,3})\$y`)

// However the input is cut into reads, the screen reads it whole, or
// without one answer to the margins question; and it is told of margins
// only when that answer says so.
func FuzzInputGuardMargins(f *testing.F) {
	f.Add([]byte("ab\x1b[?69;2$ycd"), []byte{3, 5})
	f.Add([]byte("\x1b[?69;\x1b[?69;1$y"), []byte{1, 1, 1})
	f.Add([]byte("\x1b[200~\x1b[?69;2$y\x1b[201~"), []byte{7})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		if len(data) > maxPending {
			return // the guard ends such a run of characters: another test's
		}
		var in chunks
		rest := string(data)
		for _, c := range cuts {
			if rest == "" {
				break
			}
			k := min(int(c)%17+1, len(rest))
			in, rest = append(in, rest[:k]), rest[k:]
		}
		if rest != "" {
			in = append(in, rest)
		}
		has := false
		g := &inputGuard{r: &in, wait: func() {}, tooLong: func() {}, margins: func() { has = true }}
		got := strings.Join(readAll(t, g), "")
		if got == string(data) {
			if has {
				t.Fatalf("told of margins, with no answer taken from %q", data)
			}
			return
		}
		for _, loc := range marginsAnswer.FindAllStringSubmatchIndex(string(data), -1) {
			if string(data[:loc[0]])+string(data[loc[1]:]) == got {
				ps := string(data[loc[2]:loc[3]])
				if want := ps == "1" || ps == "2" || ps == "01" || ps == "02" || ps == "001" || ps == "002"; has != want {
					t.Fatalf("answer %q: margins %v", ps, has)
				}
				return
			}
		}
		t.Fatalf("read %q of %q: neither whole nor less one answer", got, data)
	})
}
