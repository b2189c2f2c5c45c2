package sshui

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// vt is a minimal terminal: enough of xterm to replay what the screen writes.
// Each cell holds the text drawn in it; "" marks the right half of a wide rune,
// so Lines prints that rune once.
type vt struct {
	cols, rows  int
	cells       [][]string
	x, y        int  // cursor, 0-based
	wrap        bool // xterm's pending wrap: the last column was written, wrapping waits for the next rune
	top, bottom int  // scroll region, 0-based and inclusive
	left, right int  // left and right margins (DECSLRM), 0-based and inclusive
	state       int
	seq         []byte // escape sequence being parsed, kept whole for Unknown
	utf         []byte // UTF-8 rune split across Write calls
	modes       map[int]bool
	unknown     []string
}

// Parser states. They live in the vt so a sequence may span Write calls.
const (
	vtGround   = iota
	vtEsc      // after ESC
	vtEscInter // after ESC and intermediates, e.g. ESC ( B
	vtCSI      // after ESC [
	vtString   // OSC, DCS, APC, PM, SOS: runs until BEL or ST (ESC \)
)

func newVT(cols, rows int) *vt {
	v := &vt{cols: cols, rows: rows, bottom: rows - 1, right: cols - 1, modes: map[int]bool{}}
	for range rows {
		v.cells = append(v.cells, v.blankRow())
	}
	return v
}

func (v *vt) blankRow() []string { return slices.Repeat([]string{" "}, v.cols) }

// Lines returns each row's text with trailing blanks trimmed.
func (v *vt) Lines() []string {
	lines := make([]string, v.rows)
	for y, row := range v.cells {
		lines[y] = strings.TrimRight(strings.Join(row, ""), " ")
	}
	return lines
}

// Unknown returns the sequences the vt could not interpret, so tests can
// notice when the server starts relying on something not emulated here.
func (v *vt) Unknown() []string { return slices.Clone(v.unknown) }

// Modes returns the last value set for each private mode (CSI ? n h/l).
func (v *vt) Modes() map[int]bool { return maps.Clone(v.modes) }

func (v *vt) Write(p []byte) (int, error) {
	for _, b := range p {
		v.feed(b)
	}
	return len(p), nil
}

func (v *vt) feed(b byte) {
	switch v.state {
	case vtGround:
		v.ground(b)
	case vtEsc:
		v.seq = append(v.seq, b)
		v.state = vtGround
		switch {
		case b == '[':
			v.state = vtCSI
		case b == ']' || b == 'P' || b == '_' || b == '^' || b == 'X':
			v.state = vtString
		case b == 'M':
			v.index(false)
		case b >= 0x20 && b <= 0x2f:
			v.state = vtEscInter
		default:
			v.unknown = append(v.unknown, string(v.seq))
		}
	case vtEscInter:
		v.seq = append(v.seq, b)
		if b < 0x20 || b > 0x2f {
			v.state = vtGround
			v.unknown = append(v.unknown, string(v.seq))
		}
	case vtCSI:
		if b == 0x1b { // a new sequence aborts this one, as in xterm
			v.unknown = append(v.unknown, string(v.seq))
			v.state, v.seq = vtEsc, []byte{b}
			return
		}
		v.seq = append(v.seq, b)
		if b >= 0x40 && b <= 0x7e {
			v.state = vtGround
			v.csi(string(v.seq))
		}
	case vtString:
		st := b == '\\' && v.seq[len(v.seq)-1] == 0x1b
		v.seq = append(v.seq, b)
		if b == 0x07 || st {
			v.state = vtGround
			if v.seq[1] != ']' { // OSC (titles, clipboard...) is harmless; the rest is not emulated
				v.unknown = append(v.unknown, string(v.seq))
			}
		}
	}
}

func (v *vt) ground(b byte) {
	if b >= 0x80 { // collect a rune's bytes, which may come in separate writes
		if v.utf = append(v.utf, b); utf8.FullRune(v.utf) {
			r, _ := utf8.DecodeRune(v.utf)
			v.utf = v.utf[:0]
			v.print(r)
		}
		return
	}
	v.utf = v.utf[:0] // drop a truncated rune: the server writes valid UTF-8
	switch b {
	case 0x1b:
		v.state, v.seq = vtEsc, []byte{b}
	case '\r':
		v.x, v.wrap = 0, false
	case '\n', '\v', '\f':
		v.index(true)
	case '\b':
		v.x, v.wrap = max(v.x-1, 0), false
	case 0x07, 0x7f:
	default:
		if b < 0x20 {
			v.unknown = append(v.unknown, string(b))
			return
		}
		v.print(rune(b))
	}
}

