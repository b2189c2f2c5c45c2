package room

import (
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/fakeclock"
)

// memStore is a Store that remembers, for tests.
type memStore struct {
	mu     sync.Mutex
	events []Message
	bans   map[string]Ban
	topic  string
	names  map[string]string // lower-cased name → key
	byKey  map[string]string // key → its name, lower-cased
}

func newMemStore() *memStore {
	return &memStore{bans: map[string]Ban{}, names: map[string]string{}, byKey: map[string]string{}}
}

func (s *memStore) Record(m Message) { s.mu.Lock(); s.events = append(s.events, m); s.mu.Unlock() }
func (s *memStore) SaveBan(b Ban)    { s.mu.Lock(); s.bans[b.Target] = b; s.mu.Unlock() }
func (s *memStore) DeleteBan(t string) {
	s.mu.Lock()
	delete(s.bans, t)
	s.mu.Unlock()
}
func (s *memStore) SaveTopic(_, t string) { s.mu.Lock(); s.topic = t; s.mu.Unlock() }

// BindName and ReleaseName keep what a Store must: one name per key.
func (s *memStore) BindName(n, k string, _ time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byKey[k]; ok && s.names[old] == k {
		delete(s.names, old)
	}
	s.names[strings.ToLower(n)], s.byKey[k] = k, strings.ToLower(n)
}

func (s *memStore) ReleaseName(n string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byKey, s.names[strings.ToLower(n)])
	delete(s.names, strings.ToLower(n))
}

// owned returns the stored names, for a look under the lock.
func (s *memStore) owned() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.names)
}

func (s *memStore) kinds() []Kind {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Kind
	for _, e := range s.events {
		out = append(out, e.Kind)
	}
	return out
}

func joinAs(t *testing.T, h *Hub, name, key, addr string) *Member {
	t.Helper()
	m, _, err := h.Join(JoinRequest{Name: name, Door: DoorSSH, Key: key, Addr: addr, Echo: true})
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	return m
}

// lastOf drains m and returns the last message of kind k, failing if none.
func lastOf(t *testing.T, m *Member, k Kind) Message {
	t.Helper()
	var found *Message
	for _, msg := range m.Drain(nil) {
		if msg.Kind == k {
			found = &msg
		}
	}
	if found == nil {
		t.Fatalf("%s got no %v", m.Name(), k)
	}
	return *found
}

func TestOperators(t *testing.T) {
	h := newTestHub(t, Options{OpKeys: []string{"SHA256:teacher"}, OpPassword: "s3cret"})
	teacher := joinAs(t, h, "teacher1", "SHA256:teacher", "10.0.0.1:1")
	student := joinAs(t, h, "student", "", "10.0.0.2:1")
	if !teacher.IsOp() || student.IsOp() {
		t.Fatalf("ops: teacher %v student %v", teacher.IsOp(), student.IsOp())
	}
	h.Post(student, "/kick teacher1")
	if e := lastOf(t, student, KindError); e.Err != ErrNotOperator {
		t.Fatalf("non-operator /kick: %+v", e)
	}
	h.Post(student, "/op wrong")
	if e := lastOf(t, student, KindError); e.Err != ErrWrongPassword || student.IsOp() {
		t.Fatalf("wrong /op: %+v op=%v", e, student.IsOp())
	}
	h.Post(student, "/op s3cret")
	if !student.IsOp() {
		t.Fatal("/op with the password did not make an operator")
	}
	if got := lastOf(t, teacher, KindOp); got.From != "student" {
		t.Errorf("teacher saw %+v", got)
	}
	h.Post(student, "/who")
	who := lastOf(t, student, KindWho)
	if !who.Members[0].Op || !who.Members[1].Op {
		t.Errorf("/who does not mark operators: %+v", who.Members)
	}
}

func TestKickMuteUnmute(t *testing.T) {
	clock := fakeclock.New(testClock)
	store := newMemStore()
	h := newTestHub(t, Options{OpKeys: []string{"K"}, Now: clock.Now, Sleep: clock.Sleep, Store: store})
	op := joinAs(t, h, "teacher1", "K", "10.0.0.1:1")
	bob := joinAs(t, h, "bob", "", "10.0.0.2:1")
	carol := joinAs(t, h, "carol", "", "10.0.0.3:1")

	h.Post(op, "/mute bob 10m")
	if m := lastOf(t, bob, KindMute); m.To != "bob" || !m.Until.Equal(testClock.Add(10*time.Minute)) {
		t.Fatalf("mute: %+v", m)
	}
	carol.Drain(nil)
	h.Post(bob, "can I speak?")
	if e := lastOf(t, bob, KindError); e.Err != ErrMuted {
		t.Fatalf("muted post: %+v", e)
	}
	if got := carol.Drain(nil); len(got) != 0 {
		t.Fatalf("a muted member's words reached carol: %+v", got)
	}
	clock.Sleep(11*time.Minute, nil) // the mute runs out
	h.Post(bob, "now?")
	if got := lastOf(t, carol, KindChat); got.Text != "now?" {
		t.Fatalf("after the mute: %+v", got)
	}
	h.Post(op, "/mute bob")
	h.Post(op, "/unmute bob")
	h.Post(bob, "free")
	if got := lastOf(t, carol, KindChat); got.Text != "free" {
		t.Fatalf("after unmute: %+v", got)
	}

	h.Post(op, "/kick bob spamming")
	if k := lastOf(t, carol, KindKick); k.To != "bob" || k.Text != "spamming" || k.From != "teacher1" {
		t.Fatalf("kick: %+v", k)
	}
	select {
	case <-bob.Done():
	default:
		t.Fatal("a kicked member is still in")
	}
	if bob.Reason() != ReasonKicked {
		t.Errorf("reason %v", bob.Reason())
	}
	if k := store.kinds(); !containsKinds(k, KindMute, KindUnmute, KindKick, KindLeave) {
		t.Errorf("transcript kinds %v", k)
	}
}

