package sshui_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/connlimit"
	"palabre/internal/store"
	"palabre/room"
	"palabre/sshui"
)

// The teacher's tools on the SSH door: operators by key, moderation seen on
// screens, names owned by keys, the room password and the key allowlist.

func newSigner(t *testing.T) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fingerprint(s gossh.Signer) string { return gossh.FingerprintSHA256(s.PublicKey()) }

// answer is keyboard-interactive answering every question with a.
func answer(a string) gossh.AuthMethod {
	return gossh.KeyboardInteractive(func(_, _ string, q []string, _ []bool) ([]string, error) {
		out := make([]string, len(q))
		for i := range out {
			out[i] = a
		}
		return out, nil
	})
}

// keyed is OpenSSH with a key: it offers the key, then an empty
// keyboard-interactive, as `ssh -p 2222 host` does.
func keyed(user string, key gossh.Signer) *gossh.ClientConfig {
	return &gossh.ClientConfig{User: user, ClientVersion: openSSH, Auth: []gossh.AuthMethod{gossh.PublicKeys(key), answer("")}}
}

// tryDial connects and reports, for a client expected to be turned away.
func tryDial(addr string, cfg *gossh.ClientConfig) error {
	cfg.HostKeyCallback = gossh.InsecureIgnoreHostKey()
	cfg.Timeout = patience
	c, err := gossh.Dial("tcp", addr, cfg)
	if err == nil {
		c.Close()
	}
	return err
}

// refusedSession opens a chat screen that the room turns away, and returns
// what the session wrote on stderr and how it ended.
func refusedSession(t *testing.T, c *gossh.Client) (string, error) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	sess.Stdout, sess.Stderr = io.Discard, stderr
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- sess.Wait() }()
	select {
	case err := <-ended:
		return stderr.String(), err
	case <-time.After(patience):
		t.Fatal("the refused session did not end")
		return "", nil
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// next returns the very next line the TCP member reads.
func (c *tcpClient) next() string {
	c.t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			c.t.Fatal("connection closed while waiting for a line")
		}
		return l
	case <-time.After(patience):
		c.t.Fatal("no line within the deadline")
		return ""
	}
}

// nextMatch fails unless the very next line matches re, whole.
func (c *tcpClient) nextMatch(re string) string {
	c.t.Helper()
	l := c.next()
	if !regexp.MustCompile("^" + re + "$").MatchString(l) {
		c.t.Fatalf("read %q, want a line matching %q", l, re)
	}
	return l
}

func memberInfo(hub *room.Hub, name string) (room.MemberInfo, bool) {
	for _, m := range hub.Members() {
		if m.Name == name {
			return m, true
		}
	}
	return room.MemberInfo{}, false
}

// until matches what a mute or ban with a duration says of its end:
// " until 15:04 (in 10 min)", with the date when it is not today's.
const until = ` until (\d{4}-\d\d-\d\d )?\d\d:\d\d \(in [0-9a-z ]+\)`

