package room

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxBlockBytes bounds a block: a page of code.
const DefaultMaxBlockBytes = 8192

// MaxBlockLines bounds a block's lines whatever its bytes: 8 KiB of empty
// lines would be thousands of rows on every screen.
const MaxBlockLines = 400

// tabWidth is where a block's tabs stop: code keeps its indentation, which
// Sanitize's one space a tab would flatten.
const tabWidth = 4

// PostBlock posts text, several lines, as one message of kind KindBlock:
// code that stays code. It is never a command and never split: each line is
// cleaned as Sanitize cleans a message, tabs become spaces to the next
// stop, blank lines at either end go, and a block over Options.MaxBlockBytes
// or MaxBlockLines, once cleaned, is refused whole (ErrBlockTooLong): cut,
// code would mislead. What it reports is Post's.
func (h *Hub) PostBlock(m *Member, text string) (congested bool) {
	block, fits := CleanBlock(text, h.opts.MaxBlockBytes)
	return h.posting(m, func() { h.postBlockLocked(m, block, fits) })
}

// postBlockLocked carries out a block of m's, fits its bounds or not.
func (h *Hub) postBlockLocked(m *Member, block string, fits bool) {
	if h.mutedLocked(m) || h.quietRefusedLocked(m, CmdSay) {
		return // a block is words: a mute and a quiet room hold it as they hold a line
	}
	if !fits {
		h.replyLocked(m, Message{Kind: KindError, Err: ErrBlockTooLong, Text: strconv.Itoa(h.opts.MaxBlockBytes), Others: MaxBlockLines})
		return
	}
	if !visible(block) {
		return
	}
	h.broadcastLocked(m.room, Message{Kind: KindBlock, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key, Text: block})
}

// MaxBlockBytes is the bound of a block, for a door that gathers one.
func (h *Hub) MaxBlockBytes() int { return h.opts.MaxBlockBytes }

// CleanBlock makes text a block's text, lines separated by "\n", and
// reports whether it fits maxBytes and MaxBlockLines. Text far over the
// bound is refused before it is cleaned: a hostile paste costs no work.
func CleanBlock(text string, maxBytes int) (string, bool) {
	// Cleaning shrinks text by what it drops (escape sequences) and grows
	// it by tabs and bad bytes (U+FFFD is 3 bytes): 4× covers the shrink of
	// any block that could fit.
	if len(text) > 4*maxBytes || strings.Count(text, "\n")+strings.Count(text, "\r") > 4*MaxBlockLines {
		return "", false
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = CleanLine(l)
	}
	for len(lines) > 0 && !visible(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	for len(lines) > 0 && !visible(lines[0]) {
		lines = lines[1:]
	}
	block := strings.Join(lines, "\n")
	return block, len(block) <= maxBytes && len(lines) <= MaxBlockLines
}

// CleanLine is one line of a block as the block keeps it: Sanitize's, with
// its tabs made spaces to the next stop and no spaces at its end. Clean
// lines stay as they are: a door may gather them clean and measure them.
func CleanLine(line string) string {
	return strings.TrimRight(Sanitize(expandTabs(line)), " ")
}

// expandTabs turns each tab of line into spaces up to the next stop,
// counting characters as columns: indentation is what matters.
func expandTabs(line string) string {
	if strings.IndexByte(line, '\t') < 0 {
		return line
	}
	var b strings.Builder
	col := 0
	for _, r := range line {
		if r == '\t' {
			n := tabWidth - col%tabWidth
			b.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		}
		b.WriteRune(r)
		col++
	}
	return b.String()
}

// Fence reports whether line opens or closes a fenced block as Markdown
// writes it: three backticks, then an optional language ("```python").
// The language is a word of letters, digits and "+-#._"; anything else
// after the backticks makes the line no fence.
func Fence(line string) (lang string, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "```")
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	for _, r := range rest {
		if !(r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+-#._", r))) {
			return "", false
		}
	}
	return rest, true
}

// Fenced splits a block's text into its language and code when it is
// fenced (its first line "```lang", its last "```"); ok is false otherwise.
func Fenced(block string) (lang, code string, ok bool) {
	first, rest, more := strings.Cut(block, "\n")
	if !more {
		return "", "", false
	}
	lang, ok = Fence(first)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '\n')
	last := rest[i+1:]
	if l, end := Fence(last); !end || l != "" {
		return "", "", false
	}
	if i < 0 {
		return lang, "", true
	}
	return lang, rest[:i], true
}
