package sshui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"palabre/room"
)

// The poll fits every width and height, in both languages: the side panel
// from 80 columns (its choices cut, the member list keeping half the
// column), one pinned row below, cut to the width; gone once the poll is.
func TestPollOnTheScreenFits(t *testing.T) {
	nine := []string{"pizza", "a salad with a very long name indeed", "soup", "d", "e", "f", "g", "h", "i"}
	v := &room.PollView{By: "prof", Question: "What shall we have for lunch on Friday, all of us?", Choices: nine,
		Counts: []int{120, 3, 0, 0, 0, 0, 0, 0, 177}, Total: 300}
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		for _, size := range [][2]int{{40, 12}, {79, 24}, {80, 24}, {80, 10}, {120, 40}, {20, 5}} {
			h := newHarness(setup{lang: lang, profile: termenv.Ascii, w: size[0], h: size[1]})
			shown := v
			h.m.cfg.Poll = func() *room.PollView { return shown }
			if !h.m.lookAtPoll() || h.m.lookAtPoll() {
				t.Fatalf("lookAtPoll: a new tally is a change, the same one none")
			}
			frame := h.m.View()
			checkFrame(t, frame, size[0], size[1])
			plain := ansi.Strip(frame)
			head := map[room.Lang]string{room.LangEN: "Poll · 300 votes", room.LangFR: "Sondage · 300 voix"}[lang]
			pinned := map[room.Lang]string{room.LangEN: " Poll: What", room.LangFR: " Sondage : What"}[lang]
			switch rows := strings.Split(plain, "\n"); {
			case size[0] >= sidebarMin && size[1] >= 8:
				if !strings.Contains(plain, "│ "+head) || !strings.Contains(plain, "│ 1 pizza   ██   120") {
					t.Errorf("%s %v: no poll in the side panel:\n%s", lang, size, plain)
				}
				if !strings.Contains(plain, "│ Members") && !strings.Contains(plain, "│ Membres") {
					t.Errorf("%s %v: the poll took the member list's place:\n%s", lang, size, plain)
				}
				// Every choice shows, or how many do not.
				if !strings.Contains(plain, "│ 9 i       ██   177") && !regexp.MustCompile(`│ \+\d (more: /poll|autres : /poll)`).MatchString(plain) {
					t.Errorf("%s %v: choices hidden without a word:\n%s", lang, size, plain)
				}
			case size[0] < sidebarMin && size[1] >= minHeight:
				if !strings.HasPrefix(rows[1], pinned) {
					t.Errorf("%s %v: no pinned poll row:\n%s", lang, size, plain)
				}
			}
			shown = nil
			if !h.m.lookAtPoll() {
				t.Fatal("lookAtPoll: a poll closed is a change")
			}
			if plain := ansi.Strip(h.m.View()); strings.Contains(plain, head) || strings.Contains(plain, pinned) {
				t.Errorf("%s %v: the poll shows once closed:\n%s", lang, size, plain)
			}
		}
	}
}
