package sshui_test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/sshui"
)

// A long line typed on the screen is as many messages as the room cuts it
// into, for flood control too, as on the TCP door: one token each.
func TestAdversarialSSHLongLineTakesATokenPerPart(t *testing.T) {
	clock := fakeclock.New(time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC))
	a := startArena(t, room.Options{MaxMessageBytes: 64, MsgRate: 2, MsgBurst: 5, Now: clock.Now, Sleep: clock.Sleep},
		sshui.Options{MaxMessageBytes: 64})
	tc := dialPeer(t, a.tcpAddr, false)
	alice := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	tc.expect("*** alice joined (ssh)")
	alice.waitFor("you: alice")

	alice.typeText(strings.Repeat("L", 1000) + "\r")
	alice.typeText("last\r") // not "end": typed in one read, it is the End key to the input (bubbles)
	var got []string
	for {
		l := strings.TrimPrefix(tc.expect("alice> "), "alice> ")
		if l == "last" {
			break
		}
		got = append(got, l)
	}
	if len(got) != 16 || strings.Join(got, "") != strings.Repeat("L", 1000) {
		t.Fatalf("the line reached the room as %d messages of %v bytes; want 16 making the line", len(got), lens(got))
	}
	const want = (16 + 1 - 5) * time.Second / 2 // 16 messages and "last", past the burst of 5, two a second
	if got := clock.Slept(); got < want-10*time.Millisecond || got > want+10*time.Millisecond {
		t.Errorf("flood control held the screen's lines %v, want %v", got, want)
	}
}

func lens(ss []string) []int {
	var n []int
	for _, s := range ss {
		n = append(n, len(s))
	}
	return n
}

// Pastes far larger than the screen may hold back, under flood control:
// the screen stops reading its input once its held lines reach their
// bound, so that the most it shows waiting stays within it, and every
// line reaches the room, in order.
func TestAdversarialSSHPasteFloodIsBounded(t *testing.T) {
	const (
		rate     = 600 // lines a second: the test takes seconds
		pastes   = 20
		perPaste = 120
		lineLen  = 250 // with its "\n": 20 pastes of 30 kB
		// The screen holds back 64 KiB of lines, and what its reader had
		// taken when it stopped: two pastes of 64 KiB at most; a read or
		// two (256 bytes) besides.
		bound = (64<<10 + 2*64<<10 + 1<<10) / lineLen
	)
	a := startArena(t, room.Options{MsgRate: rate, MsgBurst: 5}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	alice := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	tc.expect("*** alice joined (ssh)")
	alice.waitFor("you: alice")

	var want []string
	typed := make(chan error, 1)
	var pasted strings.Builder
	for p := range pastes {
		for i := range perPaste {
			// One paste a line: a paste of several lines is one block.
			line := fmt.Sprintf("p%02d-%03d ", p, i)
			line += strings.Repeat("x", lineLen-1-len(line))
			pasted.WriteString(pasteStart + line + "\n" + pasteEnd)
			want = append(want, "alice> "+line)
		}
	}
	go func() {
		_, err := alice.stdin.Write([]byte(pasted.String()))
		typed <- err
	}()
	for i, w := range want {
		if got := tc.expect("alice> "); got != w {
			t.Fatalf("line %d reached the room as %.40q…, want %.40q…", i, got, w)
		}
	}
	if err := <-typed; err != nil {
		t.Fatal(err)
	}
	// What the screen said it held, each time it said it.
	most := 0
	for _, m := range waitingRe.FindAllStringSubmatch(alice.text(), -1) {
		n, _ := strconv.Atoi(m[1])
		most = max(most, n)
	}
	t.Logf("%d lines of %d bytes in %d pastes; the screen showed at most %d waiting (bound %d)", len(want), lineLen, pastes, most, bound)
	if most == 0 {
		t.Error("the screen never showed lines waiting")
	}
	if most > bound {
		t.Errorf("the screen held %d lines (%d kB) back at once; want at most %d", most, most*lineLen>>10, bound)
	}
	poll(t, patience, "the notice gone", func() bool {
		return !slices.ContainsFunc(emulate(rawOut(alice)), func(row string) bool { return waitingRe.MatchString(row) })
	})
}

var waitingRe = regexp.MustCompile(`(\d+) waiting: flood control`)

// When the room reports an outbox over half full, the screen's sender
// yields to the readers before its next line, as the TCP door's reader
// does: with flood control off, the clock's sleeps are those yields.
func TestAdversarialSSHYieldsToACongestedRoom(t *testing.T) {
	clock := fakeclock.New(time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC))
	a := startArena(t, room.Options{Now: clock.Now, Sleep: clock.Sleep}, sshui.Options{})
	tc := dialPeer(t, a.tcpAddr, false)
	alice := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 100, 30)
	tc.expect("*** alice joined (ssh)")
	alice.waitFor("you: alice")
	// A member whose outbox nobody drains, filled past half its 64 KiB
	// (140 messages of ~370 bytes), while alice's screen shows them all.
	if _, _, err := a.hub.Join(room.JoinRequest{Name: "idle", Door: room.DoorTCP}); err != nil {
		t.Fatal(err)
	}
	var fill strings.Builder
	for i := range 140 {
		fmt.Fprintf(&fill, "fill %03d %s\n", i, strings.Repeat("x", 280))
	}
	tc.send(fill.String())
	alice.waitFor(`Thread-1\s+fill 139`)
	before := clock.Slept()

	var paste strings.Builder
	for i := range 20 {
		fmt.Fprintf(&paste, pasteStart+"line %02d\n"+pasteEnd, i) // one paste a line: several are a block
	}
	alice.typeText(paste.String())
	for i := range 20 {
		if got, want := tc.expect("alice> "), fmt.Sprintf("alice> line %02d", i); got != want {
			t.Fatalf("the room read %q, want %q", got, want)
		}
	}
	// Each of the 20 lines found the idle member's outbox over half full.
	if got := clock.Slept() - before; got != 20*time.Millisecond {
		t.Errorf("the screen yielded %v to a congested room; want a millisecond for each of its 20 lines", got)
	}
	if got := memberNames(a.hub); !slices.Equal(got, []string{"Thread-1", "alice", "idle"}) {
		t.Errorf("members %q", got)
	}
}
