package tcp_test

import (
	"testing"

	"palabre/room"
	"palabre/tcp"
)

// Rooms over the course's door: every room command typed on a TCP
// connection, and what each member reads of it, in both languages.

// words picks the English or the French of an expected line.
type words room.Lang

func (w words) s(en, fr string) string {
	if room.Lang(w) == room.LangFR {
		return fr
	}
	return en
}

// joinOp joins and becomes an operator by the password.
func (ts *testServer) joinOp(t *testing.T) (*client, string) {
	t.Helper()
	c, name := ts.join(t)
	c.send("/op " + opPassword + "\n")
	c.expect("*** " + name + " ")
	return c, name
}

// roomCount is how many members room name holds, as the hub publishes it;
// -1 when there is no such room.
func roomCount(h *room.Hub, name string) int {
	for _, r := range h.Activity() {
		if r.Name == name {
			return r.Members
		}
	}
	return -1
}

// roomLast is the sequence number of room name's last public message.
func roomLast(h *room.Hub, name string) uint64 {
	for _, r := range h.Activity() {
		if r.Name == name {
			return r.Last
		}
	}
	return 0
}

func TestRoomCommandsOverTCP(t *testing.T) {
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		t.Run(string(lang), func(t *testing.T) {
			w := words(lang)
			ts := start(t, room.Options{OpPassword: opPassword}, func(s *tcp.Server) { s.Lang = lang })
			join := func() *client {
				t.Helper()
				return ts.enter(t)
			}
			op := join() // Thread-1
			op.send("/op " + opPassword + "\n")
			op.expectExactly("*** " + w.s("Thread-1 is now an operator", "Thread-1 est maintenant opérateur"))
			b := dialWith(t, ts.addr, from("127.0.0.2")) // Thread-2, banned later by address
			b.next()
			b.next()
			op.next()   // b joined
			c := join() // Thread-3
			op.next()
			b.next()
			d := join() // Thread-4, who stays in the default room
			for _, x := range []*client{op, b, c} {
				x.expectExactly("*** " + w.s("Thread-4 joined (tcp)", "Thread-4 a rejoint le salon (tcp)"))
			}
			d.send("said in main before\n")
			for _, x := range []*client{op, b, c} {
				x.expectExactly("Thread-4> said in main before")
			}

			// /join names the room; the room left is told where.
			b.send("/join #tp1\n")
			b.expectExactly("*** " + w.s("You are now in #tp1, alone for now", "Vous êtes maintenant dans #tp1, seul pour l'instant"))
			for _, x := range []*client{op, c, d} {
				x.expectExactly("*** " + w.s("Thread-2 went to #tp1", "Thread-2 est parti dans #tp1"))
			}
			b.send("first words in tp1\n")
			poll(t, "b's words in tp1", func() bool { return roomLast(ts.hub, "tp1") > 0 })
			// Names of rooms compare as names do: TP1 is tp1.
			c.send("/join TP1\n")
			b.expectExactly("*** " + w.s("Thread-3 came from #main (tcp)", "Thread-3 arrive de #main (tcp)"))
			// History on arrival is of the room entered, not of main.
			c.expectExactly("*** " + w.s("You are now in #tp1, with Thread-2", "Vous êtes maintenant dans #tp1, avec Thread-2"))
			c.expectHistory(lang, "Thread-2> first words in tp1")
			for _, x := range []*client{op, d} {
				x.expectExactly("*** " + w.s("Thread-3 went to #tp1", "Thread-3 est parti dans #tp1"))
			}
			c.send("/join tp1\n")
			c.expectExactly("*** " + w.s("you are in #tp1 already", "vous êtes déjà dans #tp1"))
			d.send("/part\n")
			d.expectExactly("*** " + w.s("you are in #main already", "vous êtes déjà dans #main"))

			// Words stay in their room.
			c.send("only tp1 hears this\n")
			b.expectExactly("Thread-3> only tp1 hears this")
			d.send("only main hears this\n")
			op.expectExactly("Thread-4> only main hears this")

			// /who is of the room.
			c.send("/who\n")
			c.expectExactly("*** " + w.s("2 member(s): Thread-2 (tcp), Thread-3 (tcp)", "2 membre(s) : Thread-2 (tcp), Thread-3 (tcp)"))
			d.send("/who\n")
			d.expectExactly("*** " + w.s("2 member(s): Thread-1 (tcp, op), Thread-4 (tcp)", "2 membre(s) : Thread-1 (tcp, op), Thread-4 (tcp)"))

			// /topic is the room's: set in main, tp1 reads nothing of it.
			op.send("/topic Lecture notes\n")
			for _, x := range []*client{op, d} {
				x.expectExactly("*** " + w.s("Thread-1 set the topic: Lecture notes", "Thread-1 a changé le sujet : Lecture notes"))
			}
			c.send("/topic\n")
			c.expectExactly("*** " + w.s("No topic is set.", "Aucun sujet n'est défini."))

			// /rooms: counts, topics, the reader's own marked.
			b.send("/rooms\n")
			b.expectExactly("*** " + w.s("2 room(s):", "2 salon(s) :"))
			b.expectExactly("*** " + w.s("  #main: 2 member(s) — Lecture notes", "  #main : 2 membre(s) — Lecture notes"))
			b.expectExactly("*** " + w.s("  #tp1: 2 member(s), you are here", "  #tp1 : 2 membre(s), vous y êtes"))
			b.expectExactly("*** " + w.s("/join ROOM goes to one; /part comes back", "/join SALON pour y aller ; /part pour revenir"))

			// /kick and /mute act in the operator's room only.
			op.send("/kick Thread-2\n")
			op.expectExactly("*** " + w.s("Thread-2 is not in this room", "Thread-2 n'est pas dans ce salon"))
			op.send("/mute Thread-3\n")
			op.expectExactly("*** " + w.s("Thread-3 is not in this room", "Thread-3 n'est pas dans ce salon"))
			c.send("not muted\n")
			b.expectExactly("Thread-3> not muted")

			// /msg across rooms, both ways.
			op.send("/msg thread-2 from main\n")
			b.expectExactly(w.s("[private] ", "[privé] ") + "Thread-1> from main")
			op.expectExactly(w.s("[private to ", "[privé à ") + "Thread-2] from main")
			b.send("/msg Thread-1 from tp1\n")
			op.expectExactly(w.s("[private] ", "[privé] ") + "Thread-2> from tp1")
			b.expectExactly(w.s("[private to ", "[privé à ") + "Thread-1] from tp1")

			// The operator goes to tp1: it reads tp1's history, and its own
			// topic there, and what it missed in main when it comes back.
			op.send("/join tp1\n")
			for _, x := range []*client{b, c} {
				x.expectExactly("*** " + w.s("Thread-1 came from #main (tcp)", "Thread-1 arrive de #main (tcp)"))
			}
			op.expectExactly("*** " + w.s("You are now in #tp1, with Thread-2, Thread-3", "Vous êtes maintenant dans #tp1, avec Thread-2, Thread-3"))
			op.expectHistory(lang, "Thread-2> first words in tp1", "Thread-3> only tp1 hears this", "Thread-3> not muted")
			d.expectExactly("*** " + w.s("Thread-1 went to #tp1", "Thread-1 est parti dans #tp1"))
			op.send("/topic Groupe 1\n")
			for _, x := range []*client{op, b, c} {
				x.expectExactly("*** " + w.s("Thread-1 set the topic: Groupe 1", "Thread-1 a changé le sujet : Groupe 1"))
			}
			op.send("/mute Thread-4\n")
			op.expectExactly("*** " + w.s("Thread-4 is not in this room", "Thread-4 n'est pas dans ce salon"))
			op.send("/mute Thread-3\n")
			for _, x := range []*client{op, b, c} {
				x.expectExactly("*** " + w.s("Thread-3 was muted by Thread-1 until lifted", "Thread-3 a perdu la parole (par Thread-1) jusqu'à nouvel ordre"))
			}
			before := roomLast(ts.hub, "main")
			d.send("while the operator was away\n")
			poll(t, "d's words in main", func() bool { return roomLast(ts.hub, "main") > before })
			op.send("/part\n")
			for _, x := range []*client{b, c} {
				x.expectExactly("*** " + w.s("Thread-1 went to #main", "Thread-1 est parti dans #main"))
			}
			op.expectExactly("*** " + w.s("You are now in #main, with Thread-4", "Vous êtes maintenant dans #main, avec Thread-4"))
			op.expectExactly("*** " + w.s("Topic: Lecture notes", "Sujet : Lecture notes"))
			op.expectHistory(lang, "Thread-4> while the operator was away")
			d.expectExactly("*** " + w.s("Thread-1 came from #tp1 (tcp)", "Thread-1 arrive de #tp1 (tcp)"))

			// /ban is server-wide: from main, on a member of tp1.
			op.send("/ban Thread-2\n")
			for _, x := range []*client{op, b, c} {
				x.expectExactly("*** " + w.s("Thread-2 was banned by Thread-1 until lifted", "Thread-2 a été banni par Thread-1 jusqu'à nouvel ordre"))
			}
			op.expect("*** " + w.s("the ban holds", "le bannissement vise"))
			b.closed()
			if n := roomCount(ts.hub, "tp1"); n != 1 {
				t.Errorf("tp1 holds %d after the ban, want 1", n)
			}
			// The others read it in their rooms only: d's next line is main's.
			op.send("after the ban\n")
			d.expectExactly("Thread-1> after the ban")

			// /kick in the operator's room works; the kicked member goes.
			op.send("/join tp1\n")
			op.expectExactly("*** " + w.s("You are now in #tp1, with Thread-3", "Vous êtes maintenant dans #tp1, avec Thread-3"))
			op.expectExactly("*** " + w.s("Topic: Groupe 1", "Sujet : Groupe 1"))
			op.send("/kick Thread-3\n")
			kicked := "*** " + w.s("Thread-3 was kicked by Thread-1", "Thread-3 a été exclu par Thread-1")
			op.expectExactly(kicked)
			c.expect(kicked)
			c.closed()
			d.expectExactly("*** " + w.s("Thread-1 went to #tp1", "Thread-1 est parti dans #tp1"))
			d.send("/rooms\n")
			d.expectExactly("*** " + w.s("2 room(s):", "2 salon(s) :"))
			d.expectExactly("*** " + w.s("  #main: 1 member(s), you are here — Lecture notes", "  #main : 1 membre(s), vous y êtes — Lecture notes"))
			d.expectExactly("*** " + w.s("  #tp1: 1 member(s) — Groupe 1", "  #tp1 : 1 membre(s) — Groupe 1"))
			d.next() // how to go

			// /breakout and /gather are the operators'; each member is told
			// where it is taken, and the room the operator stays in is told.
			d.send("/breakout 1\n")
			d.expectExactly("*** " + w.s("/breakout is for operators only", "/breakout est réservé aux opérateurs"))
			d.send("/gather\n")
			d.expectExactly("*** " + w.s("/gather is for operators only", "/gather est réservé aux opérateurs"))
			op.send("/part\n")
			op.expectExactly("*** " + w.s("You are now in #main, with Thread-4", "Vous êtes maintenant dans #main, avec Thread-4"))
			op.expectExactly("*** " + w.s("Topic: Lecture notes", "Sujet : Lecture notes"))
			d.expectExactly("*** " + w.s("Thread-1 came from #tp1 (tcp)", "Thread-1 arrive de #tp1 (tcp)"))
			op.send("/breakout 2\n")
			op.expectExactly("*** " + w.s("/breakout N takes a number of rooms from 1 to 1 (the members to spread: operators stay)",
				"/breakout N prend un nombre de salons de 1 à 1 (les membres à répartir : les opérateurs restent)"))
			op.send("/gather\n")
			op.expectExactly("*** " + w.s("#main has no breakout rooms to gather", "#main n'a pas de salons de groupe à rassembler"))
			op.send("/breakout 1\n")
			d.expectExactly("*** " + w.s("Thread-1 moved you: you are now in #main-1, alone for now", "Thread-1 vous a déplacé : vous êtes maintenant dans #main-1, seul pour l'instant"))
			op.expectExactly("*** " + w.s("Thread-1 spread 1 member(s) into 1 room(s): #main-1 (1); /gather brings them back",
				"Thread-1 a réparti 1 membre(s) dans 1 salon(s) : #main-1 (1) ; /gather les ramène"))
			d.send("alone in main-1\n")
			op.send("/gather\n")
			d.expectExactly("*** " + w.s("Thread-1 moved you: you are now in #main, with Thread-1", "Thread-1 vous a déplacé : vous êtes maintenant dans #main, avec Thread-1"))
			d.expectExactly("*** " + w.s("Topic: Lecture notes", "Sujet : Lecture notes"))
			gathered := "*** " + w.s("Thread-1 brought 1 member(s) back from #main-1 (1)", "Thread-1 a ramené 1 membre(s) de #main-1 (1)")
			d.expectExactly(gathered)
			op.expectExactly(gathered)
		})
	}
}
