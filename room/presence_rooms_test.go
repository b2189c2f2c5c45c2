package room

import (
	"fmt"
	"testing"
)

// A member that has not read for a while, with a storm of arrivals
// gathered into one line in its outbox, moves to another room: an arrival
// there is not counted in the line of the room it left, which it reads
// before the move. Each room's arrivals are told in that room's lines.
func TestGatheredPresenceStaysInItsRoom(t *testing.T) {
	h := newTestHub(t, Options{})
	busy := join(t, h, "busy", DoorTCP)
	busy.Drain(nil)
	for i := range presenceKept + 4 {
		join(t, h, fmt.Sprintf("s%d", i), DoorTCP) // into main: gathered past presenceKept
	}
	h.Post(busy, "/join tp1")
	newcomer := join(t, h, "newcomer", DoorTCP)
	h.Post(newcomer, "/join tp1")
	got := busy.Drain(nil)
	moved := false
	joins := map[string]int{}
	for _, m := range got {
		switch {
		case m.Kind == KindMove:
			moved = true
		case m.Kind == KindJoin && moved != (m.Room == "tp1"):
			t.Fatalf("busy read a join of #%s %s its move to #tp1:\n%s", m.Room, map[bool]string{true: "after", false: "before"}[moved], dump(got))
		case m.Kind == KindJoin:
			joins[m.Room] += 1 + m.Others
		}
	}
	if want := map[string]int{"main": presenceKept + 4, "tp1": 1}; fmt.Sprint(joins) != fmt.Sprint(want) {
		t.Fatalf("busy's lines tell of the joins %v, want %v:\n%s", joins, want, dump(got))
	}
}
