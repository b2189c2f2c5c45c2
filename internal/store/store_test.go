package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"palabre/room"
)

// t0 has nanoseconds, to show they survive.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

func openStore(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func flush(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func readAll(t testing.TB, dir string, from time.Time) []Entry {
	t.Helper()
	var out []Entry
	if err := ReadTranscript(dir, from, func(e Entry) error { out = append(out, e); return nil }); err != nil {
		t.Fatalf("ReadTranscript: %v", err)
	}
	return out
}

// sampleDB writes n chat messages, a topic, a ban and a name owner into a
// Store in dir and closes it: the database is then one file.
func sampleDB(t *testing.T, dir string, n int) {
	t.Helper()
	s := openStore(t, dir, Options{})
	for seq := 1; seq <= n; seq++ {
		m := chat(uint64(seq), room.KindChat)
		m.Text = fmt.Sprintf("message %d of the lesson", seq)
		s.Record(m)
	}
	s.SaveTopic("main", "damage")
	s.SaveBan(room.Ban{Target: "SHA256:mallory", Name: "mallory", At: t0})
	s.BindName("alice", "SHA256:alice", t0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+"-wal")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Close, a -wal is left: %v", err)
	}
}

// sameEntry compares entries with time.Equal: times come back in Local.
func sameEntry(a, b Entry) bool {
	if !a.At.Equal(b.At) || !a.Until.Equal(b.Until) {
		return false
	}
	a.At, a.Until, b.At, b.Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func TestKindsRoundTrip(t *testing.T) {
	const key = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
	until := t0.Add(10 * time.Minute)
	tests := []struct {
		name string
		msg  room.Message
		want Entry // Seq and At are filled in
	}{
		{"chat", room.Message{Kind: room.KindChat, Room: "main", From: "alice", Text: "bonjour à tous", Key: key, SenderID: 7},
			Entry{Kind: "chat", Room: "main", Name: "alice", Text: "bonjour à tous", Key: key}},
		{"action", room.Message{Kind: room.KindAction, From: "bob", Text: "waves"},
			Entry{Kind: "action", Name: "bob", Text: "waves"}},
		{"join", room.Message{Kind: room.KindJoin, From: "Thread-1", Door: room.DoorTCP},
			Entry{Kind: "join", Name: "Thread-1", Door: "tcp"}},
		{"leave", room.Message{Kind: room.KindLeave, From: "Thread-1", Door: room.DoorTCP, Reason: room.ReasonTooSlow},
			Entry{Kind: "leave", Name: "Thread-1", Door: "tcp", Reason: "too slow"}},
		{"move", room.Message{Kind: room.KindLeave, Room: "main", From: "bob", Door: room.DoorSSH, Reason: room.ReasonMoved, Text: "TP1"},
			Entry{Kind: "leave", Room: "main", Name: "bob", Door: "ssh", Reason: room.ReasonMoved.String(), Text: "TP1"}},
		{"join after a move", room.Message{Kind: room.KindJoin, Room: "TP1", From: "bob", Door: room.DoorSSH},
			Entry{Kind: "join", Room: "TP1", Name: "bob", Door: "ssh"}},
		{"nick", room.Message{Kind: room.KindNick, From: "Thread-2", To: "carol", Door: room.DoorSSH, Key: key},
			Entry{Kind: "nick", Name: "Thread-2", Target: "carol", Door: "ssh", Key: key}},
		{"kick", room.Message{Kind: room.KindKick, From: "prof", To: "carol", Text: "spam"},
			Entry{Kind: "kick", Name: "prof", Target: "carol", Text: "spam"}},
		{"mute", room.Message{Kind: room.KindMute, From: "prof", To: "dave", Until: until},
			Entry{Kind: "mute", Name: "prof", Target: "dave", Until: until}},
		{"mute for good", room.Message{Kind: room.KindMute, From: "prof", To: "dave"},
			Entry{Kind: "mute", Name: "prof", Target: "dave"}},
		{"unmute", room.Message{Kind: room.KindUnmute, From: "prof", To: "dave"},
			Entry{Kind: "unmute", Name: "prof", Target: "dave"}},
		{"ban", room.Message{Kind: room.KindBan, From: "prof", To: "eve", Text: "flood", Until: until},
			Entry{Kind: "ban", Name: "prof", Target: "eve", Text: "flood", Until: until}},
		{"unban", room.Message{Kind: room.KindUnban, From: "prof", Text: "203.0.113.9"},
			Entry{Kind: "unban", Name: "prof", Text: "203.0.113.9"}},
		{"topic", room.Message{Kind: room.KindTopic, From: "prof", Text: "TP 3: sockets"},
			Entry{Kind: "topic", Name: "prof", Text: "TP 3: sockets"}},
		{"breakout", room.Message{Kind: room.KindBreakout, Room: "main", From: "prof", Others: 5,
			Rooms: []room.RoomInfo{{Name: "main-1", Members: 3, Topic: "not kept"}, {Name: "main-2", Members: 2}}},
			Entry{Kind: "breakout", Room: "main", Name: "prof", Others: 5, Rooms: []EntryRoom{{"main-1", 3}, {"main-2", 2}}}},
		{"gather", room.Message{Kind: room.KindGather, Room: "main", From: "prof", Others: 4, Rooms: []room.RoomInfo{{Name: "main-1", Members: 2}}},
			Entry{Kind: "gather", Room: "main", Name: "prof", Others: 4, Rooms: []EntryRoom{{"main-1", 2}}}},
		{"op", room.Message{Kind: room.KindOp, From: "prof", Key: key},
			Entry{Kind: "op", Name: "prof", Key: key}},
	}
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	for i, tt := range tests {
		tt.msg.Seq, tt.msg.At = uint64(i+1), t0.Add(time.Duration(i)*time.Second)
		s.Record(tt.msg)
	}
	flush(t, s)
	got := readAll(t, dir, time.Time{})
	if len(got) != len(tests) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(tests), got)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			want.Seq, want.At = uint64(i+1), t0.Add(time.Duration(i)*time.Second)
			if !sameEntry(got[i], want) {
				t.Errorf("got  %+v\nwant %+v", got[i], want)
			}
		})
	}
}

