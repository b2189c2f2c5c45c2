package sshui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"palabre/room"
)

// styles are built from one session's renderer: each SSH client has its own
// terminal and colour profile, so nothing here may come from lipgloss's
// global renderer. Under the Ascii profile every style renders as plain
// text, which is why the screen also marks things with characters.
type styles struct {
	title, time, system, own, mention, mark, private lipgloss.Style
	sep, sideHead, unread, prompt, text, placeholder lipgloss.Style
	cursor                                           lipgloss.Style
	names                                            []lipgloss.Style
}

// palette holds the 16-colour indexes that read well on dark and light
// backgrounds alike: no black, white or greys.
var palette = []string{"1", "2", "3", "4", "5", "6", "9", "10", "11", "12", "13", "14"}

func newStyles(r *lipgloss.Renderer) styles {
	s := styles{
		title:       r.NewStyle().Reverse(true).Bold(true),
		time:        r.NewStyle().Faint(true),
		system:      r.NewStyle().Faint(true),
		own:         r.NewStyle().Reverse(true).Bold(true),
		mention:     r.NewStyle().Bold(true).Foreground(lipgloss.Color("11")),
		mark:        r.NewStyle().Bold(true),
		private:     r.NewStyle().Foreground(lipgloss.Color("13")),
		sep:         r.NewStyle().Faint(true),
		sideHead:    r.NewStyle().Bold(true),
		unread:      r.NewStyle().Reverse(true),
		prompt:      r.NewStyle().Bold(true),
		text:        r.NewStyle(),
		placeholder: r.NewStyle().Faint(true),
		cursor:      r.NewStyle(),
	}
	for _, c := range palette {
		s.names = append(s.names, r.NewStyle().Foreground(lipgloss.Color(c)))
	}
	return s
}

// name gives each name the same colour on every screen and every session,
// whatever its case, since names are unique regardless of case.
func (s *styles) name(n string) lipgloss.Style {
	h := uint32(2166136261) // FNV-1a, inlined to hash without allocating
	for i := 0; i < len(n); i++ {
		h = (h ^ uint32(lowerASCII(n[i]))) * 16777619
	}
	return s.names[h%uint32(len(s.names))]
}

// words are the screen's own strings; the room's events are worded by room.Lang.
type words struct{ fr bool }

func (w words) pick(en, fr string) string {
	if w.fr {
		return fr
	}
	return en
}

func (w words) memberCount(n int) string {
	if n == 1 {
		return w.pick("1 member", "1 membre")
	}
	return fmt.Sprintf(w.pick("%d members", "%d membres"), n)
}

func (w words) you(name string) string { return fmt.Sprintf(w.pick("you: %s", "vous : %s"), name) }
func (w words) membersHeader() string  { return w.pick("Members", "Membres") }
func (w words) more(n int) string      { return fmt.Sprintf(w.pick("+%d more", "+%d autre(s)"), n) }
func (w words) private() string        { return w.pick("[private]", "[privé]") }
func (w words) placeholder() string {
	return w.pick("Type a message, /help for commands", "Tapez un message, /help pour les commandes")
}
func (w words) endKey() string { return w.pick("End", "Fin") }
func (w words) queued(n int) string {
	return fmt.Sprintf(w.pick(" %d waiting: flood control ", " %d en attente : anti-flood "), n)
}
func (w words) unreadText(n int) string {
	if w.fr {
		return fmt.Sprintf("%d nouveau(x) message(s)", n)
	}
	if n == 1 {
		return "1 new message"
	}
	return fmt.Sprintf("%d new messages", n)
}

// line is one rendered row of the message area, with its width measured
// once so that drawing a frame never measures again.
type line struct {
	s string
	w int
}

// painter turns a message into rows of the message area.
type painter struct {
	st   *styles
	lang room.Lang
	wd   words
	loc  *time.Location
}

