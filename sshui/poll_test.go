package sshui_test

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"palabre/internal/store"
	"palabre/room"
	"palabre/sshui"
)

// lineSession is an SSH session without a terminal: the line protocol.
type lineSession struct {
	t     *testing.T
	name  string
	stdin io.Writer
	lines chan string
	read  []string
}

func openLines(t *testing.T, c *gossh.Client, name string) *lineSession {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	ls := &lineSession{t: t, name: name, lines: make(chan string, 1000)}
	if ls.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(ls.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			ls.lines <- strings.TrimRight(sc.Text(), "\r")
		}
	}()
	ls.expect("*** You are " + name)
	return ls
}

func (ls *lineSession) send(s string) { _, _ = io.WriteString(ls.stdin, s+"\r\n") }

// all is every line read so far, those expect passed over and those it
// has not come to yet.
func (ls *lineSession) all() []string {
	for {
		select {
		case l, ok := <-ls.lines:
			if !ok {
				return ls.read
			}
			ls.read = append(ls.read, l)
		default:
			return ls.read
		}
	}
}

// expect waits for the next line starting with prefix, and returns it.
func (ls *lineSession) expect(prefix string) string {
	ls.t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case l, ok := <-ls.lines:
			if !ok {
				ls.t.Fatalf("%s: the session ended before a line %q; read %q", ls.name, prefix, ls.read)
			}
			ls.read = append(ls.read, l)
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			ls.t.Fatalf("%s: no line %q; read %q", ls.name, prefix, ls.read)
		}
	}
}

// voter is one of the poll's thirty sessions, on whichever door.
type voter struct {
	name  string
	id    string // who the poll counts: the key, or the session
	p     *peer
	ls    *lineSession
	s     *screen
	d     *display
	votes []int // in order: the last counts
}

func (v *voter) send(line string) {
	switch {
	case v.p != nil:
		v.p.send(line + "\n")
	case v.ls != nil:
		v.ls.send(line)
	default:
		v.s.typeText(line + "\r")
	}
}

// told waits until the voter reads a line starting with prefix (on a
// screen: anywhere on it).
func (v *voter) told(prefix string) {
	switch {
	case v.p != nil:
		v.p.expect(prefix)
	case v.ls != nil:
		v.ls.expect(prefix)
	default:
		v.d.shows(strings.TrimPrefix(prefix, "*** "))
	}
}

