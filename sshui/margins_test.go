package sshui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/testterm"
	"palabre/room"
	"palabre/sshui"
)

// A screen whose terminal has left and right margins (x/vt answers the
// server's question as xterm does) scrolls its messages beside a full
// member list without writing the list again: a message costs it at most
// half as much again as it costs a screen too narrow for the list, whose
// message column is as wide. A screen beside it whose terminal answers
// nothing shows the same rows, the list written again for each message.
func TestScreenScrollsBesideTheList(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{})
	var crowd []*tcpClient
	for range 30 {
		crowd = append(crowd, dialTCP(t, a.tcpAddr))
	}
	const cols, rows = 100, 30
	wide := newDisplay(openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "ana"}), cols, rows), cols, rows)
	plain := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "bea"}), cols, rows)
	narrow := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "cid"}), 79, rows)
	screens := []*screen{wide.s, plain, narrow}
	for _, s := range screens {
		s.waitFor(`cid`)
	}
	say := func(i int, text string) {
		t.Helper()
		crowd[i%len(crowd)].send(text + "\n")
		for _, s := range screens {
			s.waitFor(`\Q` + text + `\E`)
		}
		wide.now() // the terminal answers as it shows
	}
	// The answer reaches the server once the emulator has read the
	// question; once the message area is full, the wide screen scrolls
	// between margins.
	for i := 0; !strings.Contains(rawOut(wide.s), "\x1b[?69h"); i++ {
		if i == 2*rows {
			t.Fatal("the screen never scrolled between margins")
		}
		say(i, fmt.Sprintf("warming up %d", i))
	}
	var mark []int
	for _, s := range screens {
		mark = append(mark, len(rawOut(s)))
	}
	const n = 40
	for i := range n {
		say(i, fmt.Sprintf("message %d of ordinary length, about the lab of this week", i))
	}
	per := make([]int, len(screens))
	for i, s := range screens {
		per[i] = (len(rawOut(s)) - mark[i]) / n
	}
	t.Logf("bytes per message: %d with margins beside the list, %d without margins, %d without the list", per[0], per[1], per[2])
	if per[0]*2 > per[2]*3 {
		t.Errorf("with margins, %d bytes a message beside the list: more than 1.5× the %d without it", per[0], per[2])
	}
	if per[1]*2 <= per[2]*3 {
		t.Errorf("without margins, %d bytes a message: the list should be written again (%d without it)", per[1], per[2])
	}

	// The two wide screens show the same rows but the title, which names
	// the screen's member.
	shown := strings.Split(wide.now(), "\n")
	other := testterm.New(t, cols, rows, nil)
	if _, err := other.WriteString(rawOut(plain)); err != nil {
		t.Fatal(err)
	}
	want := strings.Split(other.String(), "\n")
	if !slices.Equal(shown[1:], want[1:]) {
		t.Errorf("with margins the screen shows\n%s\nwithout\n%s", strings.Join(shown, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(shown[rows-2], "message 39 of") || !strings.Contains(strings.Join(shown, "\n"), "Thread-30") {
		t.Errorf("the last message or the list's names are not shown:\n%s", strings.Join(shown, "\n"))
	}
}
