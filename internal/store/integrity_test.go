package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// damage overwrites count pages of the database at path, from page first
// (1-based; 0: the middle of the file), with fill, or random bytes when
// fill is nil, as a failing disk or a bad copy would. It returns the
// file's content afterwards.
func damage(t *testing.T, path string, first, count int, fill []byte) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size := int(binary.BigEndian.Uint16(b[16:18])) // the header's page size
	if size == 1 {
		size = 65536
	}
	pages := len(b) / size
	if first == 0 {
		first = pages/2 + 1
	}
	if first+count-1 > pages {
		t.Fatalf("pages %d to %d of a database of %d", first, first+count-1, pages)
	}
	junk := bytes.Repeat(fill, count*size/max(len(fill), 1))
	if fill == nil {
		junk = make([]byte, count*size)
		rand.Read(junk)
	}
	copy(b[(first-1)*size:], junk)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

// A damaged database is refused at Open, left as it was found, and the
// refusal says what to run; a reader says the same instead of reading
// nothing.
func TestDamagedDatabaseRefused(t *testing.T) {
	dir := t.TempDir()
	sampleDB(t, dir, 3000)
	path := filepath.Join(dir, FileName)
	damaged := damage(t, path, 0, 3, nil)

	_, err := Open(dir, Options{})
	var dmg *DamagedError
	if !errors.As(err, &dmg) || !errors.Is(err, ErrDamaged) {
		t.Fatalf("Open of a damaged database: %v, want ErrDamaged", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, path+" is damaged (") || !strings.Contains(msg, "run `palabre recover --data-dir "+dir+"`") || strings.Contains(msg, "\n") {
		t.Errorf("the refusal: %q; want one line naming the file and the command", msg)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, damaged) {
		t.Errorf("the refused Open changed the damaged file (%v)", err)
	}
	err = ReadTranscript(dir, time.Time{}, func(Entry) error { return nil })
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "palabre recover") {
		t.Errorf("ReadTranscript of a damaged database: %v, want ErrDamaged", err)
	}
}

// A refused Open (here a damaged database) lets go of the lock.
func TestFailedOpenReleasesTheLock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("not a database, not at all, not even its header"), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := Open(dir, Options{}); !errors.Is(err, ErrDamaged) {
			t.Fatalf("Open of a file that is not a database: %v, want ErrDamaged", err)
		}
	}
}
