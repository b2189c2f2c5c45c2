// Package store keeps palabre's rooms on disk: the transcript, the bans, the
// rooms' topics and which key owns which name, in one SQLite database (pure
// Go, through modernc.org/sqlite) under the data directory.
//
// The hub calls a Store under its lock, so every write is queued and the
// call returns at once. One writer goroutine owns the write connection and
// commits what is queued in batches: it waits for the first write, takes
// everything queued since into the same transaction, commits, and goes
// again. Under load a write waits at most about one commit; idle, about a
// millisecond. A full queue drops the write, counts it and logs it.
//
// Readers (Load, ReadTranscript) use their own read-only connections: in
// WAL mode they read a consistent snapshot while the writer goes on.
//
// A Store holds its data directory's lock from Open to Close, so that two
// servers never write one transcript, and Open checks the database first:
// a damaged one is refused, and Recover keeps what can be read of it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofrs/flock"

	"palabre/room"
)

// Options tunes a Store; the zero value is usable.
type Options struct {
	// Room is the default room's name, with or without its '#' ("":
	// room.DefaultRoom). Load gives its history and topic as State's own;
	// what a database kept from before rooms becomes its, once.
	Room         string
	StorePrivate bool         // keep KindPrivate messages in the transcript (default: not)
	QueueSize    int          // writes waiting for the writer; 0: 65536
	Logger       *slog.Logger // nil: slog.Default()
	// Gather is how long the writer, woken by a write, waits for more to
	// share its transaction: fifty rooms posting a message a millisecond
	// apart cost a transaction each without it (BEGIN and COMMIT are most
	// of a one-row transaction), where one room's burst came together
	// anyway. It adds to the window a kill -9 may lose (README: 100 ms).
	// 0: DefaultGather; below 0: none.
	Gather time.Duration

	// beforeBatch, for tests, runs in the writer each time it wakes for
	// queued work, before it takes any: a test holds the writer there.
	beforeBatch func()
}

// DefaultQueueSize is the queue's bound when Options.QueueSize is 0.
const DefaultQueueSize = 65536

// DefaultGather is the writer's wait for writes to share a transaction
// when Options.Gather is 0.
const DefaultGather = 10 * time.Millisecond

// Stats counts what the Store was given and what became of it.
type Stats struct {
	Queued  uint64 // writes accepted into the queue
	Written uint64 // writes committed
	Dropped uint64 // writes refused: queue full, or the Store closed
	Batches uint64 // transactions committed
	Failed  uint64 // writes the database refused or lost (logged): a constraint, a full disk

	// FailedBatches counts the transactions lost whole to a database
	// error (a full disk): their writes are counted in Failed.
	FailedBatches uint64

	// Failing: the last transaction was lost to a database error (a
	// full disk) and none has committed since; a health check reports
	// the store down until one does.
	Failing bool
}

// Pending is how many writes wait for the writer (or are being written).
func (s Stats) Pending() uint64 {
	if done := s.Written + s.Failed; s.Queued > done {
		return s.Queued - done
	}
	return 0
}

// ErrClosed is returned by Flush once the Store is closed.
var ErrClosed = errors.New("store: closed")

// Store is the SQLite-backed room.Store.
type Store struct {
	path string
	db   *sql.DB      // the write connection; only the writer uses it once open
	lock *flock.Flock // the data directory's, held until Close
	log  *slog.Logger
	opts Options

	mu      sync.Mutex
	pending []op // queued for the writer, in order
	spare   []op // the writer's last batch, emptied, for reuse
	closing bool
	wake    chan struct{} // cap 1: there is work, or the Store is closing
	done    chan struct{} // closed when the writer has stopped

	closeOnce sync.Once
	closeErr  error

	queued, written, dropped, batches, failed, failedBatches atomic.Uint64
	failing                                                  atomic.Bool   // Stats.Failing
	dropsLogged                                              atomic.Uint64 // dropped as of the last log
	lastDropLog                                              atomic.Int64  // unix nanoseconds
	lastFailLog                                              atomic.Int64
}

var _ room.Store = (*Store)(nil)

