package sshui_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/sshui"
)

// The first class, smoothed, on the SSH door: one duration syntax, refused
// when unreadable, and what a mute or ban says of its end; /bans numbered
// and /unban N or NAME; /topic - and /help by role; a key's second
// session; login names made names; leaves gathered like joins. Each in
// both languages where its words change.

// lesson is the hub's clock in these tests: in the server's time zone, as
// "until 10:42" is.
var lesson = time.Date(2026, 11, 24, 10, 32, 0, 0, time.Local)

func lessonAt(d time.Duration) string { return lesson.Add(d).Format("15:04") }

// shows waits until the screen has drawn a row holding text, as it is.
func (s *screen) shows(text string) { s.t.Helper(); s.waitFor(regexp.QuoteMeta(text)) }

func TestModerationWordsOverSSH(t *testing.T) {
	for _, tt := range []struct {
		lang                                   room.Lang
		notADur, muted, banned, bansRow, until string
		unbanned, cleared, ops, refused        string
	}{
		{
			lang:     room.LangEN,
			notADur:  `"%s" is no duration, and nothing was done`,
			muted:    "eve was muted by prof until " + lessonAt(10*time.Minute) + " (in 10 min)",
			banned:   "eve was banned by prof until " + lessonAt(90*time.Minute) + " (in 1 h 30 min): triche",
			bansRow:  "1. eve (%s) by prof until " + lessonAt(90*time.Minute) + " (in 1 h 30 min): triche",
			until:    "eve was banned by prof until lifted",
			unbanned: "the ban on eve (%s) is lifted",
			cleared:  "prof cleared the topic",
			ops:      "For operators:",
			refused:  "/kick is for operators only",
		},
		{
			lang:     room.LangFR,
			notADur:  `"%s" n'est pas une durée, et rien n'a été fait`,
			muted:    "eve a perdu la parole (par prof) jusqu'à " + lessonAt(10*time.Minute) + " (dans 10 min)",
			banned:   "eve a été banni par prof jusqu'à " + lessonAt(90*time.Minute) + " (dans 1 h 30 min) : triche",
			bansRow:  "1. eve (%s) par prof jusqu'à " + lessonAt(90*time.Minute) + " (dans 1 h 30 min) : triche",
			until:    "eve a été banni par prof jusqu'à nouvel ordre",
			unbanned: "le bannissement de eve (%s) est levé",
			cleared:  "prof a effacé le sujet",
			ops:      "Pour les opérateurs :",
			refused:  "/kick est réservé aux opérateurs",
		},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			profKey, eveKey := newSigner(t), newSigner(t)
			clock := fakeclock.New(lesson)
			a := startArena(t, room.Options{OpKeys: []string{fingerprint(profKey)}, Now: clock.Now}, sshui.Options{Lang: tt.lang})
			obs := dialTCP(t, a.tcpAddr) // Thread-1, reading in English
			prof := openScreen(t, dial(t, a.sshAddr, keyed("prof", profKey)), 200, 40)
			obs.expect("*** prof joined (ssh)")
			eve := openScreen(t, dial(t, a.sshAddr, keyed("eve", eveKey)), 200, 40)
			obs.expect("*** eve joined (ssh)")

			// /help: the operators' commands for operators alone.
			eve.typeText("/help\r")
			eve.shows("/quit")
			eve.typeText("/kick prof\r")
			eve.shows(tt.refused) // drawn after the help's lines
			if shown := eve.text(); strings.Contains(shown, "/ban ") || strings.Contains(shown, tt.ops) {
				t.Errorf("a student's screen shows the operators' commands:\n%s", shown)
			}
			prof.typeText("/help\r")
			prof.shows(tt.ops)
			prof.shows("/ban ")

			// Unreadable durations: told to the operator, nothing done.
			for _, line := range []string{"/mute eve forever", "/ban eve 10mn triche"} {
				prof.typeText(line + "\r")
				prof.shows(strings.Replace(tt.notADur, "%s", strings.Fields(line)[2], 1))
			}
			eve.typeText("not muted\r")
			obs.nextMatch(`eve> not muted`) // and the room read nothing else

			prof.typeText("/mute eve 10min\r")
			eve.shows(tt.muted)
			prof.typeText("/unmute eve\r")
			obs.expect("*** eve may speak again")

			// A ban with a duration, then /bans and /unban by number.
			prof.typeText("/ban eve 1h30m triche\r")
			prof.shows(tt.banned)
			waitEnded(t, eve)
			prof.typeText("/bans\r")
			prof.shows(strings.Replace(tt.bansRow, "%s", fingerprint(eveKey), 1))
			prof.typeText("/unban 1\r")
			prof.shows(strings.Replace(tt.unbanned, "%s", fingerprint(eveKey), 1))
			eve = openScreen(t, dial(t, a.sshAddr, keyed("eve", eveKey)), 200, 40)
			obs.expect("*** eve joined (ssh)")

			// Without a duration, until lifted; /unban by name.
			prof.typeText("/ban eve\r")
			prof.shows(tt.until)
			waitEnded(t, eve)
			prof.typeText("/unban eve\r")
			eve = openScreen(t, dial(t, a.sshAddr, keyed("eve", eveKey)), 200, 40)
			obs.expect("*** eve joined (ssh)")

			// /topic - clears the topic.
			prof.typeText("/topic Exam at 10\r")
			obs.expect("*** prof set the topic: Exam at 10")
			prof.typeText("/topic -\r")
			obs.expect("*** prof cleared the topic")
			eve.shows(tt.cleared)
			if tp := a.hub.Topic(); tp != "" {
				t.Errorf("topic %q after /topic -", tp)
			}
		})
	}
}

