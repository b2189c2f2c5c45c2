package sshui_test

import (
	"context"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/testterm"
	"palabre/room"
	"palabre/sshui"
	"palabre/tcp"
)

// afterScreen replays everything a screen received on a terminal emulator,
// once its session has ended, and fails unless the terminal is given back
// as it was: the normal screen, the cursor shown, the mouse no longer
// reported. It returns what the normal screen shows.
func afterScreen(t *testing.T, s *screen, cols, rows int) string {
	t.Helper()
	waitEnded(t, s)
	raw := rawOut(s)
	em := testterm.New(t, cols, rows, nil)
	if _, err := em.WriteString(raw); err != nil {
		t.Fatal(err)
	}
	if em.IsAltScreen() {
		t.Errorf("the terminal is left on the alternate screen; the end of the output: %q", raw[max(0, len(raw)-200):])
	}
	if em.CursorHidden() {
		t.Errorf("the terminal is left with its cursor hidden")
	}
	if on, off := strings.LastIndex(raw, "\x1b[?1002h"), strings.LastIndex(raw, "\x1b[?1002l"); on > off {
		t.Errorf("the terminal is left reporting the mouse")
	}
	return em.String()
}

// tcpDoor serves a TCP door of its own into hub, in lang.
func tcpDoor(t *testing.T, hub *room.Hub, lang room.Lang) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &tcp.Server{Hub: hub, Lang: lang, Logger: slog.New(slog.DiscardHandler)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("tcp Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("tcp Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// A member the server puts out reads why on its normal terminal, once the
// chat screen is gone: who kicked or banned it, why, until when; and a
// banned member who comes back is told until when, on both doors.
func TestTheServerSaysWhyBelowTheScreen(t *testing.T) {
	const when = `(\d{4}-\d\d-\d\d )?\d\d:\d\d \((in|dans) [0-9a-z ]+\)`
	for _, tt := range []struct {
		lang                     room.Lang
		kicked, banned, comeback string
		tooLong, shutdown        string
	}{
		{room.LangEN,
			`\*\*\* eve was kicked by prof: spam`,
			`\*\*\* eve was banned by prof until ` + when + `: cheating`,
			`You are banned from this room until ` + when + `\.`,
			`\*\*\* eve left \(input too long\)`,
			`\*\*\* The server is shutting down\. Goodbye!`},
		{room.LangFR,
			`\*\*\* eve a été exclu par prof : spam`,
			`\*\*\* eve a été banni par prof jusqu'à ` + when + ` : cheating`,
			`Vous êtes banni de ce salon jusqu'à ` + when + `\.`,
			`\*\*\* eve est parti \(message trop long\)`,
			`\*\*\* Le serveur s'arrête\. Au revoir !`},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			profKey, eveKey := newSigner(t), newSigner(t)
			a := startArena(t, room.Options{OpKeys: []string{fingerprint(profKey)}}, sshui.Options{Lang: tt.lang})
			prof := openScreen(t, dial(t, a.sshAddr, keyed("prof", profKey)), 100, 30)
			waitMembers(t, a.hub, "prof")
			eveSays := func() *screen {
				t.Helper()
				eve := openScreen(t, dial(t, a.sshAddr, keyed("eve", eveKey)), 80, 24)
				waitMembers(t, a.hub, "prof", "eve")
				return eve
			}
			wants := func(s *screen, re string) {
				t.Helper()
				if shown := afterScreen(t, s, 80, 24); !regexp.MustCompile(re).MatchString(shown) {
					t.Errorf("the terminal shows, once the screen is left:\n%s\nwant %q", shown, re)
				}
			}

			eve := eveSays()
			prof.typeText("/kick eve spam\r")
			wants(eve, tt.kicked)

			eve = eveSays()
			eve.typeText(pasteStart + strings.Repeat("x", 20<<10) + pasteEnd)
			wants(eve, tt.tooLong)

			eve = eveSays()
			prof.typeText("/ban eve 1h cheating\r")
			wants(eve, tt.banned)
			stderr, _ := refusedSession(t, dial(t, a.sshAddr, keyed("eve", eveKey)))
			if !regexp.MustCompile(tt.comeback).MatchString(stderr) {
				t.Errorf("eve, banned, comes back and reads %q; want %q", stderr, tt.comeback)
			}

			// The ban holds eve's address for newcomers without a key: the
			// TCP door says until when too.
			if got := tcpRefusal(t, tcpDoor(t, a.hub, tt.lang)); len(got) != 1 || !regexp.MustCompile(`^\*\*\* `+tt.comeback+`$`).MatchString(got[0]) {
				t.Errorf("the banned address on the TCP door reads %q; want %q", got, tt.comeback)
			}

			if err := a.stop(t.Context()); err != nil {
				t.Fatal(err)
			}
			wants(prof, tt.shutdown)
		})
	}
}

// dialDeaf connects as a client that never answers the server's
// keep-alives, as one whose network went away would, but still reads.
func dialDeaf(t *testing.T, addr, user string) *gossh.Client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	conn, chans, reqs, err := gossh.NewClientConn(nc, addr, &gossh.ClientConfig{User: user, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: patience})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range reqs { // taken, never answered
		}
	}()
	none := make(chan *gossh.Request)
	close(none)
	c := gossh.NewClient(conn, chans, none)
	t.Cleanup(func() { c.Close() })
	return c
}

// Whatever the server ends a screen for, the terminal is given back before
// the connection closes, with why below it: a client that stopped
// answering keep-alives (it may only be asleep), a failure of the server.
func TestTheTerminalIsGivenBackWhateverTheServerDecides(t *testing.T) {
	t.Run("no answer to keep-alives", func(t *testing.T) {
		a := startArena(t, room.Options{}, sshui.Options{KeepAlive: 20 * time.Millisecond})
		s := openScreen(t, dialDeaf(t, a.sshAddr, "sleepy"), 80, 24)
		if shown := afterScreen(t, s, 80, 24); !strings.Contains(shown, "*** sleepy left (connection lost)") {
			t.Errorf("the terminal shows, once the screen is left:\n%s", shown)
		}
	})
	t.Run("a failure of the server", func(t *testing.T) {
		a := startArena(t, room.Options{History: panicky{room.NewRing(10)}}, sshui.Options{})
		s := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 80, 24)
		s.waitFor("you: alice")
		s.typeText("boom\r")
		if shown := afterScreen(t, s, 80, 24); !strings.Contains(shown, "*** alice left (server error)") {
			t.Errorf("the terminal shows, once the screen is left:\n%s", shown)
		}
	})
}
