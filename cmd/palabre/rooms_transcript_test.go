package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/store"
	"palabre/room"
)

// event is one row a test writes through the store, as a hub would.
type event struct {
	kind       room.Kind
	room, from string
	text       string
	reason     room.Reason
}

// runStore is one run of a server on data, as the store sees it: it opens
// the store, goes on from the sequence the last run left, records events
// between a start and a stop, and closes it. It returns the entries it
// wrote, as the transcript should give them back.
func runStore(t *testing.T, data string, at time.Time, events []event) []store.Entry {
	t.Helper()
	s, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Load(50)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Entry
	seq := st.Seq
	record := func(e event) {
		seq++
		m := room.Message{Seq: seq, At: at.Add(time.Duration(seq) * time.Minute), Kind: e.kind, Room: e.room, From: e.from, Text: e.text, Reason: e.reason}
		if e.from != "" {
			m.Door = room.DoorTCP
		}
		s.Record(m)
		var reason string
		if e.reason != 0 {
			reason = e.reason.String()
		}
		out = append(out, store.Entry{Seq: seq, At: m.At, Kind: e.kind.String(), Room: e.room, Door: string(m.Door), Name: e.from, Text: e.text, Reason: reason})
	}
	record(event{kind: room.KindStart})
	for _, e := range events {
		record(e)
	}
	record(event{kind: room.KindStop})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// where is "SEQ ROOM KIND NAME TEXT" of each entry, to compare them whole.
func where(es []store.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d %s %s %s %s", e.Seq, e.Room, e.Kind, e.Name, e.Text))
	}
	return out
}

// `palabre transcript --room tp1` gives tp1's rows of both runs of a
// server and nothing else, in the server's one order, whatever the case
// the room or the reader wrote it in; without --room, every row with its
// room, the server's own with none, in a column as wide as the longest
// room name.
func TestTranscriptByRoomAcrossRestart(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	data := filepath.Join(t.TempDir(), "data")
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.Local)
	first := runStore(t, data, at, []event{
		{kind: room.KindJoin, room: "main", from: "alice"},
		{kind: room.KindJoin, room: "main", from: "bob"},
		{kind: room.KindChat, room: "main", from: "alice", text: "bonjour"},
		{kind: room.KindLeave, room: "main", from: "bob", reason: room.ReasonMoved, text: "tp1"},
		{kind: room.KindJoin, room: "tp1", from: "bob"},
		{kind: room.KindChat, room: "tp1", from: "bob", text: "dans tp1"},
		{kind: room.KindJoin, room: "tp2", from: "carol"},
		{kind: room.KindChat, room: "tp2", from: "carol", text: "groupe 2"},
		{kind: room.KindAction, room: "tp1", from: "bob", text: "attend"},
	})
	second := runStore(t, data, at.Add(time.Hour), []event{
		{kind: room.KindJoin, room: "main", from: "bob"},
		{kind: room.KindLeave, room: "main", from: "bob", reason: room.ReasonMoved, text: "TP1"},
		{kind: room.KindJoin, room: "TP1", from: "bob"},
		{kind: room.KindChat, room: "TP1", from: "bob", text: "encore"},
		{kind: room.KindChat, room: "tp2", from: "carol", text: "aussi"},
		{kind: room.KindChat, room: "main", from: "alice", text: "re"},
	})
	all := append(first, second...)
	var tp1 []store.Entry
	for _, e := range all {
		if strings.EqualFold(e.Room, "tp1") {
			tp1 = append(tp1, e)
		}
	}

	for _, name := range []string{"tp1", "TP1", "#tp1"} {
		if got := where(entries(t, data, "--room", name)); !slices.Equal(got, where(tp1)) {
			t.Errorf("--room %s:\n%s\nwant tp1's rows of both runs:\n%s", name, strings.Join(got, "\n"), strings.Join(where(tp1), "\n"))
		}
	}
	if got := where(entries(t, data)); !slices.Equal(got, where(all)) {
		t.Errorf("without --room:\n%s\nwant every row:\n%s", strings.Join(got, "\n"), strings.Join(where(all), "\n"))
	}

	// As text: one room's lines as they always read; all of them, each
	// with its room in a column.
	stamp := func(e store.Entry) string { return e.At.Format("2006-01-02 15:04") }
	out, errs, code := transcript(t, nil, "--data-dir", data, "--room", "TP1")
	var want strings.Builder
	for _, e := range tp1 {
		fmt.Fprintf(&want, "%s %s\n", stamp(e), transcriptLine(e))
	}
	if code != 0 || out != want.String() {
		t.Errorf("--room TP1 as text: exit %d (%s)\n%s\nwant\n%s", code, errs, out, want.String())
	}
	out, errs, code = transcript(t, nil, "--data-dir", data)
	want.Reset()
	for _, e := range all {
		tag := map[string]string{"": "     ", "main": "#main", "tp1": "#tp1 ", "TP1": "#TP1 ", "tp2": "#tp2 "}[e.Room]
		fmt.Fprintf(&want, "%s %s %s\n", stamp(e), tag, transcriptLine(e))
	}
	if code != 0 || out != want.String() {
		t.Errorf("all rooms as text: exit %d (%s)\n%s\nwant\n%s", code, errs, out, want.String())
	}
	if !strings.Contains(out, "2026-11-24 10:07 #tp1  bob> dans tp1\n") || !strings.Contains(out, "2026-11-24 10:01       *** server started\n") {
		t.Errorf("all rooms as text:\n%s\nwant the room before each line, none for the server's own", out)
	}

	// A room the transcript does not name is a mistake, told with the
	// rooms there are.
	out, errs, code = transcript(t, nil, "--data-dir", data, "--room", "tp3")
	if code == 0 || out != "" || !strings.Contains(errs, `--room "tp3": no such room`) || !strings.Contains(errs, "#main, #tp1, #tp2") {
		t.Errorf("--room tp3: exit %d, out %q, stderr %q; want an error listing #main, #tp1, #tp2", code, out, errs)
	}
}

