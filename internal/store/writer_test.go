package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"palabre/room"
)

// captured keeps the records a logger handled.
type captured struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (c *captured) Enabled(context.Context, slog.Level) bool { return true }
func (c *captured) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *captured) WithGroup(string) slog.Handler            { return c }
func (c *captured) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r.Clone())
	return nil
}

// dropped sums the "dropped" attribute of the records.
func (c *captured) dropped() (total uint64, logs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.recs {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "dropped" {
				total += a.Value.Uint64()
				logs++
			}
			return true
		})
	}
	return total, logs
}

func TestQueueFullDrops(t *testing.T) {
	const extra = 1000
	log := &captured{}
	hold := make(chan struct{})
	dir := t.TempDir()
	s := openStore(t, dir, Options{QueueSize: 1, Logger: slog.New(log), beforeBatch: func() { <-hold }})

	done := make(chan struct{})
	go func() {
		defer close(done)
		for seq := uint64(1); seq <= 1+extra; seq++ {
			s.Record(chat(seq, room.KindChat)) // the first fills the queue
		}
		s.SaveTopic("main", "dropped too")
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Record blocked on a full queue")
	}
	if st := s.Stats(); st.Dropped != extra+1 || st.Queued != 1 {
		t.Errorf("Stats with the writer held = %+v, want 1 queued, %d dropped", st, extra+1)
	}
	if _, logs := log.dropped(); logs == 0 {
		t.Error("no log of the first drop")
	}
	close(hold)
	flush(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Written != 1 || st.Dropped != extra+1 {
		t.Errorf("Stats = %+v, want 1 written, %d dropped", st, extra+1)
	}
	// Close reports the drops the once-a-second limit held back.
	if total, logs := log.dropped(); total != st.Dropped || logs > 3 {
		t.Errorf("logs report %d dropped in %d records, want %d in at most 3", total, logs, st.Dropped)
	}
	s.Record(chat(9999, room.KindChat)) // after Close: dropped too
	if got := s.Stats().Dropped; got != st.Dropped+1 {
		t.Errorf("a write after Close: Dropped = %d, want %d", got, st.Dropped+1)
	}
	if got := readAll(t, dir, time.Time{}); len(got) != 1 || got[0].Seq != 1 {
		t.Errorf("transcript = %+v, want seq 1 alone", got)
	}
}

func TestGroupCommit(t *testing.T) {
	hold := make(chan struct{})
	s := openStore(t, t.TempDir(), Options{beforeBatch: func() { <-hold }})
	for seq := uint64(1); seq <= 3000; seq++ {
		s.Record(chat(seq, room.KindChat))
	}
	close(hold)
	flush(t, s)
	if st := s.Stats(); st.Written != 3000 || st.Batches != 1 {
		t.Errorf("Stats = %+v, want 3000 written in 1 batch", st)
	}
}

func TestReadWhileWriting(t *testing.T) {
	const n = 3000
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	s.Record(chat(1, room.KindChat))
	flush(t, s)

	errc := make(chan error, 1)
	go func() {
		for seq := uint64(2); seq <= n; seq++ {
			s.Record(chat(seq, room.KindChat))
			if seq%100 == 0 {
				if err := s.Flush(); err != nil {
					errc <- err
					return
				}
			}
		}
		errc <- s.Flush()
	}()
	reads := 0
	for writing := true; writing; reads++ {
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("writer: %v", err)
			}
			writing = false
		default:
		}
		var last uint64
		err := ReadTranscript(dir, time.Time{}, func(e Entry) error {
			if e.Seq != last+1 {
				return fmt.Errorf("seq %d after %d", e.Seq, last)
			}
			last = e.Seq
			return nil
		})
		if err != nil {
			t.Fatalf("ReadTranscript while writing (read %d): %v", reads, err)
		}
		if !writing && last != n {
			t.Fatalf("read up to %d after the last flush, want %d", last, n)
		}
		if _, err := s.Load(10); err != nil {
			t.Fatalf("Load while writing: %v", err)
		}
	}
	t.Logf("%d reads while writing", reads)
}

