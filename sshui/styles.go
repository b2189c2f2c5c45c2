package sshui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"palabre/room"
)

// styles are built from one session's renderer: each SSH client has its own
// terminal and colour profile, so nothing here may come from lipgloss's
// global renderer. Under the Ascii profile every style renders as plain
// text, which is why the screen also marks things with characters.
type styles struct {
	title, time, system, own, mention, mark, private ink
	sep, sideHead, unread                            ink
	names                                            []ink
}

// inputStyles are the text input's, which takes lipgloss styles (half a kB
// each): given to it, not kept.
type inputStyles struct {
	prompt, text, placeholder, cursor lipgloss.Style
}

func newInputStyles(r *lipgloss.Renderer) inputStyles {
	return inputStyles{
		prompt:      r.NewStyle().Bold(true),
		text:        r.NewStyle(),
		placeholder: r.NewStyle().Faint(true),
		cursor:      r.NewStyle(),
	}
}

// palette holds the 16-colour indexes that read well on dark and light
// backgrounds alike: no black, white or greys.
var palette = []string{"1", "2", "3", "4", "5", "6", "9", "10", "11", "12", "13", "14"}

func newStyles(r *lipgloss.Renderer) styles {
	s := styles{
		title:    inkOf(r.NewStyle().Reverse(true).Bold(true)),
		time:     inkOf(r.NewStyle().Faint(true)),
		system:   inkOf(r.NewStyle().Faint(true)),
		own:      inkOf(r.NewStyle().Reverse(true).Bold(true)),
		mention:  inkOf(r.NewStyle().Bold(true).Foreground(lipgloss.Color("11"))),
		mark:     inkOf(r.NewStyle().Bold(true)),
		private:  inkOf(r.NewStyle().Foreground(lipgloss.Color("13"))),
		sep:      inkOf(r.NewStyle().Faint(true)),
		sideHead: inkOf(r.NewStyle().Bold(true)),
		unread:   inkOf(r.NewStyle().Reverse(true)),
	}
	for _, c := range palette {
		s.names = append(s.names, inkOf(r.NewStyle().Foreground(lipgloss.Color(c))))
	}
	return s
}

// ink is a style as the two escape sequences around its text. lipgloss
// does the same for one line without tabs, but measures and splits the
// text on every call: a third of a message's cost on each screen when
// styles were rendered per row.
type ink struct{ open, close string }

func inkOf(st lipgloss.Style) ink {
	s := st.Render("x") // no escape sequence holds an x
	i := strings.IndexByte(s, 'x')
	return ink{s[:i], s[i+1:]}
}

// Render styles s, one line of clean text (no tabs, no controls).
func (k ink) Render(s string) string {
	if s == "" || k.open == "" && k.close == "" {
		return s
	}
	return k.open + s + k.close
}

// name gives each name the same colour on every screen and every session,
// whatever its case, since names are unique regardless of case.
func (s *styles) name(n string) ink {
	h := uint32(2166136261) // FNV-1a, inlined to hash without allocating
	for i := 0; i < len(n); i++ {
		h = (h ^ uint32(lowerASCII(n[i]))) * 16777619
	}
	return s.names[h%uint32(len(s.names))]
}

