package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"palabre/room"
)

// Load reads what a hub starts from, as committed (Flush first to include
// what is queued): the last sequence number; of every room, its last
// history chat and action messages oldest first and its topic, the default
// room's as State's own and the others' in State.Rooms; the bans in force
// now and the name owners.
func (s *Store) Load(history int) (room.State, error) {
	ctx := context.Background()
	db, err := openReader(ctx, s.path, readLive) // the writer is open
	if err != nil {
		return room.State{}, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // one snapshot for all of it
	if err != nil {
		return room.State{}, fmt.Errorf("store: loading: %w", err)
	}
	defer tx.Rollback()
	st, err := load(ctx, tx, history, s.opts.Room, time.Now())
	if err != nil {
		return room.State{}, fmt.Errorf("store: loading %s: %w", s.path, err)
	}
	return st, nil
}

func load(ctx context.Context, tx *sql.Tx, history int, defaultRoom string, now time.Time) (room.State, error) {
	var st room.State
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM messages`).Scan(&seq); err != nil {
		return st, fmt.Errorf("last seq: %w", err)
	}
	st.Seq = uint64(seq)
	var last string
	switch err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, settingLastSeq).Scan(&last); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return st, fmt.Errorf("last seq: %w", err)
	default:
		if n, err := strconv.ParseUint(last, 10, 64); err == nil && n > st.Seq {
			st.Seq = n
		}
	}

	if err := loadRooms(ctx, tx, &st, history, defaultRoom); err != nil {
		return st, fmt.Errorf("rooms: %w", err)
	}
	var err error
	if st.Bans, err = loadBans(ctx, tx, now); err != nil {
		return st, fmt.Errorf("bans: %w", err)
	}
	if st.Numbers, err = loadNumbers(ctx, tx); err != nil {
		return st, fmt.Errorf("name numbers: %w", err)
	}
	if st.Crashed, st.Present, err = loadLastRun(ctx, tx); err != nil {
		return st, fmt.Errorf("the last run: %w", err)
	}
	// The most recently seen last, and of two seen at once the later bound:
	// a hub keeps the last name of a key that has several.
	rows, err := tx.QueryContext(ctx, `SELECT written, key, seen FROM names ORDER BY seen, rowid`)
	if err != nil {
		return st, fmt.Errorf("names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			n    room.NameOwner
			seen int64
		)
		if err := rows.Scan(&n.Name, &n.Key, &seen); err != nil {
			return st, fmt.Errorf("names: %w", err)
		}
		if seen != 0 {
			n.Seen = time.Unix(0, seen)
		}
		st.Names = append(st.Names, n)
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("names: %w", err)
	}
	return st, nil
}

func loadNumbers(ctx context.Context, tx *sql.Tx) (map[string]uint64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, value FROM settings WHERE substr(name, 1, ?) = ?`,
		len(settingNumberPrefix), settingNumberPrefix)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, err
		}
		if n, err := strconv.ParseUint(value, 10, 64); err == nil {
			out[name[len(settingNumberPrefix):]] = n
		}
	}
	return out, rows.Err()
}

// loadLastRun tells how the previous run ended. Every run records its
// start (start, or crash after a crash) and an orderly one its stop last:
// a run whose start is the last of the three crashed, and so did one of a
// transcript older than these records that leaves members in the room.
// The members it left are those whose join, since its start, no leave
// followed, names followed through their changes. The reads walk back
// from the end to the last start only: one run's records, at start.
func loadLastRun(ctx context.Context, tx *sql.Tx) (crashed bool, present []room.MemberInfo, err error) {
	var (
		since int64
		kind  string
	)
	err = tx.QueryRowContext(ctx, `SELECT seq, kind FROM messages WHERE kind IN ('start', 'crash', 'stop')
		ORDER BY seq DESC LIMIT 1`).Scan(&since, &kind)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		since = 0
	case err != nil:
		return false, nil, err
	case kind == room.KindStop.String():
		return false, nil, nil
	default:
		crashed = true
	}
	rows, err := tx.QueryContext(ctx, `SELECT kind, door, name, key, target, at, room FROM messages
		WHERE seq > ? AND kind IN ('join', 'leave', 'nick') ORDER BY seq`, since)
	if err != nil {
		return false, nil, err
	}
	defer rows.Close()
	var in []room.MemberInfo
	find := func(name string) int {
		return slices.IndexFunc(in, func(mi room.MemberInfo) bool { return strings.EqualFold(mi.Name, name) })
	}
	for rows.Next() {
		var (
			kind, door, name, key, target, rm string
			at                                int64
		)
		if err := rows.Scan(&kind, &door, &name, &key, &target, &at, &rm); err != nil {
			return false, nil, err
		}
		switch k, _ := room.ParseKind(kind); k {
		case room.KindJoin:
			in = append(in, room.MemberInfo{Name: name, Door: room.Door(door), Key: key, Joined: time.Unix(0, at), Room: rm})
		case room.KindLeave:
			if i := find(name); i >= 0 {
				in = slices.Delete(in, i, i+1)
			}
		case room.KindNick:
			if i := find(name); i >= 0 {
				in[i].Name = target
			}
		}
	}
	if err := rows.Err(); err != nil {
		return false, nil, err
	}
	return crashed || len(in) > 0, in, nil
}

