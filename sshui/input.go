package sshui

import (
	"io"
	"unicode/utf8"

	"palabre/internal/lineproto"
)

// maxPaste bounds a bracketed paste, all its lines together; each line is
// bounded by maxPending, as any message.
const maxPaste = 4 * maxPending

// inputGuard stands between a session and bubbletea's input reader, which
// holds back what it cannot parse yet (a bracketed paste until its end
// marker, a run of characters until a space or a control) in a buffer that
// it copies whole on each read of 256 bytes: a client sending megabytes of
// either would cost the server that memory and quadratic time. Past
// maxPaste bytes of paste, or maxPending bytes of characters without a
// break, the member leaves as "input too long" and the read fails.
//
// It also keeps escape sequences and characters whole across reads: the
// parser takes a read that fills its buffer and ends with an ESC as the
// Escape key, and the rest of the sequence as typed text (a paste's start
// marker so cut makes the paste typing), and a character cut at the end as
// invalid bytes. What a full read ends with of either waits for the next.
//
// And it holds the reader back while the screen's lines held by flood
// control are full (wait): the screen then reads no more of the session,
// and the client waits, as on the TCP door.
//
// Until the terminal has answered whether it has margins (margins.go), it
// takes the answer out of what it reads, and tells margins if it has.
type inputGuard struct {
	r       io.Reader
	wait    func() // returns once the screen may take more input
	tooLong func()
	margins func() // the terminal has margins; nil once answered
	tail    []byte // the end of the last read, held back for the next

	marker  int  // bytes of "\x1b[20" then "0" or "1" matched so far
	end     bool // the marker being matched ends a paste
	inPaste bool
	n       int // bytes of the paste, or of the run of characters
	failed  bool
}

func (g *inputGuard) Read(p []byte) (int, error) {
	if g.failed {
		return 0, lineproto.ErrInputTooLong
	}
	g.wait()
	held := copy(p, g.tail)
	g.tail = g.tail[:copy(g.tail, g.tail[held:])]
	n, err := g.r.Read(p[held:])
	for _, b := range p[held : held+n] {
		g.scan(b)
		if g.inPaste && g.n > maxPaste || !g.inPaste && g.n > maxPending {
			g.failed = true
			g.tooLong()
			return 0, lineproto.ErrInputTooLong
		}
	}
	n += held
	if g.margins != nil {
		var found, has bool
		var k int
		n, found, has, k = takeMarginsReply(p[:n])
		if found {
			if has {
				g.margins()
			}
			g.margins = nil
		} else if k > 0 && err == nil && len(g.tail) == 0 {
			g.tail = append(g.tail, p[n-k:n]...)
			n -= k
		}
	}
	if n == len(p) && err == nil {
		k := unfinished(p[:n])
		g.tail = append(g.tail, p[n-k:n]...)
		n -= k
	}
	return n, err
}

// unfinished is how many bytes at the end of b begin an escape sequence or
// a character that b does not end: an ESC, ESC [ or ESC O and what may
// follow before a CSI's final byte, or the first bytes of a UTF-8
// character. Past a few bytes, it is no sequence the parser knows.
func unfinished(b []byte) int {
	const longest = 16
	for k := 1; k <= min(len(b), longest); k++ {
		c := b[len(b)-k]
		switch {
		case c == 0x1b:
			return k
		case (c == '[' || c == 'O' && k == 1) && len(b) > k && b[len(b)-k-1] == 0x1b:
			return k + 1
		case 0x20 <= c && c <= 0x3f: // a CSI's parameters and intermediates, maybe
			continue
		}
		break
	}
	// A character cut short: up to three bytes of one that needs more.
	for k := 1; k <= min(len(b), utf8.UTFMax-1); k++ {
		c := b[len(b)-k]
		if utf8.RuneStart(c) {
			if c >= 0xc0 && !utf8.FullRune(b[len(b)-k:]) {
				return k
			}
			break
		}
	}
	return 0
}

// scan follows the paste markers and counts what the parser holds back.
func (g *inputGuard) scan(b byte) {
	const prefix = "\x1b[20"
	switch {
	case g.marker < len(prefix) && b == prefix[g.marker]:
		g.marker++
	case g.marker == len(prefix) && (b == '0' || b == '1'):
		g.marker++
		g.end = b == '1'
	case g.marker == len(prefix)+1 && b == '~':
		g.marker = 0
		// The parser ends a paste at its first end marker, and takes a
		// start marker inside a paste as pasted text.
		if g.inPaste == g.end {
			g.inPaste = !g.end
			g.n = 0
			return
		}
	default:
		g.marker = 0
		if b == prefix[0] {
			g.marker = 1
		}
	}
	switch {
	case g.inPaste:
		g.n++
	case b <= ' ' || b == 0x7f: // a space or a control ends a run of characters
		g.n = 0
	default:
		g.n++
	}
}