// cols is ansi.StringWidth with a fast path for printable ASCII, which
// most chat is: one column a byte.
func cols(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
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

// unreadRooms heads the side panel's rooms with unread messages, with the
// key that goes to them.
func (w words) unreadRooms() string { return w.pick("Unread · Ctrl+N", "Non lus · Ctrl+N") }

// unreadCount says, in the title bar, how many rooms have unread messages.
func (w words) unreadCount(n int) string {
	return fmt.Sprintf(w.pick("%d unread room(s) •", "%d salon(s) non lu(s) •"), n)
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
	st      *styles
	lang    room.Lang
	wd      words
	loc     *time.Location
	cache   *rowCache // shared with the server's other screens; nil: none
	profile termenv.Profile

	minute    int64 // the Unix minute lastStamp shows
	lastStamp string
}

// stamp is at's HH:MM, formatted once a minute: messages come in runs.
func (p *painter) stamp(at time.Time) string {
	if at.IsZero() {
		return "--:--"
	}
	// Time zones are whole quarter hours: a Unix minute is one HH:MM.
	if m := at.Unix() / 60; m != p.minute || p.lastStamp == "" {
		p.minute, p.lastStamp = m, at.In(p.loc).Format("15:04")
	}
	return p.lastStamp
}

// minBody is the narrowest column worth wrapping text into beside its
// prefix; below it the prefix takes a row of its own.
const minBody = 12

// bodyIndent is where text starts after the time and the gutter.
const bodyIndent = len("15:04 - ")

// render gives e's rows, wrapped to width: the server's when every screen
// renders them alike, else the screen's own. Every row is at most width
// columns wide. meID, the screen's member, sets its own words apart;
// e.mention says whether the message names that member.
func (p *painter) render(e item, meID uint64, width int) *rendered {
	own := e.msg.SenderID == meID && !e.msg.Kind.System()
	// A question is rendered by each screen: operators' copies name an
	// anonymous author that members' copies of the same number do not.
	if p.cache == nil || e.msg.Seq == 0 || e.gather != nil || e.msg.Others > 0 || own || e.mention || e.msg.Kind == room.KindQuestion {
		return &rendered{msg: e.keep(), rows: p.format(nil, e, own, width), gather: e.gather, mention: e.mention}
	}
	k := rowKey{e.msg.Seq, width, p.profile}
	if r, ok := p.cache.get(k); ok {
		return r // its message too: one number, one message, for every screen
	}
	return p.cache.put(k, &rendered{msg: e.keep(), rows: p.format(nil, e, own, width)})
}

// head writes into pre what every row of a message starts with: its time,
// its gutter (- the server's, > one's own, ! a mention), a space; and
// returns its sender's name, cleaned, with the style to write it in.
func (p *painter) head(pre *prefix, e item, own bool) (from string, nameStyle ink) {
	st, msg := p.st, e.msg
	gutter, gutterStyle := " ", st.time
	switch {
	case msg.Kind.System():
		gutter = "-"
	case own:
		gutter, gutterStyle = ">", st.mark
	case e.mention:
		gutter, gutterStyle = "!", st.mention
	}
	pre.add(p.stamp(msg.At)+" ", st.time)
	pre.add(gutter, gutterStyle)
	pre.raw(" ")
	from = room.Sanitize(msg.From)
	nameStyle = st.name(from)
	if own {
		nameStyle = st.own
	}
	return from, nameStyle
}

// format renders e for this screen; own says it is the screen's member's.
func (p *painter) format(dst []line, e item, own bool, width int) []line {
	if e.msg.Kind == room.KindBlock {
		return p.formatBlock(dst, e, own, width)
	}
	st, msg := p.st, e.msg
	var pre prefix
	from, nameStyle := p.head(&pre, e, own)
	body, bodyStyle, plain := []string{room.Sanitize(msg.Text)}, ink{}, true
	switch msg.Kind {
	case room.KindChat:
		if p.profile == termenv.Ascii {
			// Without colour the name would run into the text: it is
			// marked as IRC clients mark it.
			pre.raw("<")
			pre.add(from, nameStyle)
			pre.raw("> ")
			break
		}
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
		text := p.lang.Describe(*msg)
		switch {
		case e.gatherCount() > 1 && msg.Kind == room.KindJoin:
			text = p.lang.Joined(e.gather.names, e.gather.count)
		case e.gatherCount() > 1:
			text = p.lang.Left(e.gather.names, e.gather.count)
		}
		if text == "" {
			text = msg.Text
		}
		if msg.Kind == room.KindHelp {
			text += "\n" + p.wd.keysHelp()
		}
		body = strings.Split(text, "\n")
		for i := range body {
			body[i] = room.Sanitize(body[i])
		}
		bodyStyle, plain = st.system, false
	}
	if e.mention && !own {
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
		rows := []string{par}
		if cols(par) > avail {
			rows = strings.Split(ansi.Wrap(par, avail, ""), "\n")
		}
		for _, row := range rows {
			w := cols(row)
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

func (p *prefix) add(s string, st ink) {
	p.b.WriteString(st.Render(s))
	p.w += cols(s)
}

// raw adds unstyled text, which needs no trip through lipgloss.
func (p *prefix) raw(s string) {
	p.b.WriteString(s)
	p.w += cols(s)
}

// fit cuts s, w columns wide, to at most width columns.
func fit(s string, w, width int) line {
	if w <= width {
		return line{s, w}
	}
	s = ansi.Truncate(s, width, "")
	return line{s, ansi.StringWidth(s)}
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