func (v *vt) print(r rune) {
	w := ansi.StringWidth(string(r))
	if w == 0 { // combining marks and the like join the previous cell
		x := v.x
		if !v.wrap {
			x--
		}
		for x > 0 && v.cells[v.y][x] == "" {
			x--
		}
		if x >= 0 {
			v.cells[v.y][x] += string(r)
		}
		return
	}
	// Wrap now if a wrap is pending or a wide rune does not fit in the line.
	if v.wrap || v.x+w > v.cols {
		v.x = 0
		v.index(true)
	}
	end := min(v.x+w, v.cols)
	v.erase(v.y, v.x, end)
	v.cells[v.y][v.x] = string(r)
	for i := v.x + 1; i < end; i++ {
		v.cells[v.y][i] = ""
	}
	if v.x+w >= v.cols {
		v.x, v.wrap = v.cols-1, true
	} else {
		v.x += w
	}
}

// erase blanks columns [a, b) of row y. Cutting a wide rune in half blanks
// the other half too, as xterm does.
func (v *vt) erase(y, a, b int) {
	row := v.cells[y]
	if a > 0 && a < v.cols && row[a] == "" {
		row[a-1] = " "
	}
	if b < v.cols && row[b] == "" {
		row[b] = " "
	}
	for i := a; i < b; i++ {
		row[i] = " "
	}
}

// index moves the cursor down a line (LF) or up (RI); on the margin it moves
// toward, the region scrolls instead, if the cursor is between the left and
// right margins. Outside the region, the screen edge stops it.
func (v *vt) index(down bool) {
	v.wrap = false
	beside := v.x >= v.left && v.x <= v.right
	switch {
	case down && v.y == v.bottom:
		if beside {
			v.scroll(v.top, v.bottom, 1)
		}
	case !down && v.y == v.top:
		if beside {
			v.scroll(v.top, v.bottom, -1)
		}
	case down:
		v.y = min(v.y+1, v.rows-1)
	default:
		v.y = max(v.y-1, 0)
	}
}

// scroll moves rows top..bottom up by n (down if n < 0), between the left
// and right margins; what is scrolled in is blank.
func (v *vt) scroll(top, bottom, n int) {
	region := v.cells[top : bottom+1]
	h := len(region)
	n = max(-h, min(n, h))
	l, r := v.left, v.right+1
	move := func(i int) {
		if j := i + n; j >= 0 && j < h {
			copy(region[i][l:r], region[j][l:r])
		} else {
			for x := l; x < r; x++ {
				region[i][x] = " "
			}
		}
	}
	if n > 0 {
		for i := range h {
			move(i)
		}
	} else {
		for i := h - 1; i >= 0; i-- {
			move(i)
		}
	}
}

func (v *vt) csi(seq string) {
	body, final := seq[2:len(seq)-1], seq[len(seq)-1]
	if final == 'm' {
		return // SGR changes looks, not text
	}
	if priv, ok := strings.CutPrefix(body, "?"); ok && (final == 'h' || final == 'l') {
		for _, f := range strings.Split(priv, ";") {
			if n, err := strconv.Atoi(f); err == nil {
				v.modes[n] = final == 'h'
				if n == 69 && final == 'l' { // DECLRMM off: no margins
					v.left, v.right = 0, v.cols-1
				}
			}
		}
		return
	}
	var ps []int
	for _, f := range strings.Split(body, ";") {
		n, err := strconv.Atoi(f)
		if f != "" && err != nil { // private markers, intermediates: not emulated
			v.unknown = append(v.unknown, seq)
			return
		}
		ps = append(ps, n)
	}
	// arg returns parameter i, with 0 or missing meaning def, as in xterm.
	arg := func(i, def int) int {
		if i < len(ps) && ps[i] > 0 {
			return ps[i]
		}
		return def
	}
	n := arg(0, 1)
	inRegion := v.y >= v.top && v.y <= v.bottom
	switch final {
	case 'H', 'f':
		v.y, v.x = min(n, v.rows)-1, min(arg(1, 1), v.cols)-1
	case 'A', 'B': // a margin stops the cursor when it starts inside the region
		lo, hi := 0, v.rows-1
		if inRegion {
			lo, hi = v.top, v.bottom
		}
		if final == 'A' {
			n = -n
		}
		v.y = max(lo, min(v.y+n, hi))
	case 'C':
		v.x = min(v.x+n, v.cols-1)
	case 'D':
		v.x = max(v.x-n, 0)
	case 'K', 'J':
		m := arg(0, 0)
		if m > 2 { // ED 3 clears the scrollback, which the vt lacks
			v.unknown = append(v.unknown, seq)
			return
		}
		v.erase(v.y, [3]int{v.x, 0, 0}[m], [3]int{v.cols, v.x + 1, v.cols}[m])
		for y := range v.rows {
			if final == 'J' && (m == 0 && y > v.y || m == 1 && y < v.y || m == 2) {
				v.erase(y, 0, v.cols)
			}
		}
	case 'r':
		top, bottom := arg(0, 1)-1, min(arg(1, v.rows), v.rows)-1
		if top >= bottom {
			return // xterm ignores an empty region
		}
		v.top, v.bottom, v.x, v.y = top, bottom, 0, 0
	case 's':
		if !v.modes[69] { // SCOSC, saving the cursor: not emulated
			v.unknown = append(v.unknown, seq)
			return
		}
		left, right := arg(0, 1)-1, min(arg(1, v.cols), v.cols)-1
		if left >= right {
			return // xterm ignores empty margins
		}
		v.left, v.right, v.x, v.y = left, right, 0, 0
	case 'X':
		v.erase(v.y, v.x, min(v.x+n, v.cols))
	case 'S':
		v.scroll(v.top, v.bottom, n)
	case 'T':
		v.scroll(v.top, v.bottom, -n)
	case 'L', 'M':
		if !inRegion {
			return
		}
		if final == 'L' {
			n = -n
		}
		v.scroll(v.y, v.bottom, n)
		v.x = 0
	default:
		v.unknown = append(v.unknown, seq)
		return
	}
	v.wrap = false
}