// minBody is the narrowest column worth wrapping text into beside its
// prefix; below it the prefix takes a row of its own.
const minBody = 12

// bodyIndent is where text starts after the time and the gutter.
const bodyIndent = len("15:04 - ")

// render appends msg's rows, wrapped to width, to dst. Every row is at most
// width columns wide. meID, the screen's member, sets its own words apart;
// mention says whether msg names that member.
func (p *painter) render(dst []line, msg room.Message, meID uint64, mention bool, width int) []line {
	st := p.st
	stamp := "--:--"
	if !msg.At.IsZero() {
		stamp = msg.At.In(p.loc).Format("15:04")
	}
	own := msg.SenderID == meID && !msg.Kind.System()
	gutter, gutterStyle := " ", st.time
	switch {
	case msg.Kind.System():
		gutter = "-"
	case own:
		gutter, gutterStyle = ">", st.mark
	case mention:
		gutter, gutterStyle = "!", st.mention
	}
	var pre prefix
	pre.add(stamp+" ", st.time)
	pre.add(gutter, gutterStyle)
	pre.raw(" ")
	from := room.Sanitize(msg.From)
	nameStyle := st.name(from)
	if own {
		nameStyle = st.own
	}
	body, bodyStyle, plain := []string{room.Sanitize(msg.Text)}, st.text, true
	switch msg.Kind {
	case room.KindChat:
		pre.add(from, nameStyle)
		pre.raw(" ")
	case room.KindAction:
		pre.raw("* ")
		pre.add(from, nameStyle)
		pre.raw(" ")
	case room.KindPrivate:
		pre.add(p.wd.private()+" ", st.private)
		pre.add(from, nameStyle)
		pre.add(" → ", st.private)
		to := room.Sanitize(msg.To)
		pre.add(to, st.name(to))
		pre.raw(": ")
	default:
		text := p.lang.Describe(msg)
		if text == "" {
			text = msg.Text
		}
		body = strings.Split(text, "\n")
		for i := range body {
			body[i] = room.Sanitize(body[i])
		}
		bodyStyle, plain = st.system, false
	}
	if mention && !own {
		bodyStyle, plain = st.mention, false
	}

	head, indent := pre.b.String(), pre.w
	inline := width-pre.w >= minBody
	if !inline {
		// Too narrow to keep text beside its prefix: give the prefix a row.
		dst = append(dst, fit(head, pre.w, width))
		indent = min(2, width-1)
		if width >= bodyIndent+minBody {
			indent = bodyIndent // under the text of system lines
		}
	}
	avail := max(width-indent, 1)
	pad := strings.Repeat(" ", indent)
	first := inline
	for _, par := range body {
		for _, row := range strings.Split(ansi.Wrap(par, avail, ""), "\n") {
			w := ansi.StringWidth(row)
			if w > avail { // a grapheme wider than the whole column
				row = ansi.Truncate(row, avail, "")
				w = ansi.StringWidth(row)
			}
			if !plain && row != "" {
				row = bodyStyle.Render(row)
			}
			if first {
				dst = append(dst, line{head + row, pre.w + w})
				first = false
				continue
			}
			dst = append(dst, line{pad + row, indent + w})
		}
	}
	return dst
}

// prefix is the styled head of a message row, measured as it is built.
type prefix struct {
	b strings.Builder
	w int
}

func (p *prefix) add(s string, st lipgloss.Style) {
	p.b.WriteString(st.Render(s))
	p.w += ansi.StringWidth(s)
}

// raw adds unstyled text, which needs no trip through lipgloss.
func (p *prefix) raw(s string) {
	p.b.WriteString(s)
	p.w += ansi.StringWidth(s)
}

// fit cuts s, w columns wide, to at most width columns.
func fit(s string, w, width int) line {
	if w <= width {
		return line{s, w}
	}
	s = ansi.Truncate(s, width, "")
	return line{s, ansi.StringWidth(s)}
}

