package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	_ "modernc.org/sqlite" // the "sqlite" driver: pure Go, no cgo
)

// FileName is the database's name under the data directory.
const FileName = "palabre.db"

// migrations builds the schema, in order: migrations[i] takes a database
// from user_version i to i+1. Append to the list, never edit an entry that
// has shipped: a database records how far it went, not what each step was.
// A step may read :default_room, the name of the default room of the
// server that migrates (Options.Room): what it held before rooms was that
// room's.
var migrations = []string{
	// 1: the transcript, the bans, the name owners, the settings.
	`CREATE TABLE messages (
		seq    INTEGER PRIMARY KEY,      -- room.Message.Seq
		at     INTEGER NOT NULL,         -- unix nanoseconds
		kind   TEXT NOT NULL,            -- room.Kind.String()
		door   TEXT NOT NULL DEFAULT '',
		name   TEXT NOT NULL DEFAULT '', -- the sender or subject (Message.From)
		key    TEXT NOT NULL DEFAULT '', -- the sender's key fingerprint
		target TEXT NOT NULL DEFAULT '', -- Message.To
		text   TEXT NOT NULL DEFAULT '',
		reason TEXT NOT NULL DEFAULT '', -- room.Reason.String(), for leaves
		until  INTEGER                   -- unix nanoseconds; NULL: none
	);
	CREATE INDEX messages_at ON messages(at);
	CREATE TABLE bans (
		target TEXT PRIMARY KEY,         -- a key fingerprint or an address
		name   TEXT NOT NULL DEFAULT '',
		reason TEXT NOT NULL DEFAULT '',
		by_op  TEXT NOT NULL DEFAULT '',
		at     INTEGER NOT NULL,         -- unix nanoseconds
		until  INTEGER                   -- unix nanoseconds; NULL: for good
	);
	CREATE TABLE names (
		name    TEXT PRIMARY KEY,        -- lower-cased
		key     TEXT NOT NULL,
		written TEXT NOT NULL            -- as the member first wrote it
	);
	CREATE TABLE settings (
		name  TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);`,
	// 2: a ban on a key holds its holder's network too; a key owns one
	// name, and is forgotten when unseen for long (room/owners.go). Names
	// bound before are taken as seen now; the hub keeps one per key.
	`ALTER TABLE bans ADD COLUMN net TEXT NOT NULL DEFAULT ''; -- keyless newcomers from it are refused
	ALTER TABLE names ADD COLUMN seen INTEGER NOT NULL DEFAULT 0; -- unix nanoseconds: the owner's last visit
	UPDATE names SET seen = CAST(strftime('%s', 'now') AS INTEGER) * 1000000000;`,
	// 3: the highest number each prefix of the server's names was given
	// (Thread-41), so that the next run numbers on from it: taken from the
	// joins kept so far, then kept by the writer at each join.
	`INSERT INTO settings (name, value)
	SELECT 'last_number:' || lower(substr(name, 1, 7)), CAST(MAX(CAST(substr(name, 8) AS INTEGER)) AS TEXT) FROM messages
	WHERE kind = 'join' AND lower(substr(name, 1, 7)) = 'thread-' AND substr(name, 8) <> '' AND substr(name, 8) NOT GLOB '*[^0-9]*'
	HAVING COUNT(*) > 0;
	INSERT INTO settings (name, value)
	SELECT 'last_number:' || lower(substr(name, 1, 6)), CAST(MAX(CAST(substr(name, 7) AS INTEGER)) AS TEXT) FROM messages
	WHERE kind = 'join' AND lower(substr(name, 1, 6)) = 'guest-' AND substr(name, 7) <> '' AND substr(name, 7) NOT GLOB '*[^0-9]*'
	HAVING COUNT(*) > 0;`,
	// 4: rooms (issue 12). Every event names its room; '' is the server's
	// own (its starts, stops and crashes). What was kept before was the one
	// room's: it becomes the default room's, here, once, so that no reader
	// has to tell an old '' from a server-wide one. NOCASE: rooms are named
	// in any case, and a room's rows are found whatever case each was
	// written in. The index serves a room's transcript and its last
	// messages at start, and lists the rooms a step per room, for a cost
	// to the writer of every message (docs/performance.md). A breakout and
	// a gather say how many members went where.
	`ALTER TABLE messages ADD COLUMN room TEXT NOT NULL DEFAULT '' COLLATE NOCASE; -- room.Message.Room, as the hub named it
	ALTER TABLE messages ADD COLUMN others INTEGER NOT NULL DEFAULT 0; -- room.Message.Others
	ALTER TABLE messages ADD COLUMN rooms TEXT NOT NULL DEFAULT '';    -- room.Message.Rooms: JSON [{"name", "members"}], or ''
	UPDATE messages SET room = :default_room WHERE kind NOT IN ('start', 'stop', 'crash');
	CREATE INDEX messages_room ON messages(room); -- and so by (room, seq): seq is the row id; made after the update, in one sort
	CREATE TABLE topics (
		room    TEXT PRIMARY KEY,        -- lower-cased
		written TEXT NOT NULL,           -- as the hub named it
		topic   TEXT NOT NULL
	);
	INSERT INTO topics (room, written, topic) SELECT lower(:default_room), :default_room, value FROM settings WHERE name = 'topic';
	DELETE FROM settings WHERE name = 'topic';`,
}

