package sshui

import (
	"io"
	"sync"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// lineDiscipline is what a terminal's pty does for a shell, for a session
// that has a terminal but no screen (TERM=dumb): the client's terminal is
// in raw mode, so the server echoes what is typed, erases on backspace,
// and ends a line on Enter; the room's lines come whole, above the line
// being typed, which is written again below them. It writes nothing but
// text, CR, LF and BS: no escape sequence of any kind.
type lineDiscipline struct {
	out io.Writer // the session

	mu     sync.Mutex // one writer at a time: the room's lines and the echo
	typed  []byte     // the line being typed, as echoed
	esc    int        // where in an escape sequence the input is (a key the line has no use for)
	lastCR bool       // the last byte ended a line with CR: an LF right after it is the same Enter
}

// Escape sequence states of the input.
const (
	escNone = iota
	escStart
	escCSI // ESC [ or ESC O, up to a final byte
)

// Write writes the room's lines, which come whole, above the line being
// typed.
func (d *lineDiscipline) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.typed) > 0 {
		if _, err := io.WriteString(d.out, "\r\n"); err != nil {
			return 0, err
		}
	}
	n, err := d.out.Write(p)
	if err == nil && len(d.typed) > 0 {
		_, err = d.out.Write(d.typed)
	}
	return n, err
}

// input takes what the client typed: it echoes it, and appends to lines
// each line ended by Enter, with a "\n". quit says the member asked to
// leave (Ctrl+C, or Ctrl+D on an empty line). An echo that fails met a
// connection that is gone: the next read says so.
func (d *lineDiscipline) input(p []byte, lines []byte) (_ []byte, quit bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var echo []byte
	for _, b := range p {
		cr := d.lastCR
		d.lastCR = false
		switch {
		case d.esc == escStart:
			d.esc = escNone
			if b == '[' || b == 'O' {
				d.esc = escCSI
			}
		case d.esc == escCSI:
			if b >= 0x40 && b <= 0x7e {
				d.esc = escNone
			}
		case b == 0x1b:
			d.esc = escStart
		case b == '\r' || b == '\n':
			if b == '\n' && cr {
				continue
			}
			d.lastCR = b == '\r'
			echo = append(echo, "\r\n"...)
			lines = append(append(lines, d.typed...), '\n')
			d.typed = d.typed[:0]
		case b == 0x7f || b == '\b':
			echo = d.erase(echo, 1)
		case b == 0x15: // Ctrl+U: the whole line
			echo = d.erase(echo, len(d.typed))
		case b == 0x03:
			quit = true
		case b == 0x04:
			quit = len(d.typed) == 0
		case b < 0x20:
			// Other controls do nothing on a line.
		default:
			d.typed = append(d.typed, b)
			echo = append(echo, b)
		}
		if quit {
			break
		}
	}
	if len(echo) > 0 {
		_, _ = d.out.Write(echo)
	}
	return lines, quit
}

// erase removes the last n characters typed, and from the terminal.
func (d *lineDiscipline) erase(echo []byte, n int) []byte {
	for ; n > 0 && len(d.typed) > 0; n-- {
		_, size := utf8.DecodeLastRune(d.typed)
		w := max(ansi.StringWidth(string(d.typed[len(d.typed)-size:])), 1)
		d.typed = d.typed[:len(d.typed)-size]
		for range w {
			echo = append(echo, '\b', ' ', '\b')
		}
	}
	return echo
}

// pending is how many bytes of a line are typed, not yet ended.
func (d *lineDiscipline) pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.typed)
}
