package sshui_test

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/connlimit"
	"palabre/room"
	"palabre/sshui"
)

// SSH access that explains itself: what a client is told, and how often it
// may answer, on one connection.

// asker is a client that answers the password questions it is asked with
// answers, in turn (the last one again past the end), retrying as OpenSSH
// does, and keeps what the server tells it: keyboard-interactive
// instructions and banners.
type asker struct {
	answers []string

	mu              sync.Mutex
	asked           int // questions asked, by keyboard-interactive or password
	told, banners   []string
	passwordOffered bool
}

func (a *asker) next() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	ans := a.answers[min(a.asked, len(a.answers)-1)]
	a.asked++
	return ans
}

func (a *asker) keyboard() gossh.AuthMethod {
	return gossh.RetryableAuthMethod(gossh.KeyboardInteractive(func(_, instruction string, q []string, _ []bool) ([]string, error) {
		if instruction != "" {
			a.mu.Lock()
			a.told = append(a.told, instruction)
			a.mu.Unlock()
		}
		if len(q) == 0 {
			return nil, nil
		}
		return []string{a.next()}, nil
	}), 10)
}

func (a *asker) password() gossh.AuthMethod {
	return gossh.RetryableAuthMethod(gossh.PasswordCallback(func() (string, error) {
		a.mu.Lock()
		a.passwordOffered = true
		a.mu.Unlock()
		return a.next(), nil
	}), 10)
}

// config is a client as user with methods, that keeps the banners.
func (a *asker) config(user string, methods ...gossh.AuthMethod) *gossh.ClientConfig {
	return &gossh.ClientConfig{User: user, ClientVersion: openSSH, Auth: methods, BannerCallback: func(msg string) error {
		a.mu.Lock()
		a.banners = append(a.banners, msg)
		a.mu.Unlock()
		return nil
	}}
}

func (a *asker) seen() (asked int, told, banners []string, passwordOffered bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.asked, slices.Clone(a.told), slices.Clone(a.banners), a.passwordOffered
}

// A wrong room password is told so, by keyboard-interactive or in a banner
// for the password method, and the client may answer again on the same
// connection: three answers in all, as OpenSSH asks three times. Each
// answer still goes through the gate: past the address's allowance the
// client is told to wait, and the connection ends.
func TestWrongPasswordIsToldAndMayBeAnsweredAgain(t *testing.T) {
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		wrong := lang.Refusal(room.RefusedPassword)
		wait := lang.TooManyWrongPasswords(5 * time.Second)
		key := newSigner(t)
		for _, tt := range []struct {
			name    string
			answers []string
			methods func(a *asker) []gossh.AuthMethod
			burst   int // the address's allowance of wrong answers
			in      bool
			asked   int
			told    []string // by keyboard-interactive
			banners []string
		}{
			{"keyboard-interactive, right the third time", []string{"sesam", "Sesame", "sesame"},
				func(a *asker) []gossh.AuthMethod { return []gossh.AuthMethod{a.keyboard()} },
				30, true, 3, []string{wrong, wrong}, nil},
			// The client would ask a fourth time, on an open connection.
			{"keyboard-interactive, wrong three times", []string{"guess"},
				func(a *asker) []gossh.AuthMethod { return []gossh.AuthMethod{a.keyboard()} },
				30, false, 3, []string{wrong, wrong, wrong}, nil},
			{"password, right the second time", []string{"sesam", "sesame"},
				func(a *asker) []gossh.AuthMethod { return []gossh.AuthMethod{a.password()} },
				30, true, 2, nil, []string{wrong + "\r\n"}},
			{"a key, then the password, right the second time", []string{"sesam", "sesame"},
				func(a *asker) []gossh.AuthMethod { return []gossh.AuthMethod{gossh.PublicKeys(key), a.keyboard()} },
				30, true, 2, []string{wrong}, nil},
			{"past the allowance", []string{"guess"},
				func(a *asker) []gossh.AuthMethod { return []gossh.AuthMethod{a.keyboard()} },
				2, false, 3, []string{wrong, wrong, wait}, nil},
		} {
			t.Run(string(lang)+", "+tt.name, func(t *testing.T) {
				frozen := time.Now() // no turn comes back during the test
				a := startArena(t, room.Options{}, sshui.Options{Lang: lang, Password: "sesame", Limits: &connlimit.Limiter{},
					Passwords: &connlimit.PasswordGate{Burst: tt.burst, Every: 5 * time.Second, MaxWait: -1, Now: func() time.Time { return frozen }}})
				c := &asker{answers: tt.answers}
				err := tryDial(a.sshAddr, c.config("student", tt.methods(c)...))
				asked, told, banners, _ := c.seen()
				if (err == nil) != tt.in || asked != tt.asked || !slices.Equal(told, tt.told) || !slices.Equal(banners, tt.banners) {
					t.Errorf("in: %v (%v), asked %d times, told %q, banners %q; want in: %v, asked %d times, told %q, banners %q",
						err == nil, err, asked, told, banners, tt.in, tt.asked, tt.told, tt.banners)
				}
			})
		}
	}
}

