package room

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"palabre/internal/fakeclock"
)

// Names cannot be hoarded, and the course's names cannot be taken.

func ownerOf(h *Hub, name string) string {
	h.mu.Lock()
	defer h.unlock()
	return h.ownerLocked(name)
}

// nick posts /nick name for m and returns the error it got back, if any.
func nick(t *testing.T, m *Member, h *Hub, name string) (Message, bool) {
	t.Helper()
	m.Drain(nil)
	h.Post(m, "/nick "+name)
	for _, msg := range m.Drain(nil) {
		if msg.Kind == KindError {
			return msg, true
		}
	}
	return Message{}, false
}

func TestGeneratedNamesAreNeverOwned(t *testing.T) {
	tests := []struct {
		name    string
		req     JoinRequest
		want    string // the name given; "guest" for guest-<id>
		problem NameProblem
	}{
		{"the TCP door's Thread-3", JoinRequest{Name: "Thread-3", Generated: true}, "Thread-3", NameOK},
		{"the TCP door's Thread-3, with a key", JoinRequest{Name: "Thread-3", Generated: true, Key: "SHA256:k"}, "Thread-3", NameOK},
		{"an SSH user called Thread-3", JoinRequest{Name: "Thread-3", Key: "SHA256:k"}, "guest", NameGenerated},
		{"an SSH user called thread-3", JoinRequest{Name: "thread-3", Key: "SHA256:k"}, "guest", NameGenerated},
		{"an SSH user called guest-1", JoinRequest{Name: "guest-1", Key: "SHA256:k"}, "guest", NameGenerated},
		{"a door that numbers its own, but not a number", JoinRequest{Name: "alice", Generated: true, Key: "SHA256:k"}, "alice", NameOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore()
			h := newTestHub(t, Options{Store: store})
			tt.req.Door = DoorSSH
			m, _, err := h.Join(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == "guest" {
				want = fmt.Sprint("guest-", m.ID())
			}
			if m.Name() != want {
				t.Fatalf("named %q, want %q", m.Name(), want)
			}
			if tt.problem != NameOK {
				if e := lastOf(t, m, KindError); e.Err != ErrNameInvalid || e.Problem != tt.problem {
					t.Errorf("notice %+v, want problem %v", e, tt.problem)
				}
			}
			if got := store.owned(); len(got) != 0 {
				t.Errorf("stored owners %v, want none: a generated name is nobody's", got)
			}
			h.Leave(m, ReasonQuit)
			if o := ownerOf(h, tt.req.Name); o != "" {
				t.Errorf("%s is owned by %s", tt.req.Name, o)
			}
		})
	}
}

// The squatting of issue 10: a key that joined as Thread-3, or typed
// /nick Thread-N, does not keep the third TCP member from being Thread-3.
func TestTheCourseNumberingCannotBeSquatted(t *testing.T) {
	h := newTestHub(t, Options{})
	sq := joinAs(t, h, "Thread-3", "SHA256:squatter", "192.0.2.9:1")
	for _, n := range []string{"Thread-3", "thread-4", "GUEST-9", "guest-1"} {
		if e, ok := nick(t, sq, h, n); !ok || e.Err != ErrNameInvalid || e.Problem != NameGenerated {
			t.Errorf("/nick %s: %+v, want refused as a generated name", n, e)
		}
	}
	h.Leave(sq, ReasonQuit)
	for i := 1; i <= 4; i++ {
		name := fmt.Sprint("Thread-", i)
		m, _, err := h.Join(JoinRequest{Name: name, Door: DoorTCP, Generated: true})
		if err != nil || m.Name() != name {
			t.Fatalf("the TCP member numbered %d is %q (%v)", i, m.Name(), err)
		}
	}
}

