package tcp_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/room"
)

// No line crosses rooms, over sockets: members move between rooms without
// pause while the members who stay in each room talk; every chat line says
// the room it was written in, and every reader checks, line by line, that
// it is in that room when it reads it — a line read before a move is of
// the room left, after it of the room entered, the history shown on
// arrival of the room entered. The hub's TestNoMessageCrossesRooms checks
// the outboxes; this checks what the doors write.

// tagged is a chat line as read, live or from a history ("[10:02] "):
// its sender, the room its text names, and the rest.
var tagged = regexp.MustCompile(`^(\[\d\d:\d\d\] )?([^ >]+)> room:(\S+) (.*)$`)

// The other lines that name a room in their text: an action, and a topic
// set or shown on arrival.
var (
	taggedAction = regexp.MustCompile(`^(\[\d\d:\d\d\] )?\* \S+ room:(\S+) `)
	taggedTopic  = regexp.MustCompile(`^\*\*\* (?:\S+ set the topic|Topic): room:(\S+) `)
)

// moveTo is the line that tells a member the room it is in now, whether it
// went or an operator moved it.
var moveTo = regexp.MustCompile(`^\*\*\* (?:\S+ moved you: you|You) are now in #([^,]+),`)

// line is next for any goroutine: an error instead of failing the test.
func (c *client) line() (string, error) {
	select {
	case l := <-c.lines:
		return l, nil
	case <-c.eof:
		select {
		case l := <-c.lines:
			return l, nil
		default:
			return "", errors.New("connection closed")
		}
	case <-time.After(patience):
		return "", fmt.Errorf("no line within %v", patience)
	}
}

// roomReader checks each line a member reads against the room it is in.
type roomReader struct {
	c     *client
	name  string
	room  string              // where it is, as its own lines told it
	heard map[string][]string // by sender: the texts it read, in order
}

// read reads one line and checks it; it returns the line.
func (r *roomReader) read() (string, error) {
	l, err := r.c.line()
	if err != nil {
		return "", fmt.Errorf("%s in #%s: %w", r.name, r.room, err)
	}
	if m := moveTo.FindStringSubmatch(l); m != nil {
		r.room = m[1]
		return l, nil
	}
	for _, re := range []*regexp.Regexp{taggedAction, taggedTopic} {
		if m := re.FindStringSubmatch(l); m != nil {
			if m[len(m)-1] != r.room {
				return "", fmt.Errorf("%s read %q while in #%s", r.name, l, r.room)
			}
			return l, nil
		}
	}
	m := tagged.FindStringSubmatch(l)
	if m == nil {
		if !strings.HasPrefix(l, "*** ") && !strings.HasPrefix(l, "[private") {
			return "", fmt.Errorf("%s read %q, neither a chat line of the test nor the server's", r.name, l)
		}
		return l, nil
	}
	if m[3] != r.room {
		return "", fmt.Errorf("%s read %q while in #%s", r.name, l, r.room)
	}
	if m[1] == "" { // live; a history repeats what may have been read live before
		r.heard[m[2]] = append(r.heard[m[2]], m[4])
	}
	return l, nil
}

// until reads until a line equal to want.
func (r *roomReader) until(want string) error {
	for {
		l, err := r.read()
		if err != nil {
			return err
		}
		if l == want {
			return nil
		}
	}
}

