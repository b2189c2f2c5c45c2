package sshui_test

import (
	"fmt"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/sshui"
)

// Names cannot be hoarded, and the course's names cannot be taken: the
// squatting of issue 10, over SSH, watched from the TCP door.
func TestSquattingOverSSH(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	a := startArena(t, room.Options{Now: clock.Now}, sshui.Options{})
	sqKey := newSigner(t)
	obs := dialTCP(t, a.tcpAddr) // Thread-1
	sq := openScreen(t, dial(t, a.sshAddr, keyed("first", sqKey)), 100, 30)
	obs.nextMatch(`\*\*\* first joined \(ssh\)`)

	// Twenty /nick from one key.
	prev := "first"
	for i := 1; i <= 20; i++ {
		name := fmt.Sprint("name", i)
		sq.typeText("/nick " + name + "\r")
		obs.nextMatch(`\*\*\* ` + prev + ` is now known as ` + name)
		prev = name
	}
	// The course's numbering is nobody's to choose.
	for _, n := range []string{"Thread-2", "Thread-3", "guest-9"} {
		sq.typeText("/nick " + n + "\r")
		sq.waitFor(`the name "` + n + `" is refused: names such as Thread-3 and guest-7`)
	}

	// The key owns the last name, and the one before it for a grace.
	other := dialTCP(t, a.tcpAddr) // Thread-2, without a key
	obs.nextMatch(`\*\*\* Thread-2 joined \(tcp\)`)
	other.send("/nick name1\n")
	obs.nextMatch(`\*\*\* Thread-2 is now known as name1`)
	other.send("/nick first\n")
	obs.nextMatch(`\*\*\* name1 is now known as first`)
	for _, n := range []string{"name19", "name20"} {
		other.send("/nick " + n + "\n")
		other.expect("*** the name " + n + " belongs to another member's key")
	}
	clock.Advance(room.NameGrace)
	other.send("/nick name19\n")
	obs.nextMatch(`\*\*\* first is now known as name19`)
	other.send("/nick name20\n")
	other.expect("*** the name name20 belongs to another member's key")

	// The key comes back as Thread-3: refused, and given a guest name.
	sq.typeText("/quit\r")
	obs.nextMatch(`\*\*\* name20 left \(quit\)`)
	sq = openScreen(t, dial(t, a.sshAddr, keyed("Thread-3", sqKey)), 100, 30)
	obs.nextMatch(`\*\*\* guest-\d+ joined \(ssh\)`)
	sq.waitFor(`the name "Thread-3" is refused`)
	sq.typeText("/quit\r")
	obs.nextMatch(`\*\*\* guest-\d+ left \(quit\)`)

	// The third student on the TCP door is Thread-3, as in the course.
	third := dialTCP(t, a.tcpAddr)
	obs.nextMatch(`\*\*\* Thread-3 joined \(tcp\)`)
	third.send("bonjour\n")
	obs.nextMatch(`Thread-3> bonjour`)
	if _, ok := memberInfo(a.hub, "Thread-3"); !ok {
		t.Errorf("members %v, want a Thread-3", memberNames(a.hub))
	}
}

// A key that joins with another name of its own (ssh bob@host) has taken
// that name: the previous one is kept for it for the grace only.
func TestJoiningUnderAnotherNameMovesTheKeysName(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	a := startArena(t, room.Options{Now: clock.Now}, sshui.Options{})
	key := newSigner(t)
	obs := dialTCP(t, a.tcpAddr)
	for _, user := range []string{"alice", "alicia"} {
		scr := openScreen(t, dial(t, a.sshAddr, keyed(user, key)), 100, 30)
		obs.nextMatch(`\*\*\* ` + user + ` joined \(ssh\)`)
		scr.typeText("/quit\r")
		obs.nextMatch(`\*\*\* ` + user + ` left \(quit\)`)
	}
	other := &gossh.ClientConfig{User: "alice", ClientVersion: openSSH, Auth: []gossh.AuthMethod{answer("")}} // no key
	openScreen(t, dial(t, a.sshAddr, other), 100, 30).waitFor(`the name alice belongs to another member's key`)
	obs.nextMatch(`\*\*\* guest-\d+ joined \(ssh\)`)
	clock.Advance(room.NameGrace)
	openScreen(t, dial(t, a.sshAddr, other), 100, 30)
	obs.nextMatch(`\*\*\* alice joined \(ssh\)`)
}
