package sshui

import (
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// term draws frames on one client's terminal. It knows what the terminal
// shows (the last frame it drew) and writes only what changed: a row whose
// text changed is written again, a member-list cell on its own, and when
// the message area moved (a new message at the bottom, a page up) it
// scrolls the area with the terminal's own scrolling region, as ssh-chat
// and irssi do, then writes the rows that came in. bubbletea's renderer
// would measure and write every row of the area for each message instead:
// that was nine tenths of the SSH door's CPU.
//
// Composing a frame (frame) and writing it (write) are apart: the screen
// composes under its lock and writes after, so that a client that does not
// read holds no lock. Frames must be written in the order they were
// composed, each before the next is composed.
type term struct {
	out      io.Writer
	buf      []byte
	prev     frame // what the terminal shows; valid once drawn
	next     frame // composed, then swapped with prev once drawn
	ok       bool  // prev is on the terminal
	entering bool  // the next frame first puts the terminal in the screen's modes
	// margins says the terminal has left and right margins (DECLRMM, as
	// xterm has): the message area then scrolls beside the member list,
	// which stays. Without them a scroll moves whole rows, and every row
	// of the list is written again.
	margins bool

	shown []areaRow // moved's, kept to reuse
}

// Terminal modes for the chat screen: the alternate screen, no cursor (the
// input draws its own), mouse wheel reports, bracketed paste, as bubbletea
// sets them; and no autowrap: every row is placed with a cursor move, so a
// row the terminal measures wider than we do (an emoji sequence, a resize
// not yet reported) is cut at the edge instead of wrapping onto the next
// row, or scrolling the whole screen from its last one. leave undoes them
// in the order bubbletea does.
const (
	enterModes = ansi.SetAltScreenSaveCursorMode + ansi.SetBracketedPasteMode +
		ansi.SetButtonEventMouseMode + ansi.SetSgrExtMouseMode + ansi.HideCursor + ansi.ResetModeAutoWrap
	leaveModes = ansi.SetModeAutoWrap + ansi.ResetBracketedPasteMode + ansi.ShowCursor +
		ansi.ResetButtonEventMouseMode + ansi.ResetSgrExtMouseMode + ansi.ResetAltScreenSaveCursorMode
)

func newTerm(out io.Writer) *term { return &term{out: out} }

// enter makes the next frame put the terminal in the screen's modes and
// paint it whole.
func (t *term) enter() { t.ok, t.entering = false, true }

// leave returns what gives the terminal back as it was.
func (t *term) leave() string {
	t.ok = false
	return ansi.ResetStyle + leaveModes
}

// frame returns what brings the terminal to m's frame: nothing when
// nothing changed. The bytes are the caller's until the next frame.
func (t *term) frame(m *model) []byte {
	t.buf = t.buf[:0]
	if t.entering {
		t.entering = false
		// Whether the terminal has margins is asked now, before the
		// first frame clears the screen: a terminal that does not know
		// the question and shows some of it has it erased at once.
		t.buf = append(t.buf, enterModes+marginsQuery...)
	}
	if m.width <= 0 || m.height <= 0 {
		return t.buf
	}
	f := &t.next
	m.compose(f)
	switch p := &t.prev; {
	case f.clipped:
		// Below the layout's minimum the frame is cut by View; the door
		// never lets a terminal be that small, so this need not be quick.
		t.buf = append(t.buf, ansi.ResetStyle+ansi.EraseEntireScreen...)
		for i, row := range strings.Split(m.View(), "\n") {
			t.cup(i+1, 1)
			t.buf = append(t.buf, row...)
		}
		f.w = -1 // whatever comes next is drawn whole
	case !t.ok || f.w != p.w || f.h != p.h || f.side != p.side || f.areaW != p.areaW || f.epoch != p.epoch:
		t.whole(f)
	default:
		t.changes(p, f)
	}
	t.prev, t.next = t.next, t.prev
	t.ok = true
	b := t.buf
	if cap(b) > 2048 {
		// A whole screen's bytes: rare (a resize), and a few kB kept by
		// each idle session otherwise; a message takes a few hundred.
		t.buf = nil
	}
	return b
}

// writeChunk bounds each write to the session. The SSH library keeps, for
// the connection's life, a packet buffer and a cipher buffer the size of
// the largest write it was given: whole screens (a few kB, 15 at 200 × 50)
// written at once would cost every session that twice over, while a
// message's frame is a few hundred bytes.
const writeChunk = 1024

func (t *term) write(b []byte) error {
	for len(b) > 0 {
		n := min(len(b), writeChunk)
		if _, err := t.out.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// whole paints every row, after a clear.
func (t *term) whole(f *frame) {
	t.buf = append(t.buf, ansi.ResetStyle+ansi.EraseEntireScreen...)
	t.cup(1, 1)
	t.buf = append(t.buf, f.title...)
	for i, r := range f.rows {
		if r.msg.s != "" || r.side.s != "" {
			t.row(f, i, r)
		}
	}
	t.inputRow(f)
}

// changes writes what differs between the terminal's frame p and f, of
// the same size and layout.
func (t *term) changes(p, f *frame) {
	if f.title != p.title {
		t.cup(1, 1)
		t.buf = append(t.buf, f.title...)
	}
	// shown[r] is what row r of the area holds on the terminal: p's rows,
	// moved if the area is scrolled.
	shown := p.rows
	if k := f.top - p.top; k != 0 && t.scrollPays(p.rows, f.rows, k) {
		beside := f.side && t.margins
		t.scroll(f, k, beside)
		shown = t.moved(p.rows, k, beside)
	}
	for i, r := range f.rows {
		was := shown[i]
		msg := r.msg.s != was.msg.s || r.msg.w != was.msg.w
		side := f.side && r.side.s != was.side.s
		switch {
		case msg && (!f.side || side):
			t.row(f, i, r)
		case msg:
			// The list's cell beside it is right: the message's cells only.
			t.cup(i+2, 1)
			t.buf = append(t.buf, r.msg.s...)
			if n := f.areaW + 1 - r.msg.w; n > 0 {
				t.csi1(n, 'X') // ECH: blanks up to the list, the cursor stays
			}
		case side:
			// A scroll without margins moved the list with the messages:
			// each of its rows is written again, but not the separator
			// both rows begin with (a quarter of the bytes).
			s, x := r.side.s, f.areaW+2
			if f.sep != "" && strings.HasPrefix(s, f.sep) && strings.HasPrefix(was.side.s, f.sep) {
				s, x = s[len(f.sep):], x+2
			}
			t.cup(i+2, x)
			t.buf = append(t.buf, s...)
			t.endRow(f.areaW+1+r.side.w, f)
		}
	}
	if f.input != p.input {
		t.inputRow(f)
	}
}

// scrollPays says whether scrolling the area by k rows (k > 0: towards
// older rows going off the top) leaves fewer message rows to write than
// writing the rows that changed in place.
func (t *term) scrollPays(was, now []areaRow, k int) bool {
	n := len(now)
	if k >= n || -k >= n {
		return false
	}
	inPlace, scrolled := 0, abs(k)
	for i := range now {
		if now[i].msg.s != was[i].msg.s {
			inPlace++
		}
		if j := i + k; j >= 0 && j < n && now[i].msg.s != was[j].msg.s {
			scrolled++
		}
	}
	return scrolled < inPlace
}

// scroll moves the message area k rows up (k > 0) or down, inside a
// scrolling region that keeps the title and the input rows in place; and,
// beside, between left and right margins that keep the member list in
// place too.
func (t *term) scroll(f *frame, k int, beside bool) {
	top, bottom := 2, len(f.rows)+1
	t.buf = append(t.buf, ansi.ResetStyle...)
	t.csi(top, bottom, 'r') // DECSTBM: the scrolling region
	if beside {
		// DECLRMM on, then DECSLRM: the message column and the blank one
		// after it. The line feeds below start inside them, so they
		// scroll that rectangle only.
		t.buf = append(t.buf, ansi.SetModeLeftRightMargin...)
		t.csi(1, f.areaW+1, 's')
	}
	if k > 0 {
		// A line feed on the region's last row scrolls the region up.
		t.cup(bottom, 1)
		for range k {
			t.buf = append(t.buf, '\n')
		}
	} else {
		// A reverse index on its first row scrolls it down.
		t.cup(top, 1)
		for range -k {
			t.buf = append(t.buf, ansi.ReverseIndex...)
		}
	}
	if beside {
		// The whole width again, then DECLRMM off: with it on, CSI s
		// is no longer "save the cursor" for whatever runs after us.
		t.buf = append(t.buf, "\x1b[s"+ansi.ResetModeLeftRightMargin...)
	}
	t.buf = append(t.buf, "\x1b[r"...) // the whole screen again
}

// moved returns what the area's rows hold after scrolling them by k: the
// rows that came in are blank. Beside, only the messages moved.
func (t *term) moved(rows []areaRow, k int, beside bool) []areaRow {
	out := slices.Grow(t.shown[:0], len(rows))[:len(rows)]
	for i := range out {
		var r areaRow
		if j := i + k; j >= 0 && j < len(rows) {
			r = rows[j]
		}
		if beside {
			r.side = rows[i].side
		}
		out[i] = r
	}
	t.shown = out
	return out
}

// row writes area row i whole.
func (t *term) row(f *frame, i int, r areaRow) {
	t.cup(i+2, 1)
	t.endRow(f.writeRow((*appender)(&t.buf), r), f)
}

func (t *term) inputRow(f *frame) {
	t.cup(f.h, 1)
	t.buf = append(t.buf, f.input.s...)
	t.endRow(f.input.w, f)
}

// cup moves the cursor to row y, column x, counted from 1.
func (t *term) cup(y, x int) { t.csi(y, x, 'H') }

// csi1 appends the control sequence ESC [ a final.
func (t *term) csi1(a int, final byte) {
	t.buf = append(t.buf, "\x1b["...)
	t.buf = strconv.AppendInt(t.buf, int64(a), 10)
	t.buf = append(t.buf, final)
}

// csi appends the control sequence ESC [ a ; b final.
func (t *term) csi(a, b int, final byte) {
	t.buf = append(t.buf, "\x1b["...)
	t.buf = strconv.AppendInt(t.buf, int64(a), 10)
	t.buf = append(t.buf, ';')
	t.buf = strconv.AppendInt(t.buf, int64(b), 10)
	t.buf = append(t.buf, final)
}

// endRow erases the rest of a row written w columns wide, unless it
// reaches the last column: there an erase would take the last character,
// the cursor waiting on it to wrap.
func (t *term) endRow(w int, f *frame) {
	if w < f.w {
		t.buf = append(t.buf, ansi.EraseLineRight...)
	}
}

// appender lets frame.writeRow write into the byte buffer.
type appender []byte

func (a *appender) WriteString(s string) (int, error) {
	*a = append(*a, s...)
	return len(s), nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
