package sshui_test

import (
	"net"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/connlimit"
	"palabre/room"
	"palabre/sshui"
)

// guessTogether opens n SSH connections, waits until each is asked for the
// password, then has all of them answer at once, as a script would. It
// returns how many connections were told each instruction, and how many
// got in.
func guessTogether(t *testing.T, addr string, n int, guess string) (told map[string]int, in int) {
	t.Helper()
	var asked sync.WaitGroup
	asked.Add(n)
	release := make(chan struct{})
	type end struct {
		told []string
		in   bool
	}
	ends := make(chan end, n)
	for range n {
		go func() {
			var once sync.Once
			defer once.Do(asked.Done)
			var lines []string
			err := tryDial(addr, &gossh.ClientConfig{User: "guesser", Auth: []gossh.AuthMethod{
				gossh.KeyboardInteractive(func(_, instruction string, q []string, _ []bool) ([]string, error) {
					if instruction != "" {
						lines = append(lines, instruction)
					}
					if len(q) == 0 {
						return nil, nil
					}
					once.Do(asked.Done)
					<-release
					return []string{guess}, nil
				}),
			}})
			ends <- end{lines, err == nil}
		}()
	}
	asked.Wait()
	close(release)
	told = map[string]int{}
	for range n {
		e := <-ends
		for _, l := range e.told {
			told[l]++
		}
		if e.in {
			in++
		}
	}
	return told, in
}

// Fifty wrong answers from one address at once get the address's burst of
// checks; the others are told why they are refused, in the room's
// language. Another address is not held up. (Before, each was checked.)
func TestWrongPasswordsArePacedPerAddressOverSSH(t *testing.T) {
	for _, tt := range []struct {
		lang           room.Lang
		wrong, tooMany string
	}{
		{room.LangEN, "Wrong password.", "Too many wrong passwords from your address; try again in 5 s."},
		{room.LangFR, "Mauvais mot de passe.", "Trop de mauvais mots de passe depuis votre adresse ; réessayez dans 5 s."},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			frozen := time.Now() // no turn comes back during the test: the count is exact
			a := startArena(t, room.Options{}, sshui.Options{Lang: tt.lang, Password: "sesame", Limits: &connlimit.Limiter{},
				Passwords: &connlimit.PasswordGate{Burst: 5, Every: 5 * time.Second, MaxWait: -1, Now: func() time.Time { return frozen }}})
			const n = 50
			told, in := guessTogether(t, a.sshAddr, n, "open sesame")
			t.Logf("%d wrong answers at once: %v", n, told)
			if told[tt.wrong] != 5 || told[tt.tooMany] != n-5 || in != 0 {
				t.Fatalf("told %v, %d in: want 5 checked (%q) and %d told to wait (%q)", told, in, tt.wrong, n-5, tt.tooMany)
			}
			if told, in := guessTogether(t, a.sshAddr, 1, "sesame"); told[tt.tooMany] != 1 || in != 0 {
				t.Fatalf("the right password from the guessing address: told %v, %d in; want it to wait its turn", told, in)
			}

			// Another address was never held up.
			nc, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: patience}).Dial("tcp", a.sshAddr)
			if err != nil {
				t.Fatal(err)
			}
			conn, chans, reqs, err := gossh.NewClientConn(nc, a.sshAddr, &gossh.ClientConfig{
				User: "classmate", Auth: []gossh.AuthMethod{gossh.Password("sesame")}, HostKeyCallback: gossh.InsecureIgnoreHostKey(),
			})
			if err != nil {
				t.Fatalf("the right password from another address: %v", err)
			}
			gossh.NewClient(conn, chans, reqs).Close()
		})
	}
}