func TestOperatorByKeyOverSSH(t *testing.T) {
	profKey, eveKey := newSigner(t), newSigner(t)
	a := startArena(t, room.Options{OpKeys: []string{fingerprint(profKey)}}, sshui.Options{})
	obs := dialTCP(t, a.tcpAddr) // Thread-1, who reads everything the room says

	prof := openScreen(t, dial(t, a.sshAddr, keyed("prof", profKey)), 200, 40)
	obs.expect("*** prof joined (ssh)")
	prof.waitFor(`@prof`) // its own member list marks it an operator
	eve := openScreen(t, dial(t, a.sshAddr, keyed("eve", eveKey)), 100, 30)
	obs.nextMatch(`\*\*\* eve joined \(ssh\)`)
	eve.waitFor(`@prof`)
	if m, _ := memberInfo(a.hub, "prof"); !m.Op || m.Key != fingerprint(profKey) {
		t.Errorf("prof: %+v, want an operator with its key", m)
	}
	if m, _ := memberInfo(a.hub, "eve"); m.Op || m.Key != fingerprint(eveKey) {
		t.Errorf("eve: %+v, want a member with its key, not an operator", m)
	}

	// A member that is not an operator is refused, on its screen.
	eve.typeText("/kick prof\r")
	eve.waitFor(`/kick is for operators only`)
	eve.typeText("/topic mine\r")
	eve.waitFor(`/topic is for operators only`)
	eve.typeText("still here\r")
	obs.nextMatch(`eve> still here`) // and the room read nothing of the refusals

	prof.typeText("/who\r")
	prof.waitFor(`3 member\(s\): Thread-1 \(tcp\), prof \(ssh, op\), eve \(ssh\)`)

	// The topic: in the title bar of the other screens.
	prof.typeText("/topic Exam at 10\r")
	obs.nextMatch(`\*\*\* prof set the topic: Exam at 10`)
	eve.waitFor(`#main · 3 members · Exam at 10`)

	// Mute: eve is told, nobody reads her; then unmute.
	prof.typeText("/mute eve 10m\r")
	obs.nextMatch(`\*\*\* eve was muted by prof` + until)
	eve.typeText("psst\r")
	eve.waitFor(`you are muted: you can read but not post` + until)
	prof.typeText("marker\r")
	obs.nextMatch(`prof> marker`)
	prof.typeText("/unmute eve\r")
	obs.nextMatch(`\*\*\* eve may speak again \(prof\)`)
	eve.typeText("back\r")
	obs.nextMatch(`eve> back`)

	// Kick: the room reads why, eve's session ends.
	prof.typeText("/kick eve spam\r")
	obs.nextMatch(`\*\*\* eve was kicked by prof: spam`)
	waitEnded(t, eve)
	if !strings.Contains(eve.text(), "eve was kicked by prof: spam") {
		t.Errorf("eve's screen never said why it closed:\n%s", eve.text())
	}

	// A kick is no ban: eve comes back, and is banned, by key.
	eve = openScreen(t, dial(t, a.sshAddr, keyed("eve", eveKey)), 100, 30)
	obs.nextMatch(`\*\*\* eve joined \(ssh\)`)
	eve.waitFor(`Exam at 10`) // the newcomer's title bar has the topic
	prof.typeText("/ban eve 1h cheating\r")
	obs.nextMatch(`\*\*\* eve was banned by prof` + until + `: cheating`)
	waitEnded(t, eve)

	// The key is refused, whatever the user name, and so is a newcomer
	// without a key from its address (this hub exempts no network: see
	// bans_test.go); another key from the address is not.
	for _, tt := range []struct {
		user, what string
		cfg        *gossh.ClientConfig
	}{
		{"eve", "the banned key", keyed("eve", eveKey)},
		{"notme", "the banned key", keyed("notme", eveKey)},
		{"visitor", "no key", &gossh.ClientConfig{User: "visitor"}},
	} {
		stderr, err := refusedSession(t, dial(t, a.sshAddr, tt.cfg))
		var exit *gossh.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() != 1 || !strings.Contains(stderr, bannedUntil) {
			t.Errorf("%s as %q: stderr %q, end %v; want the refusal and exit status 1", tt.what, tt.user, stderr, err)
		}
	}
	openScreen(t, dial(t, a.sshAddr, keyed("visitor", newSigner(t))), 80, 24)
	obs.nextMatch(`\*\*\* visitor joined \(ssh\)`)

	prof.typeText("/bans\r")
	prof.waitFor(`1\. eve \(` + regexp.QuoteMeta(fingerprint(eveKey)) + `\) by prof` + until + `: cheating`)
	prof.typeText("/unban " + fingerprint(eveKey) + "\r")
	prof.waitFor(`the ban on eve \(` + regexp.QuoteMeta(fingerprint(eveKey)) + `\) is lifted`)
	openScreen(t, dial(t, a.sshAddr, keyed("eve", eveKey)), 80, 24)
	obs.nextMatch(`\*\*\* eve joined \(ssh\)`) // and nothing of the unban before it
}