// copyFiles copies the database's files as a crash leaves them: what the
// process wrote, with no Close. The -shm is left behind, as after a reboot.
func copyFiles(t *testing.T, from, to string) {
	t.Helper()
	for _, name := range []string{FileName, FileName + "-wal"} {
		b, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCrashLosesNothingCommitted(t *testing.T) {
	const n = 500
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	for seq := uint64(1); seq <= n; seq++ {
		s.Record(chat(seq, room.KindChat))
	}
	s.SaveTopic("main", "kept")
	flush(t, s)
	crashed := t.TempDir()
	copyFiles(t, dir, crashed) // the server is still running: nothing checkpointed, no Close

	// A reader recovers the committed transcript read-only…
	if got := readAll(t, crashed, time.Time{}); len(got) != n {
		t.Errorf("ReadTranscript after a crash: %d entries, want %d", len(got), n)
	}
	// …and so does the server when it starts again.
	s2 := openStore(t, crashed, Options{})
	st, err := s2.Load(n)
	if err != nil {
		t.Fatal(err)
	}
	if st.Seq != n || len(st.History) != n || st.Topic != "kept" {
		t.Errorf("Load after a crash: seq %d, %d history, topic %q; want %d, %d, kept", st.Seq, len(st.History), st.Topic, n, n)
	}
}

func TestWriteErrorCountedAndReported(t *testing.T) {
	log := &captured{}
	dir := t.TempDir()
	s := openStore(t, dir, Options{Logger: slog.New(log)})
	s.Record(chat(1, room.KindChat))
	flush(t, s)
	s.Record(chat(1, room.KindAction)) // seq 1 again: refused by the database
	s.Record(chat(2, room.KindChat))   // the same transaction goes on
	err := s.Flush()
	if err == nil || !strings.Contains(err.Error(), "message 1") {
		t.Errorf("Flush after a failed write = %v, want the error", err)
	}
	if err := s.Flush(); err != nil {
		t.Errorf("the next Flush = %v, want nil: the error was reported once", err)
	}
	if st := s.Stats(); st.Failed != 1 || st.Written != 2 {
		t.Errorf("Stats = %+v, want 2 written, 1 failed", st)
	}
	if got := readAll(t, dir, time.Time{}); len(got) != 2 || got[0].Kind != "chat" || got[1].Seq != 2 {
		t.Errorf("transcript = %+v", got)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.recs) != 1 || log.recs[0].Level != slog.LevelError {
		t.Errorf("logged %d records, want the one error", len(log.recs))
	}
}

// A full disk (here a page limit, which SQLite meets as it meets a full
// disk: SQLITE_FULL) loses whole batches, and the counts say exactly what
// the database holds: SQLite rolls the transaction back at the first
// write it cannot place, and the writes after it must not commit one by
// one behind the count's back. Once there is room again, writes resume.
func TestFullDiskCountsWhatItLoses(t *testing.T) {
	const n = 2000
	log := &captured{}
	var gate atomic.Pointer[chan struct{}] // when set, the writer waits for it
	held := make(chan struct{}, 1)         // the writer is waiting at the gate
	dir := t.TempDir()
	s := openStore(t, dir, Options{Logger: slog.New(log), beforeBatch: func() {
		if c := gate.Load(); c != nil {
			select {
			case held <- struct{}{}:
			default:
			}
			<-*c
		}
	}})
	s.Record(chat(1, room.KindChat))
	flush(t, s)
	var pages int
	if err := s.db.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	rows := func() int {
		t.Helper()
		var c int
		if err := s.db.QueryRow("SELECT count(*) FROM messages").Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	// One batch: the first messages fit in the last page, then one does not.
	// The writer is held at the gate before any is queued: a wake left over
	// from the writes above would otherwise let it take some of them first
	// and commit them apart.
	hold := make(chan struct{})
	gate.Store(&hold)
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-held
	for seq := uint64(2); seq <= n; seq++ {
		s.Record(chat(seq, room.KindChat))
	}
	if st := s.Stats(); st.Pending() != n-1 || st.Failing {
		t.Errorf("writer held: Stats = %+v, pending %d; want %d pending, not failing", st, st.Pending(), n-1)
	}
	gate.Store(nil)
	close(hold)
	if err := s.Flush(); err == nil || !strings.Contains(err.Error(), "full") {
		t.Errorf("Flush on a full disk = %v, want the error", err)
	}
	st := s.Stats()
	if st.Queued != n || st.Written+st.Failed != n || st.Dropped != 0 {
		t.Errorf("Stats = %+v: want %d queued, each written or failed, none dropped", st, n)
	}
	if got := rows(); uint64(got) != st.Written {
		t.Errorf("the database holds %d messages, Stats says %d written", got, st.Written)
	}
	if st.Failed == 0 || st.FailedBatches == 0 || !st.Failing || st.Pending() != 0 {
		t.Errorf("Stats = %+v: want a batch lost, the store failing, nothing pending", st)
	}
	log.mu.Lock()
	if len(log.recs) != 1 || log.recs[0].Level != slog.LevelError {
		t.Errorf("logged %d records, want one error", len(log.recs))
	}
	log.mu.Unlock()

	if _, err := s.db.Exec("PRAGMA max_page_count = 1000000"); err != nil {
		t.Fatal(err)
	}
	s.Record(chat(n+1, room.KindChat))
	flush(t, s)
	if st := s.Stats(); st.Written != 2 || rows() != 2 || st.Failing {
		t.Errorf("with room again: Stats = %+v, %d rows; want the next write committed, the store no longer failing", st, rows())
	}
}

// TestWritesApartShareTransactions: fifty rooms each posting now and then
// make writes a millisecond apart; the writer gathers them for Gather
// instead of paying a transaction for each.
func TestWritesApartShareTransactions(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	const n = 60
	tick := time.NewTicker(time.Millisecond) // the traffic's pace, not a synchronisation
	defer tick.Stop()
	for seq := uint64(1); seq <= n; seq++ {
		<-tick.C
		s.Record(room.Message{Seq: seq, At: time.Now(), Kind: room.KindChat, From: "alice", Text: "hi", Room: fmt.Sprintf("tp%d", seq%50)})
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Written != n {
		t.Fatalf("written %d of %d", st.Written, n)
	}
	// 60 writes over at least 60 ms, gathered 10 ms at a time: a handful
	// of transactions (a loaded machine's ticker only makes fewer).
	if st.Batches > n/4 {
		t.Errorf("%d writes a millisecond apart took %d transactions", n, st.Batches)
	}
}
