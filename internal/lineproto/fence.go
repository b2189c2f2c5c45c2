package lineproto

import (
	"strings"

	"palabre/room"
)

// appendBlock writes a block as the course's clients read any message: each
// of its lines tagged with its sender, "Thread-2>     return x", all in
// the one write of its batch, so that nothing comes between them.
func appendBlock(b []byte, msg *room.Message) []byte {
	for line := range strings.SplitSeq(msg.Text, "\n") {
		b = AppendLine(b, msg.From, "> ", line)
	}
	return b
}

// fence gathers the lines a line-protocol member sends between two lines
// of three backticks ("```python" … "```") into one block. It is bounded:
// once its lines reach the block's bytes or room.MaxBlockLines, what it
// holds goes as a block and the fence stays open, its next lines a block
// of their own (nothing typed is lost, and a forgotten fence cannot hold
// a member's words for ever: its words go in blocks). A fence still open
// when the connection ends, or at FIN, is sent as it stands.
type fence struct {
	open  bool
	lines []string // the opening fence first
	bytes int
}

// fenced takes one framed line and reports whether the fence took it:
// it opened, gathered or closed a block.
func (in *Input) fenced(line string) bool {
	f := &in.fence
	if !f.open {
		if _, ok := room.Fence(line); !ok {
			return false
		}
		f.open = true
		f.add(line)
		return true
	}
	if lang, ok := room.Fence(line); ok && lang == "" {
		f.add(line)
		in.flushFence()
		return true
	}
	max := in.Hub.MaxBlockBytes()
	// The closing fence must still fit: the room refuses a block over the
	// bound, whole. A fence flushed at the bound is closed there, and its
	// rest opens a fence of the same language: each part is fenced code.
	if len(f.lines) > 0 && (f.bytes+len(room.CleanLine(line))+len("\n```") > max || len(f.lines)+2 > room.MaxBlockLines) {
		opening := f.lines[0]
		f.add("```")
		in.flushFence()
		f.open = true
		f.add(opening)
	}
	f.add(line)
	return true
}

// add keeps line as the room will, clean, so that the bound is measured
// on what the room measures.
func (f *fence) add(line string) {
	line = room.CleanLine(line)
	f.lines = append(f.lines, line)
	f.bytes += len(line) + 1
}

// Piece takes text that came without a newline (the course's client, or
// a pause): inside an open fence it is one more line of the block, and
// elsewhere a message as Line takes it, though never a fence: "```" means
// something on framed lines only.
func (in *Input) Piece(msg string) {
	if in.Stop != 0 {
		return
	}
	if in.fence.open {
		in.fenced(msg)
		return
	}
	if _, ok := room.Fence(msg); ok {
		if !in.Send(msg) {
			in.Stop = room.ReasonClosed
		}
		return
	}
	in.Line(msg)
}

// End sends an open fence's block, as it stands: the connection is ending.
func (in *Input) End() {
	if in.fence.open && in.Stop == 0 {
		in.flushFence()
	}
}

func (in *Input) flushFence() {
	f := &in.fence
	text := strings.Join(f.lines, "\n")
	clear(f.lines)
	f.lines, f.bytes, f.open = f.lines[:0], 0, false
	if !in.SendBlock(text) {
		in.Stop = room.ReasonClosed
	}
}

// SendBlock hands one block to the room: flood control counts it as one
// message, whatever its lines. It reports false, having posted nothing, if
// the member left while held back.
func (in *Input) SendBlock(text string) bool {
	if !in.Hub.WaitSlowBlock(in.Member) || !in.Member.Pace() {
		return false
	}
	if in.Hub.PostBlock(in.Member, text) {
		in.Member.Yield()
	}
	return true
}
