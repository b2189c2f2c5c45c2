package tcp_test

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/fakeclock"
	"palabre/room"
	"palabre/tcp"
)

// Rooms under attack, over real sockets: what a member may throw at /join,
// and what many members or one slow one do to the rooms of others.

// expectInAnyOrder fails unless the next lines are lines, in some order.
func (c *client) expectInAnyOrder(lines ...string) {
	c.t.Helper()
	want := map[string]int{}
	for _, l := range lines {
		want[l]++
	}
	for range lines {
		got := c.next()
		if want[got] == 0 {
			c.t.Fatalf("got line %q, want one of %q", got, lines)
		}
		want[got]--
	}
}

// A member flooding /join x1, /join x2, … creates rooms up to MaxRooms and
// no more, each refusal said in one clear line; the room it came from and
// its members go on as before; rooms left empty go after RoomIdle, and
// creation works again.
func TestJoinFloodIsBoundedByMaxRooms(t *testing.T) {
	const maxRooms, idle = 10, time.Minute
	clock := fakeclock.New(time.Date(2026, 11, 24, 10, 2, 0, 0, time.Local))
	ts := start(t, room.Options{MaxRooms: maxRooms, RoomIdle: idle, Now: clock.Now}, nil)
	a, _ := ts.join(t)
	b, _ := ts.join(t)
	flooder, _ := ts.join(t) // Thread-3
	a.expect("*** Thread-3 joined (tcp)")
	b.expectExactly("*** Thread-3 joined (tcp)")

	var flood strings.Builder
	for i := 1; i <= 3*maxRooms; i++ {
		fmt.Fprintf(&flood, "/join x%d\n", i)
	}
	flooder.send(flood.String())
	a.send("still here?\n") // while the flood is carried out
	// main and x1 … x9 are the ten rooms: each move is told, then each
	// refusal, once per /join.
	if l := flooder.expect("*** You are now in"); l != "*** You are now in #x1, alone for now" { // a's words may come first
		t.Fatalf("the flooder read %q", l)
	}
	for i := 2; i < maxRooms; i++ {
		flooder.expectExactly(fmt.Sprintf("*** You are now in #x%d, alone for now", i))
	}
	for i := maxRooms; i <= 3*maxRooms; i++ {
		flooder.expectExactly(fmt.Sprintf("*** no room #x%d: the server has as many rooms as it may; /rooms lists them", i))
	}
	// main read the flooder go, once, and its own words; nothing else.
	b.expectInAnyOrder("Thread-1> still here?", "*** Thread-3 went to #x1")
	b.send("yes\n")
	a.expectExactly("*** Thread-3 went to #x1")
	a.expectExactly("Thread-2> yes")
	if n := len(ts.hub.Activity()); n != maxRooms {
		t.Fatalf("%d rooms, want %d", n, maxRooms)
	}

	// Another member may go into a room that exists, and is told the same
	// as the flooder when it would make one.
	b.send("/join tp1\n")
	b.expectExactly("*** no room #tp1: the server has as many rooms as it may; /rooms lists them")
	b.send("/join x5\n")
	b.expectExactly("*** You are now in #x5, alone for now")
	a.expectExactly("*** Thread-2 went to #x5")
	b.send("/part\n")
	b.expect("*** You are now in #main")
	a.expectExactly("*** Thread-2 came from #x5 (tcp)")

	// Empty rooms that nobody made to last go after RoomIdle.
	clock.Advance(idle + time.Second)
	b.send("/join tp1\n")
	b.expectExactly("*** You are now in #tp1, alone for now")
	b.send("/rooms\n")
	b.expectExactly("*** 3 room(s):")
	b.expectExactly("***   #main: 1 member(s)")
	b.expectExactly("***   #tp1: 1 member(s), you are here")
	b.expectExactly("***   #x9: 1 member(s)") // the flooder's, where it is
}

