package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"palabre/room"
)

// hostile is member text that would be markup, a link, HTML or script on
// the course's site if an export let it through.
const hostile = `<script>alert(1)</script> <img src=x onerror=alert(2)> *bold* [link](http://x) # not a heading`

// exportData is a class of two rooms: words, an action, a topic, code, a
// breakout, and what an export leaves out (joins, moderation).
func exportData(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	runStore(t, data, time.Date(2026, 11, 30, 10, 0, 0, 0, time.Local), []event{
		{kind: room.KindJoin, room: "main", from: "alice"},
		{kind: room.KindChat, room: "main", from: "alice", text: "bonjour"},
		{kind: room.KindTopic, room: "main", from: "prof", text: "TP 3: sockets"},
		{kind: room.KindChat, room: "main", from: "eve", text: hostile},
		{kind: room.KindChat, room: "tp1", from: "bob", text: "def f(x):\n    return x  # ``` inside\n"},
		{kind: room.KindAction, room: "tp1", from: "bob", text: "waves"},
		{kind: room.KindBlock, room: "tp1", from: "carol", text: "```python\nprint('<b>')\n```"},
		{kind: room.KindKick, room: "main", from: "prof", text: "spam"},
		{kind: room.KindLeave, room: "main", from: "alice", reason: room.ReasonQuit},
	})
	return data
}

func TestExportMarkdown(t *testing.T) {
	data := exportData(t)
	out, errs, code := transcript(t, nil, "--data-dir", data, "--format", "markdown")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"# palabre transcript, 2026-11-30\n",
		"\n## #main\n",
		"\n## #tp1\n",
		"**alice**: bonjour\n",
		"_prof set the topic\\: TP 3\\: sockets_",
		"*bob waves*",
		// Code in a fence longer than any backtick run inside, kept as typed.
		"  ````\n  def f(x):\n      return x  # ``` inside\n  ````\n",
		// A block, fenced with its language, its code as typed.
		"**carol**:\n\n  ```python\n  print('<b>')\n  ```\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the export lacks %q:\n%s", want, out)
		}
	}
	// Each room's lines under its heading, in order.
	if i, j := strings.Index(out, "## #main"), strings.Index(out, "## #tp1"); i < 0 || j < i || strings.Index(out, "bonjour") > j || strings.Index(out, "waves") < j {
		t.Errorf("rooms out of place:\n%s", out)
	}
	// No member's words become markup: every punctuation escaped.
	for i := range len(out) {
		if out[i] == '<' && (i == 0 || out[i-1] != '\\') && !strings.HasPrefix(out[i:], "<b>')") {
			t.Fatalf("an unescaped < at %d:\n%s", i, out)
		}
	}
	if strings.Contains(out, "](http") || strings.Contains(out, " *bold* ") || strings.Contains(out, "\n# not") {
		t.Errorf("member text passed as markup:\n%s", out)
	}
	// Joins, leaves and moderation stay out.
	for _, not := range []string{"joined", "left", "kicked", "spam"} {
		if strings.Contains(out, not) {
			t.Errorf("the export holds %q:\n%s", not, out)
		}
	}
}

func TestExportHTML(t *testing.T) {
	data := exportData(t)
	out, errs, code := transcript(t, nil, "--data-dir", data, "--format", "html")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	var headings []string
	var pre []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "img", "iframe", "object", "embed", "link":
				t.Errorf("the page holds a <%s>", n.Data)
			case "h2":
				headings = append(headings, textOf(n))
			case "pre":
				pre = append(pre, textOf(n))
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") || a.Key == "src" || (a.Key == "href") {
					t.Errorf("<%s %s=%q>: an attribute that runs or loads", n.Data, a.Key, a.Val)
				}
			}
		}
		if n.Type == html.TextNode {
			texts = append(texts, n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if strings.Join(headings, "|") != "#main|#tp1" {
		t.Errorf("headings %q", headings)
	}
	// The hostile words are text, whole: escaped, not parsed.
	if !strings.Contains(strings.Join(texts, ""), hostile) {
		t.Errorf("the member's text is not on the page as text:\n%s", out)
	}
	if len(pre) != 2 || pre[0] != "def f(x):\n    return x  # ``` inside\n" || pre[1] != "print('<b>')" {
		t.Errorf("the code blocks read %q", pre)
	}
	if strings.Contains(out, "http://") && !strings.Contains(out, "[link](http://x)") {
		t.Errorf("an external resource on the page:\n%s", out)
	}
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