func containsKinds(have []Kind, want ...Kind) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

func TestBans(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{OpKeys: []string{"K"}, Store: store})
	op := joinAs(t, h, "teacher1", "K", "10.0.0.1:1")
	keyed := joinAs(t, h, "keyed", "SHA256:student", "10.0.0.2:1")
	plain := joinAs(t, h, "plain", "", "10.0.0.3:5555")

	h.Post(op, "/ban keyed 1h cheating")
	if b := lastOf(t, plain, KindBan); b.To != "keyed" || b.Text != "cheating" || b.Until.IsZero() {
		t.Fatalf("ban by key: %+v", b)
	}
	h.Post(op, "/ban plain flooding")
	if keyed.Reason() != ReasonBanned {
		t.Errorf("the banned member left for %v", keyed.Reason())
	}
	if _, _, err := h.Join(JoinRequest{Name: "again", Key: "SHA256:student", Addr: "10.9.9.9:1"}); err == nil {
		t.Fatal("a banned key joined")
	}
	_, _, err := h.Join(JoinRequest{Name: "again", Addr: "10.0.0.3:6666"})
	var be *BannedError
	if !errorsAs(err, &be) || be.Ban.Reason != "flooding" || !be.Ban.Until.IsZero() {
		t.Fatalf("a banned address: err %v", err)
	}
	if len(store.bans) != 2 {
		t.Fatalf("stored bans %v", store.bans)
	}
	h.Post(op, "/bans")
	if b := lastOf(t, op, KindBans); len(b.Bans) != 2 {
		t.Fatalf("/bans: %+v", b.Bans)
	}
	h.Post(op, "/unban 10.0.0.3")
	if _, _, err := h.Join(JoinRequest{Name: "back", Addr: "10.0.0.3:7777"}); err != nil {
		t.Fatalf("after /unban: %v", err)
	}
	h.Post(op, "/unban 10.0.0.3")
	if e := lastOf(t, op, KindError); e.Err != ErrNoSuchBan {
		t.Fatalf("unban twice: %+v", e)
	}

	// Bans come back from the store's state.
	h2 := newTestHub(t, Options{State: State{Bans: []Ban{{Target: "SHA256:student"}}}})
	if _, _, err := h2.Join(JoinRequest{Name: "x1", Key: "SHA256:student"}); err == nil {
		t.Fatal("a ban from the state did not hold")
	}
}

func TestTopic(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{OpKeys: []string{"K"}, Store: store})
	op := joinAs(t, h, "teacher1", "K", "")
	bob := joinAs(t, h, "bob", "", "")
	h.Post(bob, "/topic mine now")
	if e := lastOf(t, bob, KindError); e.Err != ErrNotOperator {
		t.Fatalf("non-op topic: %+v", e)
	}
	h.Post(op, "/topic TP sockets, ch. 12")
	if tp := lastOf(t, bob, KindTopic); tp.Text != "TP sockets, ch. 12" {
		t.Fatalf("topic: %+v", tp)
	}
	late := joinAs(t, h, "late", "", "")
	if tp := lastOf(t, late, KindTopic); tp.Text != "TP sockets, ch. 12" || tp.From != "" {
		t.Fatalf("newcomer's topic: %+v", tp)
	}
	if store.topic != "TP sockets, ch. 12" || h.Topic() != store.topic {
		t.Errorf("stored topic %q, hub %q", store.topic, h.Topic())
	}
}

