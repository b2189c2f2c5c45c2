package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// welcomeOthers reads the count in the line-protocol welcome, in either
// language: "*** You are Thread-4; 3 other(s) here." /
// "*** Vous êtes Thread-4 ; 3 autre(s) ici.".
var welcomeOthers = regexp.MustCompile(`\*\*\* (?:You are|Vous êtes) .+? ?; (\d+) (?:other|autre)`)

// countOthers joins the room once, before any member of the bench, and
// returns how many people its welcome says are there: those the bench's
// messages would flood. It comes in by the TCP door, or, without one, by
// the SSH door without a pty, where the room speaks the same lines.
func (r *runner) countOthers(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ConnectTimeout)
	defer cancel()
	var d net.Dialer
	addr := r.tcpAddr
	if addr == "" {
		addr = r.sshAddr
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	deadline, _ := ctx.Deadline()
	_ = nc.SetDeadline(deadline)
	var rd io.Reader = nc
	if r.tcpAddr == "" {
		cc, chans, reqs, err := gossh.NewClientConn(nc, addr, &gossh.ClientConfig{
			User:            "b" + r.run[:4] + "who",
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), // loopback only
			Timeout:         time.Until(deadline),
		})
		if err != nil {
			return 0, fmt.Errorf("ssh handshake: %w", err)
		}
		client := gossh.NewClient(cc, chans, reqs)
		defer client.Close()
		sess, err := client.NewSession()
		if err != nil {
			return 0, fmt.Errorf("ssh session: %w", err)
		}
		// Its input stays open until the count is read: at the end of its
		// input the member leaves, perhaps before its welcome counts the room.
		if _, err := sess.StdinPipe(); err != nil {
			return 0, err
		}
		if rd, err = sess.StdoutPipe(); err != nil {
			return 0, err
		}
		if err := sess.Shell(); err != nil {
			return 0, fmt.Errorf("ssh shell: %w", err)
		}
	}
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		if m := welcomeOthers.FindStringSubmatch(sc.Text()); m != nil {
			return strconv.Atoi(m[1])
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, io.ErrUnexpectedEOF
}
