package main

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"palabre/internal/store"
	"palabre/room"
)

// `palabre transcript` prints a poll's opening with its choices, and its
// result with each choice's votes and share, each on its line; as JSON,
// the choices and their votes are the entry's rooms.
func TestTranscriptOfAPoll(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	data := filepath.Join(t.TempDir(), "data")
	s, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.Local)
	msgs := []room.Message{
		{Kind: room.KindPoll, Room: "main", From: "prof", Text: "Lunch?", Rooms: []room.RoomInfo{{Name: "pizza"}, {Name: "salad"}, {Name: "soup"}}},
		{Kind: room.KindChat, Room: "main", From: "ann", Text: "pizza!"},
		{Kind: room.KindPollResult, Room: "main", From: "prof", To: "prof", Text: "Lunch?", Others: 30,
			Rooms: []room.RoomInfo{{Name: "pizza", Members: 12}, {Name: "salad", Members: 18}, {Name: "soup"}}},
	}
	for i, m := range msgs {
		m.Seq, m.At = uint64(i+1), at.Add(time.Duration(i)*time.Minute)
		s.Record(m)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	out, errs, code := transcript(t, nil, "--data-dir", data)
	want := "2026-11-24 10:00 *** Poll by prof: Lunch? 1. pizza 2. salad 3. soup — /vote N\n" +
		"2026-11-24 10:01 ann> pizza!\n" +
		"2026-11-24 10:02 *** Poll closed by prof: Lunch? — 30 votes: 1. pizza 12 (40%), 2. salad 18 (60%), 3. soup 0 (0%)\n"
	if code != 0 || out != want {
		t.Errorf("exit %d (%s):\n%s\nwant\n%s", code, errs, out, want)
	}

	es := entries(t, data)
	if len(es) != 3 {
		t.Fatalf("%d entries", len(es))
	}
	res := es[2]
	if res.Kind != "pollresult" || res.Name != "prof" || res.Text != "Lunch?" || res.Others != 30 ||
		fmt.Sprint(res.Rooms) != "[{pizza 12} {salad 18} {soup 0}]" {
		t.Errorf("the result as JSON: %+v", res)
	}
}