// Version is the schema version this program writes and reads.
func Version() int { return len(migrations) }

// access is how a connection uses the database.
type access uint8

const (
	readWrite  access = iota // the server's writer
	readLive                 // a reader beside a server that may be running, or was killed
	readFrozen               // a reader of a database nobody writes: a stopped server's, a copy
)

// dsn names the database at path for modernc.org/sqlite. A writer sets WAL
// (persistent in the file), synchronous=NORMAL (in WAL mode a process crash
// loses nothing committed; a power cut may lose the last commits) and takes
// its write lock at BEGIN, so a transaction never fails half-way on a lock.
//
// A reader opens the file read-only: it never creates it, never writes it.
// A live reader shares the writer's -shm to read what is committed in the
// -wal; SQLite creates the two files if they are missing. A frozen reader
// opens the file immutable: no locks, no -shm, no -wal, nothing created
// beside the file, so it works on a copy or a read-only medium; but it
// ignores a -wal, and must not be used while a server writes.
func dsn(path string, a access) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	switch a {
	case readWrite:
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	case readFrozen:
		q.Set("immutable", "1") // SQLite's own URI parameter, as mode is
		fallthrough
	case readLive:
		q.Set("mode", "ro")
		q.Add("_pragma", "query_only(1)")
	}
	// A file: URI, so that SQLite sees mode and immutable, and a path with
	// '?' or '%' in it survives.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String(), nil
}

// userVersion reads PRAGMA user_version.
func userVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: reading the schema version: %w", err)
	}
	return v, nil
}

// ErrNewerSchema is returned for a database written by a newer palabre.
var ErrNewerSchema = errors.New("store: database schema is newer than this program")

// migrate brings db up to Version, one transaction per step, and refuses a
// database at a version it does not know. defaultRoom is the server's
// default room (see migrations).
func migrate(ctx context.Context, db *sql.DB, path, defaultRoom string) error {
	v, err := userVersion(ctx, db)
	if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("%w: %s is at version %d, this palabre knows up to %d; run a newer palabre or keep a copy and start from an empty data directory",
			ErrNewerSchema, path, v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if err := migrateStep(ctx, db, i, defaultRoom); err != nil {
			return fmt.Errorf("store: migrating %s from version %d to %d: %w", path, i, i+1, err)
		}
	}
	return nil
}

func migrateStep(ctx context.Context, db *sql.DB, from int, defaultRoom string) error {
	tx, err := db.BeginTx(ctx, nil) // IMMEDIATE: one migrator at a time
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Another process may have migrated while this one waited for the lock.
	v, err := userVersion(ctx, tx)
	if err != nil {
		return err
	}
	if v != from {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, migrations[from], sql.Named("default_room", defaultRoom)); err != nil {
		return err
	}
	// PRAGMA takes no parameters; the value is a trusted integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", from+1)); err != nil {
		return err
	}
	return tx.Commit()
}

// checkReadable refuses a database this program cannot read as it stands:
// one never migrated, or at another version.
func checkReadable(ctx context.Context, db *sql.DB, path string) error {
	v, err := userVersion(ctx, db)
	if isDamage(err) {
		return &DamagedError{Path: path, Problem: errors.Unwrap(err).Error()}
	}
	if err != nil {
		return err
	}
	switch {
	case v > len(migrations):
		return fmt.Errorf("%w: %s is at version %d, this palabre knows up to %d", ErrNewerSchema, path, v, len(migrations))
	case v == 0:
		return fmt.Errorf("store: %s holds no palabre schema", path)
	case v < len(migrations):
		return fmt.Errorf("store: %s is at schema version %d, older than %d: start the server on it once to migrate it", path, v, len(migrations))
	}
	return nil
}