// A server that never had more than one room keeps the transcript it
// always had: no room on any line.
func TestTranscriptOfOneRoomReadsAsBefore(t *testing.T) {
	t.Chdir(t.TempDir())
	data := filepath.Join(t.TempDir(), "data")
	es := runStore(t, data, time.Date(2026, 11, 24, 10, 0, 0, 0, time.Local), []event{
		{kind: room.KindJoin, room: "main", from: "alice"},
		{kind: room.KindChat, room: "main", from: "alice", text: "bonjour"},
	})
	out, errs, code := transcript(t, nil, "--data-dir", data)
	want := "2026-11-24 10:01 *** server started\n" +
		"2026-11-24 10:02 *** alice joined (tcp)\n" +
		"2026-11-24 10:03 alice> bonjour\n" +
		"2026-11-24 10:04 *** server stopped\n"
	if code != 0 || out != want || len(es) != 4 {
		t.Errorf("exit %d (%s):\n%s\nwant\n%s", code, errs, out, want)
	}
}

// waitContaining reads m's lines until one holds want, in any case: a
// room keeps the case it was made in.
func waitContaining(t *testing.T, m *member, want string) {
	t.Helper()
	for !strings.Contains(strings.ToLower(m.next(t)), strings.ToLower(want)) {
	}
}

// The same through the real server, across its restart: members who
// `/join tp1` over TCP speak there, others in the default room, and
// `transcript --room tp1` gives tp1's lines of both runs, in order, and
// nothing else; without --room, the default room's lines name it and the
// server's own name none.
func TestTranscriptByRoomAcrossRestartOfTheServer(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PALABRE_MSG_RATE=0"}
	moveTo := func(m *member, name string) {
		t.Helper()
		m.send(t, "/join "+name)
		waitContaining(t, m, "You are now in #"+name)
	}

	first := startProc(t, dir, env...)
	inMain, mainWitness, inTP1, tp1Witness := joinAny(t, first.addr), joinAny(t, first.addr), joinAny(t, first.addr), joinAny(t, first.addr)
	moveTo(inTP1, "tp1")
	moveTo(tp1Witness, "tp1")
	inTP1.send(t, "dans tp1")
	tp1Witness.waitFor(t, inTP1.name+"> dans tp1")
	inMain.send(t, "dans main")
	mainWitness.waitFor(t, inMain.name+"> dans main")
	stop(t, first)

	second := startProc(t, dir, env...)
	again, witness := joinAny(t, second.addr), joinAny(t, second.addr)
	moveTo(again, "TP1")
	moveTo(witness, "tp1")
	again.send(t, "encore")
	witness.waitFor(t, again.name+"> encore")
	stop(t, second)

	data := filepath.Join(dir, "data")
	es := entries(t, data, "--room", "tp1")
	checkSeqs(t, es)
	var joined []string
	for _, e := range es {
		if !strings.EqualFold(e.Room, "tp1") {
			t.Errorf("--room tp1 gave a row of %q: %+v", e.Room, e)
		}
		if e.Kind == "join" {
			joined = append(joined, e.Name)
		}
	}
	if got, want := chats(es), []string{inTP1.name + "> dans tp1", again.name + "> encore"}; !slices.Equal(got, want) {
		t.Errorf("--room tp1: chats %q, want %q", got, want)
	}
	if want := []string{inTP1.name, tp1Witness.name, again.name, witness.name}; !slices.Equal(joined, want) {
		t.Errorf("--room tp1: joins of %q, want %q", joined, want)
	}

	all := entries(t, data)
	checkSeqs(t, all)
	runs := 0
	for _, e := range all {
		switch {
		case e.Kind == "start" || e.Kind == "stop":
			runs++
			if e.Room != "" {
				t.Errorf("the server's own %s names room %q", e.Kind, e.Room)
			}
		case e.Kind == "chat" && e.Text == "dans main" && e.Room != "main":
			t.Errorf("the default room's chat names room %q, want main", e.Room)
		}
	}
	if runs != 4 {
		t.Errorf("%d starts and stops, want 4: %v", runs, all)
	}
}
