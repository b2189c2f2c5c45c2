package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// LockName is the lock file under the data directory. Its holder (a
// server, or `palabre recover`) keeps it locked for its whole life and
// writes its process id in it, so that another can say who holds it. The
// kernel releases the lock when the holder dies, even by kill -9: a file
// left behind blocks nobody.
const LockName = "palabre.lock"

// ErrInUse is returned by Open and Recover when another process holds
// the data directory.
var ErrInUse = errors.New("data directory in use")

// InUseError says which process holds the data directory.
type InUseError struct {
	Dir string
	PID int // 0: not known (it has not written it yet, or the file is unreadable)
}

func (e *InUseError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("data directory %s is in use by another palabre", e.Dir)
	}
	return fmt.Sprintf("data directory %s is in use by palabre (pid %d)", e.Dir, e.PID)
}

func (e *InUseError) Unwrap() error { return ErrInUse }

// lockDir takes dir's lock without waiting, and writes this process's id
// in it. The caller releases it with Unlock (Close).
func lockDir(dir string) (*flock.Flock, error) {
	path := filepath.Join(dir, LockName)
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("store: locking %s: %w", path, err)
	}
	if !ok {
		return nil, &InUseError{Dir: dir, PID: lockHolder(path)}
	}
	// Written through a descriptor of its own: flock's is read-only, and
	// the lock is advisory, so the content is only what a refusal says.
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		l.Unlock()
		return nil, fmt.Errorf("store: writing %s: %w", path, err)
	}
	return l, nil
}

// lockHolder reads the process id in the lock file at path, or 0.
func lockHolder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