// Twenty /nick from one key: the key owns the last, the one before it for
// NameGrace, and none of the others.
func TestOneNamePerKey(t *testing.T) {
	clock := fakeclock.New(testClock)
	store := newMemStore()
	h := newTestHub(t, Options{Now: clock.Now, Store: store})
	sq := joinAs(t, h, "first", "SHA256:squatter", "")
	for i := 1; i <= 20; i++ {
		if e, ok := nick(t, sq, h, fmt.Sprint("name", i)); ok {
			t.Fatalf("/nick name%d: %+v", i, e)
		}
	}
	if got, want := store.owned(), map[string]string{"name20": "SHA256:squatter"}; !maps.Equal(got, want) {
		t.Errorf("stored owners %v, want %v", got, want)
	}
	other := joinAs(t, h, "other", "", "")
	for _, n := range []string{"first", "name1", "name10", "name18"} {
		if o := ownerOf(h, n); o != "" {
			t.Errorf("%s is still owned by %s", n, o)
		}
	}
	if e, ok := nick(t, other, h, "name19"); !ok || e.Err != ErrNameOwned {
		t.Errorf("/nick name19 within the grace: %+v, want refused as owned", e)
	}
	if e, ok := nick(t, other, h, "name1"); ok {
		t.Errorf("/nick name1: %+v, want it free", e)
	}
	clock.Advance(NameGrace)
	if o := ownerOf(h, "name19"); o != "" {
		t.Errorf("name19 is owned by %s after the grace", o)
	}
	if o := ownerOf(h, "name20"); o != "SHA256:squatter" {
		t.Errorf("name20 is owned by %q, want the key", o)
	}
	h.mu.Lock()
	n := len(h.owners)
	h.unlock()
	if n != 1 {
		t.Errorf("%d names owned, want 1", n)
	}
}

// A change of mind within NameGrace gets the name back; nobody can take
// it meanwhile.
func TestNameGraceUndoesAChange(t *testing.T) {
	clock := fakeclock.New(testClock)
	store := newMemStore()
	h := newTestHub(t, Options{Now: clock.Now, Store: store})
	alice := joinAs(t, h, "alice", "SHA256:alice", "")
	other := joinAs(t, h, "other", "", "")
	nick(t, alice, h, "alcie") // a typo
	clock.Advance(NameGrace - time.Second)
	if e, ok := nick(t, other, h, "alice"); !ok || e.Err != ErrNameOwned {
		t.Fatalf("another took alice within the grace: %+v", e)
	}
	if e, ok := nick(t, alice, h, "alice"); ok || alice.Name() != "alice" {
		t.Fatalf("alice did not get her name back: %+v, %s", e, alice.Name())
	}
	if got, want := store.owned(), map[string]string{"alice": "SHA256:alice"}; !maps.Equal(got, want) {
		t.Errorf("stored owners %v, want %v", got, want)
	}
	clock.Advance(NameGrace)
	if e, ok := nick(t, other, h, "alcie"); ok {
		t.Errorf("the typo is still reserved after the grace: %+v", e)
	}
}

func TestNameTableIsBounded(t *testing.T) {
	t.Run("an owner unseen for NameTTL is forgotten", func(t *testing.T) {
		clock := fakeclock.New(testClock)
		store := newMemStore()
		h := newTestHub(t, Options{Now: clock.Now, Store: store})
		h.Leave(joinAs(t, h, "alice", "SHA256:old", ""), ReasonQuit)
		clock.Advance(NameTTL - time.Hour)
		if o := ownerOf(h, "alice"); o != "SHA256:old" {
			t.Fatalf("alice owned by %q before NameTTL", o)
		}
		clock.Advance(2 * time.Hour)
		m := joinAs(t, h, "alice", "SHA256:new", "")
		if m.Name() != "alice" || ownerOf(h, "alice") != "SHA256:new" {
			t.Fatalf("a newcomer got %q, owned by %q", m.Name(), ownerOf(h, "alice"))
		}
		if got, want := store.owned(), map[string]string{"alice": "SHA256:new"}; !maps.Equal(got, want) {
			t.Errorf("stored owners %v, want %v", got, want)
		}
	})
	t.Run("past MaxNameOwners, the owner seen longest ago makes room", func(t *testing.T) {
		clock := fakeclock.New(testClock)
		store := newMemStore()
		h := newTestHub(t, Options{Now: clock.Now, Store: store})
		h.mu.Lock()
		for i := range MaxNameOwners {
			h.claimLocked(fmt.Sprint("SHA256:", i), fmt.Sprint("n", i))
			clock.Advance(time.Second)
		}
		h.unlock()
		h.Leave(joinAs(t, h, "newcomer", "SHA256:new", ""), ReasonQuit)
		h.mu.Lock()
		n := len(h.keys)
		h.unlock()
		if n != MaxNameOwners {
			t.Errorf("%d owners, want %d", n, MaxNameOwners)
		}
		if o := ownerOf(h, "n0"); o != "" {
			t.Errorf("the owner seen longest ago still owns n0")
		}
		for _, name := range []string{"n1", "newcomer"} {
			if ownerOf(h, name) == "" {
				t.Errorf("%s lost its owner", name)
			}
		}
		if _, ok := store.owned()["n0"]; ok {
			t.Error("the store still has n0")
		}
	})
}