// With allowed keys, a client whose key is not on the list (or that has
// none) is never asked for a password that does not exist: it is told, in
// a banner, that the room only takes the keys it knows, as the TCP door
// tells it; the password method is not offered at all.
func TestUnknownKeyIsToldTheRoomTakesKnownKeysOnly(t *testing.T) {
	allowed, other := newSigner(t), newSigner(t)
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		why := lang.Refusal(room.RefusedNoPassword)
		for _, password := range []string{"", "sesame"} {
			a := startArena(t, room.Options{}, sshui.Options{Lang: lang, Password: password,
				AllowedKeys: map[string]bool{fingerprint(allowed): true}, Limits: &connlimit.Limiter{}})
			for _, tt := range []struct {
				name    string
				methods func(c *asker) []gossh.AuthMethod
			}{
				{"an unknown key, as OpenSSH", func(c *asker) []gossh.AuthMethod {
					return []gossh.AuthMethod{gossh.PublicKeys(other), c.keyboard(), c.password()}
				}},
				{"no key", func(c *asker) []gossh.AuthMethod { return []gossh.AuthMethod{c.keyboard(), c.password()} }},
			} {
				c := &asker{answers: []string{"sesame"}}
				err := tryDial(a.sshAddr, c.config("intruder", tt.methods(c)...))
				asked, told, banners, offered := c.seen()
				if err == nil || asked != 0 || offered || len(told) != 0 || !slices.Equal(banners, []string{why + "\r\n"}) {
					t.Errorf("%s, room password %q, %s: in %v, asked %d times (password offered: %v), told %q, banners %q; want refused, asked nothing, the banner %q",
						lang, password, tt.name, err == nil, asked, offered, told, banners, why)
				}
			}
			// The allowed key is told nothing of it.
			c := &asker{answers: []string{""}}
			scr := openScreen(t, dial(t, a.sshAddr, c.config("keeper", gossh.PublicKeys(allowed), c.keyboard())), 80, 24)
			scr.waitFor("keeper")
			if _, _, banners, _ := c.seen(); len(banners) != 0 {
				t.Errorf("%s: the allowed key was shown %q", lang, banners)
			}
		}
	}
}

// After a wrong password the next attempt from the address is told to wait
// for the wrong passwords, in the room's words, not for too many new
// connections; and in an exempt network (a class behind one NAT) one
// student's typo holds nobody up, on its own connection or another's.
func TestAfterAWrongPassword(t *testing.T) {
	t.Run("an address of its own", func(t *testing.T) {
		frozen := time.Now()
		a := startArena(t, room.Options{}, sshui.Options{Password: "sesame",
			Limits:    &connlimit.Limiter{MaxPerIP: 64, Rate: 5, Burst: 20},
			Passwords: &connlimit.PasswordGate{Burst: 1, Every: 5 * time.Second, MaxWait: -1, Now: func() time.Time { return frozen }}})
		typo := &asker{answers: []string{"sesam"}}
		if err := tryDial(a.sshAddr, typo.config("student", typo.keyboard())); err == nil {
			t.Fatal("a wrong password got in")
		}
		again := &asker{answers: []string{"sesame"}}
		err := tryDial(a.sshAddr, again.config("student", again.keyboard()))
		_, told, _, _ := again.seen()
		if want := []string{"Too many wrong passwords from your address; try again in 5 s."}; err == nil || !slices.Equal(told, want) {
			t.Errorf("the next attempt: in %v (%v), told %q; want %q", err == nil, err, told, want)
		}
		if err != nil && strings.Contains(err.Error(), "new connections") {
			t.Errorf("the next attempt was refused as a new connection: %v", err)
		}
	})
	t.Run("an exempt network", func(t *testing.T) {
		loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		a := startArena(t, room.Options{}, sshui.Options{Password: "sesame",
			Limits:    &connlimit.Limiter{MaxPerIP: 1, Rate: 1, Burst: 1, Exempt: loopback},
			Passwords: &connlimit.PasswordGate{Burst: 1, Every: time.Hour, Exempt: loopback, MaxWait: -1, Now: time.Now}})
		typo := &asker{answers: []string{"sesam", "sesame"}}
		if err := tryDial(a.sshAddr, typo.config("student", typo.keyboard())); err != nil {
			t.Fatalf("the right password after a typo, on the same connection: %v", err)
		}
		for i := range 3 {
			classmate := &asker{answers: []string{"sesame"}}
			if err := tryDial(a.sshAddr, classmate.config("classmate", classmate.keyboard())); err != nil {
				t.Fatalf("classmate %d after the typo: %v", i+1, err)
			}
		}
	})
}
