package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// welcomeOthers reads the count in the line-protocol welcome, in either
// language: "*** You are Thread-4; 3 other(s) here." /
// "*** Vous êtes Thread-4 ; 3 autre(s) ici.".
var welcomeOthers = regexp.MustCompile(`\*\*\* (?:You are|Vous êtes) .+? ?; (\d+) (?:other|autre)`)

// The lines of /rooms: a room and its members ("  #bench-3: 2 member(s)",
// "  #bench-3 : 2 membre(s)"), and the last line ("/join ROOM goes to one",
// "/join SALON pour y aller").
var (
	roomsLine = regexp.MustCompile(`#(bench-\d+) ?: (\d+) (?:member|membre)`)
	roomsEnd  = regexp.MustCompile(`/join (?:ROOM|SALON)`)
)

// countOthers joins the room once, before any member of the bench, and
// returns how many people its welcome says are there: those the bench's
// messages would flood; with rooms, those /rooms counts in the bench's rooms
// too. It comes in by the TCP door, or, without one, by the SSH door without
// a pty, where the room speaks the same lines.
func (r *runner) countOthers(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ConnectTimeout)
	defer cancel()
	var d net.Dialer
	addr := r.tcpAddr
	if addr == "" {
		addr = r.sshAddr
	}
	addr, _, _ = strings.Cut(addr, ",") // a cluster's first node: its rooms are the others'
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	deadline, _ := ctx.Deadline()
	_ = nc.SetDeadline(deadline)
	var rd io.Reader = nc
	var w io.Writer = nc
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
		if w, err = sess.StdinPipe(); err != nil {
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
	others := -1
	for sc.Scan() {
		if m := welcomeOthers.FindStringSubmatch(sc.Text()); m != nil && others < 0 {
			others, _ = strconv.Atoi(m[1])
			if r.rooms <= 1 {
				return others, nil
			}
			if _, err := io.WriteString(w, "/rooms\n"); err != nil {
				return 0, err
			}
			continue
		}
		if others < 0 {
			continue
		}
		if m := roomsLine.FindStringSubmatch(sc.Text()); m != nil {
			if n, err := strconv.Atoi(m[1][len("bench-"):]); err == nil && n >= 1 && n <= r.rooms {
				k, _ := strconv.Atoi(m[2])
				others += k
			}
		}
		if roomsEnd.MatchString(sc.Text()) {
			return others, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, io.ErrUnexpectedEOF
}