// "/topic -" clears the topic; a bare /topic shows it, for operators too.
func TestTopicCleared(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{OpKeys: []string{"K"}, Store: store})
	op := joinAs(t, h, "teacher1", "K", "")
	bob := joinAs(t, h, "bob", "", "")
	h.Post(op, "/topic TP 12")
	h.Post(bob, "/topic -")
	if e := lastOf(t, bob, KindError); e.Err != ErrNotOperator {
		t.Fatalf("a student's /topic -: %+v", e)
	}
	h.Post(op, "/topic")
	if tp := lastOf(t, op, KindTopic); tp.Text != "TP 12" {
		t.Fatalf("an operator's bare /topic: %+v", tp)
	}
	h.Post(op, "/topic -")
	tp := lastOf(t, bob, KindTopic)
	if tp.Text != "" || tp.From != "teacher1" || h.Topic() != "" || store.topic != "" {
		t.Fatalf("after /topic -: %+v, hub %q, stored %q", tp, h.Topic(), store.topic)
	}
	for lang, want := range map[Lang]string{LangEN: "teacher1 cleared the topic", LangFR: "teacher1 a effacé le sujet"} {
		if got := lang.Describe(tp); got != want {
			t.Errorf("%s: %q; want %q", lang, got, want)
		}
	}
	if late := joinAs(t, h, "late", "", ""); len(late.Drain(nil)) != 0 {
		t.Error("a newcomer was shown a cleared topic")
	}
	bob.Drain(nil)
	h.Post(op, "/topic -") // nothing to clear: the operator is told so, alone
	if tp := lastOf(t, op, KindTopic); tp.From != "" || LangEN.Describe(tp) != "No topic is set." {
		t.Errorf("/topic - with no topic: %+v", tp)
	}
	if got := bob.Drain(nil); len(got) != 0 {
		t.Errorf("the room read %v", got)
	}
}

func TestNamesOwnedByKeys(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{Store: store})
	alice := joinAs(t, h, "alice", "SHA256:alice", "")
	if store.names["alice"] != "SHA256:alice" {
		t.Fatalf("alice's name was not bound: %v", store.names)
	}
	h.Leave(alice, ReasonQuit)
	// Nobody else takes it, on either door.
	imp, _, err := h.Join(JoinRequest{Name: "Alice", Door: DoorTCP})
	if err != nil {
		t.Fatal(err)
	}
	if imp.Name() == "Alice" {
		t.Fatal("a member without the key took alice")
	}
	if e := lastOf(t, imp, KindError); e.Err != ErrNameOwned {
		t.Fatalf("notice: %+v", e)
	}
	h.Post(imp, "/nick alice")
	if e := lastOf(t, imp, KindError); e.Err != ErrNameOwned {
		t.Fatalf("/nick alice: %+v", e)
	}
	// A name bound in an earlier run holds after a restart.
	h2 := newTestHub(t, Options{State: State{Names: []NameOwner{{Name: "bob", Key: "SHA256:bob"}}}})
	holder, _, _ := h2.Join(JoinRequest{Name: "guest", Door: DoorTCP})
	holder.Drain(nil)
	// The holder cannot take bob by /nick…
	h2.Post(holder, "/nick bob")
	if e := lastOf(t, holder, KindError); e.Err != ErrNameOwned {
		t.Fatalf("/nick to an owned name: %+v", e)
	}
	// …but bob, by key, may.
	other := joinAs(t, h2, "bobby", "SHA256:bob", "")
	h2.Post(other, "/nick bob")
	if other.Name() != "bob" {
		t.Fatalf("the owner's /nick: %s", other.Name())
	}
}

func TestOwnerTakesNameBackFromHolder(t *testing.T) {
	h := newTestHub(t, Options{State: State{Names: []NameOwner{{Name: "carol", Key: "SHA256:carol"}}}})
	// Before the binding was known (e.g. an old session), a holder has it:
	// simulate with a hub whose owners were loaded after the holder joined.
	holder := joinAs(t, h, "carolyn", "", "")
	h.mu.Lock()
	h.renameLocked(holder, "carol", false)
	h.mu.Unlock()
	holder.Drain(nil)
	owner := joinAs(t, h, "carol", "SHA256:carol", "")
	if owner.Name() != "carol" {
		t.Fatalf("the owner got %q", owner.Name())
	}
	if holder.Name() == "carol" {
		t.Fatal("the holder kept the owner's name")
	}
	if e := lastOf(t, holder, KindError); e.Err != ErrNameOwned || e.Text != "carol" {
		t.Fatalf("the holder was not told: %+v", e)
	}
}

func TestStateRestoresSequenceAndHistory(t *testing.T) {
	past := []Message{{Seq: 41, Kind: KindChat, From: "old", Text: "before the restart"}}
	h := newTestHub(t, Options{State: State{Seq: 41, History: past}})
	m, hist, err := h.Join(JoinRequest{Name: "new1", Door: DoorTCP})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Text != "before the restart" {
		t.Fatalf("history %+v", hist)
	}
	other := joinAs(t, h, "other", "", "")
	h.Post(m, "after")
	if got := lastOf(t, other, KindChat); got.Seq <= 42 {
		t.Fatalf("seq %d: the sequence did not go on from 41", got.Seq)
	}
}

func errorsAs(err error, target **BannedError) bool {
	be, ok := err.(*BannedError)
	if ok {
		*target = be
	}
	return ok
}