// Open opens dir/palabre.db, creating dir (0700) and the file (0600) if
// missing, checks it, migrates its schema to this program's version and
// starts the writer. It holds dir's lock (LockName) until Close: a second
// Open on the same directory, in this process or another, is refused
// (ErrInUse, naming the holder's pid). A damaged database is refused
// (ErrDamaged: run Recover), and so is one of a newer schema (ErrNewerSchema).
func Open(dir string, opts Options) (*Store, error) {
	switch {
	case opts.Gather == 0:
		opts.Gather = DefaultGather
	case opts.Gather < 0:
		opts.Gather = 0
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Room = strings.TrimPrefix(opts.Room, "#"); opts.Room == "" {
		opts.Room = room.DefaultRoom
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s, err := open(dir, opts)
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func open(dir string, opts Options) (*Store, error) {
	path := filepath.Join(dir, FileName)
	// Create the file ourselves so it is born 0600: SQLite would use 0644
	// less the umask. Its -wal and -shm files take the database's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	f.Close()
	name, err := dsn(path, readWrite)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer, one connection
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	ctx := context.Background()
	// Checked before anything is written: a damaged file is kept as it
	// was found, for Recover.
	if err := checkIntegrity(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	if err := checkWAL(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(ctx, db, path, opts.Room); err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{
		path: path,
		db:   db,
		log:  opts.Logger,
		opts: opts,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	w, err := newWriter(s)
	if err != nil {
		db.Close()
		return nil, err
	}
	go w.run()
	return s, nil
}

// checkWAL makes sure the database really is in WAL mode: SQLite keeps
// the old mode silently when it cannot switch.
func checkWAL(ctx context.Context, db *sql.DB, path string) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("store: opening %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("store: %s: journal mode is %q, not WAL", path, mode)
	}
	return nil
}

// Close commits everything queued, stops the writer and closes the
// database. Writes after Close are dropped and counted. Safe to call twice;
// later calls return the first one's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.signal()
		<-s.done
		s.reportDrops(true)
		s.closeErr = s.db.Close()
		if err := s.lock.Unlock(); err != nil && s.closeErr == nil {
			s.closeErr = fmt.Errorf("store: unlocking the data directory: %w", err)
		}
	})
	return s.closeErr
}

// Flush waits until every write queued before it is committed, and
// returns the first error the writer met since the previous Flush.
func (s *Store) Flush() error {
	done := make(chan error, 1)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrClosed
	}
	s.pending = append(s.pending, op{what: opFlush, done: done}) // never dropped: not a write
	s.mu.Unlock()
	s.signal()
	return <-done
}

// Stats returns the counters as they are now.
func (s *Store) Stats() Stats {
	return Stats{
		Queued:  s.queued.Load(),
		Written: s.written.Load(),
		Dropped: s.dropped.Load(),
		Batches: s.batches.Load(),
		Failed:  s.failed.Load(),

		FailedBatches: s.failedBatches.Load(),
		Failing:       s.failing.Load(),
	}
}

// Record queues one event for the transcript, in its room (Message.Room;
// "": the server's own). Replies (Seq 0) are not events; private messages
// are kept only with StorePrivate.
func (s *Store) Record(m room.Message) {
	if m.Seq == 0 {
		return
	}
	if m.Kind == room.KindShutdown || (m.Kind == room.KindPrivate && !s.opts.StorePrivate) {
		s.enqueue(op{what: opSeq, seq: m.Seq}) // not kept, but its number is used
		return
	}
	if m.At.IsZero() {
		m.At = time.Now() // the hub stamps its messages; this is a fallback
	}
	s.enqueue(op{
		what: opRecord, kind: m.Kind, reason: m.Reason, seq: m.Seq, at: m.At, until: m.Until,
		room: m.Room, others: m.Others, rooms: m.Rooms, door: m.Door, name: m.From, key: m.Key, target: m.To, text: m.Text,
	})
	if m.Kind == room.KindJoin {
		if prefix, n, ok := room.GeneratedNumber(m.From); ok {
			s.enqueue(op{what: opNumber, name: prefix, seq: n}) // the next run numbers on from it
		}
	}
}

// SaveBan queues a ban: a new one, or a new version of one on the same target.
func (s *Store) SaveBan(b room.Ban) {
	if b.At.IsZero() {
		b.At = time.Now()
	}
	s.enqueue(op{what: opSaveBan, target: b.Target, key: b.Net, name: b.Name, text: b.Reason, by: b.By, at: b.At, until: b.Until})
}

// DeleteBan queues the lifting of the ban on target.
func (s *Store) DeleteBan(target string) { s.enqueue(op{what: opDeleteBan, target: target}) }

// SaveTopic queues the topic of the room named name ("": none).
func (s *Store) SaveTopic(name, topic string) {
	s.enqueue(op{what: opTopic, room: name, text: topic})
}

// BindName queues that key owns name (any case) and no other name, and was
// last seen at seen. The hub decides who owns what; the table follows it.
func (s *Store) BindName(name, key string, seen time.Time) {
	s.enqueue(op{what: opUnbindKey, name: name, key: key})
	s.enqueue(op{what: opBindName, name: name, key: key, at: seen})
}

// ReleaseName queues that no key owns name (any case).
func (s *Store) ReleaseName(name string) { s.enqueue(op{what: opReleaseName, name: name}) }

// enqueue hands o to the writer, or drops it if the queue is full or the
// Store closed. It never waits for the writer.
func (s *Store) enqueue(o op) {
	s.mu.Lock()
	if s.closing || len(s.pending) >= s.opts.QueueSize {
		s.mu.Unlock()
		s.dropped.Add(1)
		s.reportDrops(false)
		return
	}
	s.pending = append(s.pending, o)
	first := len(s.pending) == 1
	s.mu.Unlock()
	s.queued.Add(1)
	if first {
		s.signal()
	}
}

// signal wakes the writer if it is not awake already.
func (s *Store) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// reportDrops logs the writes dropped since the last report, at most once
// a second unless forced: the caller drops on, it is not held up by logs.
// Drops not yet reported are reported by the writer's next batch or Close.
func (s *Store) reportDrops(force bool) {
	total := s.dropped.Load()
	if total == s.dropsLogged.Load() {
		return
	}
	now := time.Now().UnixNano()
	last := s.lastDropLog.Load()
	if !force && now-last < int64(time.Second) {
		return
	}
	if !s.lastDropLog.CompareAndSwap(last, now) {
		return // another goroutine is reporting
	}
	total = s.dropped.Load()
	n := total - s.dropsLogged.Swap(total)
	if n == 0 {
		return
	}
	s.log.Warn("store: writes dropped: the queue is full or the store closed",
		"dropped", n, "dropped_total", total, "queue_size", s.opts.QueueSize, "db", s.path)
}

// reportFailure logs a database error of the writer, at most once a second
// (a full disk fails every batch); the count is in Stats.Failed.
func (s *Store) reportFailure(err error, lost int) {
	now := time.Now().UnixNano()
	last := s.lastFailLog.Load()
	if now-last < int64(time.Second) || !s.lastFailLog.CompareAndSwap(last, now) {
		return
	}
	s.log.Error("store: write failed", "err", err, "lost", lost, "failed_total", s.failed.Load(), "db", s.path)
}