// With PALABRE_ROOMS=ops, a member that is no operator creates nothing,
// however it tries, and is told so; an operator's room it may join.
func TestJoinFloodWhenOnlyOperatorsCreate(t *testing.T) {
	ts := start(t, room.Options{Rooms: room.RoomsOps, OpPassword: opPassword}, nil)
	op, _ := ts.joinOp(t)
	m, _ := ts.join(t)
	op.expectExactly("*** Thread-2 joined (tcp)")
	for i := range 20 {
		m.send(fmt.Sprintf("/join x%d\n", i))
	}
	for i := range 20 {
		m.expectExactly(fmt.Sprintf("*** there is no room #x%d, and only operators make rooms here; /rooms lists them", i))
	}
	if n := len(ts.hub.Activity()); n != 1 {
		t.Fatalf("%d rooms, want main alone", n)
	}
	op.send("/join tp1\n")
	op.expectExactly("*** You are now in #tp1, alone for now")
	m.expectExactly("*** Thread-1 went to #tp1")
	m.send("/join tp1\n")
	m.expectExactly("*** You are now in #tp1, with Thread-1")
	// An operator's room stays when empty: it is the teacher's.
	op.send("/part\n")
	op.expect("*** You are now in #main")
	m.send("/part\n")
	m.expect("*** You are now in #main")
	if n := roomCount(ts.hub, "tp1"); n != 0 {
		t.Fatalf("tp1 holds %d, want an empty room that stays", n)
	}
}

// Room names made to hurt: escape sequences, bidi controls, bad UTF-8,
// 10 KB. Each is refused in one short line that names it cleaned, nothing
// is created, and no byte of it reaches anyone's terminal raw.
func TestHostileRoomNames(t *testing.T) {
	ts := start(t, room.Options{}, nil)
	attacker, _ := ts.joinRaw(t)
	onlooker, _ := ts.joinRaw(t)
	attacker.expect("*** Thread-2 joined")
	for _, tc := range []struct {
		name, arg string
		want      string // the refusal's line
	}{
		{"CSI colour", "\x1b[31mred\x1b[0m", `*** the room name "[31mred[0m" is refused: only ASCII letters, digits, _ and -`},
		{"OSC title", "\x1b]0;pwned\x07", `*** the room name "]0;pwned" is refused: only ASCII letters, digits, _ and -`},
		{"clear screen, then a name", "\x1b[2J\x1b[Hok", `*** the room name "[2J[Hok" is refused: only ASCII letters, digits, _ and -`},
		{"bidi override", "ab\u202e!dc", `*** the room name "ab!dc" is refused: only ASCII letters, digits, _ and -`},
		{"bad UTF-8", "tp\xe2\x821", "*** the room name \"tp\ufffd\ufffd1\" is refused: only ASCII letters, digits, _ and -"},
		{"a lone #", "#", `*** the room name "" is refused: at least 2 characters`},
		{"10 KB", strings.Repeat("x", 10<<10), `*** the room name "` + strings.Repeat("x", 64) + `…" is refused: at most 20 characters`},
		{"10 KB of escapes", strings.Repeat("\x1b[2J", 2500), `*** the room name "` + strings.Repeat("[2J", 21) + `[…" is refused: only ASCII letters, digits, _ and -`},
		{"10 KB of é", strings.Repeat("é", 5<<10), `*** the room name "` + strings.Repeat("é", 32) + `…" is refused: only ASCII letters, digits, _ and -`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attacker.t = t
			onlooker.t = t
			attacker.send("/join " + tc.arg + "\n")
			got := attacker.next()
			if got != tc.want {
				t.Errorf("read %.200q\nwant %.200q", got, tc.want)
			}
			if len(got) > 200 {
				t.Errorf("a refusal of %d bytes", len(got))
			}
			if n := len(ts.hub.Activity()); n != 1 {
				t.Errorf("%d rooms, want main alone", n)
			}
			// The onlooker's next line is the attacker's next words: it read
			// nothing of the attempt.
			attacker.send("next\n")
			onlooker.expectExactly("Thread-1> next")
		})
	}
	attacker.t, onlooker.t = t, t
	for who, c := range map[string]*rawClient{"attacker": attacker, "onlooker": onlooker} {
		if bad := terminalUnsafe(c.bytes()); bad != "" {
			t.Errorf("the %s's terminal was sent %s", who, bad)
		}
	}
}

// others reads how many others a move line says the room holds.
var withWhom = regexp.MustCompile(`^\*\*\* You are now in #[^,]+, (?:(alone for now)|with ((?:[^,]+, )*[^,]+?)(?: and (\d+) more)?)$`)

func othersIn(moveLine string) (int, bool) {
	m := withWhom.FindStringSubmatch(moveLine)
	switch {
	case m == nil:
		return 0, false
	case m[1] != "":
		return 0, true
	}
	n := len(strings.Split(m[2], ", "))
	if m[3] != "" {
		more, _ := strconv.Atoi(m[3])
		n += more
	}
	return n, true
}

