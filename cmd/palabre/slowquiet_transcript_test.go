package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"palabre/internal/store"
	"palabre/room"
)

// The slow and quiet modes an operator sets and ends are in the
// transcript, each with its room, and `palabre transcript` prints them
// as the room read them.
func TestTranscriptKeepsSlowAndQuiet(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	data := filepath.Join(t.TempDir(), "data")
	s, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Load(50)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.Local)
	hub := room.NewHub(room.Options{Store: s, State: st, OpKeys: []string{"SHA256:prof"}, Now: func() time.Time { return at },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hub.Started()
	op, _, err := hub.Join(room.JoinRequest{Name: "prof", Door: room.DoorSSH, Key: "SHA256:prof"})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"/slow 1m30s", "/quiet", "/open", "/slow off", "/join tp1", "/quiet"} {
		hub.Post(op, line)
	}
	hub.Shutdown()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	out, errs, code := transcript(t, nil, "--data-dir", data)
	if code != 0 {
		t.Fatalf("transcript exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"#main *** prof set slow mode: each member posts at most once every 1 min 30 s",
		"#main *** prof made the room quiet: only operators post; /ask and /hand still work",
		"#main *** prof opened the room: everyone may post again",
		"#main *** prof ended slow mode",
		"#tp1  *** prof made the room quiet",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the transcript has no line %q:\n%s", want, out)
		}
	}
	var kinds []string
	for _, e := range entries(t, data) {
		switch e.Kind {
		case "slow", "quiet", "open":
			kinds = append(kinds, e.Room+" "+e.Kind+" "+e.Name+" "+e.Text)
		}
	}
	if got, want := strings.Join(kinds, "; "), "main slow prof 1m30s; main quiet prof ; main open prof ; main slow prof ; tp1 quiet prof "; got != want {
		t.Errorf("the transcript's entries: %s\nwant %s", got, want)
	}
}
