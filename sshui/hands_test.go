package sshui_test

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"palabre/room"
	"palabre/sshui"
)

// sidebarRow returns the row of the member list naming name, and the
// column of its separator, counted in cells as the terminal draws them.
func sidebarRow(shown, name string) (string, int) {
	for _, row := range strings.Split(shown, "\n") {
		if i := strings.Index(row, "│"); i >= 0 && strings.Contains(row[i:], name) {
			return row, ansi.StringWidth(row[:i])
		}
	}
	return "", -1
}

// panel is the side panel of a screen: what each row shows right of the
// separator.
func panel(shown string) string {
	var b strings.Builder
	for _, row := range strings.Split(shown, "\n") {
		if _, right, ok := strings.Cut(row, "│"); ok {
			b.WriteString(strings.TrimSpace(right) + "\n")
		}
	}
	return b.String()
}

// Raised hands over every door: marked in every screen's member list (a
// hand, two cells wide, that shifts nothing; a '?' without colour),
// counted in the operator's title bar alone, listed and given the floor
// on the line protocol, and lost when its member leaves.
func TestHandsOnEveryDoor(t *testing.T) {
	key := newSigner(t)
	a := startArena(t, room.Options{OpKeys: []string{fingerprint(key)}}, sshui.Options{})
	thread := dialPeer(t, a.tcpAddr, false) // Thread-1
	prof := openIn(t, dial(t, a.sshAddr, keyed("prof", key)), "", "xterm-256color", 100, 30)
	pd := newDisplay(prof, 100, 30)
	pd.titled(" #main · 2 members")
	alice := openIn(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), "", "xterm-256color", 100, 30)
	ad := newDisplay(alice, 100, 30)
	plain := openIn(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "carol"}), "", "vt100", 100, 30)
	cd := newDisplay(plain, 100, 30)
	bob := openLines(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "bob"}), "bob")
	pd.titled(" #main · 5 members")

	thread.send("/hand\n")
	thread.expect("*** Thread-1 raised a hand (1 in line)")
	bob.expect("*** Thread-1 raised a hand (1 in line)")
	pd.waitFor("the count of hands", func(s string) bool { return strings.Contains(strings.SplitN(s, "\n", 2)[0], "1 hand(s) raised") })
	shown := ad.shows("✋ Thread-1")
	row, sep := sidebarRow(shown, "✋ Thread-1")
	if _, other := sidebarRow(shown, "alice"); sep != other || sep < 0 {
		t.Errorf("the hand moved the separator to column %d, others at %d: %q", sep, other, row)
	}
	// The terminal draws the hand in the two cells the screen counts for
	// it: the name starts after "│ ✋ ", five cells past the separator.
	bar := strings.Index(row, "│")
	if name := ansi.StringWidth(row[:bar+strings.Index(row[bar:], "Thread-1")]); name != sep+5 {
		t.Errorf("the name starts at column %d; want %d: %q", name, sep+5, row)
	}
	cd.shows("? Thread-1")
	if title := ad.title(); strings.Contains(title, "hand") {
		t.Errorf("a member's title counts hands: %q", title)
	}

	bob.send("/hand")
	bob.expect("*** bob raised a hand (2 in line)")
	pd.waitFor("two hands", func(s string) bool { return strings.Contains(strings.SplitN(s, "\n", 2)[0], "2 hand(s) raised") })
	bob.send("/hands")
	bob.expect("*** 2 hand(s) raised: 1. Thread-1, 2. bob")

	alice.typeText("/next\r")
	ad.shows("/next is for operators only")
	prof.typeText("/next\r")
	thread.expect("*** Thread-1, you have the floor")
	bob.expect("*** Thread-1, you have the floor")
	ad.shows("Thread-1, you have the floor")
	pd.waitFor("one hand left", func(s string) bool { return strings.Contains(strings.SplitN(s, "\n", 2)[0], "1 hand(s) raised") })

	bob.send("FIN") // leaving lowers the hand
	thread.expect("*** bob left")
	pd.waitFor("no hand left", func(s string) bool { return !strings.Contains(strings.SplitN(s, "\n", 2)[0], "hand") })
	ad.waitFor("no hand marked", func(s string) bool { return !strings.Contains(s, "✋") })
	prof.typeText("/next\r")
	pd.shows("no hand is raised")
}

