package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"palabre/room"
)

type opKind uint8

const (
	opRecord opKind = iota + 1
	opSaveBan
	opDeleteBan
	opTopic
	opBindName
	opUnbindKey   // the key's other names: key, name
	opReleaseName // name
	opSeq         // a sequence number given to a message not kept: seq
	opNumber      // the number a server's name was given: name (its prefix), seq (the number)
	opFlush       // not a write: a marker answered once all before it is committed
)

// op is one queued write, a union of the Store's calls. Its fields are
// named for Record; the other calls reuse them as their comments say.
type op struct {
	what   opKind
	kind   room.Kind
	reason room.Reason
	seq    uint64
	room   string // Message.Room; the room of a topic
	others int    // Message.Others
	rooms  []room.RoomInfo
	at     time.Time // Message.At; Ban.At; when the name's owner was seen
	until  time.Time // Message.Until; Ban.Until
	door   room.Door
	name   string // Message.From; Ban.Name; the name to bind or release
	key    string // Message.Key; Ban.Net; the key to bind
	target string // Message.To; Ban.Target
	text   string // Message.Text; Ban.Reason; the topic
	by     string // Ban.By
	done   chan error
}

// maxBatch bounds the writes of one transaction, so a long backlog is
// committed in steps rather than held in one transaction.
const maxBatch = 4096