func TestNamesBelongToKeys(t *testing.T) {
	aliceKey, otherKey := newSigner(t), newSigner(t)
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() }) // after the arena stops: cleanups run last first
	a := startArena(t, room.Options{Store: st}, sshui.Options{})

	alice := openScreen(t, dial(t, a.sshAddr, keyed("alice", aliceKey)), 100, 30)
	waitMembers(t, a.hub, "alice")
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	if state, err := st.Load(0); err != nil || len(state.Names) != 1 || state.Names[0].Name != "alice" || state.Names[0].Key != fingerprint(aliceKey) {
		t.Fatalf("stored names %v (%v), want alice bound to her key", state.Names, err)
	}
	alice.typeText("\x03")
	alice.waitEnd()
	waitMembers(t, a.hub)

	// Alice is gone; her name is still hers, on either door.
	tc := dialTCP(t, a.tcpAddr)
	for _, n := range []string{"alice", "ALICE"} {
		tc.send("/nick " + n + "\n")
		tc.nextMatch(`\*\*\* the name ` + n + ` belongs to another member's key`)
	}
	for _, tt := range []struct {
		name string
		cfg  *gossh.ClientConfig
		key  string
	}{
		{"another key", keyed("alice", otherKey), fingerprint(otherKey)},
		{"no key", &gossh.ClientConfig{User: "alice"}, ""},
	} {
		scr := openScreen(t, dial(t, a.sshAddr, tt.cfg), 100, 30)
		joined := tc.nextMatch(`\*\*\* guest-\d+ joined \(ssh\)`)
		scr.waitFor(`the name alice belongs to another member's key`)
		name := strings.TrimSuffix(strings.TrimPrefix(joined, "*** "), " joined (ssh)")
		if m, ok := memberInfo(a.hub, name); !ok || m.Key != tt.key {
			t.Errorf("%s: member %+v, want %s with key %q", tt.name, m, name, tt.key)
		}
	}

	// Alice comes back: her name is free for her key.
	alice = openScreen(t, dial(t, a.sshAddr, keyed("alice", aliceKey)), 100, 30)
	tc.nextMatch(`\*\*\* alice joined \(ssh\)`)
	alice.waitFor(`you: alice`)

	// And again from another terminal while the first session holds the
	// name: see TestSecondSessionOfAKey.
}

func TestNamesFromTheStoreBelongToKeys(t *testing.T) {
	bobKey, otherKey := newSigner(t), newSigner(t)
	a := startArena(t, room.Options{State: room.State{Names: []room.NameOwner{{Name: "bob", Key: fingerprint(bobKey)}}}}, sshui.Options{})
	tc := dialTCP(t, a.tcpAddr)
	for _, n := range []string{"bob", "Bob"} {
		tc.send("/nick " + n + "\n")
		tc.nextMatch(`\*\*\* the name ` + n + ` belongs to another member's key`)
	}
	openScreen(t, dial(t, a.sshAddr, keyed("bob", otherKey)), 80, 24)
	tc.nextMatch(`\*\*\* guest-\d+ joined \(ssh\)`)
	bob := openScreen(t, dial(t, a.sshAddr, keyed("bob", bobKey)), 80, 24)
	tc.nextMatch(`\*\*\* bob joined \(ssh\)`)
	bob.waitFor(`you: bob`)
	if m, _ := memberInfo(a.hub, "bob"); m.Key != fingerprint(bobKey) {
		t.Errorf("bob: %+v", m)
	}
}

// penalised reports whether a wrong answer was counted against the
// address: with an allowance of one wrong answer and a clock that does not
// move, the right password from it is then refused, and the client told why.
func penalised(t *testing.T, addr string) bool {
	t.Helper()
	told := told{}
	if err := tryDial(addr, &gossh.ClientConfig{User: "student", Auth: []gossh.AuthMethod{told.answer("sesame")}}); err == nil {
		return false
	}
	return slices.Equal(told.get(), []string{"Too many wrong passwords from your address; try again in 5 s."})
}

// told is keyboard-interactive that keeps the instructions it is shown:
// how the SSH door says why it refuses a password.
type told struct {
	mu    sync.Mutex
	lines []string
}

func (w *told) answer(a string) gossh.AuthMethod {
	return gossh.KeyboardInteractive(func(_, instruction string, q []string, _ []bool) ([]string, error) {
		if instruction != "" {
			w.mu.Lock()
			w.lines = append(w.lines, instruction)
			w.mu.Unlock()
		}
		out := make([]string, len(q))
		for i := range out {
			out[i] = a
		}
		return out, nil
	})
}

func (w *told) get() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.lines)
}

