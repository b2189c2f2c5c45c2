package sshui_test

import (
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/testterm"
	"palabre/room"
	"palabre/sshui"
)

// openTerm is openScreen with the terminal type of the test's choosing.
func openTerm(t *testing.T, c *gossh.Client, term string, cols, rows int) *screen {
	t.Helper()
	return openIn(t, c, "", term, cols, rows)
}

// A terminal that draws nothing but lines (TERM=dumb) gets the line
// protocol, as on the TCP door, with what its pty would do: what is typed
// is echoed and may be erased, and Enter sends it. Nothing but text, CR,
// LF and BS is written: no alternate screen, no mouse, no cursor moves.
func TestDumbTerminalGetsTheLineProtocol(t *testing.T) {
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		t.Run(string(lang), func(t *testing.T) {
			a := startArena(t, room.Options{}, sshui.Options{Lang: lang})
			tc := dialTCP(t, a.tcpAddr)
			d := openTerm(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), "dumb", 80, 24)
			d.waitFor(`\Q` + lang.Greeting() + `\E\r\n\*\*\* ` + `\Q` + lang.Welcome("alice", 1) + `\E\r\n`)
			tc.expect("*** alice joined (ssh)")

			tc.send("hello alice\n")
			d.waitFor(`\r\nThread-1> hello alice\r\n`)
			d.typeText("helo\x7fl")
			d.waitFor(`helo\x08 \x08l`) // echoed, and erased
			tc.send("meanwhile\n")
			// The room's line goes above the line being typed, written again.
			d.waitFor(`\r\nThread-1> meanwhile\r\nhell`)
			d.typeText("o there\r")
			tc.expect("alice> hello there")
			d.typeText("\x1b[Awhat\x15/who\r") // an arrow key does nothing; Ctrl+U erases the line
			d.waitFor(`\*\*\* 2 [^\r\n]*: Thread-1 \(tcp\), alice \(ssh\)\r\n`)
			d.typeText("\x03")
			tc.expect("*** alice ")
			if err := d.waitEnd(); err != nil {
				t.Errorf("Ctrl+C ended the session with %v", err)
			}
			raw := rawOut(d)
			if i := strings.IndexFunc(raw, func(r rune) bool { return r < 0x20 && r != '\r' && r != '\n' && r != '\b' }); i >= 0 {
				t.Errorf("a dumb terminal was sent %q at %d: %q", raw[i], i, raw[max(0, i-40):min(len(raw), i+40)])
			}
			if strings.Contains(raw, "alice> hello there") {
				t.Errorf("its own words came back, as the line protocol does not: %q", raw)
			}
		})
	}
}

// Without colour (TERM=vt100) the sender of a message is still told from
// its text: <alice> text, never "alice text".
func TestSenderStandsOutWithoutColour(t *testing.T) {
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		t.Run(string(lang), func(t *testing.T) {
			a := startArena(t, room.Options{}, sshui.Options{Lang: lang})
			tc := dialTCP(t, a.tcpAddr)
			s := openTerm(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), "vt100", 80, 24)
			tc.expect("*** alice joined (ssh)")
			tc.send("hello there\n")
			s.typeText("hi all\r")
			tc.expect("alice> hi all")
			var shown string
			poll(t, patience, "both messages on the screen", func() bool {
				em := testterm.New(t, 80, 24, nil)
				_, _ = em.WriteString(rawOut(s))
				shown = em.String()
				return strings.Contains(shown, "hi all") && strings.Contains(shown, "hello there")
			})
			for _, want := range []string{"<Thread-1> hello there", "> <alice> hi all"} {
				if !strings.Contains(shown, want) {
					t.Errorf("the screen shows\n%s\nwant %q", shown, want)
				}
			}
		})
	}
}