// 200 members type /join same at once: all arrive, one after the other —
// the k-th is told of the k-1 before it — and the counts add up.
func TestTwoHundredJoinTheSameRoomAtOnce(t *testing.T) {
	const n = 200
	ts := start(t, room.Options{}, nil)
	cs := make([]*client, n)
	for i := range cs {
		cs[i] = ts.dial(t)
	}
	var first string
	for i, c := range cs {
		w := c.expect("*** You are ")
		if i == 0 {
			first, _, _ = strings.Cut(strings.TrimPrefix(w, "*** You are "), ";")
		}
	}
	poll(t, "all in main", func() bool { return roomCount(ts.hub, "main") == n })
	var ready, wrote sync.WaitGroup
	ready.Add(1)
	errs := make(chan error, n)
	for _, c := range cs {
		wrote.Go(func() {
			ready.Wait()
			if _, err := io.WriteString(c.w, "/join same\n"); err != nil {
				errs <- err
			}
		})
	}
	ready.Done()
	wrote.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := make([]bool, n)
	for i, c := range cs {
		l := c.expect("*** You are now in #same")
		k, ok := othersIn(l)
		if !ok {
			t.Fatalf("member %d read %q", i, l)
		}
		if seen[k] {
			t.Fatalf("two members were told of %d others before them: the arrivals were not one after the other", k)
		}
		seen[k] = true
	}
	if roomCount(ts.hub, "same") != n || roomCount(ts.hub, "main") != 0 {
		t.Fatalf("same holds %d and main %d", roomCount(ts.hub, "same"), roomCount(ts.hub, "main"))
	}
	last := cs[n-1]
	last.send("/rooms\n")
	last.expect("*** 2 room(s):")
	last.expectExactly("***   #main: 0 member(s)")
	last.expectExactly("***   #same: 200 member(s), you are here")
	last.send("/who\n")
	last.expect("*** 200 member(s): ")
	cs[0].send("all here\n")
	for _, c := range cs[1:] {
		c.expect(first + "> all here")
	}
}

// A member of #slow stops reading while #slow is busy: its writer waits on
// a full socket until the write deadline drops it. Meanwhile the default
// room's members talk at their usual pace, read nothing of #slow, and are
// never dropped: one room's slow reader costs no other room anything.
func TestSlowReaderInOneRoomDisturbsNoOther(t *testing.T) {
	const writeTimeout = 3 * time.Second
	// An outbox that cannot overflow: only the write deadline drops, after
	// the writer has waited on the socket as long as it may.
	ts := start(t, room.Options{OutboxBytes: 1 << 30, OutboxAge: time.Hour}, func(s *tcp.Server) { s.WriteTimeout = writeTimeout })
	a, an := ts.join(t)
	b, bn := ts.join(t)
	busy, _ := ts.join(t)
	a.expect("*** Thread-3 joined")
	b.expect("*** Thread-3 joined")
	busy.send("/join slow\n")
	busy.expect("*** You are now in #slow")
	stalled, err := smallWindow.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, err := io.WriteString(stalled, "/join slow\n"); err != nil { // and it reads nothing, ever
		t.Fatal(err)
	}
	busy.expect("*** Thread-4 came from #main")
	a.expect("*** Thread-4 went to #slow")
	b.expect("*** Thread-4 went to #slow")

	dropped := make(chan error, 1)
	go func() {
		for {
			l, err := busy.line()
			if err != nil || l == "*** Thread-4 left (too slow)" {
				dropped <- err
				return
			}
		}
	}()
	line := strings.Repeat("x", 1000)
	var worst time.Duration
	rounds := 0
	deadline := time.Now().Add(2 * patience)
	for done := false; !done; rounds++ {
		busy.send(fmt.Sprintf("%d %s\n", rounds, line))
		began := time.Now()
		a.send(fmt.Sprintf("ping %d\n", rounds))
		b.expectExactly(fmt.Sprintf("%s> ping %d", an, rounds))
		b.send(fmt.Sprintf("pong %d\n", rounds))
		a.expectExactly(fmt.Sprintf("%s> pong %d", bn, rounds))
		worst = max(worst, time.Since(began))
		select {
		case err := <-dropped:
			if err != nil {
				t.Fatalf("the busy member, waiting for the slow one to go: %v", err)
			}
			done = true
		default:
			if time.Now().After(deadline) {
				t.Fatal("the slow reader was never dropped")
			}
		}
	}
	t.Logf("%d round trips in main while #slow stalled; the slowest took %v", rounds, worst)
	if worst > writeTimeout/3 {
		t.Errorf("a round trip in main took %v while #slow's reader stalled", worst)
	}
	a.send("after\n")
	b.expectExactly(an + "> after")
}
