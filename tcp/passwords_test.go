package tcp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/connlimit"
	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/tcp"
)

// The room password is guessed per address, not per connection: the
// answers of an address's connections are checked against one allowance.

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// answerTogether opens n connections from d, waits until every one is at
// the password prompt (or turned away before it), then has all of them
// answer at once, as a script would. It returns how many connections
// ended on each last line.
func answerTogether(t *testing.T, addr string, d *net.Dialer, n int, answer string) map[string]int {
	t.Helper()
	var prompted sync.WaitGroup
	prompted.Add(n)
	release := make(chan struct{})
	ends := make(chan string, n)
	for range n {
		go func() {
			var once sync.Once
			defer once.Do(prompted.Done)
			nc, err := d.Dial("tcp", addr)
			if err != nil {
				ends <- err.Error()
				return
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(patience))
			last := ""
			sc := bufio.NewScanner(nc)
			for sc.Scan() {
				last = sc.Text()
				if last == "*** Password:" || last == "*** Mot de passe :" {
					once.Do(prompted.Done)
					<-release
					if _, err := io.WriteString(nc, answer+"\n"); err != nil {
						last = err.Error()
						break
					}
				}
			}
			ends <- last
		}()
	}
	prompted.Wait()
	close(release)
	got := map[string]int{}
	for range n {
		got[<-ends]++
	}
	return got
}

// Fifty wrong answers from one address at once get the address's burst of
// checks; the rest are told to wait, in one line, in the room's language.
// Another address is not held up. (Before, each of the fifty was checked.)
func TestWrongPasswordsArePacedPerAddress(t *testing.T) {
	for _, tt := range []struct {
		lang                    room.Lang
		wrong, tooMany, welcome string
	}{
		{room.LangEN, "*** Wrong password.", "*** Too many wrong passwords from your address; try again in 5 s.", "*** You are "},
		{room.LangFR, "*** Mauvais mot de passe.", "*** Trop de mauvais mots de passe depuis votre adresse ; réessayez dans 5 s.", "*** Vous êtes "},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			clock := fakeclock.New(t0) // moves only when the test says: the count is exact
			gate := &connlimit.PasswordGate{Burst: 5, Every: 5 * time.Second, MaxWait: -1, Now: clock.Now, Sleep: clock.Sleep}
			ts := start(t, room.Options{}, func(s *tcp.Server) {
				s.Lang, s.Password, s.Passwords = tt.lang, "sesame", gate
				s.Limits = &connlimit.Limiter{Now: clock.Now} // no connection limit: every answer reaches the gate
			})
			const n = 50
			got := answerTogether(t, ts.addr, from("127.0.0.2"), n, "open sesame")
			t.Logf("%d wrong answers at once: %v", n, got)
			if got[tt.wrong] != 5 || got[tt.tooMany] != n-5 {
				t.Fatalf("ends %v: want 5 checked (%q) and %d told to wait (%q)", got, tt.wrong, n-5, tt.tooMany)
			}

			// The right password from that address waits its turn too...
			if got := answerTogether(t, ts.addr, from("127.0.0.2"), 1, "sesame"); got[tt.tooMany] != 1 {
				t.Fatalf("the right password from the guessing address: %v", got)
			}
			// ...which comes after the interval.
			clock.Sleep(5*time.Second, nil)
			in := dialWith(t, ts.addr, from("127.0.0.2"))
			in.send("sesame\n")
			in.expect(tt.welcome)
			// Another address was never held up.
			other := dialWith(t, ts.addr, from("127.0.0.3"))
			other.send("sesame\n")
			other.expect(tt.welcome)
			poll(t, "both in the room", func() bool { return len(ts.hub.Members()) == 2 })
		})
	}
}

// poll waits for cond, failing the test after patience.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", patience, what)
		}
		time.Sleep(time.Millisecond) // polling a condition, with a deadline
	}
}

