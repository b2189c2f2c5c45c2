package store

import (
	"database/sql"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/room"
)

// A database of version 3 was one room's. Through version 4 what it kept
// becomes the default room's, in the name the server is started with
// (its '#' dropped), and its topic that room's; the server's own starts,
// stops and crashes stay the server's. Rows written after it in any case
// of that name are the same room's.
func TestMigrationToVersion4GivesTheDefaultRoomWhatWasKept(t *testing.T) {
	for _, tc := range []struct{ option, room string }{{"", "main"}, {"#Lecture", "Lecture"}} {
		t.Run(tc.room, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				migrations[0], migrations[1], migrations[2], `PRAGMA user_version = 3`,
				`INSERT INTO messages (seq, at, kind, door, name, text) VALUES (1, 1, 'start', '', '', ''),
					(2, 2, 'join', 'tcp', 'Thread-1', ''), (3, 3, 'chat', 'tcp', 'Thread-1', 'bonjour'),
					(4, 4, 'action', 'ssh', 'bob', 'salue'), (5, 5, 'leave', 'tcp', 'Thread-1', ''),
					(6, 6, 'stop', '', '', ''), (7, 7, 'crash', '', '', ''), (8, 8, 'chat', 'ssh', 'bob', 'encore')`,
				`INSERT INTO settings (name, value) VALUES ('topic', 'TP 3: sockets')`,
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			s := openStore(t, dir, Options{Room: tc.option})
			if v := rawVersion(t, path, -1); v != Version() {
				t.Fatalf("version %d after the migration, want %d", v, Version())
			}
			st, err := s.Load(10)
			if err != nil {
				t.Fatal(err)
			}
			if got := historyOf(st.History); !slices.Equal(got, []string{"3 " + tc.room, "4 " + tc.room, "8 " + tc.room}) {
				t.Errorf("history %q, want seqs 3, 4 and 8 in %s", got, tc.room)
			}
			if st.Topic != "TP 3: sockets" || st.Rooms != nil || st.Seq != 8 {
				t.Errorf("topic %q, rooms %v, seq %d; want the old topic, no other room, 8", st.Topic, st.Rooms, st.Seq)
			}
			want := []string{"1 ", "2 " + tc.room, "3 " + tc.room, "4 " + tc.room, "5 " + tc.room, "6 ", "7 ", "8 " + tc.room}
			if got := roomsOf(readAll(t, dir, time.Time{})); !slices.Equal(got, want) {
				t.Errorf("transcript's rooms %q, want %q", got, want)
			}

			// The rows that follow, in any case of the name, are the same room's.
			s.Record(room.Message{Seq: 9, At: t0, Kind: room.KindChat, Room: strings.ToUpper(tc.room), From: "bob", Text: "suite"})
			s.Record(room.Message{Seq: 10, At: t0, Kind: room.KindChat, Room: "tp1", From: "eve", Text: "ailleurs"})
			s.SaveTopic(strings.ToUpper(tc.room), "TP 4")
			flush(t, s)
			if st, err = s.Load(10); err != nil {
				t.Fatal(err)
			}
			if got := historyOf(st.History); !slices.Equal(got, []string{"3 " + tc.room, "4 " + tc.room, "8 " + tc.room, "9 " + strings.ToUpper(tc.room)}) {
				t.Errorf("history after more %q", got)
			}
			if st.Topic != "TP 4" || len(st.Rooms) != 1 || !slices.Equal(historyOf(st.Rooms["tp1"].History), []string{"10 tp1"}) {
				t.Errorf("after more: topic %q, rooms %+v", st.Topic, st.Rooms)
			}
		})
	}
}

