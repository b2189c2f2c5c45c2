package room

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"palabre/internal/fakeclock"
)

func TestFloodControlPacesWithoutDropping(t *testing.T) {
	clock := fakeclock.New(testClock)
	h := newTestHub(t, Options{MsgRate: 2, MsgBurst: 5, Now: clock.Now, Sleep: clock.Sleep})
	ms := joinAll(t, h, "alice", "bob")
	alice, bob := ms[0], ms[1]
	var delays []time.Duration
	for i := range 100 {
		before := clock.Now()
		if !alice.Pace() {
			t.Fatalf("Pace %d: false while alice is in the room", i)
		}
		delays = append(delays, clock.Now().Sub(before))
		h.Post(alice, "m")
	}
	for i, d := range delays[:5] {
		if d != 0 {
			t.Errorf("message %d of the burst waited %v", i, d)
		}
	}
	for i, d := range delays[5:] {
		if d != 500*time.Millisecond {
			t.Errorf("message %d waited %v, want 500ms", i+5, d)
		}
	}
	if want := 95 * 500 * time.Millisecond; clock.Slept() != want {
		t.Errorf("slept %v in all, want %v", clock.Slept(), want)
	}
	if got := len(bob.Drain(nil)); got != 100 {
		t.Errorf("bob got %d messages, want all 100", got)
	}
}

func TestFloodControlOff(t *testing.T) {
	clock := fakeclock.New(testClock)
	h := newTestHub(t, Options{Now: clock.Now, Sleep: clock.Sleep})
	m := joinAll(t, h, "alice")[0]
	for range 1000 {
		if d := m.Delay(); d != 0 {
			t.Fatalf("Delay %v with flood control off", d)
		}
	}
}

// Pace gives up at once, and says so, when the member leaves.
func TestPaceEndsWhenTheMemberLeaves(t *testing.T) {
	h := newTestHub(t, Options{MsgRate: 0.001, MsgBurst: 1}) // a real, very long wait
	m := joinAll(t, h, "alice")[0]
	if !m.Pace() {
		t.Fatal("the first message of the burst was held")
	}
	result := make(chan bool)
	go func() { result <- m.Pace() }()
	h.Leave(m, ReasonQuit)
	select {
	case ok := <-result:
		if ok {
			t.Error("Pace reported success for a member that left")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Pace still waiting after the member left")
	}
}

func TestLongTextIsSplitNotDropped(t *testing.T) {
	h := newTestHub(t, Options{MaxMessageBytes: 10})
	ms := joinAll(t, h, "alice", "bob")
	text := "abcdefghijklmnopqrstuvwxyzé世界😀 fin"
	h.Post(ms[0], text)
	h.Post(ms[0], "/me "+text)
	h.Post(ms[0], "/msg bob "+text)
	var chats, actions, privates strings.Builder
	for _, m := range ms[1].Drain(nil) {
		if len(m.Text) > 10 || !utf8.ValidString(m.Text) {
			t.Errorf("part %q: over 10 bytes or cut inside a character", m.Text)
		}
		switch m.Kind {
		case KindChat:
			chats.WriteString(m.Text)
		case KindAction:
			actions.WriteString(m.Text)
		case KindPrivate:
			privates.WriteString(m.Text)
		}
	}
	for kind, got := range map[string]string{"chat": chats.String(), "action": actions.String(), "private": privates.String()} {
		if got != text {
			t.Errorf("%s parts join to %q, want %q", kind, got, text)
		}
	}
}

func TestRoomFull(t *testing.T) {
	h := newTestHub(t, Options{MaxMembers: 2})
	ms := joinAll(t, h, "alice", "bob")
	if _, _, err := h.Join(JoinRequest{Name: "carol", Door: DoorTCP}); err != ErrFull {
		t.Fatalf("third join: err = %v, want ErrFull", err)
	}
	h.Leave(ms[0], ReasonQuit)
	if _, _, err := h.Join(JoinRequest{Name: "carol", Door: DoorTCP}); err != nil {
		t.Fatalf("join after a leave: %v", err)
	}
}

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"alice", "Thread-1", "аlice", "ali\u200bce", "root", "ROOT", "a", strings.Repeat("x", 17), "a b", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p := CheckName(name)
		if p != NameOK {
			return
		}
		// An accepted name is 2 to 16 bytes of [A-Za-z0-9_-], not reserved in any case.
		if len(name) < MinNameLen || len(name) > MaxNameLen {
			t.Fatalf("accepted %q of %d bytes", name, len(name))
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
				t.Fatalf("accepted %q with byte %q", name, c)
			}
		}
		if reserved[strings.ToLower(name)] {
			t.Fatalf("accepted reserved %q", name)
		}
		if Sanitize(name) != name {
			t.Fatalf("accepted %q, which the sanitiser changes", name)
		}
	})
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 64, "short"},
		{"abcdef", 3, "abc…"},
		{"aé", 2, "a…"}, // never inside a character
		{"", 0, ""},
	} {
		if got := Clip(tt.in, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// Post reports congestion once a member's outbox is over half full, so
// that the poster's door can give readers a moment.
func TestPostReportsCongestion(t *testing.T) {
	h := newTestHub(t, Options{OutboxBytes: 700}) // "x" from alice costs 70 bytes
	ms := joinAll(t, h, "alice", "bob")
	var at int
	for i := 1; i <= 8; i++ {
		if h.Post(ms[0], "x") && at == 0 {
			at = i
		}
	}
	if at != 6 {
		t.Errorf("congestion reported at message %d, want 6 (bob's outbox past 350 of 700 bytes)", at)
	}
	ms[0].Drain(nil) // alice's screen echoes her words
	ms[1].Drain(nil)
	if h.Post(ms[0], "x") {
		t.Error("congestion reported right after the outboxes drained")
	}
}
