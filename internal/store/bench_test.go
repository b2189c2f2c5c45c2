package store

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"palabre/room"
)

// benchMessages are chat lines as a classroom types them: 100 senders in
// four rooms, some through SSH with a key, lines of 10 to 120 bytes.
func benchMessages() []room.Message {
	const senders = 100
	texts := []string{
		"ok",
		"bonjour tout le monde",
		"est-ce que quelqu'un a réussi la question 3 du TP ?",
		"il faut faire un recv() en boucle tant que la taille reçue est < à celle attendue, sinon tu perds des octets",
		"merci !",
		"le serveur répond \"connection refused\" quand je lance client.py, j'ai oublié quoi ?",
	}
	msgs := make([]room.Message, 0, senders*len(texts))
	for i := range cap(msgs) {
		m := room.Message{Kind: room.KindChat, From: fmt.Sprintf("Thread-%d", i%senders), Text: texts[i%len(texts)],
			Room: []string{"main", "tp1", "tp2", "tp3"}[i%senders/25], Door: room.DoorTCP, SenderID: uint64(i % senders)}
		if i%3 == 0 {
			m.Door, m.Key = room.DoorSSH, "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// BenchmarkRecord: b.N messages recorded as fast as a hub could post them,
// then flushed: what the writer sustains, in committed messages a second.
// The queue holds all of them, so none is dropped and the figure is the
// writer's, not the queue's.
func BenchmarkRecord(b *testing.B) {
	msgs := benchMessages()
	s := openStore(b, b.TempDir(), Options{QueueSize: b.N + 1})
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		m := msgs[i%len(msgs)]
		m.Seq, m.At = uint64(i+1), start
		s.Record(m)
	}
	flush(b, s)
	b.StopTimer()
	st := s.Stats()
	if st.Written != uint64(b.N) || st.Dropped != 0 {
		b.Fatalf("Stats = %+v, want %d written", st, b.N)
	}
	b.ReportMetric(float64(st.Written)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(st.Written)/float64(st.Batches), "msgs/batch")
}

// BenchmarkRecordBatchLatency: each op records a burst of messages and
// waits for their commit, the writer otherwise idle; ns/op is the time from
// the first Record of a burst to the commit of the last. batch=1 is a lone
// message in a quiet room; batch=200 is one second of palabre's heaviest
// bench load arriving at once.
func BenchmarkRecordBatchLatency(b *testing.B) {
	msgs := benchMessages()
	for _, batch := range []int{1, 10, 200, 2000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := openStore(b, b.TempDir(), Options{})
			b.ReportAllocs()
			b.ResetTimer()
			seq := uint64(0)
			for range b.N {
				for j := range batch {
					seq++
					m := msgs[j%len(msgs)]
					m.Seq, m.At = seq, time.Now()
					s.Record(m)
				}
				flush(b, s)
			}
			b.StopTimer()
			if st := s.Stats(); st.Dropped != 0 || st.Written != seq {
				b.Fatalf("Stats = %+v, want %d written", st, seq)
			}
			b.ReportMetric(float64(seq)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkRecordCall: the cost of one Record to the hub that calls it
// under its lock. Only the queueing is measured: the writer is held, and
// every 4096 calls the queue is emptied off the clock, unwritten.
func BenchmarkRecordCall(b *testing.B) {
	msgs := benchMessages()
	hold := make(chan struct{})
	s := openStore(b, b.TempDir(), Options{QueueSize: 4096, beforeBatch: func() { <-hold }})
	b.Cleanup(func() { close(hold) }) // runs before openStore's Close
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		m := msgs[i%len(msgs)]
		m.Seq, m.At = uint64(i+1), now
		s.Record(m)
		if i%4096 == 4095 {
			b.StopTimer()
			s.mu.Lock()
			clear(s.pending)
			s.pending = s.pending[:0]
			s.mu.Unlock()
			b.StartTimer()
		}
	}
	b.StopTimer()
	if st := s.Stats(); st.Queued != uint64(b.N) || st.Dropped != 0 {
		b.Fatalf("Stats = %+v, want %d queued", st, b.N)
	}
}

// classroomDB writes n of benchMessages into a database in dir, one lesson
// after another, and closes it.
func classroomDB(b *testing.B, dir string, n int) {
	b.Helper()
	msgs := benchMessages()
	s := openStore(b, dir, Options{QueueSize: n + 1})
	start := time.Now()
	for i := range n {
		m := msgs[i%len(msgs)]
		m.Seq, m.At = uint64(i+1), start.Add(time.Duration(i)*time.Second)
		s.Record(m)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOpen: what the check at start (PRAGMA quick_check, which reads
// every page) costs a server on a database of a term's messages, or ten.
// The file is in the page cache after the first run: from a cold disk,
// add its reading.
func BenchmarkOpen(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			classroomDB(b, dir, n)
			b.ResetTimer()
			for range b.N {
				s, err := Open(dir, Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkLoad: what a server reads at start from a database of a term's
// messages, or ten, in four rooms, after a clean stop: each room's last 50
// messages, found through the room index, and the rest of State.
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			classroomDB(b, dir, n)
			s := openStore(b, dir, Options{})
			s.Record(room.Message{Seq: uint64(n + 1), Kind: room.KindStop})
			flush(b, s)
			b.ResetTimer()
			for range b.N {
				st, err := s.Load(50)
				if err != nil {
					b.Fatal(err)
				}
				if len(st.History) != 50 || len(st.Rooms) != 3 {
					b.Fatalf("%d history, %d other rooms; want 50 and 3", len(st.History), len(st.Rooms))
				}
			}
		})
	}
}

// BenchmarkMigrateToRooms: the first start of a palabre with rooms on a
// database of a term's messages, or ten, kept before rooms: migration 4
// gives every row the default room (and indexes it), once.
func BenchmarkMigrateToRooms(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				dir := b.TempDir()
				db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
				if err != nil {
					b.Fatal(err)
				}
				for _, q := range []string{migrations[0], migrations[1], migrations[2], `PRAGMA user_version = 3`,
					fmt.Sprintf(`WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < %d)
						INSERT INTO messages (seq, at, kind, door, name, text) SELECT n, n, 'chat', 'tcp', 'Thread-' || (n %% 100),
						'est-ce que quelqu''un a réussi la question 3 du TP ?' FROM i`, n)} {
					if _, err := db.Exec(q); err != nil {
						b.Fatal(err)
					}
				}
				db.Close()
				b.StartTimer()
				s, err := Open(dir, Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkRecover: palabre recover on a database of a term's messages
// with three pages overwritten in the middle.
func BenchmarkRecover(b *testing.B) {
	const n = 100_000
	sample := b.TempDir()
	classroomDB(b, sample, n)
	db, err := os.ReadFile(filepath.Join(sample, FileName))
	if err != nil {
		b.Fatal(err)
	}
	mid := len(db) / 2 / 4096 * 4096
	clear(db[mid : mid+3*4096])
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), db, 0o600); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rec, err := Recover(dir, time.Now())
		if err != nil || rec.Problem == "" {
			b.Fatalf("Recover: %+v, %v", rec, err)
		}
		b.ReportMetric(float64(rec.Kept["messages"]), "kept")
	}
}