// Each room starts from its own last messages and topic; the default
// room's are State's own. Names are one room in any case. A room that
// kept only joins and leaves, or whose topic was cleared, has nothing to
// start from; a room with a topic and no messages has its topic.
func TestLoadGivesEachRoomItsHistoryAndTopic(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	rows := []struct {
		kind room.Kind
		room string
	}{
		{room.KindStart, ""}, {room.KindJoin, "main"}, {room.KindChat, "main"}, {room.KindChat, "tp1"},
		{room.KindChat, "TP2"}, {room.KindAction, "main"}, {room.KindJoin, "main-1"}, {room.KindChat, "tp1"},
		{room.KindAction, "tp2"}, {room.KindLeave, "main-1"}, {room.KindChat, "main"}, {room.KindJoin, "tp1"},
		{room.KindChat, "tp1"}, {room.KindTopic, "tp1"}, {room.KindChat, "Tp2"}, {room.KindStop, ""},
	}
	for i, r := range rows {
		s.Record(room.Message{Seq: uint64(i + 1), At: t0.Add(time.Duration(i) * time.Second), Kind: r.kind, Room: r.room, From: "a", Text: fmt.Sprint(i + 1)})
	}
	s.SaveTopic("TP2", "first")
	s.SaveTopic("tp2", "groupe 2")
	s.SaveTopic("quiet", "nobody spoke")
	s.SaveTopic("gone", "cleared")
	s.SaveTopic("Gone", "")
	s.SaveTopic("main", "cours")
	flush(t, s)

	st, err := s.Load(2)
	if err != nil {
		t.Fatal(err)
	}
	if st.Seq != uint64(len(rows)) {
		t.Errorf("seq %d, want %d: one sequence for every room", st.Seq, len(rows))
	}
	if got := historyOf(st.History); !slices.Equal(got, []string{"6 main", "11 main"}) || st.Topic != "cours" {
		t.Errorf("default room: history %q, topic %q; want seqs 6 and 11, cours", got, st.Topic)
	}
	if keys := slices.Sorted(maps.Keys(st.Rooms)); !slices.Equal(keys, []string{"quiet", "tp1", "tp2"}) {
		t.Fatalf("rooms %q, want quiet, tp1 and tp2", keys)
	}
	for key, want := range map[string]struct {
		history []string
		topic   string
	}{
		"tp1":   {[]string{"8 tp1", "13 tp1"}, ""},
		"tp2":   {[]string{"9 tp2", "15 Tp2"}, "groupe 2"},
		"quiet": {nil, "nobody spoke"},
	} {
		r := st.Rooms[key]
		if got := historyOf(r.History); !slices.Equal(got, want.history) || r.Topic != want.topic {
			t.Errorf("%s: history %q, topic %q; want %q, %q", key, got, r.Topic, want.history, want.topic)
		}
	}
	for _, m := range st.Rooms["tp1"].History {
		if m.Kind != room.KindChat || m.From != "a" || m.Text != fmt.Sprint(m.Seq) || !m.At.Equal(t0.Add(time.Duration(m.Seq-1)*time.Second)) {
			t.Errorf("tp1 history message %+v", m)
		}
	}

	// No history asked: only the topics.
	if st, err = s.Load(0); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(st.Rooms)); st.History != nil || st.Topic != "cours" || !slices.Equal(keys, []string{"quiet", "tp2"}) {
		t.Errorf("Load(0): history %v, topic %q, rooms %q", st.History, st.Topic, keys)
	}
}

// A room's transcript is its rows alone, whatever the case they or the
// reader name it in, in seq order; the whole transcript names each row's
// room, and "" for the server's own.
func TestTranscriptOfOneRoom(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	in := []string{"", "main", "tp1", "TP1", "main", "tp2", "", "Tp1", "main-1"}
	for i, r := range in {
		s.Record(room.Message{Seq: uint64(i + 1), At: t0.Add(time.Duration(i) * time.Second), Kind: room.KindJoin, Room: r, From: "a"})
	}
	flush(t, s)
	tr, err := OpenTranscript(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rooms, err := tr.Rooms()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"main", "main-1", "tp1", "tp2"}; !slices.Equal(rooms, want) {
		t.Errorf("Rooms() = %q, want %q", rooms, want)
	}
	for _, tt := range []struct {
		f    Filter
		want []string
	}{
		{Filter{}, []string{"1 ", "2 main", "3 tp1", "4 TP1", "5 main", "6 tp2", "7 ", "8 Tp1", "9 main-1"}},
		{Filter{Room: "tp1"}, []string{"3 tp1", "4 TP1", "8 Tp1"}},
		{Filter{Room: "#TP1"}, []string{"3 tp1", "4 TP1", "8 Tp1"}},
		{Filter{Room: "main"}, []string{"2 main", "5 main"}},
		{Filter{Room: "tp1", From: t0.Add(3 * time.Second)}, []string{"4 TP1", "8 Tp1"}},
		{Filter{Room: "tp3"}, nil},
	} {
		var got []Entry
		if err := tr.Read(tt.f, func(e Entry) error { got = append(got, e); return nil }); err != nil {
			t.Fatal(err)
		}
		if r := roomsOf(got); !slices.Equal(r, tt.want) {
			t.Errorf("Read(%+v) = %q, want %q", tt.f, r, tt.want)
		}
	}
}

// historyOf is "SEQ ROOM" of each message.
func historyOf(ms []room.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d %s", m.Seq, m.Room))
	}
	return out
}

// roomsOf is "SEQ ROOM" of each entry.
func roomsOf(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d %s", e.Seq, e.Room))
	}
	return out
}
