package sshui_test

import (
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/testterm"
	"palabre/room"
	"palabre/sshui"
)

// The screen's /help also lists its keys, and tells how to select text
// while the screen takes the mouse.
func TestScreenHelpListsItsKeys(t *testing.T) {
	for _, tt := range []struct {
		lang room.Lang
		want []string
	}{
		{room.LangEN, []string{"Keys:", "Enter", "Up / Down", "Tab / Shift+Tab", "PgUp / PgDn, mouse wheel", "End ", "Ctrl+N / Ctrl+P", "next / previous unread room", "Ctrl+C", "hold Shift while you drag"}},
		{room.LangFR, []string{"Touches :", "Enter", "Up / Down", "Tab / Shift+Tab", "PgUp / PgDn, molette", "Fin ", "Ctrl+N / Ctrl+P", "salon non lu suivant / précédent", "Ctrl+C", "maintenez Maj en glissant"}},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			a := startArena(t, room.Options{}, sshui.Options{Lang: tt.lang})
			s := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 120, 50)
			s.waitFor("alice")
			s.typeText("/help\r")
			var shown string
			poll(t, patience, "the help on the screen", func() bool {
				em := testterm.New(t, 120, 50, nil)
				_, _ = em.WriteString(rawOut(s))
				shown = em.String()
				return strings.Contains(shown, "Ctrl+C")
			})
			for _, w := range tt.want {
				if !strings.Contains(shown, w) {
					t.Errorf("/help shows\n%s\nwant %q", shown, w)
				}
			}
		})
	}
}
