package tcp_test

import (
	"fmt"
	"strings"
	"testing"

	"palabre/room"
)

// A lab session over the line protocol: twelve students, eight with nc on
// TCP and four with ssh without a terminal, are spread by the teacher
// into four breakout rooms, talk there, are listened to, and are gathered
// back, each reading what was said in the main room meanwhile.
func TestBreakoutAndGatherOfTwelve(t *testing.T) {
	ts := start(t, room.Options{OpPassword: opPassword}, nil)
	ts.startSSH(t)
	op, _ := ts.joinOp(t) // Thread-1

	type student struct {
		c    *client
		name string
	}
	var class []student
	for i, door := range []room.Door{"tcp", "ssh", "tcp", "tcp", "ssh", "tcp", "tcp", "ssh", "tcp", "tcp", "ssh", "tcp"} {
		var s student
		if door == room.DoorSSH {
			s.c, s.name = ts.joinSSH(t, fmt.Sprintf("ssh-student%d", i+1))
		} else {
			s.c, s.name = ts.join(t)
		}
		// In the room in this order: the order breakout deals them in.
		op.expectExactly(fmt.Sprintf("*** %s joined (%s)", s.name, door))
		class = append(class, s)
	}

	op.send("/breakout 4\n")
	op.expectExactly("*** Thread-1 spread 12 member(s) into 4 room(s): #main-1 (3), #main-2 (3), #main-3 (3), #main-4 (3); /gather brings them back")
	// Dealt in the order they came: the i-th into main-(i mod 4 + 1).
	groups := make([][]student, 4)
	for i, s := range class {
		groups[i%4] = append(groups[i%4], s)
	}
	others := func(group []student, self string) string {
		var out []string
		for _, s := range group {
			if s.name != self {
				out = append(out, s.name)
			}
		}
		return strings.Join(out, ", ")
	}
	for g, group := range groups {
		for _, s := range group {
			// Where it is, and with whom: its actual mates (expect skips the
			// arrivals of those who came after it).
			l := s.c.expect("*** Thread-1 moved you: ")
			if want := fmt.Sprintf("*** Thread-1 moved you: you are now in #main-%d, with %s", g+1, others(group, s.name)); l != want {
				t.Errorf("%s read %q, want %q", s.name, l, want)
			}
		}
	}
	if got := roomCount(ts.hub, "main"); got != 1 {
		t.Fatalf("%d left in main, want the operator alone", got)
	}

	// Each says a word in its room, one after the other: its mates read it,
	// in order; nobody else does (the next line of everyone is checked below).
	said := make([][]string, 4)
	for g, group := range groups {
		for _, s := range group {
			text := fmt.Sprintf("%s in main-%d", s.name, g+1)
			s.c.send(text + "\n")
			said[g] = append(said[g], s.name+"> "+text)
			for _, mate := range group {
				if mate.name != s.name {
					mate.c.expectExactly(s.name + "> " + text)
				}
			}
		}
	}

	// Meanwhile in main: a latecomer, and the teacher's word.
	late := ts.dial(t)
	late.next()
	late.expectExactly("*** You are Thread-10; 1 other(s) here. /help lists the commands.")
	op.expectExactly("*** Thread-10 joined (tcp)")
	op.send("back at 10:15\n")
	late.expectExactly("Thread-1> back at 10:15")
	late.send("sorry, late\n")
	op.expectExactly("Thread-10> sorry, late")

	// The teacher listens in on main-2: it reads what was said there.
	op.send("/join main-2\n")
	op.expectExactly("*** You are now in #main-2, with " + others(groups[1], ""))
	op.expectHistory(room.LangEN, said[1]...)
	for _, s := range groups[1] {
		s.c.expectExactly("*** Thread-1 came from #main (tcp)")
	}
	late.expectExactly("*** Thread-1 went to #main-2")
	asker := groups[1][0]
	asker.c.send("teacher, a question\n")
	op.expectExactly(asker.name + "> teacher, a question")
	for _, s := range groups[1][1:] {
		s.c.expectExactly(asker.name + "> teacher, a question")
	}

	// /gather, from a breakout room: everyone back in main, the teacher
	// with them; each student reads with whom, and what main said meanwhile.
	op.send("/gather\n")
	var back []student // main's members, in the order they are in it now
	back = append(back, student{c: late, name: "Thread-10"})
	for g, group := range groups {
		back = append(back, group...)
		if g == 1 {
			back = append(back, student{c: op, name: "Thread-1"})
		}
	}
	gathered := "*** Thread-1 brought 13 member(s) back from #main-1 (3), #main-2 (4), #main-3 (3), #main-4 (3)"
	op.expectExactly("*** You are now in #main, with " + others(back, "Thread-1"))
	op.expectExactly(gathered)
	for _, s := range class {
		s.c.expectExactly("*** Thread-1 moved you: you are now in #main, with " + others(back, s.name))
		s.c.expectHistory(room.LangEN, "Thread-1> back at 10:15", "Thread-10> sorry, late")
		s.c.expectExactly(gathered)
	}
	late.expectExactly(gathered)

	op.send("all together again\n")
	for _, s := range back {
		if s.c != op {
			s.c.expectExactly("Thread-1> all together again")
		}
	}
	late.send("/rooms\n")
	late.expectExactly("*** 1 room(s):")
	late.expectExactly("***   #main: 14 member(s), you are here")
}
