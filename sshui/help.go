package sshui

import (
	"fmt"
	"strings"
)

// keysHelp is what the screen adds to /help: its keys, and how to select
// text while the screen takes the mouse (for its wheel), which terminals
// let a held Shift override.
func (w words) keysHelp() string {
	keys := [][3]string{
		{"Enter", "send", "envoyer"},
		{"Up / Down", "walk your previous lines", "parcourir vos lignes précédentes"},
		{"Tab / Shift+Tab", "complete a member's name", "compléter le nom d'un membre"},
		{"PgUp / PgDn, " + w.pick("mouse wheel", "molette"), "scroll", "faire défiler"},
		{w.endKey(), "back to the newest messages", "revenir aux derniers messages"},
		{"Ctrl+N / Ctrl+P", "next / previous unread room", "salon non lu suivant / précédent"},
		{"Ctrl+C", "leave", "quitter"},
	}
	lines := []string{w.pick("Keys:", "Touches :")}
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("  %-30s %s", k[0], w.pick(k[1], k[2])))
	}
	lines = append(lines, w.pick("To select and copy text, hold Shift while you drag (Option in iTerm2).",
		"Pour sélectionner et copier du texte, maintenez Maj en glissant (Option dans iTerm2)."))
	return strings.Join(lines, "\n")
}
