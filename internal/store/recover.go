package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"palabre/room"
)

// Recovered says what Recover found and kept.
type Recovered struct {
	Problem string         // what the check found; "": the database was sound, nothing was done
	Damaged string         // where the damaged file is now
	Kept    map[string]int // rows copied, by table
	Lost    []Span         // what could not be read, by table, in order
}

// Span is a range of row ids of a table that could not be read. For
// messages, the row id is the sequence number: the messages of the span
// are lost (or never stored: private ones, failed writes).
type Span struct {
	Table    string
	From, To int64 // To is End when nothing after From could be read
}

// End marks a Span that runs to the end of its table.
const End = math.MaxInt64

// Recover copies what can be read of dir/palabre.db into a fresh database,
// moves the damaged file aside as palabre.db.damaged-TIME (with its -wal
// and -shm as palabre.db.damaged-TIME-wal and -shm, so that SQLite still
// opens it whole) and puts the fresh one in its place. Each table is read
// in row id order; where a read fails, the rows are probed one by one, then
// further and further apart, until reading works again: a damaged page
// costs its own rows, not those after it. A database the check finds sound
// is left alone. Recover holds the data directory's lock: it refuses to
// run beside a server (ErrInUse).
//
// At each step the data directory holds a palabre.db, the damaged one until
// the last rename puts the fresh one in its place: an interrupted Recover
// leaves the server refusing to start, never starting on an empty database.
func Recover(dir string, now time.Time) (Recovered, error) {
	ctx := context.Background()
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Recovered{}, fmt.Errorf("store: no palabre database in %s (no %s): %w", dir, FileName, err)
		}
		return Recovered{}, fmt.Errorf("store: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return Recovered{}, err
	}
	defer lock.Unlock()

	name, err := dsn(path, readerAccess(path))
	if err != nil {
		return Recovered{}, fmt.Errorf("store: %w", err)
	}
	src, err := sql.Open("sqlite", name)
	if err != nil {
		return Recovered{}, fmt.Errorf("store: opening %s: %w", path, err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)
	var rec Recovered
	var dmg *DamagedError
	switch err := checkIntegrity(ctx, src, path); {
	case err == nil:
		return rec, nil
	case errors.As(err, &dmg):
		rec.Problem = dmg.Problem
	default:
		return rec, err
	}
	// A version that cannot be read is taken for this program's: the
	// tables are then read as this program knows them, or not at all.
	if v, err := userVersion(ctx, src); err == nil && v != Version() {
		return rec, fmt.Errorf("store: %s is at schema version %d, this palabre knows %d: recover it with the palabre that wrote it", path, v, Version())
	}

	// With its schema unreadable (the first page), no table can be found:
	// all is lost, and the probes would say so for every row id.
	var schemaErr error
	if _, err := src.ExecContext(ctx, "SELECT count(*) FROM sqlite_schema"); err != nil {
		schemaErr = err
	}
	fresh := path + ".recovering"
	if err := build(ctx, src, schemaErr == nil, fresh, &rec); err != nil {
		removeDB(fresh)
		return rec, err
	}
	src.Close() // before its files move
	rec.Damaged = path + ".damaged-" + now.Format("20060102-150405")
	if err := replace(path, fresh, rec.Damaged); err != nil {
		return rec, err
	}
	return rec, nil
}