func TestNoLineCrossesRoomsOverSockets(t *testing.T) {
	const posts, moves = 120, 120
	rooms := []string{"main", "tp1", "tp2"}
	ts := start(t, room.Options{OutboxAge: time.Minute, OutboxBytes: 1 << 22}, nil)

	// Two members stay in each room; two move.
	newReader := func() *roomReader {
		c, name := ts.join(t)
		return &roomReader{c: c, name: name, room: "main", heard: map[string][]string{}}
	}
	stay := map[string][2]*roomReader{}
	for _, r := range rooms {
		pair := [2]*roomReader{newReader(), newReader()}
		for _, x := range pair {
			if r != "main" {
				x.c.send("/join " + r + "\n")
				x.c.expect("*** You are now in #" + r)
				x.room = r
			}
		}
		stay[r] = pair
	}
	movers := []*roomReader{newReader(), newReader()}

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	// In each room, the two who stay talk in turn: each says its i-th line
	// once it has read the other's, so that they talk as long as the
	// movers move.
	for _, r := range rooms {
		for side, me := range stay[r] {
			other := stay[r][1-side]
			wg.Go(func() {
				for i := range posts {
					if side == 1 {
						if err := me.until(fmt.Sprintf("%s> room:%s %d", other.name, r, i)); err != nil {
							errs <- err
							return
						}
					}
					if _, err := io.WriteString(me.c.w, fmt.Sprintf("room:%s %d\n", r, i)); err != nil {
						errs <- err
						return
					}
					if side == 0 {
						if err := me.until(fmt.Sprintf("%s> room:%s %d", other.name, r, i)); err != nil {
							errs <- err
							return
						}
					}
				}
			})
		}
	}
	// Each mover goes round the rooms, says where it is in each, and goes on.
	said := make([]map[string][]string, len(movers)) // by room: what each mover said there
	for i, mv := range movers {
		said[i] = map[string][]string{}
		wg.Go(func() {
			for j := range moves {
				to := rooms[(j+1+i)%len(rooms)]
				cmd := "/join " + to + "\n"
				if to == "main" && j%2 == 0 {
					cmd = "/part\n"
				}
				if _, err := io.WriteString(mv.c.w, cmd); err != nil {
					errs <- err
					return
				}
				for mv.room != to {
					if _, err := mv.read(); err != nil {
						errs <- err
						return
					}
				}
				text := fmt.Sprintf("mover %d", j)
				if _, err := io.WriteString(mv.c.w, fmt.Sprintf("room:%s %s\n", to, text)); err != nil {
					errs <- err
					return
				}
				said[i][to] = append(said[i][to], text)
			}
			// Its last words are carried out before it is told of this move.
			if _, err := io.WriteString(mv.c.w, "/who\n"); err != nil {
				errs <- err
				return
			}
			for {
				l, err := mv.read()
				if err != nil {
					errs <- err
					return
				}
				if strings.Contains(l, " member(s): ") {
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// The last lines of each room, and a check of what those who stayed
	// heard: every line of the other who stayed, in order, and every line
	// a mover said in their room, in order.
	for _, r := range rooms {
		a, b := stay[r][0], stay[r][1]
		a.c.send(fmt.Sprintf("room:%s end\n", r))
		if err := b.until(fmt.Sprintf("%s> room:%s end", a.name, r)); err != nil {
			t.Fatal(err)
		}
		b.c.send(fmt.Sprintf("room:%s end\n", r))
		if err := a.until(fmt.Sprintf("%s> room:%s end", b.name, r)); err != nil {
			t.Fatal(err)
		}
		for side, me := range stay[r] {
			other := stay[r][1-side]
			var want []string
			for i := range posts {
				want = append(want, fmt.Sprint(i))
			}
			if got := me.heard[other.name]; !slices.Equal(got, append(want, "end")) {
				t.Errorf("%s in #%s heard %d of the %d lines of %s", me.name, r, len(got), posts+1, other.name)
			}
			for i, mv := range movers {
				if got, want := me.heard[mv.name], said[i][r]; !slices.Equal(got, want) {
					t.Errorf("%s in #%s heard %q of %s, which said %q there", me.name, r, got, mv.name, want)
				}
			}
		}
	}
	heard := 0
	for _, mv := range movers {
		for _, texts := range mv.heard {
			heard += len(texts)
		}
	}
	t.Logf("the movers heard %d lines live, moving %d times each", heard, moves)
	if heard < moves {
		t.Errorf("the movers heard %d lines: the rooms were not talking while they moved", heard)
	}
}

// A randomised session: members post, act, go from room to room, list
// rooms and members, write privately, and an operator sets topics, each
// at random and without waiting for the server. A member knows the room
// its words land in without being told (its own commands are carried out
// in the order it sent them), and says it in them; every reader checks
// every line against the room it is in, and that each sender's lines come
// in the order they were written.
func TestRandomRoomSessionsNeverCross(t *testing.T) {
	const members, steps = 10, 300
	rooms := []string{"main", "tp1", "tp2", "tp3", "lecture"}
	ts := start(t, room.Options{OpPassword: opPassword, OutboxAge: time.Minute, OutboxBytes: 1 << 22}, nil)
	readers := make([]*roomReader, members)
	for i := range readers {
		c, name := ts.join(t)
		readers[i] = &roomReader{c: c, name: name, room: "main", heard: map[string][]string{}}
	}
	readers[0].c.send("/op " + opPassword + "\n")
	readers[0].c.expect("*** " + readers[0].name + " is now an operator")

	errs := make(chan error, 2*members)
	var senders, reading sync.WaitGroup
	done := make([]chan struct{}, members) // closed once a reader read its last line
	for i, r := range readers {
		done[i] = make(chan struct{})
		reading.Go(func() {
			defer close(done[i])
			last := "*** you cannot send a private message to yourself" // the reply to its own last line
			if err := r.until(last); err != nil {
				errs <- err
			}
		})
		senders.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(i), 12))
			here := "main" // where its words land: its own commands come first
			var b strings.Builder
			for step := range steps {
				switch p := rnd.IntN(100); {
				case p < 45:
					fmt.Fprintf(&b, "room:%s %d\n", here, step)
				case p < 55:
					fmt.Fprintf(&b, "/me room:%s %d\n", here, step)
				case p < 72:
					here = rooms[rnd.IntN(len(rooms))]
					fmt.Fprintf(&b, "/join %s\n", here)
				case p < 78:
					here = "main"
					b.WriteString("/part\n")
				case p < 83:
					b.WriteString("/who\n")
				case p < 88:
					b.WriteString("/rooms\n")
				case p < 95:
					to := (i + 1 + rnd.IntN(members-1)) % members // another: to itself is its last line
					fmt.Fprintf(&b, "/msg %s a word %d\n", readers[to].name, step)
				case i == 0:
					fmt.Fprintf(&b, "/topic room:%s %d\n", here, step)
				}
				if rnd.IntN(4) == 0 || step == steps-1 { // a few lines per write, at times
					if _, err := io.WriteString(r.c.w, b.String()); err != nil {
						errs <- err
						return
					}
					b.Reset()
				}
			}
			if _, err := io.WriteString(r.c.w, "/msg "+r.name+" the end\n"); err != nil {
				errs <- err
			}
		})
	}
	senders.Wait()
	reading.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Each sender's lines came in the order written, to every reader.
	lines := 0
	for _, r := range readers {
		for from, texts := range r.heard {
			prev := -1
			for _, text := range texts {
				var n int
				if _, err := fmt.Sscan(text, &n); err != nil || n <= prev {
					t.Fatalf("%s read %s's %q after its line %d", r.name, from, text, prev)
				}
				prev = n
				lines++
			}
		}
	}
	t.Logf("%d chat lines read live, each in the room it was said in", lines)
	if lines < members*steps/4 {
		t.Errorf("only %d chat lines read: the test proves little", lines)
	}
}