// What a store kept from an older palabre: many names per key, generated
// names bound, owners long gone.
func TestNamesFromTheStore(t *testing.T) {
	store := newMemStore()
	store.names = map[string]string{"thread-3": "SHA256:a", "gone": "SHA256:g", "alice": "SHA256:a", "bob": "SHA256:b", "alicia": "SHA256:a"}
	h := newTestHub(t, Options{Store: store, State: State{Names: []NameOwner{
		{Name: "Thread-3", Key: "SHA256:a", Seen: testClock.Add(-time.Hour)},
		{Name: "gone", Key: "SHA256:g", Seen: testClock.Add(-NameTTL - time.Hour)},
		{Name: "alice", Key: "SHA256:a", Seen: testClock.Add(-2 * time.Hour)},
		{Name: "bob", Key: "SHA256:b"}, // seen: unknown, taken as now
		{Name: "alicia", Key: "SHA256:a", Seen: testClock.Add(-time.Minute)},
	}}})
	for name, want := range map[string]string{"Thread-3": "", "gone": "", "alice": "", "bob": "SHA256:b", "alicia": "SHA256:a"} {
		if o := ownerOf(h, name); o != want {
			t.Errorf("%s owned by %q, want %q", name, o, want)
		}
	}
	if got, want := store.owned(), map[string]string{"bob": "SHA256:b", "alicia": "SHA256:a"}; !maps.Equal(got, want) {
		t.Errorf("stored owners %v, want %v: the others released", got, want)
	}
}

func TestReleaseName(t *testing.T) {
	clock := fakeclock.New(testClock)
	store := newMemStore()
	h := newTestHub(t, Options{Now: clock.Now, Store: store, OpKeys: []string{"SHA256:prof"}})
	prof := joinAs(t, h, "prof", "SHA256:prof", "")
	student := joinAs(t, h, "student", "", "")
	h.Leave(joinAs(t, h, "alice", "SHA256:alice", ""), ReasonQuit)
	bob := joinAs(t, h, "bob", "SHA256:bob", "")
	prof.Drain(nil)
	student.Drain(nil)

	tests := []struct {
		who   *Member
		line  string
		want  Message // the reply to who
		owner map[string]string
	}{
		{student, "/release alice", Message{Kind: KindError, Err: ErrNotOperator, Text: "/release"},
			map[string]string{"alice": "SHA256:alice", "bob": "SHA256:bob"}},
		{prof, "/release nobody1", Message{Kind: KindError, Err: ErrNameNotOwned, Text: "nobody1"},
			map[string]string{"alice": "SHA256:alice", "bob": "SHA256:bob"}},
		{prof, "/release ALICE", Message{Kind: KindRelease, From: "prof", Text: "alice"},
			map[string]string{"alice": "", "bob": "SHA256:bob"}},
		// bob holds his name: he keeps it, but no longer owns it.
		{prof, "/release bob", Message{Kind: KindRelease, From: "prof", Text: "bob"},
			map[string]string{"alice": "", "bob": ""}},
	}
	for _, tt := range tests {
		h.Post(tt.who, tt.line)
		got := tt.who.Drain(nil)
		if len(got) != 1 || got[0].Kind != tt.want.Kind || got[0].Err != tt.want.Err || got[0].Text != tt.want.Text || got[0].From != tt.want.From {
			t.Errorf("%s: %s read %+v, want %+v", tt.line, tt.who.Name(), got, tt.want)
		}
		for name, want := range tt.owner {
			if o := ownerOf(h, name); o != want {
				t.Errorf("after %s: %s owned by %q, want %q", tt.line, name, o, want)
			}
		}
	}
	if got := student.Drain(nil); len(got) != 0 {
		t.Errorf("the room read %+v of the releases", got)
	}
	if bob.Name() != "bob" {
		t.Errorf("bob was renamed %s", bob.Name())
	}
	if got, want := store.owned(), map[string]string{"prof": "SHA256:prof"}; !maps.Equal(got, want) {
		t.Errorf("stored owners %v, want %v", got, want)
	}
	if k := store.kinds(); k[len(k)-1] != KindRelease {
		t.Errorf("the transcript ends with %v, want the release", k[len(k)-1])
	}
	// alice is anybody's now: the next key to use it owns it.
	if m := joinAs(t, h, "alice", "SHA256:new", ""); m.Name() != "alice" || ownerOf(h, "alice") != "SHA256:new" {
		t.Errorf("after the release, a newcomer is %s, alice owned by %q", m.Name(), ownerOf(h, "alice"))
	}
	// bob's next name is his at once, as a newcomer's.
	nick(t, bob, h, "bobby")
	if o := ownerOf(h, "bobby"); o != "SHA256:bob" {
		t.Errorf("bobby owned by %q", o)
	}
}

