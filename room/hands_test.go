package room

import (
	"slices"
	"testing"
)

func handsOf(t *testing.T, h *Hub, m *Member) []string {
	t.Helper()
	h.Post(m, "/hands")
	return names(lastOf(t, m, KindHands).Members)
}

func TestHandRaiseLowerAndList(t *testing.T) {
	h := newTestHub(t, Options{OpKeys: []string{"K"}})
	teacher := joinAs(t, h, "prof", "K", "10.0.0.1:1")
	ms := joinAll(t, h, "alice", "bob")
	alice, bob := ms[0], ms[1]
	teacher.Drain(nil)

	h.Post(bob, "/hand")
	h.Post(alice, "/hand")
	for _, m := range []*Member{teacher, alice, bob} {
		got := m.Drain(nil)
		if len(got) != 2 || got[0].Kind != KindHand || got[0].From != "bob" || got[0].Others != 1 ||
			got[1].From != "alice" || got[1].Others != 2 || got[1].Seq == 0 {
			t.Fatalf("%s saw\n%s", m.Name(), dump(got))
		}
	}
	if got := handsOf(t, h, alice); !slices.Equal(got, []string{"bob", "alice"}) {
		t.Fatalf("/hands = %v; want bob, alice in the order raised", got)
	}
	head, _ := h.MembersHead(teacher, 10)
	for _, mi := range head {
		if mi.Hand != (mi.Name != "prof") {
			t.Errorf("MembersHead: %s Hand=%v", mi.Name, mi.Hand)
		}
	}
	if n, m := h.RaisedHands(teacher), h.RaisedHands(alice); n != 2 || m != 0 {
		t.Errorf("RaisedHands: operator %d, member %d; want 2, 0 (members' screens do not count)", n, m)
	}

	h.Post(bob, "/hand") // down again
	if got := lastOf(t, teacher, KindHand); got.From != "bob" || got.Others != 0 {
		t.Fatalf("lowering: %+v", got)
	}
	if got := handsOf(t, h, bob); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("/hands after bob lowered = %v", got)
	}
}

func TestNext(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{OpKeys: []string{"K"}, Store: store})
	teacher := joinAs(t, h, "prof", "K", "10.0.0.1:1")
	ms := joinAll(t, h, "alice", "bob")
	alice, bob := ms[0], ms[1]

	h.Post(alice, "/next")
	expect(t, alice, errMsg(ErrNotOperator, "/next"))
	h.Post(teacher, "/next extra")
	if e := lastOf(t, teacher, KindError); e.Err != ErrUsage {
		t.Fatalf("/next extra: %+v", e)
	}
	h.Post(teacher, "/next")
	expect(t, teacher, errMsg(ErrNoHands, ""))

	h.Post(bob, "/hand")
	h.Post(alice, "/hand")
	teacher.Drain(nil)
	alice.Drain(nil)
	h.Post(teacher, "/next")
	got := lastOf(t, alice, KindFloor)
	if got.To != "bob" || got.From != "prof" || got.Others != 1 {
		t.Fatalf("floor: %+v", got)
	}
	if s := LangEN.Describe(got); s != "bob, you have the floor" {
		t.Errorf("floor reads %q", s)
	}
	if got := handsOf(t, h, teacher); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("after /next, /hands = %v; want alice", got)
	}
	h.Post(teacher, "/next")
	if got := handsOf(t, h, teacher); len(got) != 0 {
		t.Fatalf("after a second /next, /hands = %v", got)
	}
	kinds := store.kinds()
	if n := count(kinds, KindHand); n != 2 {
		t.Errorf("transcript holds %d hands; want 2: %v", n, kinds)
	}
	if n := count(kinds, KindFloor); n != 2 {
		t.Errorf("transcript holds %d floors; want 2: %v", n, kinds)
	}
}

func count(kinds []Kind, k Kind) int {
	n := 0
	for _, x := range kinds {
		if x == k {
			n++
		}
	}
	return n
}

// A hand is raised in a room: leaving it, for another room or for good,
// lowers it, and it does not follow the member.
func TestHandLostOnLeavingTheRoom(t *testing.T) {
	h := newTestHub(t, Options{OpKeys: []string{"K"}})
	teacher := joinAs(t, h, "prof", "K", "10.0.0.1:1")
	ms := joinAll(t, h, "alice", "bob", "carol")
	alice, bob, carol := ms[0], ms[1], ms[2]
	for _, m := range ms {
		h.Post(m, "/hand")
	}
	h.Post(alice, "/join lab")
	h.Leave(bob, ReasonClosed)
	if got := handsOf(t, h, teacher); !slices.Equal(got, []string{"carol"}) {
		t.Fatalf("main's hands = %v; want carol alone", got)
	}
	if got := handsOf(t, h, alice); len(got) != 0 {
		t.Fatalf("lab's hands = %v; want none", got)
	}
	if n := h.RaisedHands(teacher); n != 1 {
		t.Errorf("RaisedHands = %d; want 1", n)
	}
	h.Post(carol, "/part") // in main already: refused, the hand stays
	if got := handsOf(t, h, teacher); !slices.Equal(got, []string{"carol"}) {
		t.Fatalf("after a refused /part, hands = %v", got)
	}
}

// A quiet room is how a lecture runs: members may not post, but their
// hands and questions still reach the room.
func TestHandAndAskInAQuietRoom(t *testing.T) {
	h := newTestHub(t, Options{OpKeys: []string{"K"}})
	prof := joinAs(t, h, "prof", "K", "10.0.0.1:1")
	alice := joinAll(t, h, "alice")[0]
	h.Post(prof, "/quiet")
	prof.Drain(nil)
	alice.Drain(nil)
	h.Post(alice, "may I?")
	if e := lastOf(t, alice, KindError); e.Err != ErrQuiet {
		t.Fatalf("a quiet room took a member's words: %+v", e)
	}
	h.Post(alice, "/hand")
	h.Post(alice, "/ask what about the exam?")
	got := prof.Drain(nil)
	if len(got) != 2 || got[0].Kind != KindHand || got[1].Kind != KindQuestion || got[1].Text != "what about the exam?" {
		t.Fatalf("the operator read\n%s", dump(got))
	}
}