// mentions reports whether text holds name as a word, ignoring case. Names
// are ASCII letters, digits, '_' and '-', so a word ends at anything else.
func mentions(text, name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i+len(name) <= len(text); i++ {
		if i > 0 && nameByte(text[i-1]) {
			continue
		}
		if !equalFoldASCII(text[i:i+len(name)], name) {
			continue
		}
		if j := i + len(name); j == len(text) || !nameByte(text[j]) {
			return true
		}
	}
	return false
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// View draws only what shows: its cost follows the screen's size, not the
// scrollback's.
func (m *model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	w, h := m.layout()
	areaH := h - 2
	var b strings.Builder
	b.Grow((w + 64) * h) // room for the escape codes of a styled row
	b.WriteString(m.titleBar(w))

	end := m.sb.n - m.offset
	start := max(0, end-areaH)
	mark := m.offset > 0 && m.unread > 0
	markRow := areaH - 1
	queued := len(m.queue) > 0
	if queued {
		markRow-- // the flood notice takes the last row, above the input
	}
	side := m.sidebar()
	for r := range areaH {
		b.WriteByte('\n')
		var l line
		switch {
		case queued && r == areaH-1:
			l = m.banner(m.wd.queued(len(m.queue)))
		case mark && r == markRow:
			l = m.unreadMark()
		case start+r < end:
			l = m.sb.at(start + r)
		}
		b.WriteString(l.s)
		if side {
			b.WriteString(strings.Repeat(" ", max(0, m.areaW+1-l.w)))
			if r < len(m.side) {
				b.WriteString(m.side[r])
			} else {
				b.WriteString(m.sideBlank)
			}
		}
	}
	b.WriteByte('\n')
	in := m.ti.View()
	if lipgloss.Width(in) > w {
		in = ansi.Truncate(in, w, "")
	}
	b.WriteString(in)

	if m.width < w || m.height < h {
		return clip(b.String(), m.width, m.height)
	}
	return b.String()
}

// titleBar is cached: it changes with a nick, a join or a leave, or a resize.
func (m *model) titleBar(w int) string {
	key := titleKey{m.cfg.Member.Name(), len(m.members), w, m.topic}
	if key != m.titleKey || m.title == "" {
		m.titleKey, m.title = key, m.drawTitle(key)
	}
	return m.title
}

type titleKey struct {
	name  string
	count int
	width int
	topic string
}

func (m *model) drawTitle(k titleKey) string {
	w := k.width
	left := " " + m.cfg.RoomName + " · " + m.wd.memberCount(k.count)
	if k.topic != "" {
		left += " · " + k.topic
	}
	right := m.wd.you(k.name) + " "
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	var s string
	if lw+1+rw <= w {
		s = left + strings.Repeat(" ", w-lw-rw) + right
	} else {
		s = ansi.Truncate(left+" · "+right, w, "…")
		s += strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
	}
	return m.st.title.Render(s)
}

func (m *model) unreadMark() line {
	return m.banner(" ↓ " + m.wd.unreadText(m.unread) + " (" + m.wd.endKey() + ") ")
}

// banner is a row of the message area given to a notice, centred.
func (m *model) banner(text string) line {
	tw := ansi.StringWidth(text)
	if tw > m.areaW {
		text = ansi.Truncate(text, m.areaW, "")
		tw = ansi.StringWidth(text)
	}
	left := (m.areaW - tw) / 2
	s := strings.Repeat("─", left) + text + strings.Repeat("─", m.areaW-tw-left)
	return line{m.st.unread.Render(s), m.areaW}
}

// clip cuts a frame laid out for the minimum size to a smaller terminal,
// keeping its bottom rows, where the input is.
func clip(frame string, width, height int) string {
	rows := strings.Split(frame, "\n")
	rows = rows[max(0, len(rows)-height):]
	for i, r := range rows {
		rows[i] = ansi.Truncate(r, width, "")
	}
	return strings.Join(rows, "\n")
}
