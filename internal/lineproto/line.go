package lineproto

import (
	"bytes"
	"errors"
	"unicode/utf8"
)

// ErrInputTooLong is returned by Framer.Feed when more than MaxPending bytes
// arrive with no message boundary.
var ErrInputTooLong = errors.New("input too long")

// Framer cuts a TCP byte stream into messages. A message ends at "\n" (a
// "\r" before it is dropped), or, as the course's client sends each message
// as one send() with no newline, where the stream goes idle: the reader
// calls Idle when no byte has come for a short while. A UTF-8 character
// split across reads is kept whole. Long lines are not cut here: the room
// cuts them after parsing each line once. The Framer is pure: it does no
// I/O and keeps no clock, so it is fuzzed on its own.
type Framer struct {
	MaxPending int // bytes with no boundary before Feed fails

	buf  []byte
	held bool // the last Idle kept back an incomplete character
}

// Pending reports whether bytes are waiting for a boundary.
func (f *Framer) Pending() bool { return len(f.buf) > 0 }

// Buffered returns the bytes waiting for a boundary.
func (f *Framer) Buffered() []byte { return f.buf }

// Feed takes the next bytes of the stream and emits each complete message.
func (f *Framer) Feed(p []byte, emit func(string)) error {
	f.held = false
	f.buf = append(f.buf, p...)
	start := 0
	for {
		i := bytes.IndexByte(f.buf[start:], '\n')
		if i < 0 {
			break
		}
		line := f.buf[start : start+i]
		line = bytes.TrimSuffix(line, []byte{'\r'})
		f.emit(line, emit)
		start += i + 1
	}
	f.buf = f.buf[:copy(f.buf, f.buf[start:])]
	if len(f.buf) > f.MaxPending {
		f.buf = f.buf[:0]
		return ErrInputTooLong
	}
	return nil
}

// Idle marks a pause in the stream: what is pending is a message. A trailing
// incomplete UTF-8 character is kept back once, for its rest may be late.
func (f *Framer) Idle(emit func(string)) {
	cut := len(f.buf)
	if !f.held {
		cut = completeUpTo(f.buf)
	}
	f.held = cut < len(f.buf)
	f.emit(f.buf[:cut], emit)
	f.buf = f.buf[:copy(f.buf, f.buf[cut:])]
}

// Flush emits whatever is pending, at the end of the stream.
func (f *Framer) Flush(emit func(string)) {
	f.emit(f.buf, emit)
	f.buf = f.buf[:0]
	f.held = false
}

// emit sends line, when it is not empty.
func (f *Framer) emit(line []byte, emit func(string)) {
	if len(line) > 0 {
		emit(string(line))
	}
}

// completeUpTo returns the length of b without a trailing incomplete (but so
// far valid) UTF-8 character.
func completeUpTo(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if !utf8.RuneStart(b[i]) {
			continue
		}
		if !utf8.FullRune(b[i:]) {
			return i
		}
		break
	}
	return len(b)
}