// A second session of a key gets alice-2, as a second keyless bob gets
// bob-2; neither window is told its name is taken, and the first keeps
// the name.
func TestSecondSessionOfAKeyOverSSH(t *testing.T) {
	key := newSigner(t)
	a := startArena(t, room.Options{}, sshui.Options{})
	obs := dialTCP(t, a.tcpAddr)
	first := openScreen(t, dial(t, a.sshAddr, keyed("alice", key)), 100, 30)
	obs.nextMatch(`\*\*\* alice joined \(ssh\)`)
	second := openScreen(t, dial(t, a.sshAddr, keyed("alice", key)), 100, 30)
	obs.nextMatch(`\*\*\* alice-2 joined \(ssh\)`) // and no "alice is now known as"
	first.shows("alice-2 joined (ssh)")
	second.typeText("from the second\r")
	obs.nextMatch(`alice-2> from the second`)
	first.typeText("from the first\r")
	obs.nextMatch(`alice> from the first`)
	second.shows("from the first")
	for _, s := range []*screen{first, second} {
		if shown := s.text(); strings.Contains(shown, "taken") || strings.Contains(shown, "known as") {
			t.Errorf("a session was told of a name taken:\n%s", shown)
		}
	}
	for _, name := range []string{"alice", "alice-2"} {
		if m, ok := memberInfo(a.hub, name); !ok || m.Key != fingerprint(key) {
			t.Errorf("%s: %+v", name, m)
		}
	}
}

// A login name with accents or dots becomes its closest name, and the
// member is told.
func TestLoginNamesBecomeNamesOverSSH(t *testing.T) {
	for _, tt := range []struct {
		lang room.Lang
		told string
	}{
		{room.LangEN, "your name here is %s (names use ASCII letters, digits, _ and -)"},
		{room.LangFR, "votre nom ici est %s (un nom n'a que des lettres ASCII, des chiffres, _ et -)"},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			a := startArena(t, room.Options{}, sshui.Options{Lang: tt.lang})
			obs := dialTCP(t, a.tcpAddr)
			for _, c := range []struct{ login, name string }{
				{"élodie", "elodie"},
				{"François", "Francois"},
				{"jean.dupont", "jean_dupont"},
			} {
				scr := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: c.login, ClientVersion: openSSH, Auth: []gossh.AuthMethod{answer("")}}), 120, 30)
				obs.nextMatch(`\*\*\* ` + c.name + ` joined \(ssh\)`)
				scr.shows(strings.Replace(tt.told, "%s", c.name, 1))
				scr.typeText("bonjour\r")
				obs.nextMatch(c.name + `> bonjour`)
			}
			// A login name that is a name already is not remarked on.
			scr := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 120, 30)
			obs.nextMatch(`\*\*\* alice joined \(ssh\)`)
			scr.typeText("hi\r")
			obs.nextMatch(`alice> hi`)
			if shown := scr.text(); strings.Contains(shown, strings.Split(tt.told, " %s")[0]) {
				t.Errorf("alice was told of her name:\n%s", shown)
			}
		})
	}
}

// Members leaving in the same minute share one line on the screen, as
// joining ones do.
func TestLeavesGatherOnTheScreen(t *testing.T) {
	for _, tt := range []struct {
		lang                  room.Lang
		joined, left, twoLeft string
		otherMinute           string
	}{
		{room.LangEN, "Thread-1, Thread-2, Thread-3 and 5 others joined", "Thread-1, Thread-2, Thread-3 and 2 others left",
			"Thread-6 and Thread-7 left", "Thread-8 left (FIN)"},
		{room.LangFR, "Thread-1, Thread-2, Thread-3 et 5 autres ont rejoint le salon", "Thread-1, Thread-2, Thread-3 et 2 autres sont partis",
			"Thread-6 et Thread-7 sont partis", "Thread-8 est parti (FIN)"},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			clock := fakeclock.New(lesson)
			a := startArena(t, room.Options{Now: clock.Now}, sshui.Options{Lang: tt.lang})
			scr := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "prof"}), 100, 30)
			waitMembers(t, a.hub, "prof")
			class := make([]*tcpClient, 8)
			names := []string{"prof"}
			for i := range class {
				class[i] = dialTCP(t, a.tcpAddr)
				names = append(names, "Thread-"+string(rune('1'+i)))
				waitMembers(t, a.hub, names...)
			}
			scr.shows(tt.joined)
			leave := func(i int) {
				t.Helper()
				class[i].send("FIN\n")
				names = names[:0]
				for _, m := range a.hub.Members() {
					if m.Name != "Thread-"+string(rune('1'+i)) {
						names = append(names, m.Name)
					}
				}
				waitMembers(t, a.hub, names...)
			}
			for i := range 5 {
				leave(i)
			}
			scr.shows(tt.left)
			clock.Advance(time.Minute) // a new minute: a new line
			leave(5)
			leave(6)
			scr.shows(tt.twoLeft)
			clock.Advance(time.Minute)
			leave(7)
			scr.shows(tt.otherMinute)
		})
	}
}
