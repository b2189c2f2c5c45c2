package sshui

import (
	"bytes"

	"github.com/charmbracelet/x/ansi"
)

// A screen asks its terminal whether it has left and right margins
// (DECRQM for DECLRMM, mode 69): xterm says it has them, reset; tmux,
// GNOME's VTE and many others have none, and say so or say nothing. With
// them, a new message scrolls the message column alone and the member
// list beside it is not written again (term.scroll): on a screen wide
// enough to show a full list, a message's bytes fall from ~940 to ~150.
const (
	marginsQuery = ansi.RequestModeLeftRightMargin
	// The answer is CSI ? 69 ; Ps $ y, Ps 1 (set) or 2 (reset) for a
	// terminal that has the mode; 0 (unknown) or 4 (permanently reset)
	// for one that has not. 3 (permanently set) is taken as not having
	// them either: the screen could not turn them off for what runs after.
	marginsReplyHead = "\x1b[?69;"
	marginsReplyTail = "$y"
)

// takeMarginsReply removes the terminal's answer to marginsQuery from b,
// in place. It returns b's new length, whether the answer was there and
// says the terminal has margins, and how many bytes at the new end may
// begin an answer that b does not end: two or more, "ESC [" at least,
// which a key alone never sends, so that an Escape typed alone is never
// held back.
func takeMarginsReply(b []byte) (n int, found, has bool, partial int) {
	i := bytes.Index(b, []byte(marginsReplyHead))
	if i < 0 {
		for k := min(len(marginsReplyHead)-1, len(b)); k >= 2; k-- {
			if bytes.HasSuffix(b, []byte(marginsReplyHead[:k])) {
				return len(b), false, false, k
			}
		}
		return len(b), false, false, 0
	}
	j := i + len(marginsReplyHead)
	ps := 0
	digits := 0
	for ; j < len(b) && '0' <= b[j] && b[j] <= '9' && digits < 3; j++ {
		ps = ps*10 + int(b[j]-'0')
		digits++
	}
	rest := b[j:]
	switch {
	case digits > 0 && bytes.HasPrefix(rest, []byte(marginsReplyTail)):
		end := j + len(marginsReplyTail)
		n = i + copy(b[i:], b[end:])
		return n, true, ps == 1 || ps == 2, 0
	case bytes.HasPrefix([]byte(marginsReplyTail), rest) && digits < 3:
		return len(b), false, false, len(b) - i // the answer goes on in the next read
	}
	return len(b), false, false, 0 // not the answer: keys, given as they came
}