// The class behind one NAT address: one student guesses every 1.5 s, and
// four classmates who know the password come in along the way. Every
// classmate gets in: at once when the class's network is exempt, after at
// most one interval when it is not. (Before, a wrong answer kept the whole
// address out for 2 s, and a guess every 1.5 s kept it out for good.)
func TestClassBehindOneNATGetsIn(t *testing.T) {
	nat := []netip.Prefix{netip.MustParsePrefix("127.0.0.5/32")}
	for _, tt := range []struct {
		name    string
		exempt  bool
		maxWait time.Duration
	}{
		{"exempt", true, 0},
		{"not declared", false, connlimit.DefaultPasswordEvery},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := fakeclock.New(t0)
			lim := &connlimit.Limiter{MaxPerIP: 64, Rate: 5, Burst: 20, Now: clock.Now}
			gate := &connlimit.PasswordGate{Now: clock.Now, Sleep: clock.Sleep}
			if tt.exempt {
				lim.Exempt, gate.Exempt = nat, nat
			}
			ts := start(t, room.Options{}, func(s *tcp.Server) {
				s.Password, s.Limits, s.Passwords = "sesame", lim, gate
			})
			class := from("127.0.0.5")
			// try answers at once, as the course's client does, and returns
			// the last line: the welcome, or the one before the close.
			try := func(answer string) string {
				c := dialWith(t, ts.addr, class)
				c.send(answer + "\n")
				last := ""
				for {
					select {
					case l := <-c.lines:
						if last = l; strings.HasPrefix(l, "*** You are ") {
							return l
						}
					case <-c.eof:
						if got := c.closed(); len(got) > 0 {
							last = got[len(got)-1]
						}
						return last
					case <-time.After(patience):
						t.Fatalf("no welcome and no close; last line %q", last)
					}
				}
			}
			in, checked := 0, 0
			for step := range 40 { // a minute of guessing
				if try(fmt.Sprintf("guess %d", step)) == "*** Wrong password." {
					checked++
				}
				if step%10 == 5 {
					before := clock.Slept()
					at := clock.Now().Sub(t0)
					if got := try("sesame"); !strings.HasPrefix(got, "*** You are ") {
						t.Errorf("classmate at %v read %q", at, got)
					} else if in++; clock.Slept()-before > tt.maxWait {
						t.Errorf("classmate at %v waited %v, want at most %v", at, clock.Slept()-before, tt.maxWait)
					}
				}
				clock.Sleep(1500*time.Millisecond, nil)
			}
			t.Logf("%d of 4 classmates in; %d of 40 guesses checked, in %v", in, checked, clock.Now().Sub(t0))
			if in != 4 {
				t.Errorf("%d of 4 classmates in", in)
			}
		})
	}
}

// IPv6 addresses count by network, over a real IPv6 socket: two members
// from ::1 fill a limit of two for its whole /64, so that ::2, which never
// connected, is counted with them; a wrong password from ::1 is ::2's too.
func TestIPv6LoopbackCountsByNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatalf("this test needs the IPv6 loopback address ::1: %v", err)
	}
	clock := fakeclock.New(t0)
	lim := &connlimit.Limiter{MaxPerIP: 2, IPv6Prefix: 64}
	gate := &connlimit.PasswordGate{Burst: 1, MaxWait: -1, IPv6Prefix: 64, Now: clock.Now, Sleep: clock.Sleep}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := room.NewHub(room.Options{Logger: logger})
	srv := &tcp.Server{Hub: hub, Logger: logger, Password: "sesame", Limits: lim, Passwords: gate}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		hub.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	addr := ln.Addr().String()
	v6 := func(s string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(s), Port: 5000} }

	var members []*client
	for range 2 {
		c := dialWith(t, addr, &net.Dialer{})
		c.send("sesame\n")
		c.expect("*** You are ")
		members = append(members, c)
	}
	if got := dialWith(t, addr, &net.Dialer{}).closed(); len(got) != 1 || got[0] != "*** Too many connections from your address." {
		t.Fatalf("a third connection from ::1 read %q", got)
	}
	if n := lim.Open(v6("::2")); n != 2 {
		t.Errorf("::2 shares ::1's /64: %d open there, want 2", n)
	}
	if n := lim.Open(v6("2001:db8::1")); n != 0 {
		t.Errorf("another network: %d open, want 0", n)
	}

	members[0].nc.Close()
	poll(t, "the slot given back", func() bool { return lim.Open(v6("::1")) == 1 })
	c := dialWith(t, addr, &net.Dialer{})
	c.send("guess\n")
	if got := c.closed(); len(got) == 0 || got[len(got)-1] != "*** Wrong password." {
		t.Fatalf("a wrong password from ::1 read %q", got)
	}
	if _, err := gate.Check(v6("::2"), "sesame", "sesame", nil); !errors.Is(err, connlimit.ErrTooManyWrong) {
		t.Errorf("::2 after ::1's wrong password: %v, want its /64's allowance spent", err)
	}
	if ok, err := gate.Check(v6("2001:db8::1"), "sesame", "sesame", nil); !ok || err != nil {
		t.Errorf("another network: %v, %v", ok, err)
	}
}
