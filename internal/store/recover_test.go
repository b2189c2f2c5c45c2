package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"palabre/room"
)

func TestRecoverKeepsWhatIsReadable(t *testing.T) {
	const n = 3000
	tests := []struct {
		name         string
		first, count int    // the pages overwritten; first 0: the middle; -1: the last
		fill         []byte // nil: random bytes
		atLeast      int    // messages kept
		others       bool   // the topic, the ban and the name are kept
	}{
		{"three pages in the middle", 0, 3, nil, n - 300, true},
		{"three pages of zeros in the middle", 0, 3, []byte{0}, n - 300, true},
		{"the last page", -1, 1, nil, n - 100, true},
		{"the first page, with the header and the schema", 1, 1, nil, 0, false},
	}
	sample := t.TempDir()
	sampleDB(t, sample, n)
	db, err := os.ReadFile(filepath.Join(sample, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, db, 0o600); err != nil {
				t.Fatal(err)
			}
			first := tt.first
			if first < 0 {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				first = int(fi.Size() / 4096)
			}
			damaged := damage(t, path, first, tt.count, tt.fill)
			at := time.Date(2026, 11, 24, 10, 30, 0, 0, time.Local)

			rec, err := Recover(dir, at)
			if err != nil {
				t.Fatalf("Recover: %v", err)
			}
			if rec.Problem == "" {
				t.Fatal("Recover found nothing wrong")
			}
			if want := path + ".damaged-20261124-103000"; rec.Damaged != want {
				t.Errorf("the damaged file went to %q, want %q", rec.Damaged, want)
			}
			if b, err := os.ReadFile(rec.Damaged); err != nil || !bytes.Equal(b, damaged) {
				t.Errorf("the damaged file is not kept as it was (%v)", err)
			}
			// Every message is kept or in a lost span, never both.
			got := readAll(t, dir, time.Time{})
			if len(got) != rec.Kept["messages"] {
				t.Errorf("the transcript has %d messages, Recover says it kept %d", len(got), rec.Kept["messages"])
			}
			kept := map[uint64]bool{}
			for _, e := range got {
				kept[e.Seq] = true
				if e.Room != room.DefaultRoom {
					t.Errorf("message %d kept in room %q, want %q", e.Seq, e.Room, room.DefaultRoom)
				}
			}
			for seq := int64(1); seq <= n; seq++ {
				lost := false
				for _, s := range rec.Lost {
					lost = lost || (s.Table == "messages" && s.From <= seq && seq <= s.To)
				}
				if lost == kept[uint64(seq)] {
					t.Fatalf("message %d: kept %v, in a lost span %v (%+v)", seq, kept[uint64(seq)], lost, rec.Lost)
				}
			}
			if len(got) < tt.atLeast {
				t.Errorf("kept %d messages, want at least %d: %+v", len(got), tt.atLeast, rec.Lost)
			}
			t.Logf("kept %d of %d messages; lost %+v", len(got), n, rec.Lost)

			s := openStore(t, dir, Options{}) // the server starts on it
			st, err := s.Load(5)
			if err != nil {
				t.Fatal(err)
			}
			if tt.others && (st.Topic != "damage" || len(st.Bans) != 1 || len(st.Names) != 1 || st.Names[0].Name != "alice" || st.Names[0].Key != "SHA256:alice") {
				t.Errorf("after Recover, topic %q, bans %v, names %v: want them kept", st.Topic, st.Bans, st.Names)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A sound database is left alone.
func TestRecoverLeavesASoundDatabase(t *testing.T) {
	dir := t.TempDir()
	sampleDB(t, dir, 10)
	path := filepath.Join(dir, FileName)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := Recover(dir, time.Now())
	if err != nil || rec.Problem != "" || rec.Damaged != "" {
		t.Fatalf("Recover of a sound database: %+v, %v; want nothing done", rec, err)
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("Recover changed a sound database (%v)", err)
	}
	if _, err := Recover(t.TempDir(), time.Now()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Recover with no database: %v, want ErrNotExist", err)
	}
	s := openStore(t, dir, Options{})
	if _, err := Recover(dir, time.Now()); !errors.Is(err, ErrInUse) {
		t.Errorf("Recover beside a running server: %v, want ErrInUse", err)
	}
	s.Close()
}