func TestVT(t *testing.T) {
	tests := []struct {
		name        string
		cols, rows  int
		writes      []string // separate Write calls
		want        []string
		wantModes   map[int]bool // checked when non-nil
		wantUnknown []string
	}{
		{"pending wrap then CRLF adds no empty line", 4, 3, []string{"abcd\r\nef"}, []string{"abcd", "ef", ""}, nil, nil},
		{"pending wrap then rune wraps", 4, 3, []string{"abcde"}, []string{"abcd", "e", ""}, nil, nil},
		{"CUP clears pending wrap", 4, 2, []string{"abcd\x1b[1;4Hx"}, []string{"abcx", ""}, nil, nil},
		{"autowrap scrolls at bottom", 2, 2, []string{"abcdef"}, []string{"cd", "ef"}, nil, nil},
		{"LF at bottom margin scrolls only the region", 4, 5,
			[]string{"top\x1b[5;1Hbot\x1b[2;4r\x1b[2;1Ha\r\nb\r\nc\r\nd"},
			[]string{"top", "b", "c", "d", "bot"}, nil, nil},
		{"RI at top margin scrolls the region down", 4, 5,
			[]string{"top\x1b[5;1Hbot\x1b[2;4r\x1b[2;1Ha\r\nb\r\nc\x1b[2;1H\x1bMz"},
			[]string{"top", "z", "a", "b", "bot"}, nil, nil},
		{"RI above the region just moves up", 4, 4, []string{"\x1b[3;4r\x1b[2;1H\x1bM\x1bMx"}, []string{"x", "", "", ""}, nil, nil},
		{"DECSTBM homes the cursor", 4, 3, []string{"\x1b[3;1H\x1b[2;3rx"}, []string{"x", "", ""}, nil, nil},
		{"EL 0 after text", 8, 1, []string{"hello\x1b[1;3H\x1b[K"}, []string{"he"}, nil, nil},
		{"EL 1", 8, 1, []string{"hello\x1b[1;3H\x1b[1K"}, []string{"   lo"}, nil, nil},
		{"EL 2", 8, 1, []string{"hello\x1b[1;3H\x1b[2Kx"}, []string{"  x"}, nil, nil},
		{"ED 0", 4, 3, []string{"ab\r\ncd\r\nef\x1b[2;2H\x1b[J"}, []string{"ab", "c", ""}, nil, nil},
		{"ED 1", 4, 3, []string{"ab\r\ncd\r\nef\x1b[2;1H\x1b[1J"}, []string{"", " d", "ef"}, nil, nil},
		{"ED 2 keeps the cursor", 4, 2, []string{"ab\r\ncd\x1b[2Jx"}, []string{"", "  x"}, nil, nil},
		{"wide rune takes two cells", 5, 1, []string{"a世b"}, []string{"a世b"}, nil, nil},
		{"wide rune that does not fit wraps first", 4, 2, []string{"abc世"}, []string{"abc", "世"}, nil, nil},
		{"overwriting half a wide rune blanks it", 4, 1, []string{"世\x1b[1;2Hx"}, []string{" x"}, nil, nil},
		{"combining mark joins its base", 4, 1, []string{"e\u0301x"}, []string{"e\u0301x"}, nil, nil},
		{"CSI split across writes", 4, 1, []string{"ab\x1b[", "1;1", "Hz"}, []string{"zb"}, nil, nil},
		{"UTF-8 split across writes", 4, 1, []string{"\xe4\xb8", "\x96"}, []string{"世"}, nil, nil},
		{"OSC split across writes", 4, 1, []string{"\x1b]0;ti", "tle\x07a\x1b]2;x\x1b", "\\b"}, []string{"ab"}, nil, nil},
		{"CUP clamps to the screen", 4, 3, []string{"\x1b[99;99Hx\x1b[0;0Hy"}, []string{"y", "", "   x"}, nil, nil},
		{"CUP defaults to home", 4, 2, []string{"\x1b[2;3H\x1b[Hx"}, []string{"x", ""}, nil, nil},
		{"cursor moves", 5, 3, []string{"\x1b[2;2Hx\x1b[Ay\x1b[9Cz\x1b[Bw\x1b[9Dv"}, []string{"  y z", "vx  w", ""}, nil, nil},
		{"SU in region", 4, 4, []string{"1\r\n2\r\n3\r\n4\x1b[2;3r\x1b[S"}, []string{"1", "3", "", "4"}, nil, nil},
		{"SD in region", 4, 4, []string{"1\r\n2\r\n3\r\n4\x1b[2;3r\x1b[T"}, []string{"1", "", "2", "4"}, nil, nil},
		{"SU whole screen", 4, 4, []string{"1\r\n2\r\n3\r\n4\x1b[2S"}, []string{"3", "4", "", ""}, nil, nil},
		{"LF scrolls between left and right margins only", 6, 3,
			[]string{"ab  X1\r\ncd  X2\r\nef  X3\x1b[?69h\x1b[1;3s\x1b[3;1H\n\x1b[s\x1b[?69lg"},
			[]string{"gd  X1", "ef  X2", "    X3"}, nil, nil}, // DECSLRM homes the cursor
		{"RI scrolls down between margins", 6, 3,
			[]string{"ab  X1\r\ncd  X2\x1b[?69h\x1b[1;3s\x1b[1;1H\x1bM\x1b[s\x1b[?69l"},
			[]string{"    X1", "ab  X2", "cd"}, nil, nil},
		{"LF outside the margins does not scroll", 6, 2,
			[]string{"ab  X1\r\ncd  X2\x1b[?69h\x1b[1;3s\x1b[2;5H\n\x1b[?69l"},
			[]string{"ab  X1", "cd  X2"}, nil, nil},
		{"DECLRMM off takes the margins away", 4, 2,
			[]string{"ab\r\ncd\x1b[?69h\x1b[1;2s\x1b[?69l\x1b[2;4H\n"},
			[]string{"cd", ""}, nil, nil},
		{"CSI s without DECLRMM is not known", 4, 1, []string{"\x1b[s"}, []string{""}, nil, []string{"\x1b[s"}},
		{"ECH blanks cells, the cursor stays", 6, 1, []string{"abcdef\x1b[1;2H\x1b[3Xz"}, []string{"az  ef"}, nil, nil},
		{"IL", 4, 3, []string{"1\r\n2\r\n3\x1b[2;2H\x1b[Lx"}, []string{"1", "x", "2"}, nil, nil},
		{"DL", 4, 3, []string{"1\r\n2\r\n3\x1b[2;1H\x1b[M"}, []string{"1", "3", ""}, nil, nil},
		{"modes recorded, SGR ignored", 4, 1,
			[]string{"\x1b[?1049h\x1b[?25l\x1b[?1002;1006h\x1b[?25h\x1b[?2004l\x1b[1;38:5:1mx\x1b[m"},
			[]string{"x"}, map[int]bool{1049: true, 25: true, 1002: true, 1006: true, 2004: false}, nil},
		{"unknown sequences recorded", 4, 1,
			[]string{"\x1b7a\x1b[4h\x1bPq\x1b\\\x1b(Bb\x1b[>1u"},
			[]string{"ab"}, nil, []string{"\x1b7", "\x1b[4h", "\x1bPq\x1b\\", "\x1b(B", "\x1b[>1u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVT(tt.cols, tt.rows)
			for _, w := range tt.writes {
				if n, err := v.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if got := v.Lines(); !slices.Equal(got, tt.want) {
				t.Errorf("Lines() = %q, want %q", got, tt.want)
			}
			if got := v.Unknown(); !slices.Equal(got, tt.wantUnknown) {
				t.Errorf("Unknown() = %q, want %q", got, tt.wantUnknown)
			}
			if tt.wantModes != nil && !maps.Equal(v.Modes(), tt.wantModes) {
				t.Errorf("Modes() = %v, want %v", v.Modes(), tt.wantModes)
			}
		})
	}
}