// loadRooms gives st the last n public messages and the topic of every
// room that has either: the default room's as st's own, the others' in
// st.Rooms by lower-cased name. A room that kept only joins and leaves has
// nothing to start from, and is left out.
func loadRooms(ctx context.Context, tx *sql.Tx, st *room.State, n int, defaultRoom string) error {
	rooms := map[string]room.RoomState{}
	if n > 0 {
		names, err := roomNames(ctx, tx)
		if err != nil {
			return err
		}
		for _, name := range names {
			h, err := loadHistory(ctx, tx, name, n)
			if err != nil {
				return fmt.Errorf("history of %s: %w", name, err)
			}
			if len(h) > 0 {
				rooms[strings.ToLower(name)] = room.RoomState{History: h}
			}
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT room, topic FROM topics WHERE topic <> ''`)
	if err != nil {
		return fmt.Errorf("topics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, topic string
		if err := rows.Scan(&key, &topic); err != nil {
			return fmt.Errorf("topics: %w", err)
		}
		r := rooms[key]
		r.Topic = topic
		rooms[key] = r
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("topics: %w", err)
	}
	def := strings.ToLower(defaultRoom)
	st.History, st.Topic = rooms[def].History, rooms[def].Topic
	delete(rooms, def)
	if len(rooms) > 0 {
		st.Rooms = rooms
	}
	return nil
}

// roomNames lists the rooms the transcript names, in name order, each once
// whatever the case of its rows (as its first row names it). It steps
// through the index once per room, reading none of the rooms' rows.
func roomNames(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `WITH RECURSIVE r(name) AS (
			SELECT (SELECT MIN(room) FROM messages WHERE room > '')
			UNION ALL
			SELECT (SELECT MIN(room) FROM messages WHERE room > r.name) FROM r WHERE r.name IS NOT NULL
		) SELECT name FROM r WHERE name IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// loadHistory reads the last n chat and action messages of the room named
// name (any case), oldest first.
func loadHistory(ctx context.Context, tx *sql.Tx, name string, n int) ([]room.Message, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, at, kind, room, door, name, key, text FROM messages
		WHERE room = ? AND kind IN ('chat', 'action', 'block') ORDER BY seq DESC LIMIT ?`, name, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []room.Message
	for rows.Next() {
		var (
			seq, at    int64
			kind, door string
			m          room.Message
		)
		if err := rows.Scan(&seq, &at, &kind, &m.Room, &door, &m.From, &m.Key, &m.Text); err != nil {
			return nil, err
		}
		m.Kind, _ = room.ParseKind(kind)
		m.Seq, m.At, m.Door = uint64(seq), time.Unix(0, at), room.Door(door)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i] // oldest first
	}
	return out, nil
}

func loadBans(ctx context.Context, tx *sql.Tx, now time.Time) ([]room.Ban, error) {
	rows, err := tx.QueryContext(ctx, `SELECT target, net, name, reason, by_op, at, until FROM bans
		WHERE until IS NULL OR until > ? ORDER BY at, target`, now.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []room.Ban
	for rows.Next() {
		var (
			b     room.Ban
			at    int64
			until sql.NullInt64
		)
		if err := rows.Scan(&b.Target, &b.Net, &b.Name, &b.Reason, &b.By, &at, &until); err != nil {
			return nil, err
		}
		b.At, b.Until = time.Unix(0, at), fromNanos(until)
		out = append(out, b)
	}
	return out, rows.Err()
}
