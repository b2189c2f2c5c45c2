package sshui

import (
	"strings"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/formatters"
	"github.com/alecthomas/chroma/v2/lexers"
	chromastyles "github.com/alecthomas/chroma/v2/styles"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"palabre/room"
)

// heldText is a paste or a typed line waiting for flood control: lines
// separated by "\n", each a message, or one block, a single message.
type heldText struct {
	s     string
	block bool
}

// sendBlock queues text for the room as one block (room.Hub.PostBlock),
// behind what is held already: flood control counts it once.
func (h *held) sendBlock(text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gone {
		return
	}
	h.queueLocked(heldText{s: text, block: true}, 1)
}

// pasteBlock sends a paste of more than one line that is not blank as one
// block, and reports whether it did. The whole paste goes, its last line
// too, unfinished or not: code is pasted whole. What was typed before it
// stays in the input, its own message: a "/msg bob " typed there never
// makes the block private, nor a public block of a private line.
func (m *model) pasteBlock(text string) bool {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	n := 0
	for l := range strings.SplitSeq(text, "\n") {
		if len(l) > maxPending {
			m.cfg.Leave(room.ReasonTooLong) // as any line past the framer's bound
			return true
		}
		if !blank(l) {
			n++
		}
	}
	if n < 2 {
		return false
	}
	m.scroll(-m.offset) // whoever speaks wants to see the answer
	m.cfg.Block(text)
	return true
}

// Block margins: a block is set apart by its margin, and a line of code
// wrapped to the screen goes on in rows marked as its continuation, under
// its own indentation. Nothing of it is cut: wrapping is the honest choice
// where cutting would need a key to read what was cut.
const (
	blockMargin     = "│ "
	blockMarginCont = "┆ "
	asciiMargin     = "| "
	asciiMarginCont = ": "
)

// formatBlock renders a block: a head row (time, name, the language of
// fenced code) and its lines below, kept together, each behind a margin.
func (p *painter) formatBlock(dst []line, e item, own bool, width int) []line {
	st, msg := p.st, e.msg
	var pre prefix
	from, nameStyle := p.head(&pre, e, own) // a block is words: KindBlock is no system kind
	pre.add(from, nameStyle)
	text := msg.Text
	lang, code, fenced := room.Fenced(text)
	if fenced {
		text = code
		if lang != "" { // Fence lets only [A-Za-z0-9+-#._] through
			pre.raw(" ")
			pre.add("("+lang+")", st.time)
		}
	}
	pre.raw(":")
	dst = append(dst, fit(pre.b.String(), pre.w, width))

	lines := strings.Split(text, "\n")
	for i := range lines {
		// The room sends blocks clean; the screen cleans again all the
		// same, as it does any member text: nothing reaches the terminal raw.
		lines[i] = room.CleanLine(lines[i])
	}
	var colored []string
	if fenced {
		colored = highlight(lang, lines, p.profile)
	}
	margin, cont := blockMargin, blockMarginCont
	if p.profile == termenv.Ascii {
		margin, cont = asciiMargin, asciiMarginCont
	}
	indent := min(2, width-1)
	if width >= bodyIndent+minBody {
		indent = bodyIndent // under the text of other messages
	}
	pad := strings.Repeat(" ", indent)
	avail := max(width-indent-2, 1)
	for i, l := range lines {
		src := l
		if colored != nil {
			src = colored[i]
		}
		if cols(l) <= avail {
			dst = append(dst, line{pad + st.sep.Render(margin) + src, indent + 2 + cols(l)})
			continue
		}
		lead := min(len(l)-len(strings.TrimLeft(l, " ")), avail/2)
		rows := strings.Split(ansi.Hardwrap(src, avail-lead, true), "\n")
		for j, row := range rows {
			mg, sp := margin, ""
			if j > 0 {
				mg, sp = cont, strings.Repeat(" ", lead)
				row = strings.TrimLeft(row, " ")
			}
			if colored != nil {
				row += "\x1b[0m" // a colour cut by the wrap ends in its row
			}
			w := ansi.StringWidth(sp + row)
			if w > avail { // a grapheme wider than the column
				row = ansi.Truncate(row, max(avail-len(sp), 0), "")
				w = ansi.StringWidth(sp + row)
			}
			dst = append(dst, line{pad + st.sep.Render(mg) + sp + row, indent + 2 + w})
		}
	}
	return dst
}

// chromaStyle is the colours of highlighted code: one that reads on the
// dark terminals most members use.
const chromaStyle = "monokai"

// highlight colours lines, fenced code in lang, for a terminal of profile:
// one string per line, or nil when there is nothing to colour with (no
// colour, an unknown language) or when the colouring would be anything but
// SGR colours around the very text of lines.
func highlight(lang string, lines []string, profile termenv.Profile) []string {
	var f chroma.Formatter
	switch profile {
	case termenv.TrueColor, termenv.ANSI256:
		f = formatters.TTY256
	case termenv.ANSI:
		f = formatters.TTY16
	default:
		return nil
	}
	lexer := lexers.Get(lang)
	if lang == "" || lexer == nil {
		return nil
	}
	it, err := chroma.Coalesce(lexer).Tokenise(nil, strings.Join(lines, "\n"))
	if err != nil {
		return nil
	}
	var b strings.Builder
	if f.Format(&b, chromastyles.Get(chromaStyle), it) != nil {
		return nil
	}
	out := strings.Split(b.String(), "\n")
	if len(out) < len(lines) {
		return nil
	}
	out = out[:len(lines)]
	for i, s := range out {
		if !sgrOnly(s) || ansi.Strip(s) != lines[i] {
			return nil
		}
	}
	return out
}

// sgrOnly reports whether every escape in s is an SGR sequence (ESC [
// digits and semicolons m) and s holds no other control: what chroma's
// terminal formatters write, and all the screen lets through.
func sgrOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 0x1b {
			if c < 0x20 || c == 0x7f {
				return false
			}
			continue
		}
		if i+1 >= len(s) || s[i+1] != '[' {
			return false
		}
		j := i + 2
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';') {
			j++
		}
		if j >= len(s) || s[j] != 'm' {
			return false
		}
		i = j
	}
	return true
}