func TestPrivateAndReplies(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("StorePrivate=%v", keep), func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, Options{StorePrivate: keep})
			s.Record(room.Message{Seq: 1, At: t0, Kind: room.KindChat, From: "a", Text: "public"})
			s.Record(room.Message{Seq: 2, At: t0, Kind: room.KindPrivate, From: "a", To: "b", Text: "psst"})
			s.Record(room.Message{Seq: 0, At: t0, Kind: room.KindError, Err: room.ErrNoSuchMember, Text: "zed"})
			s.Record(room.Message{Seq: 0, At: t0, Kind: room.KindWho})
			s.Record(room.Message{Seq: 0, At: t0, Kind: room.KindPrivate, From: "a", To: "b", Text: "a copy"})
			flush(t, s)
			var kinds []string
			for _, e := range readAll(t, dir, time.Time{}) {
				kinds = append(kinds, e.Kind+":"+e.Target+":"+e.Text)
			}
			want := []string{"chat::public"}
			if keep {
				want = append(want, "private:b:psst")
			}
			if !slices.Equal(kinds, want) {
				t.Errorf("stored %q, want %q", kinds, want)
			}
		})
	}
}

// chat is message seq of the default room.
func chat(seq uint64, kind room.Kind) room.Message {
	return room.Message{Seq: seq, At: t0.Add(time.Duration(seq) * time.Millisecond), Kind: kind, Room: room.DefaultRoom,
		From: fmt.Sprintf("user%d", seq%7), Text: fmt.Sprintf("message %d", seq), Door: room.DoorSSH, Key: "SHA256:k"}
}

