package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrDamaged is returned when SQLite finds the database damaged: a disk
// or a copy that went wrong overwrote some of its pages.
var ErrDamaged = errors.New("database damaged")

// DamagedError says which database is damaged, how, and what to run.
type DamagedError struct {
	Path    string // the database
	Problem string // SQLite's first complaint
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s is damaged (%s): run `palabre recover --data-dir %s` to keep what is readable and move the damaged file aside",
		e.Path, e.Problem, filepath.Dir(e.Path))
}

func (e *DamagedError) Unwrap() error { return ErrDamaged }

// isDamage tells whether err is SQLite finding the file damaged or not a
// database at all, rather than failing to reach it.
func isDamage(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// damaged turns err into a DamagedError if it is one, and otherwise wraps
// it as what was being done.
func damaged(path, doing string, err error) error {
	if isDamage(err) {
		return &DamagedError{Path: path, Problem: err.Error()}
	}
	return fmt.Errorf("store: %s %s: %w", doing, path, err)
}

// checkIntegrity runs SQLite's quick check: every page of every table and
// index is read and its structure checked (not whether the indexes agree
// with their tables, which integrity_check adds at three times the cost).
// It is the first statement on db, so a file too damaged to open at all is
// caught here too.
func checkIntegrity(ctx context.Context, db *sql.DB, path string) error {
	var result string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&result); err != nil {
		return damaged(path, "checking", err)
	}
	if result != "ok" {
		return &DamagedError{Path: path, Problem: strings.ReplaceAll(result, "\n", "; ")}
	}
	return nil
}
