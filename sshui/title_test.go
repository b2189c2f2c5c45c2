package sshui

import (
	"strings"
	"testing"

	"github.com/muesli/termenv"

	"palabre/room"
)

// A long topic is cut before "you: NAME" is: the member always sees who it
// is, at every width, in both languages.
func TestTitleKeepsYourNameBesideALongTopic(t *testing.T) {
	topic := "Exam at 10: bring your student card, a pen, and nothing else; phones off " + strings.Repeat("please ", 30)
	for _, tt := range []struct {
		lang room.Lang
		you  string
	}{{room.LangEN, "you: carol"}, {room.LangFR, "vous : carol"}} {
		for _, w := range []int{40, 80, 120} {
			th := newTermHarness(setup{lang: tt.lang, profile: termenv.ANSI, w: w, h: 10})
			th.m.receive([]room.Message{{At: at(1), Kind: room.KindTopic, From: "prof", Text: topic}})
			th.draw(t, "the topic")
			title := th.vt.Lines()[0]
			if !strings.HasSuffix(title, tt.you) {
				t.Errorf("%s at %d columns: the title bar is %q; want it to end with %q", tt.lang, w, title, tt.you)
			}
			if !strings.HasPrefix(title, " #lobby · ") || !strings.Contains(title, "Exa") || !strings.Contains(title, "…") {
				t.Errorf("%s at %d columns: the title bar is %q; want the room, then the start of the topic, cut", tt.lang, w, title)
			}
		}
	}
	// Narrower than the name itself, the name is what shows.
	th := newTermHarness(setup{lang: room.LangEN, profile: termenv.ANSI, w: 20, h: 10})
	th.self.name = "dave_the_longest"
	th.m.receive([]room.Message{{At: at(1), Kind: room.KindTopic, From: "prof", Text: topic}})
	th.draw(t, "the topic, at 20 columns")
	if title := th.vt.Lines()[0]; !strings.HasPrefix(title, "you: dave_the_long") {
		t.Errorf("at 20 columns the title bar is %q; want the start of the member's name", title)
	}
}