func TestRoomPasswordOverSSH(t *testing.T) {
	key := newSigner(t)
	pk := gossh.PublicKeys(key)
	tests := []struct {
		name      string
		cfg       gossh.ClientConfig
		enters    bool
		penalised bool // a wrong password was given
		keyed     bool // it offers the key, which the member then carries
	}{
		{"keyboard-interactive", gossh.ClientConfig{Auth: []gossh.AuthMethod{answer("sesame")}}, true, false, false},
		{"keyboard-interactive, as OpenSSH", gossh.ClientConfig{ClientVersion: openSSH, Auth: []gossh.AuthMethod{answer("sesame")}}, true, false, false},
		{"password", gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.Password("sesame")}}, true, false, false},
		{"key, then keyboard-interactive", gossh.ClientConfig{ClientVersion: openSSH, Auth: []gossh.AuthMethod{pk, answer("sesame")}}, true, false, true},
		{"key, then password", gossh.ClientConfig{ClientVersion: openSSH, Auth: []gossh.AuthMethod{pk, gossh.Password("sesame")}}, true, false, true},
		// White space around the answer is ignored, as on the TCP door.
		{"password with a trailing space", gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.Password("sesame ")}}, true, false, false},
		{"keyboard-interactive, spaces around", gossh.ClientConfig{Auth: []gossh.AuthMethod{answer("  sesame\t")}}, true, false, false},

		{"key alone", gossh.ClientConfig{ClientVersion: openSSH, Auth: []gossh.AuthMethod{pk}}, false, false, true},
		{"none", gossh.ClientConfig{}, false, false, false},
		{"none, as OpenSSH", gossh.ClientConfig{ClientVersion: openSSH}, false, false, false},
		{"keyboard-interactive, wrong", gossh.ClientConfig{Auth: []gossh.AuthMethod{answer("open sesame")}}, false, true, false},
		{"keyboard-interactive answered by nothing", gossh.ClientConfig{ClientVersion: openSSH, Auth: []gossh.AuthMethod{answer("")}}, false, true, false},
		{"password, wrong", gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.Password("Sesame")}}, false, true, false},
		{"password, a space inside", gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.Password("ses ame")}}, false, true, false},
		{"key, then a wrong password", gossh.ClientConfig{ClientVersion: openSSH, Auth: []gossh.AuthMethod{pk, gossh.Password("sesam")}}, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frozen := time.Now()
			a := startArena(t, room.Options{}, sshui.Options{Password: "sesame", Limits: &connlimit.Limiter{},
				Passwords: &connlimit.PasswordGate{Burst: 1, MaxWait: -1, Now: func() time.Time { return frozen }}})
			cfg := tt.cfg
			cfg.User = "student"
			keyOffered := tt.keyed
			if !tt.enters {
				if err := tryDial(a.sshAddr, &cfg); err == nil {
					t.Fatal("got in")
				}
				if got := penalised(t, a.sshAddr); got != tt.penalised {
					t.Fatalf("the address penalised: %v, want %v", got, tt.penalised)
				}
				if tt.penalised {
					return
				}
				// Nothing held against the address: the password lets it in at once.
				cfg = gossh.ClientConfig{User: "student", Auth: []gossh.AuthMethod{answer("sesame")}}
				keyOffered = false
			}
			scr := openScreen(t, dial(t, a.sshAddr, &cfg), 80, 24)
			scr.waitFor(`you: student`)
			want := ""
			if keyOffered {
				want = fingerprint(key) // the key still counts, for names and operators
			}
			if m, ok := memberInfo(a.hub, "student"); !ok || m.Key != want {
				t.Errorf("member %+v, want key %q", m, want)
			}
		})
	}
}

func TestAllowedKeysOnly(t *testing.T) {
	allowed, other := newSigner(t), newSigner(t)
	a := startArena(t, room.Options{}, sshui.Options{
		AllowedKeys: map[string]bool{fingerprint(allowed): true},
		Password:    "sesame", // no way in without an allowed key, password or not
		Limits:      &connlimit.Limiter{},
	})
	for _, tt := range []struct {
		name string
		cfg  gossh.ClientConfig
	}{
		{"another key", *keyed("x", other)},
		{"another key, not as OpenSSH", gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.PublicKeys(other)}}},
		{"keyboard-interactive", gossh.ClientConfig{Auth: []gossh.AuthMethod{answer("sesame")}}},
		{"keyboard-interactive answered by nothing", gossh.ClientConfig{ClientVersion: openSSH, Auth: []gossh.AuthMethod{answer("")}}},
		{"password", gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.Password("sesame")}}},
		{"none", gossh.ClientConfig{}},
		{"none, as OpenSSH", gossh.ClientConfig{ClientVersion: openSSH}},
	} {
		cfg := tt.cfg
		cfg.User = "intruder"
		if err := tryDial(a.sshAddr, &cfg); err == nil {
			t.Errorf("%s: got in", tt.name)
		}
	}
	if n := len(a.hub.Members()); n != 0 {
		t.Fatalf("%d members after the refusals", n)
	}

	for _, tt := range []struct {
		name string
		cfg  *gossh.ClientConfig
	}{
		{"the allowed key, as OpenSSH", keyed("k1", allowed)},
		{"the allowed key", &gossh.ClientConfig{User: "k2", Auth: []gossh.AuthMethod{gossh.PublicKeys(allowed)}}},
		// Offered after a key that is refused: the member carries the
		// allowed one, never the one merely offered.
		{"after another key", &gossh.ClientConfig{User: "k3", ClientVersion: openSSH, Auth: []gossh.AuthMethod{gossh.PublicKeys(other, allowed)}}},
	} {
		scr := openScreen(t, dial(t, a.sshAddr, tt.cfg), 80, 24)
		scr.waitFor(`you: ` + tt.cfg.User)
		if m, ok := memberInfo(a.hub, tt.cfg.User); !ok || m.Key != fingerprint(allowed) {
			t.Errorf("%s: member %+v, want the allowed key", tt.name, m)
		}
	}
}