const (
	sqlInsertMessage = `INSERT INTO messages (seq, at, kind, room, door, name, key, target, text, reason, until, others, rooms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlSaveBan = `INSERT INTO bans (target, net, name, reason, by_op, at, until) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET net = excluded.net, name = excluded.name, reason = excluded.reason,
			by_op = excluded.by_op, at = excluded.at, until = excluded.until`
	sqlDeleteBan = `DELETE FROM bans WHERE target = ?`
	sqlTopic     = `INSERT INTO topics (room, written, topic) VALUES (?, ?, ?)
		ON CONFLICT (room) DO UPDATE SET written = excluded.written, topic = excluded.topic`
	sqlBindName = `INSERT INTO names (name, key, written, seen) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET key = excluded.key, written = excluded.written, seen = excluded.seen`
	sqlUnbindKey   = `DELETE FROM names WHERE key = ? AND name <> ?`
	sqlReleaseName = `DELETE FROM names WHERE name = ?`
	sqlSeq         = `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value
		WHERE CAST(excluded.value AS INTEGER) > CAST(settings.value AS INTEGER)`
)

// settingLastSeq holds the highest sequence number given to a message that
// was not kept (a private one, the shutdown notice): numbers never repeat,
// even those nobody stored.
const settingLastSeq = "last_seq"

// settingNumberPrefix, followed by a lower-cased prefix of the server's
// names ("thread-"), names the settings row holding the highest number
// given with that prefix.
const settingNumberPrefix = "last_number:"

// writer owns the write connection: it alone runs statements on s.db once
// the Store is open.
type writer struct {
	s     *Store
	stmts [opFlush]*sql.Stmt // indexed by opKind; [0] unused
	err   error              // the first error since the last Flush answered
}

func newWriter(s *Store) (*writer, error) {
	w := &writer{s: s}
	for k, q := range map[opKind]string{
		opRecord: sqlInsertMessage, opSaveBan: sqlSaveBan, opDeleteBan: sqlDeleteBan,
		opTopic: sqlTopic, opBindName: sqlBindName, opUnbindKey: sqlUnbindKey, opReleaseName: sqlReleaseName, opSeq: sqlSeq, opNumber: sqlSeq,
	} {
		st, err := s.db.Prepare(q)
		if err != nil {
			w.closeStmts()
			return nil, fmt.Errorf("store: preparing statements: %w", err)
		}
		w.stmts[k] = st
	}
	return w, nil
}

func (w *writer) closeStmts() {
	for _, st := range w.stmts {
		if st != nil {
			st.Close()
		}
	}
}

// run is the writer goroutine: wait for work, take all of it, commit it in
// transactions of at most maxBatch writes, answer the flushes, repeat.
func (w *writer) run() {
	s := w.s
	defer close(s.done)
	defer w.closeStmts()
	for range s.wake {
		if s.opts.beforeBatch != nil {
			s.opts.beforeBatch()
		}
		if s.opts.Gather > 0 {
			// Not a wait for anyone: the pace of commits. Close and Flush
			// are late by this much at most.
			time.Sleep(s.opts.Gather)
		}
		s.mu.Lock()
		batch := s.pending
		s.pending, s.spare = s.spare, nil
		closing := s.closing
		s.mu.Unlock()

		for rest := batch; len(rest) > 0; {
			n := min(len(rest), maxBatch)
			w.commit(rest[:n])
			rest = rest[n:]
		}
		if cap(batch) <= 4*maxBatch { // reuse it; a backlog's slice goes to the GC
			clear(batch) // let go of the strings
			s.mu.Lock()
			s.spare = batch[:0]
			s.mu.Unlock()
		}
		s.reportDrops(false)
		if closing {
			return // nothing is queued once closing is set
		}
	}
}

// commit writes ops in one transaction and then answers the flushes among
// them. A write the database refuses on a constraint is counted, logged
// and skipped, and the transaction goes on. Any other error (a full disk,
// an I/O error) loses the transaction whole: SQLite may already have rolled
// it back (it does on a full disk during a one-row insert), and the writes
// after it would each commit on their own, out of the batch and uncounted.
func (w *writer) commit(ops []op) {
	if writes := countWrites(ops); writes > 0 {
		w.transact(ops, writes)
	}
	for i := range ops {
		if ops[i].what == opFlush {
			ops[i].done <- w.err
			w.err = nil
		}
	}
}

func countWrites(ops []op) int {
	n := 0
	for i := range ops {
		if ops[i].what != opFlush {
			n++
		}
	}
	return n
}

func (w *writer) transact(ops []op, writes int) {
	s := w.s
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		w.failBatch(fmt.Errorf("beginning a transaction: %w", err), writes)
		return
	}
	defer tx.Rollback() // after Commit, or SQLite's own rollback, a no-op
	var stmts [opFlush]*sql.Stmt
	refused := 0
	for i := range ops {
		o := &ops[i]
		if o.what == opFlush {
			continue
		}
		st := stmts[o.what]
		if st == nil {
			st = tx.StmtContext(ctx, w.stmts[o.what]) // the statement prepared on this connection
			defer st.Close()
			stmts[o.what] = st
		}
		if _, err := st.ExecContext(ctx, args(o)...); err != nil {
			err = fmt.Errorf("%s: %w", o.describe(), err)
			if !isConstraint(err) {
				w.failBatch(err, writes-refused)
				return
			}
			w.fail(err, 1)
			refused++
		}
	}
	if err := tx.Commit(); err != nil {
		w.failBatch(fmt.Errorf("committing: %w", err), writes-refused)
		return
	}
	s.written.Add(uint64(writes - refused))
	s.batches.Add(1)
	s.failing.Store(false) // the disk has room again
}

// isConstraint tells a write the database refused alone (a duplicate
// key), its transaction intact, from one that failed it.
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

// failBatch counts a transaction lost with its n writes.
func (w *writer) failBatch(err error, n int) {
	w.s.failedBatches.Add(1)
	w.s.failing.Store(true)
	w.fail(err, n)
}

// fail counts n lost writes, keeps the error for the next Flush and logs it.
func (w *writer) fail(err error, n int) {
	w.s.failed.Add(uint64(n))
	if w.err == nil {
		w.err = fmt.Errorf("store: %w", err)
	}
	w.s.reportFailure(err, n)
}

// args lays out o's values in its statement's parameter order.
func args(o *op) []any {
	switch o.what {
	case opRecord:
		var reason string
		if o.reason != 0 {
			reason = o.reason.String()
		}
		return []any{int64(o.seq), o.at.UnixNano(), o.kind.String(), o.room, string(o.door),
			o.name, o.key, o.target, o.text, reason, nanos(o.until), o.others, encodeRooms(o.rooms)}
	case opSaveBan:
		return []any{o.target, o.key, o.name, o.text, o.by, o.at.UnixNano(), nanos(o.until)}
	case opDeleteBan:
		return []any{o.target}
	case opTopic:
		return []any{strings.ToLower(o.room), o.room, o.text}
	case opBindName:
		return []any{strings.ToLower(o.name), o.key, o.name, o.at.UnixNano()}
	case opUnbindKey:
		return []any{o.key, strings.ToLower(o.name)}
	case opReleaseName:
		return []any{strings.ToLower(o.name)}
	case opSeq:
		return []any{settingLastSeq, strconv.FormatUint(o.seq, 10)}
	case opNumber:
		return []any{settingNumberPrefix + o.name, strconv.FormatUint(o.seq, 10)}
	}
	panic(fmt.Sprintf("store: no statement for op %d", o.what))
}

func (o *op) describe() string {
	switch o.what {
	case opRecord:
		return fmt.Sprintf("recording message %d", o.seq)
	case opSaveBan:
		return "saving the ban on " + o.target
	case opDeleteBan:
		return "deleting the ban on " + o.target
	case opTopic:
		return "saving the topic of " + o.room
	case opBindName:
		return "binding the name " + o.name
	case opUnbindKey:
		return "releasing the other names of the owner of " + o.name
	case opReleaseName:
		return "releasing the name " + o.name
	case opSeq:
		return fmt.Sprintf("keeping sequence number %d", o.seq)
	case opNumber:
		return fmt.Sprintf("keeping the name number %s%d", o.name, o.seq)
	}
	return fmt.Sprintf("op %d", o.what)
}

// encodeRooms is the rooms column's value for rooms: JSON, or ” for none.
func encodeRooms(rooms []room.RoomInfo) string {
	if len(rooms) == 0 {
		return ""
	}
	out := make([]EntryRoom, len(rooms))
	for i, r := range rooms {
		out[i] = EntryRoom{Name: r.Name, Members: r.Members}
	}
	b, _ := json.Marshal(out) // names and numbers: it cannot fail
	return string(b)
}

// nanos is t in unix nanoseconds, or NULL for the zero time.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64)
}