// build creates the database at fresh with this program's schema and
// copies into it what src yields (unless it has no schema to read),
// counting it in rec.
func build(ctx context.Context, src *sql.DB, readable bool, fresh string, rec *Recovered) error {
	removeDB(fresh) // what an interrupted Recover left
	f, err := os.OpenFile(fresh, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	f.Close()
	name, err := dsn(fresh, readWrite)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	dst, err := sql.Open("sqlite", name)
	if err != nil {
		return fmt.Errorf("store: opening %s: %w", fresh, err)
	}
	defer dst.Close()
	dst.SetMaxOpenConns(1)
	// Empty, the fresh database has nothing from before rooms for a
	// default room to take: the rows copied name their rooms already.
	if err := migrate(ctx, dst, fresh, room.DefaultRoom); err != nil {
		return err
	}
	tables, err := columns(ctx, dst)
	if err != nil {
		return fmt.Errorf("store: reading the schema of %s: %w", fresh, err)
	}
	tx, err := dst.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: writing %s: %w", fresh, err)
	}
	defer tx.Rollback()
	rec.Kept = make(map[string]int)
	for _, t := range tables {
		c := tableCopy{ctx: ctx, src: src, table: t.name,
			sel: fmt.Sprintf(`SELECT rowid, %s FROM %s NOT INDEXED WHERE rowid >= ? ORDER BY rowid`,
				strings.Join(t.cols, ", "), t.name),
			probe: fmt.Sprintf(`SELECT rowid FROM %s NOT INDEXED WHERE rowid >= ? ORDER BY rowid LIMIT 1`, t.name),
		}
		ins, err := tx.PrepareContext(ctx, fmt.Sprintf(`INSERT OR IGNORE INTO %s (%s) VALUES (?%s)`,
			t.name, strings.Join(t.cols, ", "), strings.Repeat(", ?", len(t.cols)-1)))
		if err != nil {
			return fmt.Errorf("store: writing %s: %w", fresh, err)
		}
		c.insert = ins
		if !readable {
			rec.Kept[t.name] = 0
			rec.lose(t.name, math.MinInt64, End)
			continue
		}
		if err := c.run(rec); err != nil {
			return fmt.Errorf("store: writing %s: %w", fresh, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: writing %s: %w", fresh, err)
	}
	// Out of WAL, so that the one file holds everything when it moves; the
	// server turns WAL on again when it opens it.
	if _, err := dst.ExecContext(ctx, "PRAGMA journal_mode = DELETE"); err != nil {
		return fmt.Errorf("store: writing %s: %w", fresh, err)
	}
	return dst.Close()
}

type table struct {
	name string
	cols []string
}

// columns lists db's tables and their columns, in schema order.
func columns(ctx context.Context, db *sql.DB) ([]table, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	var out []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, out[i].name)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return nil, err
			}
			out[i].cols = append(out[i].cols, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tableCopy copies one table of a damaged database, stepping over what
// it cannot read.
type tableCopy struct {
	ctx        context.Context
	src        *sql.DB
	table      string
	sel, probe string
	insert     *sql.Stmt
	kept       int
}

// linearProbes is how many row ids after a failed read are tried one by
// one before the steps grow: the messages of about ten pages, so that
// damaged pages close together each cost only their own rows.
const linearProbes = 512

func (c *tableCopy) run(rec *Recovered) error {
	from := int64(math.MinInt64)
	for {
		next, readErr, err := c.scan(from)
		if err != nil {
			return err
		}
		if readErr == nil {
			break
		}
		lost := next      // the first row id not read
		if next == from { // not one row read from there: it is in the damage
			if from == math.MaxInt64 {
				rec.lose(c.table, lost, End)
				break
			}
			next++
		}
		resume, more := c.skip(next)
		if !more {
			rec.lose(c.table, lost, End)
			break
		}
		rec.lose(c.table, lost, resume-1)
		from = resume
	}
	rec.Kept[c.table] += c.kept
	return nil
}

// lose adds a span to what was lost, merged with the previous one when it
// follows it: one span, however many reads failed in it.
func (r *Recovered) lose(table string, from, to int64) {
	if n := len(r.Lost); n > 0 && r.Lost[n-1].Table == table && r.Lost[n-1].To == from-1 {
		r.Lost[n-1].To = to
		return
	}
	r.Lost = append(r.Lost, Span{Table: table, From: from, To: to})
}

// scan copies the rows from row id from on until the end (readErr nil) or
// a read fails (readErr), and returns the row id after the last one read.
// err is a failure to write the fresh database: not the damage, the end.
func (c *tableCopy) scan(from int64) (next int64, readErr, err error) {
	next = from
	rows, err := c.src.QueryContext(c.ctx, c.sel, from)
	if err != nil {
		return next, err, nil
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return next, err, nil
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return next, err, nil
		}
		rowid, ok := vals[0].(int64)
		if !ok {
			return next, fmt.Errorf("row id %v is not an integer", vals[0]), nil
		}
		res, err := c.insert.ExecContext(c.ctx, vals[1:]...)
		if err != nil {
			return next, nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			c.kept++
		}
		if rowid == math.MaxInt64 {
			return rowid, nil, nil
		}
		next = rowid + 1
	}
	return next, rows.Err(), nil
}

// skip finds where reading works again at or after x: the first existing
// row id it can read there (more), or that nothing can be read after x.
func (c *tableCopy) skip(x int64) (resume int64, more bool) {
	y := x
	for range linearProbes {
		if r, found, err := c.probeAt(y); err == nil {
			return r, found
		}
		if y == math.MaxInt64 {
			return 0, false
		}
		y++
	}
	// Further on, in growing steps, then back by halves to where reads
	// start to work.
	lo, step := y-1, int64(linearProbes)
	for {
		hi := lo + step
		if hi < lo { // past the largest row id
			hi = math.MaxInt64
		}
		if _, _, err := c.probeAt(hi); err == nil {
			for hi-lo > 1 {
				mid := lo + (hi-lo)/2
				if _, _, err := c.probeAt(mid); err == nil {
					hi = mid
				} else {
					lo = mid
				}
			}
			r, found, _ := c.probeAt(hi)
			return r, found
		}
		if hi == math.MaxInt64 {
			return 0, false
		}
		lo, step = hi, step*2
	}
}

// probeAt reads the first row id at or after y, without its row.
func (c *tableCopy) probeAt(y int64) (rowid int64, found bool, err error) {
	err = c.src.QueryRowContext(c.ctx, c.probe, y).Scan(&rowid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return rowid, err == nil, err
}

// replace puts fresh in path's place and keeps the damaged file (with its
// -wal and -shm) as damaged. The damaged file is linked to its new name
// first, so that path names a database at every moment.
func replace(path, fresh, damaged string) error {
	if _, err := os.Lstat(damaged); err == nil {
		return fmt.Errorf("store: %s exists already; run recover again in a second", damaged)
	}
	linked := os.Link(path, damaged) == nil
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Rename(path+suffix, damaged+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: moving the damaged %s aside: %w", path+suffix, err)
		}
	}
	if !linked { // a file system without hard links
		if err := os.Rename(path, damaged); err != nil {
			return fmt.Errorf("store: moving the damaged %s aside: %w", path, err)
		}
	}
	if err := os.Rename(fresh, path); err != nil {
		return fmt.Errorf("store: putting the recovered database in place: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // the renames, on disk
		d.Close()
	}
	return nil
}

// removeDB removes the database at path and the files SQLite keeps beside it.
func removeDB(path string) {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}
