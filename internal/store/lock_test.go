package store

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"palabre/room"
)

// A second Store on the same directory is refused, naming the holder, and
// readers are not: the transcript reads while the server runs.
func TestOpenLocksTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	s.Record(chat(1, room.KindChat))
	flush(t, s)

	_, err := Open(dir, Options{})
	var inUse *InUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrInUse) || inUse.PID != os.Getpid() {
		t.Fatalf("a second Open: %v; want ErrInUse naming pid %d", err, os.Getpid())
	}
	if want := "data directory " + dir + " is in use by palabre (pid " + strconv.Itoa(os.Getpid()) + ")"; err.Error() != want {
		t.Errorf("the refusal says %q, want %q", err, want)
	}
	if got := readAll(t, dir, time.Time{}); len(got) != 1 {
		t.Errorf("ReadTranscript beside the holder: %d entries, want 1", len(got))
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{}) // Close released it
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// A lock file left by a process that died names a pid but holds nothing:
// the next Open takes it and writes its own pid.
func TestStaleLockFileBlocksNobody(t *testing.T) {
	dir := t.TempDir()
	lock := filepath.Join(dir, LockName)
	if err := os.WriteFile(lock, []byte("999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dir, Options{})
	if got := lockHolder(lock); got != os.Getpid() {
		t.Errorf("the lock file names pid %d, want %d", got, os.Getpid())
	}
	if fi, err := os.Stat(lock); err != nil || fi.Mode() != 0o600 {
		t.Errorf("the lock file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	s.Close()
}