func TestReopenContinuity(t *testing.T) {
	const n = 1000
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	var public []uint64 // seqs of chat and action
	for seq := uint64(1); seq <= n; seq++ {
		kind := room.KindChat
		switch seq % 5 {
		case 0:
			kind = room.KindJoin
		case 3:
			kind = room.KindAction
		}
		if kind != room.KindJoin {
			public = append(public, seq)
		}
		s.Record(chat(seq, kind))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close = %v, want ErrClosed", err)
	}

	s = openStore(t, dir, Options{})
	for _, h := range []int{0, 1, 50, n} {
		st, err := s.Load(h)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if st.Seq != n {
			t.Errorf("Load().Seq = %d, want %d", st.Seq, n)
		}
		want := public[max(len(public)-h, 0):]
		var got []uint64
		for _, m := range st.History {
			got = append(got, m.Seq)
			w := chat(m.Seq, m.Kind)
			w.Kind = room.KindChat
			if m.Seq%5 == 3 {
				w.Kind = room.KindAction
			}
			if !m.At.Equal(w.At) || m.Kind != w.Kind || m.From != w.From || m.Text != w.Text ||
				m.Door != w.Door || m.Key != w.Key || m.SenderID != 0 {
				t.Fatalf("history message %+v, want %+v", m, w)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("Load(%d).History seqs = %v, want %v", h, got, want)
		}
	}

	// from filters by time, inclusive.
	from := t0.Add(900 * time.Millisecond)
	got := readAll(t, dir, from)
	if len(got) != 101 || got[0].Seq != 900 || got[100].Seq != n {
		t.Errorf("ReadTranscript from seq 900's time: %d entries, first %+v", len(got), got[0])
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq != got[i-1].Seq+1 {
			t.Fatalf("out of order: %d after %d", got[i].Seq, got[i-1].Seq)
		}
	}
	if all := readAll(t, dir, time.Time{}); len(all) != n {
		t.Errorf("ReadTranscript from zero: %d entries, want %d", len(all), n)
	}

	stop := errors.New("stop")
	calls := 0
	err := ReadTranscript(dir, time.Time{}, func(Entry) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ReadTranscript with fn failing: err %v after %d calls, want stop after 1", err, calls)
	}
}

func TestEmptyLoad(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	st, err := s.Load(100)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if st.Seq != 0 || len(st.History) != 0 || len(st.Bans) != 0 || st.Topic != "" || len(st.Names) != 0 {
		t.Errorf("Load of an empty store = %+v", st)
	}
}

func TestBansTopicNames(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	forGood := room.Ban{Target: "SHA256:aaa", Net: "2001:db8:1:2::/64", Name: "eve", Reason: "flood", By: "prof", At: now.Add(-time.Hour)}
	expired := room.Ban{Target: "203.0.113.9", Name: "mallory", By: "prof", At: now.Add(-2 * time.Hour), Until: now.Add(-time.Minute)}
	lifted := room.Ban{Target: "SHA256:bbb", Name: "trent", By: "prof", At: now.Add(-time.Hour)}
	renewed := room.Ban{Target: "198.51.100.7", Net: "198.51.100.7", Name: "oscar", Reason: "first", By: "prof", At: now.Add(-3 * time.Hour), Until: now.Add(-time.Hour)}
	renewed2 := renewed
	renewed2.Reason, renewed2.By, renewed2.At, renewed2.Until = "again", "prof2", now.Add(-30*time.Minute), now.Add(time.Hour)
	for _, b := range []room.Ban{forGood, expired, lifted, renewed, renewed2} {
		s.SaveBan(b)
	}
	s.DeleteBan(lifted.Target)
	s.DeleteBan("never banned")

	s.SaveTopic("main", "first topic")
	s.SaveTopic("main", "TP 3: sockets")

	// The table follows the hub: one name per key, the last bound.
	seen := func(min int) time.Time { return now.Add(time.Duration(min) * time.Minute) }
	s.BindName("Alice", "key-a", seen(1))
	s.BindName("ALICE", "key-b", seen(2)) // the hub gave it to key-b: key-a owns nothing
	s.BindName("Carol", "key-a", seen(3))
	s.BindName("Bob", "key-b", seen(4)) // key-b's only name: ALICE is free
	s.BindName("Dave", "key-c", seen(5))
	s.ReleaseName("DAVE")                 // /release
	s.BindName("carol", "key-a", seen(6)) // seen again
	flush(t, s)

	st, err := s.Load(10)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	wantBans := []room.Ban{forGood, renewed2} // by At
	if len(st.Bans) != len(wantBans) {
		t.Fatalf("Bans = %+v, want %+v", st.Bans, wantBans)
	}
	for i, b := range st.Bans {
		w := wantBans[i]
		if b.Target != w.Target || b.Net != w.Net || b.Name != w.Name || b.Reason != w.Reason || b.By != w.By ||
			!b.At.Equal(w.At) || !b.Until.Equal(w.Until) || b.Until.IsZero() != w.Until.IsZero() {
			t.Errorf("ban %d = %+v, want %+v", i, b, w)
		}
	}
	if st.Topic != "TP 3: sockets" {
		t.Errorf("Topic = %q", st.Topic)
	}
	wantNames := []room.NameOwner{{Name: "Bob", Key: "key-b", Seen: seen(4)}, {Name: "carol", Key: "key-a", Seen: seen(6)}} // last seen last
	if len(st.Names) != len(wantNames) {
		t.Fatalf("Names = %+v, want %+v", st.Names, wantNames)
	}
	for i, n := range st.Names {
		if w := wantNames[i]; n.Name != w.Name || n.Key != w.Key || !n.Seen.Equal(w.Seen) {
			t.Errorf("name %d = %+v, want %+v", i, n, w)
		}
	}
	// Bans 7, topics 2, names 13: two writes a binding, one a release.
	if got := s.Stats(); got.Written != 22 || got.Failed != 0 || got.Dropped != 0 {
		t.Errorf("Stats = %+v, want 22 written", got)
	}
}

func TestReadTranscriptFromClockSetBack(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	for seq, sec := range []int{100, 300, 50, 200, 150} { // the clock went back after seq 2
		s.Record(room.Message{Seq: uint64(seq + 1), At: t0.Add(time.Duration(sec) * time.Second), Kind: room.KindChat, From: "a"})
	}
	flush(t, s)
	for _, tt := range []struct {
		from int
		want []uint64
	}{{0, []uint64{1, 2, 3, 4, 5}}, {150, []uint64{2, 4, 5}}, {250, []uint64{2}}, {301, nil}} {
		var got []uint64
		for _, e := range readAll(t, dir, t0.Add(time.Duration(tt.from)*time.Second)) {
			got = append(got, e.Seq)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("from %ds: seqs %v, want %v", tt.from, got, tt.want)
		}
	}
}

// Sequence numbers never repeat across a restart, not even those of
// messages nobody stored (private ones without StorePrivate, the notice of
// a shutdown).
func TestSequenceOfUnkeptMessagesIsRemembered(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	s.Record(room.Message{Seq: 1, At: at, Kind: room.KindChat, From: "a", Text: "kept"})
	s.Record(room.Message{Seq: 2, At: at, Kind: room.KindPrivate, From: "a", To: "b", Text: "not kept"})
	s.Record(room.Message{Seq: 3, At: at, Kind: room.KindShutdown})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Load(10)
	if err != nil {
		t.Fatal(err)
	}
	if st.Seq != 3 {
		t.Errorf("Load().Seq = %d, want 3: the unkept numbers were used", st.Seq)
	}
	n := 0
	if err := ReadTranscript(dir, time.Time{}, func(Entry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d entries, want only the chat", n)
	}
}