// An address ban given to a TCP member must not lock out the operator who
// gave it, come in by key from the same address (a classroom behind one NAT).
func TestAddressBanDoesNotLockOutTheOperator(t *testing.T) {
	profKey := newSigner(t)
	a := startArena(t, room.Options{OpKeys: []string{fingerprint(profKey)}}, sshui.Options{})
	student := dialTCP(t, a.tcpAddr) // Thread-1, from 127.0.0.1 as the operator
	prof := openScreen(t, dial(t, a.sshAddr, keyed("prof", profKey)), 100, 30)
	student.nextMatch(`\*\*\* prof joined \(ssh\)`)
	prof.typeText("/ban Thread-1 10m\r")
	student.nextMatch(`\*\*\* Thread-1 was banned by prof` + until)
	waitMembers(t, a.hub, "prof")

	c := dial(t, a.sshAddr, keyed("prof", profKey)) // the operator, from another terminal
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	sess.Stdout, sess.Stderr = io.Discard, stderr
	if _, err := sess.StdinPipe(); err != nil { // held open: the session stays
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil { // no terminal: the line protocol
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- sess.Wait() }()
	poll(t, patience, "the operator's second session in, or refused", func() bool {
		return len(a.hub.Members()) == 2 || strings.Contains(stderr.String(), "banned")
	})
	if strings.Contains(stderr.String(), "You are banned") {
		t.Fatal("the operator's key was refused for the banned address: a key is judged by its own ban alone")
	}
	sess.Close()
	<-ended
}

// A mute holds on the member's key: leaving and coming back does not lift it.
func TestMuteHoldsAcrossAReconnect(t *testing.T) {
	profKey, eveKey := newSigner(t), newSigner(t)
	a := startArena(t, room.Options{OpKeys: []string{fingerprint(profKey)}}, sshui.Options{})
	obs := dialTCP(t, a.tcpAddr)
	prof := openScreen(t, dial(t, a.sshAddr, keyed("prof", profKey)), 100, 30)
	obs.nextMatch(`\*\*\* prof joined \(ssh\)`)
	eveConn := dial(t, a.sshAddr, keyed("eve", eveKey))
	eve := openScreen(t, eveConn, 100, 30)
	obs.nextMatch(`\*\*\* eve joined \(ssh\)`)
	prof.typeText("/mute eve 1h\r")
	obs.nextMatch(`\*\*\* eve was muted by prof` + until)
	eve.typeText("\x03")
	eve.waitEnd()
	obs.nextMatch(`\*\*\* eve left \(quit\)`)

	eve = openScreen(t, dial(t, a.sshAddr, keyed("eve", eveKey)), 100, 30)
	obs.nextMatch(`\*\*\* eve joined \(ssh\)`)
	eve.typeText("free again\r")
	// Her screen shows her words back from the room, or the refusal.
	eve.waitFor(`\d\d:\d\d > eve free again|you are muted`)
	prof.typeText("marker\r")
	if l := obs.next(); l == "eve> free again" {
		t.Fatal("the mute was lifted by leaving and coming back with the same key")
	} else if l != "prof> marker" {
		t.Fatalf("read %q, want the marker", l)
	}
}

// Three wrong passwords end the connection, as OpenSSH gives up after
// three: SSH would let a client try six times on it.
func TestThreeWrongPasswordsEndTheConnection(t *testing.T) {
	a := startArena(t, room.Options{}, sshui.Options{Password: "sesame", Limits: &connlimit.Limiter{}})
	cfg := &gossh.ClientConfig{User: "guesser", Auth: []gossh.AuthMethod{
		gossh.RetryableAuthMethod(answer("wrong"), 5),
		gossh.Password("sesame"), // right, but too late
	}}
	if err := tryDial(a.sshAddr, cfg); err == nil {
		t.Fatal("a client got in after a wrong password on the same connection")
	}
	if _, ok := memberInfo(a.hub, "guesser"); ok {
		t.Fatal("the guesser is a member")
	}
}