// An anonymous question reaches every door without its author, but for
// operators and the author; nothing that follows (the upvote, the list,
// the answer) names it either. Members here joined after the author, so
// nothing else shows them its name: any "zelda" they read is a leak.
func TestAnonymousQuestionOnEveryDoor(t *testing.T) {
	key := newSigner(t)
	a := startArena(t, room.Options{OpKeys: []string{fingerprint(key)}}, sshui.Options{})
	zelda := dialPeer(t, a.tcpAddr, false)
	zelda.send("/nick zelda\n")
	zelda.expect("*** Thread-1 is now known as zelda")
	prof := openIn(t, dial(t, a.sshAddr, keyed("prof", key)), "", "xterm-256color", 100, 30)
	pd := newDisplay(prof, 100, 30)
	alice := openIn(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), "", "xterm-256color", 100, 30)
	ad := newDisplay(alice, 100, 30)
	bob := openLines(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "bob"}), "bob")
	carol := dialPeer(t, a.tcpAddr, false) // Thread-2
	pd.titled(" #main · 5 members")

	prof.typeText("/anonymous on\r")
	carol.expect("*** prof made this room's questions anonymous")
	bob.expect("*** prof made this room's questions anonymous")
	alice.typeText("/anonymous off\r")
	ad.shows("/anonymous is for operators only")

	zelda.send("/ask is this on the exam?\n")
	const hidden = "Q1 (anonymous): is this on the exam?"
	carol.expect("*** " + hidden)
	bob.expect("*** " + hidden)
	ad.shows(hidden)
	pd.shows("Q1 zelda (anonymous): is this on the exam?")
	zelda.expect("*** Q1 zelda (anonymous): is this on the exam?")

	// The side panel lists the open question, without an author.
	ad.waitFor("the question in the side panel", func(s string) bool { return strings.Contains(panel(s), "Q1 [0] is this on…") })
	carol.send("/up 1\n")
	carol.expect("*** you upvoted Q1 [1 vote(s)]: is this on the exam?")
	carol.send("/up 1\n")
	carol.expect("*** you upvoted Q1 already")
	zelda.send("/up 1\n")
	zelda.expect("*** Q1 is your own question")
	alice.typeText("/questions\r")
	ad.shows("Q1 [1 vote(s)] (anonymous): is this on the exam?")
	ad.waitFor("the vote in the side panel", func(s string) bool { return strings.Contains(panel(s), "Q1 [1] is this on…") })
	bob.send("/questions")
	bob.expect("***   Q1 [1 vote(s)] (anonymous): is this on the exam?")
	prof.typeText("/questions\r")
	pd.shows("Q1 [1 vote(s)] zelda (anonymous): is this on the exam?")
	bob.send("/answer 1 no")
	bob.expect("*** /answer is for operators only")
	prof.typeText("/answer 1 yes, chapter 3\r")
	carol.expect("*** prof answered Q1 (is this on the exam?): yes, chapter 3")
	bob.expect("*** prof answered Q1 (is this on the exam?): yes, chapter 3")
	shown := ad.shows("prof answered Q1")
	ad.waitFor("no question in the side panel", func(s string) bool { return !strings.Contains(panel(s), "Q1") })

	lines, _ := carol.snapshot()
	for _, read := range [][]string{lines, bob.all()} {
		for _, l := range read {
			if strings.Contains(l, "zelda") {
				t.Errorf("a member read the author: %q", l)
			}
		}
	}
	for _, row := range strings.Split(shown, "\n")[1:] { // the title names nobody else
		text, _, _ := strings.Cut(row, "│") // the member list names zelda, rightly
		if strings.Contains(text, "zelda") {
			t.Errorf("a member's screen shows the author: %q", row)
		}
	}
}
