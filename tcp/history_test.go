package tcp_test

import (
	"net"
	"regexp"
	"testing"
	"time"

	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/tcp"
)

// stampedLine is a history line: its time, then the line as it was live.
var stampedLine = regexp.MustCompile(`^\[\d\d:\d\d\] (.*)$`)

// expectHistory reads a newcomer's history: the line that opens it, each
// of lines with its time, and the line that says what follows is live.
func (c *client) expectHistory(lang room.Lang, lines ...string) {
	c.t.Helper()
	c.expect("*** " + map[room.Lang]string{room.LangEN: "earlier messages, since ", room.LangFR: "messages précédents, depuis "}[lang])
	for _, want := range lines {
		got := c.next()
		if m := stampedLine.FindStringSubmatch(got); m == nil || m[1] != want {
			c.t.Fatalf("history line %q, want %q after its time", got, want)
		}
	}
	c.expectExactly("*** " + lang.NowLive())
}

// A newcomer's history is marked off: a line before it, with the time of
// the first message (and its date when it is of another day), each line
// with its time, a line after it; the live lines that follow keep the
// course's form. No history, no marks. In both languages.
func TestHistoryIsMarkedOff(t *testing.T) {
	day := time.Date(2026, 11, 24, 10, 2, 0, 0, time.Local)
	for _, tc := range []struct {
		lang        room.Lang
		greeting    string
		before, now string
	}{
		{room.LangEN, "You are connected. Please send your messages.", "*** earlier messages, since ", "*** now live"},
		{room.LangFR, "Vous êtes connectés. SVP, envoyez vos messages.", "*** messages précédents, depuis ", "*** en direct"},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			clock := fakeclock.New(day)
			ts := start(t, room.Options{Now: clock.Now}, func(s *tcp.Server) { s.Lang = tc.lang })
			a := ts.dial(t)
			a.expectExactly(tc.greeting)
			a.next() // the welcome: no history, no marks
			b := ts.dial(t)
			b.expectExactly(tc.greeting)
			b.next()
			a.next() // b joined
			a.send("bonjour\n")
			b.next()
			clock.Advance(3 * time.Minute)
			a.send("/me waves\n")
			b.next()

			c := ts.dial(t)
			c.expectExactly(tc.greeting)
			c.next() // the welcome
			colon := map[room.Lang]string{room.LangEN: ":", room.LangFR: " :"}[tc.lang]
			for _, want := range []string{tc.before + "10:02" + colon, "[10:02] Thread-1> bonjour", "[10:05] * Thread-1 waves", tc.now} {
				c.expectExactly(want)
			}
			a.send("live\n")
			c.expectExactly("Thread-1> live")

			// A day later, the first message's date is given too.
			clock.Advance(24 * time.Hour)
			d := ts.dial(t)
			d.expectExactly(tc.greeting)
			d.next()
			d.expectExactly(tc.before + "2026-11-24 10:02" + colon)
		})
	}
}

// The course's client.py prints "*" + what one recv() got + "*". Until the
// student has typed a message the door cannot tell it from nc, and lines
// end in a newline: the client prints each message, then a lone "*". From
// its first message on (sent with no newline, as only it sends), each
// write goes without its last newline, and the client prints
// "*Thread-1> après*", as with the course's own server; nc and telnet,
// which send lines, get lines.
func TestCourseClientReadsAsFromTheCourseServer(t *testing.T) {
	python, script := courseClient(t)
	ts := start(t, room.Options{}, func(s *tcp.Server) { s.Lang = room.LangFR })
	a := ts.dial(t)
	a.expect("*** Vous êtes Thread-1")
	_, port, _ := net.SplitHostPort(ts.addr)
	py := startClientPy(t, python, script, port)
	py.expectOut(
		"Connexion établie avec le serveur.",
		"*Vous êtes connectés. SVP, envoyez vos messages.",
		"*** Vous êtes Thread-2 ; 1 autre(s) ici. /help liste les commandes.",
		"*",
	)
	a.expectExactly("*** Thread-2 a rejoint le salon (tcp)")
	a.send("avant\n")
	py.expectOut("*Thread-1> avant", "*")
	py.input("bonjour")
	a.expectExactly("Thread-2> bonjour")
	a.send("après\n")
	py.expectOut("*Thread-1> après*")
	py.input("/who")
	py.expectOut("**** 2 membre(s) : Thread-1 (tcp), Thread-2 (tcp)*")
	// nc, on the same server, still reads lines.
	a.send("/who\n")
	a.expectExactly("*** 2 membre(s) : Thread-1 (tcp), Thread-2 (tcp)")
	py.input("FIN")
	py.stdin.Close()
	a.expectExactly("*** Thread-2 est parti (FIN)")
	py.expectOut("**", "Client arrêté. Connexion interrompue.")
	if err := py.wait(); err != nil {
		t.Errorf("client.py: %v", err)
	}
}

// expectOut fails unless the client prints exactly lines next.
func (p *clientPy) expectOut(lines ...string) {
	p.t.Helper()
	for _, want := range lines {
		select {
		case got, ok := <-p.out:
			if !ok {
				p.t.Fatalf("client.py ended before printing %q; it printed %q", want, p.seen)
			}
			p.seen = append(p.seen, got)
			if got != want {
				p.t.Fatalf("client.py printed %q, want %q; it printed %q", got, want, p.seen)
			}
		case <-time.After(patience):
			p.t.Fatalf("client.py never printed %q; it printed %q", want, p.seen)
		}
	}
}
