package tcp_test

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/tcp"
)

// The course's client.py, unchanged, in the default room while others chat
// in #tp1 and move between rooms: the students who never type /join read
// what they read before rooms existed — the course's "Thread-N> text", and
// the "***" lines of members arriving and going — and nothing of #tp1.
// Every line they print is checked, in order, to the last.
func TestCourseClientsInMainWhileOthersChatElsewhere(t *testing.T) {
	python, script := courseClient(t)
	clock := fakeclock.New(time.Date(2026, 11, 24, 10, 2, 0, 0, time.Local))
	// A short history: the intro of a newcomer fits the one recv(1024) of
	// the course's client.
	const kept = 8
	ts := start(t, room.Options{Now: clock.Now, HistorySize: kept}, func(s *tcp.Server) { s.Lang = room.LangFR })
	_, port, _ := net.SplitHostPort(ts.addr)

	py1 := startClientPy(t, python, script, port)
	py1.expectOut(
		"Connexion établie avec le serveur.",
		"*Vous êtes connectés. SVP, envoyez vos messages.",
		"*** Vous êtes Thread-1 ; 0 autre(s) ici. /help liste les commandes.",
		"*",
	)
	py2 := startClientPy(t, python, script, port)
	py2.expectOut(
		"Connexion établie avec le serveur.",
		"*Vous êtes connectés. SVP, envoyez vos messages.",
		"*** Vous êtes Thread-2 ; 1 autre(s) ici. /help liste les commandes.",
		"*",
	)
	py1.expectOut("**** Thread-2 a rejoint le salon (tcp)", "*")
	// Each has typed once: from then on, the server writes to them as the
	// course's server did, one message per write with no newline.
	py1.input("bonjour")
	py2.expectOut("*Thread-1> bonjour", "*")
	py2.input("salut")
	py1.expectOut("*Thread-2> salut*")

	// Two members with nc arrive in the default room, then go to #tp1: the
	// course's clients read them come and go, as any arrival and leave.
	x := ts.dial(t)
	x.expect("*** Vous êtes Thread-3")
	py1.expectOut("**** Thread-3 a rejoint le salon (tcp)*")
	py2.expectOut("**** Thread-3 a rejoint le salon (tcp)*")
	y := ts.dial(t)
	y.expect("*** Vous êtes Thread-4")
	py1.expectOut("**** Thread-4 a rejoint le salon (tcp)*")
	py2.expectOut("**** Thread-4 a rejoint le salon (tcp)*")
	x.send("/join tp1\n")
	x.expect("*** Vous êtes maintenant dans #tp1")
	py1.expectOut("**** Thread-3 est parti dans #tp1*")
	py2.expectOut("**** Thread-3 est parti dans #tp1*")
	y.send("/join tp1\n")
	y.expect("*** Vous êtes maintenant dans #tp1")
	py1.expectOut("**** Thread-4 est parti dans #tp1*")
	py2.expectOut("**** Thread-4 est parti dans #tp1*")

	// #tp1 talks, and y goes back and forth between #tp1 and #tp2, while
	// the course's clients talk in the default room.
	const rounds = 20
	elsewhere := make(chan error, 1)
	tick := make(chan int) // a round of the default room's: one of #tp1's with it
	go func() {
		var err error
		for i := range tick {
			for _, s := range []struct {
				c    *client
				text string
			}{
				{x, fmt.Sprintf("tp1 says %d\n", i)},
				{y, fmt.Sprintf("tp1 or tp2 says %d\n", i)},
				{y, []string{"/join tp2\n", "/join tp1\n"}[i%2]},
				{x, "/me codes in tp1\n"},
			} {
				if _, werr := io.WriteString(s.c.w, s.text); werr != nil && err == nil {
					err = werr
				}
			}
		}
		elsewhere <- err
	}()
	for i := range rounds {
		tick <- i
		py1.input(fmt.Sprintf("question %d", i))
		py2.expectOut(fmt.Sprintf("*Thread-1> question %d*", i))
		py2.input(fmt.Sprintf("réponse %d", i))
		py1.expectOut(fmt.Sprintf("*Thread-2> réponse %d*", i))
	}
	close(tick)
	if err := <-elsewhere; err != nil {
		t.Fatal(err)
	}
	// Everything x and y sent is carried out: each command's reply comes
	// after what came before it on the same connection.
	for _, c := range []*client{x, y} {
		c.send("/who\n")
		for l := c.next(); !strings.Contains(l, " membre(s) : Thread-"); l = c.next() {
		}
	}

	// A student arriving now reads the default room's history, none of #tp1's.
	py3 := startClientPy(t, python, script, port)
	want := []string{
		"Connexion établie avec le serveur.",
		"*Vous êtes connectés. SVP, envoyez vos messages.",
		"*** Vous êtes Thread-5 ; 2 autre(s) ici. /help liste les commandes.",
		"*** messages précédents, depuis 10:02 :",
	}
	for i := rounds - kept/2; i < rounds; i++ {
		want = append(want, fmt.Sprintf("[10:02] Thread-1> question %d", i), fmt.Sprintf("[10:02] Thread-2> réponse %d", i))
	}
	py3.expectOut(append(want, "*** en direct", "*")...)
	py1.expectOut("**** Thread-5 a rejoint le salon (tcp)*")
	py2.expectOut("**** Thread-5 a rejoint le salon (tcp)*")

	// The default room's next line is its own: nothing of #tp1 came between.
	py1.input("fin du TP")
	py2.expectOut("*Thread-1> fin du TP*")
	py3.expectOut("*Thread-1> fin du TP", "*")
	x.send("/part\n")
	x.expect("*** Vous êtes maintenant dans #main")
	for _, p := range []*clientPy{py1, py2} {
		p.expectOut("**** Thread-3 arrive de #tp1 (tcp)*")
	}
	py3.expectOut("**** Thread-3 arrive de #tp1 (tcp)", "*")
	x.send("FIN\n")
	x.closed()
	for _, p := range []*clientPy{py1, py2} {
		p.expectOut("**** Thread-3 est parti (FIN)*")
	}
	py3.expectOut("**** Thread-3 est parti (FIN)", "*")

	// Each leaves as in the course, read by those still there; after its
	// goodbye a client prints nothing more.
	stay := []*clientPy{py1, py2, py3}
	names := []string{"Thread-1", "Thread-2", "Thread-5"}
	for len(stay) > 0 {
		p, name := stay[len(stay)-1], names[len(stay)-1]
		stay = stay[:len(stay)-1]
		p.input("FIN")
		p.stdin.Close()
		p.expectOut("**", "Client arrêté. Connexion interrompue.")
		printed := len(p.seen)
		if err := p.wait(); err != nil {
			t.Errorf("client.py: %v", err)
		}
		if extra := p.seen[printed:]; len(extra) > 0 {
			t.Errorf("%s's client.py printed %q after it stopped", name, extra)
		}
		for _, o := range stay {
			o.expectOut("**** " + name + " est parti (FIN)*")
		}
	}
}
