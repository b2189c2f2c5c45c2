package lineproto

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"palabre/room"
)

func TestInput(t *testing.T) {
	hub := room.NewHub(room.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxMessageBytes: 100})
	join := func(name string) *room.Member {
		m, _, err := hub.Join(room.JoinRequest{Name: name, Door: room.DoorTCP})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	alice, bob, carol := join("alice"), join("bob"), join("carol")
	bob.Drain(nil)
	carol.Drain(nil)
	in := Input{Hub: hub, Member: alice, MessageBytes: 100}

	// A long /msg stays private to its end, and its tail is no command.
	in.Line("/msg bob " + strings.Repeat("s", 250) + "/quit")
	var private strings.Builder
	for _, m := range bob.Drain(nil) {
		if m.Kind != room.KindPrivate {
			t.Fatalf("bob got a %v: %q", m.Kind, m.Text)
		}
		private.WriteString(m.Text)
	}
	if want := strings.Repeat("s", 250) + "/quit"; private.String() != want {
		t.Errorf("bob's private parts join to %d bytes, want %d", private.Len(), len(want))
	}
	if got := carol.Drain(nil); len(got) != 0 {
		t.Errorf("carol got %d messages of a private one", len(got))
	}
	if in.Stop != 0 || len(hub.Members()) != 3 {
		t.Fatalf("stop %v, members %d: the tail ran as a command", in.Stop, len(hub.Members()))
	}

	in.Line(" fin ")
	if in.Stop != room.ReasonFIN {
		t.Fatalf("Stop = %v after FIN", in.Stop)
	}
	in.Line("after FIN")
	if got := carol.Drain(nil); len(got) != 0 {
		t.Errorf("a line after FIN was posted: %v", got)
	}
}
