package tcp_test

import (
	"strings"
	"testing"
	"time"

	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/tcp"
)

// sleeping waits until n lines are held on the clock.
func sleeping(t *testing.T, clock *fakeclock.Manual, n int) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for clock.Sleeping() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d lines held; want %d", clock.Sleeping(), n)
		}
		time.Sleep(time.Millisecond) // polling a condition, with a deadline
	}
}

// Slow mode over real sockets, on the TCP door and the SSH door's line
// protocol: a line sent too soon is held, its sender told for how long,
// and it goes when the wait ends; /quiet refuses members' lines; both are
// told to newcomers and on moving into the room, in both languages.
func TestSlowAndQuietOverTheLineProtocol(t *testing.T) {
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		t.Run(string(lang), func(t *testing.T) {
			w := words(lang)
			clock := fakeclock.NewManual(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
			ts := start(t, room.Options{OpPassword: opPassword, Now: clock.Now, Sleep: clock.Sleep}, func(s *tcp.Server) { s.Lang = lang })
			ts.startSSH(t)
			join := func() (*client, string) {
				t.Helper()
				c := ts.dial(t)
				c.next() // the greeting
				welcome := c.next()
				name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(welcome, "*** You are "), "*** Vous êtes "), ";")
				return c, strings.TrimSpace(name)
			}
			op, opName := join()
			op.send("/op " + opPassword + "\n")
			op.expect("*** " + opName + " ")
			a, aName := join()
			s, sName := ts.joinSSH(t, "sam")
			op.expect("*** " + sName)
			a.expect("*** " + sName)

			op.send("/slow 30s\n")
			set := "*** " + opName + w.s(" set slow mode: each member posts at most once every 30 s", " a activé le mode lent : chacun écrit au plus une fois toutes les 30 s")
			for _, c := range []*client{op, a, s} {
				c.expectExactly(set)
			}

			// Each member's first line goes; its second is held, on either door.
			for _, m := range []struct {
				c     *client
				name  string
				other *client
			}{{a, aName, s}, {s, sName, a}} {
				m.c.send("first\n")
				m.other.expectExactly(m.name + "> first")
				op.expectExactly(m.name + "> first")
				m.c.send("second\n")
				m.c.expectExactly("*** " + w.s("slow mode: your message will be sent in 30 s", "mode lent : votre message sera envoyé dans 30 s"))
				sleeping(t, clock, 1)
				op.send("while it waits\n") // read before the held line: it was not sent
				m.other.expectExactly(opName + "> while it waits")
				m.c.expectExactly(opName + "> while it waits")
				clock.Advance(30 * time.Second)
				m.other.expectExactly(m.name + "> second")
				op.expectExactly(m.name + "> second")
			}

			// A newcomer is told, after its welcome; a member moving in too.
			n, _ := join()
			slow := "*** " + w.s("slow mode: each member posts at most once every 30 s", "mode lent : chacun écrit au plus une fois toutes les 30 s")
			n.expect(slow) // after the history
			n.send("/join tp1\n")
			n.expect("*** " + w.s("You are now in #tp1", "Vous êtes maintenant dans #tp1"))
			n.send("/part\n")
			n.expect("*** " + w.s("You are now in #main", "Vous êtes maintenant dans #main"))
			n.expectExactly(slow)

			// /slow off releases a held line at once.
			a.send("third\n")           // a's turn has come again
			s.expect(aName + "> third") // after the newcomer's comings and goings
			a.send("fourth\n")
			a.expect("*** " + w.s("slow mode:", "mode lent :"))
			sleeping(t, clock, 1)
			op.send("/slow off\n")
			s.expectExactly("*** " + opName + w.s(" ended slow mode", " a mis fin au mode lent"))
			s.expectExactly(aName + "> fourth")

			// Quiet: a member's line is refused, an operator's goes, /open ends it.
			op.send("/quiet\n")
			quiet := w.s(" made the room quiet: only operators post; /ask and /hand still work",
				" a mis le salon en silence : seuls les opérateurs écrivent ; /ask et /hand fonctionnent toujours")
			s.expectExactly("*** " + opName + quiet)
			a.expect("*** " + opName + quiet)
			a.send("may I?\n")
			a.expectExactly("*** " + w.s("the room is quiet: only operators post; /ask and /hand still work (your message was not sent)",
				"le salon est en silence : seuls les opérateurs écrivent ; /ask et /hand fonctionnent toujours (votre message n'a pas été envoyé)"))
			op.send("lecture\n")
			s.expectExactly(opName + "> lecture") // and not a's line
			m, _ := join()
			m.expect("*** " + w.s("the room is quiet: only operators post; /ask and /hand still work",
				"le salon est en silence : seuls les opérateurs écrivent ; /ask et /hand fonctionnent toujours"))
			op.send("/open\n")
			s.expect("*** " + opName + w.s(" opened the room", " a rouvert le salon"))
			a.send("thanks\n")
			s.expectExactly(aName + "> thanks")
		})
	}
}
