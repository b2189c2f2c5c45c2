package bench

import (
	"bytes"
	"strconv"

	"github.com/charmbracelet/x/ansi/parser"
)

// A token names one message of one run: "bench-RUN-SENDER-SEQ#". RUN sets
// this run apart from any other on the same server; the '#' ends the
// token, so that seq 1 is never read from the first digit of seq 12.
const tokenWord = "bench-"

// maxTokenLen bounds a token's length: past it, a half-read token is
// dropped rather than kept waiting for its end.
const maxTokenLen = 64

func tokenPrefix(run string) []byte { return []byte(tokenWord + run + "-") }

// appendToken appends the token of message seq of sender to b.
func appendToken(b []byte, run string, sender, seq int) []byte {
	b = append(b, tokenWord...)
	b = append(b, run...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(sender), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(seq), 10)
	return append(b, '#')
}

// scanner finds the tokens of one run in a byte stream that arrives in
// pieces cut anywhere: the unfinished end of a piece is kept for the next.
type scanner struct {
	prefix []byte
	found  func(sender, seq int)
	buf    []byte // the kept end of the previous piece, then the new piece
}

func newScanner(run string, found func(sender, seq int)) *scanner {
	return &scanner{prefix: tokenPrefix(run), found: found}
}

// feed scans p, after what was kept of the previous piece.
func (s *scanner) feed(p []byte) {
	data := p
	if len(s.buf) > 0 {
		s.buf = append(s.buf, p...)
		data = s.buf
	}
	rest := s.scan(data)
	// Keep the unfinished end; copy it down, as data may be p.
	s.buf = append(s.buf[:0], rest...)
}

// scan reports every whole token of data and returns the end that may
// still become one.
func (s *scanner) scan(data []byte) []byte {
	for {
		i := bytes.Index(data, s.prefix)
		if i < 0 {
			// The end of data may be the start of a prefix.
			return data[max(0, len(data)-len(s.prefix)+1):]
		}
		sender, seq, n, ok := parseTail(data[i+len(s.prefix):])
		switch {
		case ok:
			s.found(sender, seq)
			data = data[i+len(s.prefix)+n:]
		case n < 0: // not a token: look further
			data = data[i+1:]
		case len(data)-i > maxTokenLen: // too long to be one
			data = data[i+1:]
		default: // unfinished: wait for the next piece
			return data[i:]
		}
	}
}

// parseTail reads "SENDER-SEQ#" at the start of b. It returns ok and the
// bytes used for a whole token, n >= 0 without ok when b ends before the
// token does, and n < 0 when b cannot start a token.
func parseTail(b []byte) (sender, seq, n int, ok bool) {
	i := 0
	num := func() (int, bool) {
		start, v := i, 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' && i-start < 9 {
			v = v*10 + int(b[i]-'0')
			i++
		}
		return v, i > start
	}
	var got bool
	if sender, got = num(); i == len(b) {
		return 0, 0, 0, false
	} else if !got || b[i] != '-' {
		return 0, 0, -1, false
	}
	i++
	if seq, got = num(); i == len(b) {
		return 0, 0, 0, false
	} else if !got || b[i] != '#' {
		return 0, 0, -1, false
	}
	return sender, seq, i + 1, true
}

// stripper removes escape sequences from a stream, as ansi.Strip does
// from a whole string, with the same parser tables; its state survives
// from one piece to the next, so that a sequence cut between two reads is
// still removed whole and never leaks its tail into the text.
type stripper struct {
	state  parser.State
	ri, rw int // bytes of the current UTF-8 rune seen, and its length
}

// strip appends the printable text of p to dst.
func (s *stripper) strip(dst, p []byte) []byte {
	for _, c := range p {
		if s.state == parser.Utf8State {
			dst = append(dst, c)
			s.ri++
			if s.ri < s.rw {
				continue
			}
			s.state, s.ri, s.rw = parser.GroundState, 0, 0
			continue
		}
		state, action := parser.Table.Transition(s.state, c)
		switch action {
		case parser.CollectAction:
			if state == parser.Utf8State {
				s.rw = utf8Len(c)
				dst = append(dst, c)
				s.ri++
			}
		case parser.PrintAction, parser.ExecuteAction:
			dst = append(dst, c)
		}
		s.state = state
	}
	return dst
}

// utf8Len is the length of the rune that b starts.
func utf8Len(b byte) int {
	switch {
	case b < 0x80:
		return 1
	case b >= 0xC0 && b <= 0xDF:
		return 2
	case b >= 0xE0 && b <= 0xEF:
		return 3
	case b >= 0xF0 && b <= 0xF7:
		return 4
	}
	return -1
}
