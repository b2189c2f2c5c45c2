package sshui_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/sshui"
)

// TestScreensTypingSpacesAtOnce: bubbletea hands every program one shared
// slice for a space's runes, and the text input cleans what it is given in
// place. Screens typing at once must not share it: under -race this test
// fails if they do; in any case every line arrives whole.
func TestScreensTypingSpacesAtOnce(t *testing.T) {
	w := start(t, sshui.Options{})
	reader := dialTCP(t, w.tcpAddr)
	const screens, lines = 6, 4
	scrs := make([]*screen, screens)
	for i := range scrs {
		c := dial(t, w.sshAddr, &gossh.ClientConfig{User: fmt.Sprintf("typist%d", i)})
		scrs[i] = openScreen(t, c, 100, 30)
		scrs[i].waitFor(`typist`)
	}
	var wg sync.WaitGroup
	for i, s := range scrs {
		wg.Go(func() {
			for j := range lines {
				if _, err := fmt.Fprintf(s.stdin, "a b c %d %d\r", i, j); err != nil {
					t.Errorf("typist%d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	want := map[string]bool{}
	for i := range screens {
		for j := range lines {
			want[fmt.Sprintf("typist%d> a b c %d %d", i, i, j)] = true
		}
	}
	deadline := time.After(patience)
	for len(want) > 0 {
		select {
		case l := <-reader.lines:
			delete(want, l)
		case <-deadline:
			t.Fatalf("never read %v", want)
		}
	}
}
