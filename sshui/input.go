package sshui

import (
	"io"

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
type inputGuard struct {
	r       io.Reader
	tooLong func()

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
	n, err := g.r.Read(p)
	for _, b := range p[:n] {
		g.scan(b)
		if g.inPaste && g.n > maxPaste || !g.inPaste && g.n > maxPending {
			g.failed = true
			g.tooLong()
			return 0, lineproto.ErrInputTooLong
		}
	}
	return n, err
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