// A second session of one key does not take the name from the first: it
// gets a suffix, as a second keyless bob does, and neither session is told
// that its name is taken. Only a holder with another key, or none, gives
// an owned name back when its owner comes.
func TestSecondSessionOfAKeyGetsASuffix(t *testing.T) {
	h := newTestHub(t, Options{})
	obs := join(t, h, "obs", DoorTCP)
	first := joinAs(t, h, "alice", "SHA256:alice", "")
	second := joinAs(t, h, "alice", "SHA256:alice", "")
	if first.Name() != "alice" || second.Name() != "alice-2" {
		t.Fatalf("sessions named %q and %q; want alice and alice-2", first.Name(), second.Name())
	}
	expect(t, second) // no notice
	expect(t, first, Message{Kind: KindJoin, From: "alice-2", SenderID: second.ID(), Door: DoorSSH})
	expect(t, obs,
		Message{Kind: KindJoin, From: "alice", SenderID: first.ID(), Door: DoorSSH},
		Message{Kind: KindJoin, From: "alice-2", SenderID: second.ID(), Door: DoorSSH})
	if o := ownerOf(h, "alice"); o != "SHA256:alice" {
		t.Errorf("alice is owned by %q", o)
	}
	if o := ownerOf(h, "alice-2"); o != "" {
		t.Errorf("alice-2 is owned by %q; the key keeps alice", o)
	}
	// Nor by /nick: the other session keeps it.
	if e, ok := nick(t, second, h, "alice"); !ok || e.Err != ErrNameTaken {
		t.Errorf("/nick alice from the second session: %+v", e)
	}
	if first.Name() != "alice" {
		t.Errorf("the first session is %q", first.Name())
	}
	expect(t, first)

	// The first session gone, the name is free for the key's next one.
	h.Leave(first, ReasonQuit)
	third := joinAs(t, h, "alice", "SHA256:alice", "")
	if third.Name() != "alice" {
		t.Errorf("the key's next session is %q", third.Name())
	}

	// Another holder (here by the owner's /release and a rejoin) is
	// renamed when the owner comes, and told why.
	h2 := newTestHub(t, Options{State: State{Names: []NameOwner{{Name: "carol", Key: "SHA256:carol"}}}})
	holder := joinAs(t, h2, "carolyn", "SHA256:other", "")
	h2.mu.Lock()
	h2.renameLocked(holder, "carol", false)
	h2.mu.Unlock()
	holder.Drain(nil)
	owner := joinAs(t, h2, "carol", "SHA256:carol", "")
	if owner.Name() != "carol" || holder.Name() == "carol" {
		t.Fatalf("owner %q, holder %q", owner.Name(), holder.Name())
	}
	if e := lastOf(t, holder, KindError); e.Err != ErrNameOwned {
		t.Errorf("the holder was told %+v", e)
	}
}
