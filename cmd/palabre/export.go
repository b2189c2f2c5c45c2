package main

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"palabre/internal/store"
	"palabre/room"
)

// An export is the class's conversation as a page for the course's site:
// each room under its heading, its messages and what the class made of
// them (topics, breakouts, polls, questions), code kept as code. Who came
// and went, moderation and private messages are the server's business,
// and stay out of it.

// exportRoom is one room's part of an export, in the order of the
// transcript.
type exportRoom struct {
	Name  string
	Items []exportItem
}

// exportItem is one line of a room in an export.
type exportItem struct {
	At   time.Time
	Kind string // "chat", "action", "code" (a block, or a message of several lines), or "event"
	From string
	Text string
	Lang string // "code": the language its fence named, if any
}

// left out of an export: presence, moderation, private words, the server's own life.
var notExported = map[room.Kind]bool{
	room.KindJoin: true, room.KindLeave: true, room.KindNick: true, room.KindPrivate: true,
	room.KindKick: true, room.KindMute: true, room.KindUnmute: true, room.KindBan: true, room.KindUnban: true,
	room.KindRelease: true, room.KindOp: true, room.KindStart: true, room.KindStop: true, room.KindCrash: true,
	room.KindHand: true, room.KindFloor: true, room.KindUpvote: true, // the lesson's traffic, not what it made
}

// exporter gathers entries by room, for a format to write at the end.
type exporter struct {
	rooms []*exportRoom
	by    map[string]*exportRoom // by lower-cased name
	first time.Time
	last  time.Time
}

func (x *exporter) add(e store.Entry) error {
	kind, _ := room.ParseKind(e.Kind)
	if e.Room == "" || notExported[kind] {
		return nil
	}
	if x.by == nil {
		x.by = map[string]*exportRoom{}
	}
	r := x.by[strings.ToLower(e.Room)]
	if r == nil {
		r = &exportRoom{Name: e.Room}
		x.by[strings.ToLower(e.Room)] = r
		x.rooms = append(x.rooms, r)
	}
	if kind == room.KindQuestion && e.Target == room.AnonymousQuestion {
		e.Name = "" // the page is for the class: who asked stays the operators' to know
	}
	it := exportItem{At: e.At, From: e.Name, Text: e.Text}
	switch kind {
	case room.KindChat:
		it.Kind = "chat"
		if strings.Contains(e.Text, "\n") {
			it.Kind = "code"
		}
	case room.KindAction:
		it.Kind = "action"
	case room.KindBlock:
		it.Kind = "code"
		if lang, code, ok := room.Fenced(e.Text); ok {
			it.Lang, it.Text = lang, code
		}
	default:
		it.Kind, it.From, it.Text = "event", "", strings.TrimPrefix(transcriptLine(e), "*** ")
	}
	r.Items = append(r.Items, it)
	if x.first.IsZero() {
		x.first = e.At
	}
	x.last = e.At
	return nil
}

// title names the export by its days.
func (x *exporter) title() string {
	if x.first.IsZero() {
		return "palabre transcript"
	}
	a, b := x.first.Local().Format("2006-01-02"), x.last.Local().Format("2006-01-02")
	if a == b {
		return "palabre transcript, " + a
	}
	return "palabre transcript, " + a + " to " + b
}

// markdown writes the export as CommonMark: a heading per room, a list
// item per message, code in fences. Member text is escaped, so that no
// word of a member becomes markup, a link or HTML on the course's site.
func (x *exporter) markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", x.title()) // our words: dates and letters
	for _, r := range x.rooms {
		fmt.Fprintf(&b, "\n## #%s\n\n", r.Name) // a room's name is letters, digits, _ and -
		for _, it := range r.Items {
			at := it.At.Local().Format("15:04")
			switch it.Kind {
			case "chat":
				fmt.Fprintf(&b, "- %s **%s**: %s\n", at, mdEscape(it.From), mdEscape(it.Text))
			case "action":
				fmt.Fprintf(&b, "- %s *%s %s*\n", at, mdEscape(it.From), mdEscape(it.Text))
			case "code":
				fence := strings.Repeat("`", max(3, longestRun(it.Text, '`')+1))
				fmt.Fprintf(&b, "- %s **%s**:\n\n  %s%s\n", at, mdEscape(it.From), fence, it.Lang)
				for line := range strings.SplitSeq(strings.TrimSuffix(it.Text, "\n"), "\n") {
					fmt.Fprintf(&b, "  %s\n", line)
				}
				fmt.Fprintf(&b, "  %s\n\n", fence)
			default:
				fmt.Fprintf(&b, "- %s _%s_\n", at, mdEscape(it.Text))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape escapes every ASCII punctuation character, as CommonMark
// allows: what a member typed stays its text.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// html writes the export as one self-contained page: no script, no
// external resource, every member text escaped by html/template.
func (x *exporter) html(w io.Writer) error {
	return exportPage.Execute(w, struct {
		Title string
		Rooms []*exportRoom
	}{x.title(), x.rooms})
}

var exportPage = template.Must(template.New("export").Funcs(template.FuncMap{
	"hhmm": func(t time.Time) string { return t.Local().Format("15:04") },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
ul { list-style: none; padding: 0; }
li { margin: 0.2rem 0; }
time { color: #666; font-variant-numeric: tabular-nums; margin-right: 0.5rem; }
.event { color: #555; font-style: italic; }
pre { background: #f4f4f4; padding: 0.6rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Rooms}}<section>
<h2>#{{.Name}}</h2>
<ul>
{{range .Items}}<li class="{{.Kind}}"><time>{{hhmm .At}}</time>{{if eq .Kind "chat"}}<b>{{.From}}</b>: {{.Text}}{{else if eq .Kind "action"}}<i>{{.From}} {{.Text}}</i>{{else if eq .Kind "code"}}<b>{{.From}}</b>{{with .Lang}} ({{.}}){{end}}:<pre><code>{{.Text}}</code></pre>{{else}}{{.Text}}{{end}}</li>
{{end}}</ul>
</section>
{{end}}</body>
</html>
`))
