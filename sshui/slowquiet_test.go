package sshui_test

import (
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/sshui"
)

// Slow and quiet on the SSH screen, over real sockets, read through a
// terminal emulator (x/vt): the title bar shows the modes; a line typed
// too soon is held, the member told for how long, and it goes when the
// wait ends; a line typed in a quiet room is refused; a newcomer's title
// shows the modes at once.
func TestSlowAndQuietOnTheScreen(t *testing.T) {
	for _, tt := range []struct {
		lang                      room.Lang
		members                   string
		slow, quiet, held, refuse string
		told, waiting             string
	}{
		{room.LangEN, "members", "slow 30s", "quiet", "slow mode: your message will be sent in 30 s",
			"the room is quiet: only operators post", "slow mode: each member posts at most once every 30 s", "1 waiting: slow mode"},
		{room.LangFR, "membres", "lent 30s", "silence", "mode lent : votre message sera envoyé dans 30 s",
			"le salon est en silence : seuls les opérateurs écrivent", "mode lent : chacun écrit au plus une fois toutes les 30 s", "1 en attente : mode lent"},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			clock := fakeclock.NewManual(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
			a := startArena(t, room.Options{OpPassword: "pw", Now: clock.Now, Sleep: clock.Sleep}, sshui.Options{Lang: tt.lang})
			op := dialPeer(t, a.tcpAddr, false) // Thread-1
			op.send("/op pw\n")
			op.expect("*** Thread-1 is now an operator")

			s := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
			d := newDisplay(s, 100, 30)
			d.titled(" #main · 2 ")
			op.expect("*** alice joined")

			op.send("/slow 30s\n")
			d.titled(" #main · 2 " + tt.members + " · " + tt.slow + " ")

			s.typeText("one\r")
			op.expect("alice> one")
			s.typeText("two\r")
			d.shows(tt.held)
			d.shows(tt.waiting) // the screen's own notice of the line it holds
			sleepingOn(t, clock, 1)
			op.send("while it waits\n")
			d.shows("while it waits")
			clock.Advance(30 * time.Second)
			if l := op.expect("alice> "); l != "alice> two" {
				t.Fatalf("after the wait the operator read %q; want alice's held line", l)
			}

			op.send("/quiet\n")
			d.titled(" #main · 2 " + tt.members + " · " + tt.slow + " · " + tt.quiet + " ")
			// A newcomer's title shows the modes at once, and it is told them.
			late := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "bob"}), 100, 30)
			ld := newDisplay(late, 100, 30)
			ld.titled(" #main · 3 " + tt.members + " · " + tt.slow + " · " + tt.quiet + " ")
			ld.shows(tt.told)
			// Modes are the room's: another room's title has none, and coming back shows them again.
			s.typeText("/join tp1\r")
			d.waitFor("#tp1's title, without modes", func(shown string) bool {
				title, _, _ := strings.Cut(shown, "\n")
				return strings.HasPrefix(title, " #tp1 · ") && !strings.Contains(title, tt.slow) && !strings.Contains(title, tt.quiet)
			})
			s.typeText("/part\r")
			d.titled(" #main · 3 " + tt.members + " · " + tt.slow + " · " + tt.quiet + " ")

			clock.Advance(30 * time.Second) // alice's turn: only the quiet stops her
			s.typeText("may I?\r")
			d.shows(tt.refuse)
			op.send("/open\n")
			d.titled(" #main · 3 " + tt.members + " · " + tt.slow + " ")
			op.send("/slow off\n")
			shown := d.waitFor("a title without modes", func(shown string) bool {
				title, _, _ := strings.Cut(shown, "\n")
				return !strings.Contains(title, tt.slow) && strings.HasPrefix(title, " #main · 3 ")
			})
			if strings.Contains(shown, "alice> may I?") {
				t.Errorf("the refused line shows:\n%s", shown)
			}
			s.typeText("thanks\r")
			if l := op.expect("alice> "); l != "alice> thanks" {
				t.Fatalf("the operator read %q; want alice's line after /open, not the refused one", l)
			}
		})
	}
}

// sleepingOn waits until n lines are held on the clock.
func sleepingOn(t *testing.T, clock *fakeclock.Manual, n int) {
	t.Helper()
	poll(t, patience, "a held line", func() bool { return clock.Sleeping() == n })
}
