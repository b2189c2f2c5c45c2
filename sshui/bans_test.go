package sshui_test

import (
	"bufio"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/room"
	"palabre/sshui"
)

// A ban holds its holder: the holder of a banned key does not come straight
// back from its address without the key, over either door. The tests
// connect from loopback, which the hub exempts only when told to.

// bannedUntil begins the refusal of a member banned for a while: it is
// told until when.
const bannedUntil = "You are banned from this room until "

// tcpRefusal connects to the TCP door and returns all it reads before the
// server closes the connection.
func tcpRefusal(t *testing.T, addr string) []string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(patience))
	var lines []string
	sc := bufio.NewScanner(nc)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("the TCP door read %q, then %v instead of closing", lines, err)
	}
	return lines
}

func TestBannedKeysHolderStaysOut(t *testing.T) {
	profKey, eveKey := newSigner(t), newSigner(t)
	a := startArena(t, room.Options{OpKeys: []string{fingerprint(profKey)}}, sshui.Options{})
	obs := dialTCP(t, a.tcpAddr) // in before the ban: it stays
	prof := openScreen(t, dial(t, a.sshAddr, keyed("prof", profKey)), 200, 40)
	obs.nextMatch(`\*\*\* prof joined \(ssh\)`)
	openScreen(t, dial(t, a.sshAddr, keyed("eve", eveKey)), 100, 30)
	obs.nextMatch(`\*\*\* eve joined \(ssh\)`)
	prof.typeText("/ban eve 1h\r")
	obs.nextMatch(`\*\*\* eve was banned by prof` + until)
	prof.waitFor(`the ban holds the key and every newcomer without a key from 127\.0\.0\.1`)

	for _, tt := range []struct {
		name string
		cfg  *gossh.ClientConfig
	}{
		{"the key", keyed("eve", eveKey)},
		{"keyboard-interactive, as OpenSSH without a key", &gossh.ClientConfig{User: "eve", ClientVersion: openSSH, Auth: []gossh.AuthMethod{answer("")}}},
		{"no authentication", &gossh.ClientConfig{User: "eve2"}},
	} {
		stderr, _ := refusedSession(t, dial(t, a.sshAddr, tt.cfg))
		if !strings.Contains(stderr, bannedUntil) {
			t.Errorf("%s: stderr %q, want the refusal", tt.name, stderr)
		}
	}
	if got := tcpRefusal(t, a.tcpAddr); len(got) != 1 || !strings.HasPrefix(got[0], "*** "+bannedUntil) {
		t.Errorf("the TCP door: read %q, want the refusal alone", got)
	}

	// A key of its own still comes in from the address, the operator's too.
	openScreen(t, dial(t, a.sshAddr, keyed("ann", newSigner(t))), 100, 30)
	obs.nextMatch(`\*\*\* ann joined \(ssh\)`)
	prof = openScreen(t, dial(t, a.sshAddr, keyed("prof", profKey)), 200, 40)
	obs.nextMatch(`\*\*\* prof-2 joined \(ssh\)`) // its own other session keeps the name

	// Lifting the address's part lets the keyless back, not the key.
	prof.typeText("/unban 127.0.0.1\r")
	prof.waitFor(`the ban on 127\.0\.0\.1 is lifted`)
	dialTCP(t, a.tcpAddr)
	obs.expect("*** Thread-")
	if stderr, _ := refusedSession(t, dial(t, a.sshAddr, keyed("eve", eveKey))); !strings.Contains(stderr, bannedUntil) {
		t.Errorf("the key after its address was lifted: stderr %q, want the refusal", stderr)
	}
}

// In an exempt network (a class behind one NAT) a ban on a key holds the
// key alone, and the operator is told so.
func TestKeyBanInAnExemptNetwork(t *testing.T) {
	profKey, eveKey := newSigner(t), newSigner(t)
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	a := startArena(t, room.Options{OpKeys: []string{fingerprint(profKey)}, Exempt: loopback}, sshui.Options{})
	obs := dialTCP(t, a.tcpAddr)
	prof := openScreen(t, dial(t, a.sshAddr, keyed("prof", profKey)), 200, 40)
	obs.nextMatch(`\*\*\* prof joined \(ssh\)`)
	openScreen(t, dial(t, a.sshAddr, keyed("eve", eveKey)), 100, 30)
	obs.nextMatch(`\*\*\* eve joined \(ssh\)`)
	prof.typeText("/ban eve 1h\r")
	obs.nextMatch(`\*\*\* eve was banned by prof` + until)
	prof.waitFor(`the ban holds the key only: 127\.0\.0\.1 is an exempt network \(a class behind one address\)`)

	if stderr, _ := refusedSession(t, dial(t, a.sshAddr, keyed("eve", eveKey))); !strings.Contains(stderr, bannedUntil) {
		t.Errorf("the key: stderr %q, want the refusal", stderr)
	}
	openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "visitor", ClientVersion: openSSH, Auth: []gossh.AuthMethod{answer("")}}), 100, 30)
	obs.nextMatch(`\*\*\* visitor joined \(ssh\)`)
	dialTCP(t, a.tcpAddr)
	obs.nextMatch(`\*\*\* Thread-2 joined \(tcp\)`)

	prof.typeText("/bans\r")
	prof.waitFor(`1 ban\(s\):`)
	prof.waitFor(`the ban holds the key only: 127\.0\.0\.1 is an exempt network`)
}
