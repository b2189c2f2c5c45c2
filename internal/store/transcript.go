package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Entry is one event of the transcript, as ReadTranscript gives it.
type Entry struct {
	Seq    uint64      `json:"seq"`
	At     time.Time   `json:"at"`
	Kind   string      `json:"kind"`           // room.Kind.String()
	Room   string      `json:"room,omitempty"` // as the server named it; "": the server's own event (its start, stop, crash)
	Door   string      `json:"door,omitempty"`
	Name   string      `json:"name"` // the sender, or the subject (Message.From)
	Key    string      `json:"key,omitempty"`
	Target string      `json:"target,omitempty"` // Message.To
	Text   string      `json:"text,omitempty"`
	Reason string      `json:"reason,omitempty"` // room.Reason.String(), for leaves
	Until  time.Time   `json:"until,omitzero"`
	Others int         `json:"others,omitempty"` // KindBreakout, KindGather: how many members moved
	Rooms  []EntryRoom `json:"rooms,omitempty"`  // KindBreakout, KindGather: where to or from
}

// EntryRoom is a room a breakout spread members into, or a gather brought
// them back from, with its members then.
type EntryRoom struct {
	Name    string `json:"name"`
	Members int    `json:"members"`
}

// openReader opens the database at path read-only (see dsn for the two
// ways): it never creates the file and never writes it, so it may run
// beside a server's writer.
func openReader(ctx context.Context, path string, a access) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store: no palabre database in %s (no %s): %w", filepath.Dir(path), FileName, err)
		}
		return nil, fmt.Errorf("store: %w", err)
	}
	name, err := dsn(path, a)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	if err := checkReadable(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// readerAccess chooses how to read the database at path from outside the
// server. A server keeps its -wal from its start to its Close, and a killed
// one leaves it: with a -wal, what is committed may be only there, so the
// reader goes through it, live. Without one, nobody writes the file and it
// holds everything: it is read frozen, creating nothing beside it.
func readerAccess(path string) access {
	if _, err := os.Lstat(path + "-wal"); err == nil {
		return readLive
	}
	return readFrozen
}

// Transcript is the transcript of a data directory, opened read-only: it
// never writes the database, and may be read while a server writes it.
// Its reads see one snapshot, the transcript as committed when it was
// opened.
type Transcript struct {
	path string
	db   *sql.DB
	tx   *sql.Tx
}

// OpenTranscript opens the transcript in dir/palabre.db. Close it.
func OpenTranscript(dir string) (*Transcript, error) {
	ctx := context.Background()
	path := filepath.Join(dir, FileName)
	db, err := openReader(ctx, path, readerAccess(path))
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		db.Close()
		return nil, damaged(path, "reading", err)
	}
	return &Transcript{path: path, db: db, tx: tx}, nil
}

// Close ends the reading.
func (t *Transcript) Close() error {
	t.tx.Rollback() // read-only: nothing to keep
	return t.db.Close()
}

// Rooms lists the rooms the transcript names, in name order, each once
// whatever the case of its events (as its first one names it).
func (t *Transcript) Rooms() ([]string, error) {
	names, err := roomNames(context.Background(), t.tx)
	if err != nil {
		return nil, damaged(t.path, "reading", err)
	}
	return names, nil
}

// Filter chooses the events Transcript.Read gives.
type Filter struct {
	From time.Time // those stamped at or after it; zero: from the start
	// Room keeps the events of the room of that name (any case, with or
	// without its '#') and no others, not even the server's own; "": the
	// events of every room and the server's.
	Room string
}

// Read calls fn for every event f selects, in seq order, and stops at
// fn's first error, which it returns.
func (t *Transcript) Read(f Filter, fn func(Entry) error) error {
	var lo int64 = math.MinInt64
	if !f.From.IsZero() {
		lo = f.From.UnixNano()
	}
	// The subquery finds where to start through the index on at (its cost
	// is that of the rows read, not of the whole transcript); the scan
	// then runs in seq order from there, still checking at, as a clock
	// set back may have stamped a later message earlier. A room's scan
	// runs on the room's index, reading no other room's rows.
	where, args := ``, []any{lo, lo}
	if name := strings.TrimPrefix(f.Room, "#"); name != "" {
		where, args = `room = ? AND `, []any{name, lo, lo}
	}
	rows, err := t.tx.QueryContext(context.Background(), `SELECT seq, at, kind, room, door, name, key, target, text, reason, until, others, rooms
		FROM messages WHERE `+where+`seq >= (SELECT MIN(seq) FROM messages INDEXED BY messages_at WHERE at >= ?) AND at >= ?
		ORDER BY seq`, args...)
	if err != nil {
		return damaged(t.path, "reading", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e       Entry
			seq, at int64
			until   sql.NullInt64
			rooms   string
		)
		if err := rows.Scan(&seq, &at, &e.Kind, &e.Room, &e.Door, &e.Name, &e.Key, &e.Target, &e.Text, &e.Reason, &until, &e.Others, &rooms); err != nil {
			return damaged(t.path, "reading", err)
		}
		if rooms != "" {
			if err := json.Unmarshal([]byte(rooms), &e.Rooms); err != nil {
				return fmt.Errorf("store: reading %s: message %d: rooms %q: %w", t.path, seq, rooms, err)
			}
		}
		e.Seq, e.At, e.Until = uint64(seq), time.Unix(0, at), fromNanos(until)
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return damaged(t.path, "reading", err)
	}
	return nil
}

// ReadTranscript calls fn for every event of the transcript in dir/palabre.db
// stamped at or after from (zero: all), every room's and the server's, as
// Transcript.Read does.
func ReadTranscript(dir string, from time.Time, fn func(Entry) error) error {
	t, err := OpenTranscript(dir)
	if err != nil {
		return err
	}
	defer t.Close()
	return t.Read(Filter{From: from}, fn)
}
