package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/room"
)

func TestModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "palabre")
	s := openStore(t, dir, Options{})
	s.Record(chat(1, room.KindChat))
	flush(t, s)
	for path, want := range map[string]fs.FileMode{
		dir:                                 0o700 | fs.ModeDir,
		filepath.Dir(dir):                   0o700 | fs.ModeDir,
		filepath.Join(dir, FileName):        0o600,
		filepath.Join(dir, FileName+"-wal"): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
	}
}

func TestMigrations(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	s := openStore(t, dir, Options{})
	s.Record(chat(1, room.KindChat))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := rawVersion(t, path, -1); v != Version() {
		t.Fatalf("user_version after Open = %d, want %d", v, Version())
	}
	s = openStore(t, dir, Options{}) // reopening migrates nothing and keeps the data
	if st, err := s.Load(5); err != nil || st.Seq != 1 || len(st.History) != 1 {
		t.Fatalf("Load after reopen = %+v, %v", st, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	rawVersion(t, path, Version()+1)
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "version") {
		t.Errorf("Open of a newer schema: %v, want ErrNewerSchema", err)
	}
	if err := ReadTranscript(dir, time.Time{}, func(Entry) error { return nil }); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("ReadTranscript of a newer schema: %v, want ErrNewerSchema", err)
	}
	if v := rawVersion(t, path, -1); v != Version()+1 {
		t.Errorf("a refused database was changed: version %d", v)
	}
}

// rawVersion sets the database's user_version to v unless v < 0, and
// returns it, through a connection of its own.
func rawVersion(t *testing.T, path string, v int) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v >= 0 {
		if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReadTranscriptNoDatabase(t *testing.T) {
	dir := t.TempDir()
	err := ReadTranscript(dir, time.Time{}, func(Entry) error { return nil })
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "no palabre database") {
		t.Errorf("ReadTranscript of an empty dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadTranscript created the database: %v", err)
	}
	os.WriteFile(filepath.Join(dir, FileName), nil, 0o600) // an empty file: no schema
	if err := ReadTranscript(dir, time.Time{}, func(Entry) error { return nil }); err == nil || !strings.Contains(err.Error(), "no palabre schema") {
		t.Errorf("ReadTranscript of an empty database: %v", err)
	}
}

func TestMigrationStep(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	s.Record(chat(1, room.KindChat))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A later palabre adds a step; the database at version 1 takes it alone.
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = append(slices.Clip(saved), `ALTER TABLE messages ADD COLUMN edited INTEGER`)
	s = openStore(t, dir, Options{})
	flush(t, s)
	path := filepath.Join(dir, FileName)
	if v := rawVersion(t, path, -1); v != len(saved)+1 {
		t.Errorf("version after the new step = %d, want %d", v, len(saved)+1)
	}
	if got := readAll(t, dir, time.Time{}); len(got) != 1 {
		t.Errorf("transcript after the new step: %+v", got)
	}
}

// A database of version 1 (names bound first come first served, any number
// per key; bans without a network) comes through version 2 with what it
// held: every name, taken as seen when migrated, and the bans, with no
// network (the hub gives an address ban its network).
func TestMigrationToVersion2(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		migrations[0], `PRAGMA user_version = 1`,
		`INSERT INTO names (name, key, written) VALUES ('alice', 'SHA256:a', 'Alice'), ('thread-3', 'SHA256:a', 'Thread-3'), ('bob', 'SHA256:b', 'bob')`,
		`INSERT INTO bans (target, name, reason, by_op, at) VALUES ('SHA256:e', 'eve', '', 'prof', 1), ('2001:db8::200', 'mallory', '', 'prof', 2)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	before := time.Now().Add(-time.Second)
	s := openStore(t, dir, Options{})
	st, err := s.Load(0)
	if err != nil {
		t.Fatal(err)
	}
	if v := rawVersion(t, path, -1); v != Version() {
		t.Fatalf("version %d after the migration, want %d", v, Version())
	}
	var got []string
	for _, n := range st.Names {
		if n.Seen.Before(before) || n.Seen.After(time.Now()) {
			t.Errorf("%s: seen %v, want the time of the migration", n.Name, n.Seen)
		}
		got = append(got, n.Name+"="+n.Key)
	}
	if want := []string{"Alice=SHA256:a", "Thread-3=SHA256:a", "bob=SHA256:b"}; !slices.Equal(got, want) {
		t.Errorf("names %v, want %v (in the order bound)", got, want)
	}
	if len(st.Bans) != 2 || st.Bans[0].Target != "SHA256:e" || st.Bans[0].Net != "" || st.Bans[1].Target != "2001:db8::200" || st.Bans[1].Net != "" {
		t.Errorf("bans %+v", st.Bans)
	}
}

// A database of version 2 kept the joins of Thread-1 to Thread-12 (one
// renamed since, one that never spoke): version 3 numbers on from 12, so
// that the next run's first TCP member is not a name of the transcript.
func TestMigrationToVersion3NumbersOn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		migrations[0], migrations[1], `PRAGMA user_version = 2`,
		`INSERT INTO messages (seq, at, kind, door, name) VALUES (1, 1, 'join', 'tcp', 'Thread-1'), (2, 2, 'join', 'tcp', 'Thread-12'),
			(3, 3, 'join', 'tcp', 'Thread-9'), (4, 4, 'join', 'ssh', 'thread-x'), (5, 5, 'chat', 'tcp', 'Thread-40'), (6, 6, 'join', 'ssh', 'guest-4')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s := openStore(t, dir, Options{})
	st, err := s.Load(0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Numbers["thread-"] != 12 || st.Numbers["guest-"] != 4 {
		t.Errorf("numbers %v, want thread- 12 and guest- 4", st.Numbers)
	}
}
