package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"palabre/room"
)

// listing describes dir's files: name, size, mode and time of change.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %v %v", e.Name(), fi.Size(), fi.Mode(), fi.ModTime().UnixNano()))
	}
	return out
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// Reading the transcript creates nothing beside the database and changes
// nothing: the tests run as root, for whom a read-only directory is
// writable, so the listing is the witness.
func TestReadTranscriptWritesNothing(t *testing.T) {
	const n = 100
	t.Run("a stopped server's directory, or a copy of it", func(t *testing.T) {
		dir := t.TempDir()
		sampleDB(t, dir, n)
		copied := t.TempDir()
		b, err := os.ReadFile(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(copied, FileName), b, 0o400); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{dir, copied} {
			before := listing(t, d)
			if got := readAll(t, d, time.Time{}); len(got) != n {
				t.Errorf("%s: read %d messages, want %d", d, len(got), n)
			}
			if after := listing(t, d); !slices.Equal(before, after) {
				t.Errorf("%s: reading the transcript changed the directory:\n%q\nto\n%q", d, before, after)
			}
		}
	})
	t.Run("beside a running server", func(t *testing.T) {
		dir := t.TempDir()
		s := openStore(t, dir, Options{})
		for seq := uint64(1); seq <= n; seq++ {
			s.Record(chat(seq, room.KindChat))
		}
		flush(t, s)
		before := names(t, dir)
		if got := readAll(t, dir, time.Time{}); len(got) != n { // through the -wal: nothing is checkpointed yet
			t.Errorf("read %d messages, want %d", len(got), n)
		}
		if after := names(t, dir); !slices.Equal(before, after) {
			t.Errorf("reading beside the server changed the files: %q to %q", before, after)
		}
	})
}