// A poll of 30 sessions over both doors: 20 on TCP, 10 over SSH (screens,
// a narrow one among them, and the line protocol), a key's two sessions
// voting once, a vote changed counting once. Screens show the tally live,
// everyone reads the result, and the store keeps the poll and its result.
func TestPollOfThirtyOverBothDoors(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	profKey, kimKey := newSigner(t), newSigner(t)
	a := startArena(t, room.Options{Store: st, OpKeys: []string{fingerprint(profKey)}}, sshui.Options{})

	prof := newDisplay(openScreen(t, dial(t, a.sshAddr, keyed("prof", profKey)), 100, 40), 100, 40)
	prof.titled(" #main · 1 member")

	var voters []*voter
	for i := range 20 {
		p := dialPeer(t, a.tcpAddr, false)
		name := fmt.Sprintf("Thread-%d", i+1)
		voters = append(voters, &voter{name: name, id: name, p: p, votes: []int{i%3 + 1}})
	}
	voters[1].votes = []int{1, 3} // changed: counts once, for 3
	screenAt := func(name string, cfg *gossh.ClientConfig, cols, rows int, votes ...int) {
		s := openScreen(t, dial(t, a.sshAddr, cfg), cols, rows)
		id := name
		if name == "kim" {
			id = "kim's key"
		}
		voters = append(voters, &voter{name: name, id: id, s: s, d: newDisplay(s, cols, rows), votes: votes})
	}
	screenAt("kim", keyed("kim", kimKey), 100, 30, 1)
	kimLines := openLines(t, dial(t, a.sshAddr, keyed("kim", kimKey)), "kim-2")
	voters = append(voters, &voter{name: "kim-2", id: "kim's key", ls: kimLines, votes: []int{2}}) // moves the key's vote
	screenAt("s1", &gossh.ClientConfig{User: "s1"}, 100, 30, 3)
	screenAt("s2", &gossh.ClientConfig{User: "s2"}, 100, 30, 3)
	screenAt("s3", &gossh.ClientConfig{User: "s3"}, 100, 30, 1)
	screenAt("narrow", &gossh.ClientConfig{User: "narrow"}, 40, 20, 2)
	for i, choice := range []int{1, 2, 3, 1} {
		name := fmt.Sprintf("l%d", i+1)
		ls := openLines(t, dial(t, a.sshAddr, &gossh.ClientConfig{User: name}), name)
		voters = append(voters, &voter{name: name, id: name, ls: ls, votes: []int{choice}})
	}
	if len(voters) != 30 {
		t.Fatalf("%d voters", len(voters))
	}
	poll(t, patience, "31 members", func() bool { return len(memberNames(a.hub)) == 31 })
	narrow := voters[25].d
	firstRow := func(shown string) string { return strings.Split(shown, "\n")[1] }
	before := firstRow(narrow.shows("l1, l2, l3 and 1 other joined"))

	prof.s.typeText("/poll Lunch? | pizza | salad | soup\r")
	for _, v := range voters {
		if v.d != nil {
			continue
		}
		v.told("*** Poll by prof: Lunch? 1. pizza 2. salad 3. soup — /vote N")
	}
	for _, v := range voters {
		if v.d != nil && v.name != "narrow" {
			v.d.shows("Poll · 0 votes")
		}
	}
	// The narrow screen pins the poll above its messages, hiding none.
	shown := narrow.shows(" Poll: Lunch? 1:0 2:0 3:0 · /vote N")
	if rows := strings.Split(shown, "\n"); !strings.HasPrefix(rows[1], " Poll: Lunch?") || rows[2] != before {
		t.Errorf("the narrow screen shows\n%s\nwant the poll pinned above %q", shown, before)
	}
	prof.shows("Poll · 0 votes")

	// The TCP members vote first: the screens follow, with no message.
	for _, v := range voters[:20] {
		v.send(fmt.Sprintf("/vote %d", v.votes[0]))
	}
	for _, v := range voters[:20] {
		v.told("*** Your vote: ")
	}
	prof.shows("Poll · 20 votes")

	counts := map[string]int{} // voter id → choice
	for _, v := range voters {
		for i, n := range v.votes {
			if i > 0 || v.p == nil {
				v.send(fmt.Sprintf("/vote %d", n))
			}
			if i > 0 {
				v.told("*** Your vote is now ")
			}
		}
		if v.p == nil {
			v.told("*** Your vote")
		}
		counts[v.id] = v.votes[len(v.votes)-1]
	}
	want := make([]int, 3)
	for _, c := range counts {
		want[c-1]++
	}
	if len(counts) != 29 {
		t.Fatalf("%d distinct voters; want 29", len(counts))
	}

	// Every screen shows the tally: the side panel from 80 columns, one
	// row at the top below.
	for i, c := range []string{"pizza", "salad", "soup"} {
		row := regexp.MustCompile(fmt.Sprintf(`│ %d %s +█* +%d *\n`, i+1, c, want[i]))
		for _, d := range []*display{prof, voters[20].d, voters[22].d} {
			d.waitFor(fmt.Sprintf("%s: %d", c, want[i]), row.MatchString)
		}
	}
	prof.shows("Poll · 29 votes")
	narrow.shows(fmt.Sprintf(" Poll: Lunch? 1:%d 2:%d 3:%d · /vote N", want[0], want[1], want[2]))

	// Refusals, on both doors.
	voters[0].send("/endpoll")
	voters[0].told("*** /endpoll is for operators only")
	voters[21].send("/vote 4")
	voters[21].told(`*** "4" is no choice of this poll: /vote 1 to /vote 3`)
	prof.s.typeText("/poll Again? | yes | no\r")
	prof.shows("a poll is open in this room already")

	// /poll alone shows the tally to whoever asks.
	voters[3].send("/poll")
	voters[3].told("*** Poll by prof, open: Lunch? — 29 votes")
	voters[3].told(fmt.Sprintf("*** 1. pizza  %s", strings.Repeat("█", (want[0]*20+14)/29)))

	prof.s.typeText("/endpoll\r")
	pct := func(n int) int { return (n*100 + 14) / 29 }
	lines := []string{"*** Poll closed by prof: Lunch? — 29 votes"}
	for i, c := range []string{"pizza", "salad", "soup"} {
		bar, p := room.PollBar(want[i], 29, room.PollBarWidth)
		if p != pct(want[i]) {
			t.Fatalf("PollBar's percentage %d; want %d", p, pct(want[i]))
		}
		lines = append(lines, fmt.Sprintf("*** %d. %-5s  %s %*d (%d%%)", i+1, c, bar, len(fmt.Sprint(max(want[0], want[1], want[2]))), want[i], p))
	}
	for _, v := range voters {
		if v.d != nil {
			v.d.shows("Poll closed by prof") // the narrow screen wraps the rest
			continue
		}
		for _, l := range lines {
			v.told(l)
		}
	}
	for _, d := range []*display{prof, voters[20].d} {
		d.waitFor("no poll in the side panel", func(s string) bool { return !strings.Contains(s, "Poll · ") })
	}
	narrow.waitFor("no poll row", func(s string) bool { return !strings.Contains(s, " Poll: Lunch?") })
	voters[4].send("/vote 1")
	voters[4].told(`*** the poll "Lunch?" is closed`)

	// The store keeps the poll and its result, not the votes.
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	var kept []store.Entry
	if err := store.ReadTranscript(dir, time.Time{}, func(e store.Entry) error {
		if strings.HasPrefix(e.Kind, "poll") || e.Kind == "vote" {
			kept = append(kept, e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantKept := []store.Entry{
		{Kind: "poll", Room: "main", Name: "prof", Text: "Lunch?", Rooms: []store.EntryRoom{{Name: "pizza"}, {Name: "salad"}, {Name: "soup"}}},
		{Kind: "pollresult", Room: "main", Name: "prof", Target: "prof", Text: "Lunch?", Others: 29,
			Rooms: []store.EntryRoom{{Name: "pizza", Members: want[0]}, {Name: "salad", Members: want[1]}, {Name: "soup", Members: want[2]}}},
	}
	if len(kept) != len(wantKept) {
		t.Fatalf("stored %+v; want %+v", kept, wantKept)
	}
	for i, e := range kept {
		w := wantKept[i]
		if e.Kind != w.Kind || e.Room != w.Room || e.Name != w.Name || e.Target != w.Target || e.Text != w.Text || e.Others != w.Others ||
			fmt.Sprint(e.Rooms) != fmt.Sprint(w.Rooms) || e.Key != fingerprint(profKey) {
			t.Errorf("stored %+v; want %+v", e, w)
		}
	}
}
