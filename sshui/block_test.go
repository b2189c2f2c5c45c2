package sshui_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"palabre/room"
	"palabre/sshui"
)

// A 40-line paste on the screen is one block: on TCP its 40 lines, tagged,
// consecutive although another member talks meanwhile; on another screen
// (x/vt) its lines in order behind a margin, indentation kept.
func TestPasteIsOneBlockOnBothDoors(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	noisy := dialPeer(t, a.tcpAddr, false)
	// Tall enough for the noise and the block together: neither scrolls away.
	bob := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "bob"}), 100, 120)
	bob.waitFor("you: bob")
	alice := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 60)
	tc.expect("*** alice joined (ssh)")
	alice.waitFor("you: alice")
	d := newDisplay(bob, 100, 120)

	var paste []string
	for i := range 40 {
		paste = append(paste, fmt.Sprintf("%sline %02d", strings.Repeat("\t", i%3), i))
	}
	go func() {
		for i := range 50 {
			fmt.Fprintf(noisy.nc, "noise %02d\n", i)
		}
	}()
	alice.typeText(pasteStart + strings.Join(paste, "\n") + pasteEnd)

	first := tc.expect("alice> ")
	lines, _ := tc.snapshot()
	i := tc.next - 1
	poll(t, patience, "40 lines of the block", func() bool { lines, _ = tc.snapshot(); return len(lines) >= i+40 })
	for j, p := range paste {
		want := "alice> " + strings.ReplaceAll(p, "\t", "    ")
		if lines[i+j] != want {
			t.Fatalf("line %d of the block on TCP: %q, want %q (first %q)", j, lines[i+j], want, first)
		}
	}
	if n := strings.Count(strings.Join(lines, "\n"), "alice> "); n != 40 {
		t.Errorf("TCP read %d lines of alice, want 40", n)
	}

	// On bob's screen: a head row naming alice, then the 40 lines, row
	// after row, behind the margin, indentation kept.
	rows := strings.Split(d.shows("line 39"), "\n")
	at := slices.IndexFunc(rows, func(r string) bool { return strings.Contains(r, "│ line 00") })
	if at < 1 || !strings.Contains(rows[at-1], "alice:") || at+40 > len(rows) {
		t.Fatalf("bob's screen shows no block headed by alice:\n%s", strings.Join(rows, "\n"))
	}
	for j := range 40 {
		want := fmt.Sprintf("        │ %sline %02d", strings.Repeat("    ", j%3), j)
		if !strings.HasPrefix(rows[at+j], want) {
			t.Fatalf("row %d of the block on bob's screen: %q, want %q", j, rows[at+j], want)
		}
	}
}

// A TCP member's fenced lines are one block on a screen, Python coloured by
// chroma on a 256-colour terminal, plain on one without colour; hostile
// bytes in it reach no terminal.
func TestTCPFenceIsABlockOnScreens(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	bob := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "bob"}), 100, 30)
	bob.waitFor("you: bob")
	carol := openTerm(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "carol"}), "vt100", 100, 30)
	carol.waitFor("you: carol")
	other := dialPeer(t, a.tcpAddr, false)
	tc := dialPeer(t, a.tcpAddr, false)
	tc.send("```python\ndef f(x):\n\treturn x \x1b]52;c;cm0gLXJmIH4K\x07\xff\n```\n")

	for _, want := range []string{"Thread-2> ```python", "Thread-2> def f(x):", "Thread-2>     return x ]52;c;cm0gLXJmIH4K\ufffd", "Thread-2> ```"} {
		if got := other.expect("Thread-2> "); got != want {
			t.Errorf("TCP read %q, want %q", got, want)
		}
	}
	d := newDisplay(bob, 100, 30)
	shown := d.shows("│     return x")
	if !strings.Contains(shown, "Thread-2 (python):") || !strings.Contains(shown, "│ def f(x):") {
		t.Errorf("bob's screen shows:\n%s", shown)
	}
	carol.waitFor(regexp.QuoteMeta("|     return x"))

	coloured := regexp.MustCompile(`\x1b\[[0-9;]*mdef\x1b\[0m`)
	if raw := rawOut(bob); !coloured.MatchString(raw) {
		t.Errorf("bob's 256-colour screen shows no coloured def: %q", raw[max(0, strings.Index(raw, "def")-40):])
	}
	if raw := rawOut(carol); coloured.MatchString(raw) || strings.Contains(raw, "\x1b[38;5;") {
		t.Errorf("carol's colourless screen was sent colours")
	}
	for _, s := range []*screen{bob, carol} {
		raw := rawOut(s)
		if strings.Contains(raw, "\x1b]52") || strings.Contains(raw, "\x07") {
			t.Errorf("a screen received the block's escape")
		}
	}
}

// A paste of 10 000 lines is refused whole, and its sender told; nothing
// reaches the room.
func TestPasteOverTheBlockBound(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	alice := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	tc.expect("*** alice joined (ssh)")
	alice.waitFor("you: alice")
	alice.typeText(pasteStart + "\x1b[2J\xff\n" + strings.Repeat("x\n", 10000) + pasteEnd)
	alice.waitFor("code block not sent")
	alice.typeText("after\r")
	if got := tc.expect("alice> "); got != "alice> after" {
		t.Errorf("TCP read %q", got)
	}
}
