package sshui_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"palabre/room"
	"palabre/sshui"
)

// A session that asks for a command (scp, git, `ssh host ls`), with or
// without a terminal, or for a subsystem (sftp), is refused: one line on
// stderr and exit status 1 for a command, and no member joins — no join
// notice, no name taken. Agent forwarding is refused too.
func TestAdversarialCommandsAreRefused(t *testing.T) {
	_, clientKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []struct {
		lang room.Lang
		want string
	}{
		{room.LangEN, "palabre is a chat: connect with ssh -p "},
		{room.LangFR, "palabre est un salon de discussion : connectez-vous avec ssh -p "},
	} {
		t.Run(string(lang.lang), func(t *testing.T) {
			a := startArena(t, room.Options{}, sshui.Options{Lang: lang.lang})
			tc := dialPeer(t, a.tcpAddr, false)
			// The refused sessions come with a key: a member's name would
			// belong to it from then on.
			keyed := func() *gossh.ClientConfig {
				return &gossh.ClientConfig{User: "alice", ClientVersion: openSSH, Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)}}
			}
			_, port, _ := strings.Cut(a.sshAddr, ":")
			for _, tt := range []struct {
				name, command string
				pty           bool
			}{
				{"ssh host ls", "ls", false},
				{"scp to the server", "scp -t /tmp", false},
				{"scp from the server", "scp -f /etc/passwd", false},
				{"git", "git-upload-pack 'palabre.git'", false},
				{"ssh -t host ls", "ls", true},
			} {
				stdout, stderr, err := runCommand(t, dial(t, a.sshAddr, keyed()), tt.command, tt.pty)
				if code := exitStatus(err); code != 1 {
					t.Errorf("%s: the session ended with %v; want exit status 1", tt.name, err)
				}
				want := lang.want + port + " "
				if got := stderr.String(); !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 1 || stdout.Len() > 0 {
					t.Errorf("%s: the client read %q on stderr, %q on stdout; want one line %q… on stderr", tt.name, got, stdout.String(), want)
				}
			}

			// sftp: a subsystem is refused before any session starts.
			sub, err := dial(t, a.sshAddr, keyed()).NewSession()
			if err != nil {
				t.Fatal(err)
			}
			if err := sub.RequestSubsystem("sftp"); err == nil {
				t.Error("the server started an sftp subsystem")
			}

			// Agent forwarding is refused; the chat itself still opens.
			sess, err := dial(t, a.sshAddr, keyed()).NewSession()
			if err != nil {
				t.Fatal(err)
			}
			if err := agent.RequestAgentForwarding(sess); err == nil {
				t.Error("the server accepted agent forwarding")
			}
			sess.Close()
			scr := openScreen(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: "alice"}), 80, 24)

			// The room saw this screen join, keyless, under the name the
			// refused sessions asked for, and nothing else.
			tc.expect("*** alice joined (ssh)")
			scr.waitFor("alice")
			waitMembers(t, a.hub, "Thread-1", "alice")
			lines, _ := tc.snapshot()
			var notices []string
			for _, l := range lines {
				if strings.HasPrefix(l, "*** ") && !strings.HasPrefix(l, "*** You are ") {
					notices = append(notices, l)
				}
			}
			if !slices.Equal(notices, []string{"*** alice joined (ssh)"}) {
				t.Errorf("the room read %q; want the screen's join alone", notices)
			}
		})
	}
}

// runCommand runs command in a session of c, with a pty or without, and
// returns what the client read and how the session ended (the session is
// closed if it does not end within patience).
func runCommand(t *testing.T, c *gossh.Client, command string, pty bool) (stdout, stderr *bytes.Buffer, err error) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	sess.Stdout, sess.Stderr = stdout, stderr
	if pty {
		if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
	}
	ran := make(chan error, 1)
	go func() { ran <- sess.Run(command) }()
	select {
	case err = <-ran:
	case <-time.After(patience):
		sess.Close()
		err = errors.New("the session did not end")
	}
	return stdout, stderr, err
}

// exitStatus is the exit status a session ended with; -1 for none.
func exitStatus(err error) int {
	var exit *gossh.ExitError
	if !errors.As(err, &exit) {
		return -1
	}
	return exit.ExitStatus()
}
