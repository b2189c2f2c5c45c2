package tcp_test

import (
	"strings"
	"testing"
	"time"

	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/tcp"
)

// The teacher's commands as the course's door reads them, in both
// languages: one duration syntax, refused when unreadable; "until lifted"
// or "until 10:42 (in 10 min)"; /bans numbered and /unban N or NAME;
// /topic - clearing the topic; /help showing operators' commands to
// operators alone.
func TestModerationWordsOverTCP(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 32, 0, 0, time.Local)
	hhmm := func(d time.Duration) string { return now.Add(d).Format("15:04") }
	for _, tt := range []struct {
		lang                                      room.Lang
		mutedFor, mutedForGood, banned, notADur   string
		bansHead, bansRow, unbanned, cleared, ops string
		forOpsOnly                                string
	}{
		{
			lang:         room.LangEN,
			mutedFor:     "*** Thread-2 was muted by Thread-1 until " + hhmm(10*time.Minute) + " (in 10 min)",
			mutedForGood: "*** Thread-3 was muted by Thread-1 until lifted",
			notADur:      `*** "%s" is no duration, and nothing was done; a duration is 30s, 10m, 2h, 1d, 1w, 1h30m (or 10min, 2hours, 1day), at most 3650d; without one: until lifted`,
			banned:       "*** Thread-2 was banned by Thread-1 until " + hhmm(90*time.Minute) + " (in 1 h 30 min): triche",
			bansHead:     "*** 1 ban(s):",
			bansRow:      "***   1. Thread-2 (127.0.0.2) by Thread-1 until " + hhmm(90*time.Minute) + " (in 1 h 30 min): triche",
			unbanned:     "*** the ban on Thread-2 (127.0.0.2) is lifted",
			cleared:      "*** Thread-1 cleared the topic",
			ops:          "*** For operators:",
			forOpsOnly:   "*** /kick is for operators only",
		},
		{
			lang:         room.LangFR,
			mutedFor:     "*** Thread-2 a perdu la parole (par Thread-1) jusqu'à " + hhmm(10*time.Minute) + " (dans 10 min)",
			mutedForGood: "*** Thread-3 a perdu la parole (par Thread-1) jusqu'à nouvel ordre",
			notADur:      `*** "%s" n'est pas une durée, et rien n'a été fait ; une durée s'écrit 30s, 10m, 2h, 1j, 1w, 1h30m (ou 10min, 2heures, 1jour, 1semaine), 3650j au plus ; sans durée : jusqu'à nouvel ordre`,
			banned:       "*** Thread-2 a été banni par Thread-1 jusqu'à " + hhmm(90*time.Minute) + " (dans 1 h 30 min) : triche",
			bansHead:     "*** 1 bannissement(s) :",
			bansRow:      "***   1. Thread-2 (127.0.0.2) par Thread-1 jusqu'à " + hhmm(90*time.Minute) + " (dans 1 h 30 min) : triche",
			unbanned:     "*** le bannissement de Thread-2 (127.0.0.2) est levé",
			cleared:      "*** Thread-1 a effacé le sujet",
			ops:          "*** Pour les opérateurs :",
			forOpsOnly:   "*** /kick est réservé aux opérateurs",
		},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			clock := fakeclock.New(now)
			ts := start(t, room.Options{OpPassword: opPassword, Now: clock.Now}, func(s *tcp.Server) { s.Lang = tt.lang })
			// Past the greeting and the welcome, in either language.
			join := func(ip string) *client {
				c := dialWith(t, ts.addr, from(ip))
				c.next()
				c.expect("*** ")
				return c
			}
			op := join("127.0.0.1")     // Thread-1
			target := join("127.0.0.2") // Thread-2
			obs := join("127.0.0.1")    // Thread-3
			op.expect("*** Thread-3 ")
			target.expect("*** Thread-3 ")

			// /help: a student is not shown the operators' commands, nor
			// told what they take.
			obs.send("/help\n")
			for l := obs.next(); !strings.Contains(l, "//"); l = obs.next() {
				if strings.Contains(l, "/kick") || strings.Contains(l, "/ban") || l == tt.ops {
					t.Errorf("a student's /help shows %q", l)
				}
			}
			obs.send("/kick\n")
			obs.expectExactly(tt.forOpsOnly)

			op.send("/op " + opPassword + "\n")
			for _, c := range []*client{op, target, obs} {
				c.expect("*** Thread-1 ")
			}
			op.send("/help\n")
			op.expect(tt.ops)
			op.expect("***   /kick ")
			for l := op.next(); !strings.Contains(l, "3650"); l = op.next() { // its last line: what a duration is
			}

			// Unreadable durations: refused to the operator, nothing done.
			for _, line := range []string{"/mute Thread-2 forever", "/mute Thread-2 10mn", "/ban Thread-2 10mn triche"} {
				op.send(line + "\n")
				op.expectExactly(strings.Replace(tt.notADur, "%s", strings.Fields(line)[2], 1))
			}
			target.send("still here\n")
			obs.expectExactly("Thread-2> still here") // the next line: nothing of the refusals

			// One syntax: words too; without a duration, until lifted.
			op.send("/mute Thread-2 10min\n")
			obs.expectExactly(tt.mutedFor)
			target.expectExactly(tt.mutedFor)
			op.send("/mute Thread-3\n")
			obs.expectExactly(tt.mutedForGood)
			op.send("/ban Thread-2 1h30m triche\n")
			obs.expectExactly(tt.banned)
			target.closed()

			// /bans numbers its bans; /unban takes the number.
			op.expect(tt.banned)
			op.expect("*** ") // what the ban holds
			op.send("/bans\n")
			op.expectExactly(tt.bansHead)
			op.expectExactly(tt.bansRow)
			op.expect("***     ")
			op.expect("*** /unban N")
			op.send("/unban 1\n")
			op.expectExactly(tt.unbanned)
			back := join("127.0.0.2")
			back.send("FIN\n")
			back.closed()

			// /topic - clears the topic.
			op.send("/topic TP 12\n")
			obs.expect("*** Thread-1 ")
			op.send("/topic -\n")
			obs.expectExactly(tt.cleared)
			if tp := ts.hub.Topic(); tp != "" {
				t.Errorf("topic %q after /topic -", tp)
			}
		})
	}
}
