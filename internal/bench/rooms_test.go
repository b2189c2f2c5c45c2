package bench

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// planned lays out a run as Run does, without a server.
func planned(t *testing.T, cfg Config) *runner {
	t.Helper()
	cfg.Duration = time.Second
	if cfg.Senders > 0 && cfg.Rate == 0 {
		cfg.Rate = 1
	}
	r := &runner{cfg: cfg.withDefaults(), run: "abcdef", start: time.Now()}
	if err := r.plan(); err != nil {
		t.Fatal(err)
	}
	return r
}

// spreadEvenly reports an error when counts differ by more than one.
func spreadEvenly(what string, counts []int) error {
	lo, hi := counts[0], counts[0]
	for _, n := range counts {
		lo, hi = min(lo, n), max(hi, n)
	}
	if hi-lo > 1 {
		return fmt.Errorf("%s by room %v: want them spread evenly", what, counts)
	}
	return nil
}

// The members, the senders and the stalled members are spread evenly over
// the rooms, each door's too; every sender is a reader of the room its
// messages are expected in; with one room, the senders are those the bench
// always picked.
func TestBenchSpreadsOverRooms(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"one room", Config{TCPClients: 10, SSHClients: 3, Stalled: 2, Senders: 4}},
		{"4 rooms, both doors", Config{Rooms: 4, TCPClients: 20, SSHClients: 3, Stalled: 3, StalledSSH: 2, Senders: 5}},
		{"50 rooms of 20, all senders", Config{Rooms: 50, TCPClients: 1000, Senders: 1000}},
		{"senders fewer than rooms", Config{Rooms: 7, TCPClients: 30, SSHClients: 12, Senders: 3}},
		{"as many rooms as readers", Config{Rooms: 5, TCPClients: 2, SSHClients: 3, Senders: 5}},
		{"stalled in the first room, a flood", Config{Rooms: 3, TCPClients: 9, SSHClients: 3, Stalled: 4, StalledSSH: 2, Senders: 6, StalledFirstRoom: true, FloodRate: 100}},
		{"a flood from a screen", Config{Rooms: 2, SSHClients: 4, Senders: 4, FloodRate: 10}},
		{"one room, three doors", Config{TCPClients: 6, SSHClients: 2, WebClients: 6, Stalled: 1, StalledWeb: 2, Senders: 7}},
		{"5 rooms, three doors", Config{Rooms: 5, TCPClients: 30, SSHClients: 10, WebClients: 30, Stalled: 2, StalledSSH: 1, StalledWeb: 3, Senders: 5}},
		{"a flood from a web member", Config{Rooms: 2, WebClients: 4, Senders: 2, FloodRate: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := planned(t, tt.cfg)
			cfg := r.cfg
			rooms := max(1, cfg.Rooms)
			readers := cfg.TCPClients + cfg.SSHClients + cfg.WebClients
			stalledN := cfg.Stalled + cfg.StalledSSH + cfg.StalledWeb
			if len(r.members) != readers+stalledN {
				t.Fatalf("%d members, want %d", len(r.members), readers+stalledN)
			}
			count := func(keep func(m *member) bool) []int {
				n := make([]int, rooms)
				for _, m := range r.members {
					if keep(m) {
						n[m.room]++
					}
				}
				return n
			}
			for _, c := range []struct {
				what string
				keep func(m *member) bool
			}{
				{"readers", func(m *member) bool { return !m.stalled }},
				{"tcp readers", func(m *member) bool { return !m.stalled && m.door == doorTCP }},
				{"ssh readers", func(m *member) bool { return !m.stalled && m.door == doorSSH }},
				{"web readers", func(m *member) bool { return !m.stalled && m.door == doorWeb }},
				{"stalled web", func(m *member) bool { return m.stalled && m.door == doorWeb && !cfg.StalledFirstRoom }},
				{"senders", func(m *member) bool { return m.sender >= 0 }},
			} {
				if err := spreadEvenly(c.what, count(c.keep)); err != nil {
					t.Error(err)
				}
			}
			stalled := count(func(m *member) bool { return m.stalled })
			if cfg.StalledFirstRoom {
				if stalled[0] != stalledN {
					t.Errorf("stalled by room %v: want all in bench-1", stalled)
				}
			} else if err := spreadEvenly("stalled", stalled); err != nil {
				t.Error(err)
			}
			for d := range nDoors {
				for room, in := range r.inRoom {
					if want := count(func(m *member) bool { return !m.stalled && m.door == door(d) })[room]; in[d] != want {
						t.Errorf("inRoom[%d][%v] = %d, want %d", room, door(d), in[d], want)
					}
				}
			}

			sent := make([]int, cfg.Senders)
			for i, m := range r.members {
				if m.sender < 0 {
					continue
				}
				sent[m.sender]++
				if m.stalled || m.room != r.senderRoom(m.sender) {
					t.Errorf("sender %d: stalled %v, in room %d, its messages expected in %d", m.sender, m.stalled, m.room, r.senderRoom(m.sender))
				}
				if rooms == 1 && i != m.sender*readers/cfg.Senders {
					t.Errorf("sender %d is member %d, want %d as with no rooms", m.sender, i, m.sender*readers/cfg.Senders)
				}
			}
			for s, n := range sent {
				if n != 1 {
					t.Errorf("sender %d is %d members", s, n)
				}
			}
			if cfg.FloodRate > 0 {
				f := r.flooder
				tcpThere := count(func(m *member) bool { return !m.stalled && m.door == doorTCP })[0] > 0
				if f == nil || f.stalled || f.room != 0 || r.senderRoom(r.senders) != 0 || (tcpThere && f.door != doorTCP) {
					t.Errorf("flooder %+v: want a reader of bench-1, by TCP if one is there", f)
				}
			}
		})
	}
}

// Each message is expected by the other readers of its sender's room, and
// only there: every first sighting in the room counts once, a sighting in
// another room counts as crossed and as no delivery, a screen drawn again
// counts nothing more, and the loss by member is each one's room's.
func TestBenchExpectsTheSendersRoomOnly(t *testing.T) {
	r := planned(t, Config{Rooms: 4, TCPClients: 13, SSHClients: 5, WebClients: 7, Stalled: 2, StalledWeb: 1, Senders: 6, Rate: 5, FloodRate: 50})
	r.measureStart = 0 // every message measured
	sent := []struct{ s, seq int }{}
	for s := range r.senders + 1 {
		for seq := range 3 {
			sent = append(sent, struct{ s, seq int }{s, seq})
		}
	}
	byID := map[int]*member{}
	for _, m := range r.members {
		if m.sender >= 0 {
			byID[m.sender] = m
		}
	}
	byID[r.senders] = r.flooder
	for _, msg := range sent {
		id, ok := r.id(msg.s, msg.seq)
		if !ok {
			t.Fatalf("no id for message %d of sender %d", msg.seq, msg.s)
		}
		r.sendTimes[id].Store(int64(time.Millisecond))
		from := byID[msg.s]
		r.roomSent[from.room][from.door].Add(1)
		from.sentN.Add(1)
	}

	// Every reader sees every message, twice: as a screen drawn again would.
	var inRoom, elsewhere int64
	for range 2 {
		for _, m := range r.members {
			if m.stalled {
				continue
			}
			for _, msg := range sent {
				r.deliver(m, msg.s, msg.seq, 2*time.Millisecond)
			}
		}
	}
	for _, m := range r.members {
		if m.stalled {
			continue
		}
		for _, msg := range sent {
			switch from := byID[msg.s]; {
			case from == m:
			case from.room == m.room:
				inRoom++
			default:
				elsewhere++
			}
		}
	}
	e := r.expected()
	seen := r.seenAll()
	if sum(e) != inRoom || seen != inRoom {
		t.Errorf("expected %v deliveries, seen %d; want %d, those in the sender's room", e, seen, inRoom)
	}
	for d := range nDoors {
		if e[d] != r.seen[d].Load() || e[d] == 0 {
			t.Errorf("to %v: expected %d, seen %d; want as many, more than 0", door(d), e[d], r.seen[d].Load())
		}
	}
	if got := r.crossed.Load(); got != elsewhere || elsewhere == 0 {
		t.Errorf("crossed %d, want %d (once each)", got, elsewhere)
	}
	if r.strays.Load() != 0 {
		t.Errorf("%d strays", r.strays.Load())
	}
	var rep Report
	r.fill(&rep, e, nil)
	if rep.Lost != 0 || rep.LostTCPConnected != 0 || rep.LostSSHConnected != 0 || rep.Crossed != elsewhere {
		t.Errorf("lost %d (%d tcp, %d ssh), crossed %d", rep.Lost, rep.LostTCPConnected, rep.LostSSHConnected, rep.Crossed)
	}
	if len(rep.RoomP99ms) != 4 || rep.WorstRoom == "" || rep.OtherRoomsP99ms != 1 || rep.FirstRoomP99ms != 1 || rep.FloodP99ms != 1 {
		t.Errorf("by room: %v, worst %q, bench-1 %v, others %v, the flood %v; want 1 ms everywhere", rep.RoomP99ms, rep.WorstRoom, rep.FirstRoomP99ms, rep.OtherRoomsP99ms, rep.FloodP99ms)
	}
	if len(rep.Notes) == 0 || rep.Notes[len(rep.Notes)-1][:6] != "ERROR:" {
		t.Errorf("notes %q: want the crossing told", rep.Notes)
	}

	// A member that missed one message of its room loses that one only.
	r2 := planned(t, Config{Rooms: 2, TCPClients: 6, Senders: 2}) // bench-1: members 0 (sender 0), 2, 4

	r2.measureStart = 0
	for s := range 2 {
		id, _ := r2.id(s, 0)
		r2.sendTimes[id].Store(1)
		for _, m := range r2.members {
			if m.sender == s {
				r2.roomSent[m.room][m.door].Add(1)
				m.sentN.Add(1)
			}
		}
	}
	for i, m := range r2.members {
		for s := range 2 {
			if i != 2 {
				r2.deliver(m, s, 0, 2)
			}
		}
	}
	rep = Report{}
	r2.fill(&rep, r2.expected(), nil)
	if rep.Expected != 4 || rep.Lost != 1 || rep.LostTCPConnected != 1 || rep.Crossed != 5 {
		t.Errorf("expected %d, lost %d (%d by connected members), crossed %d; want 4, 1, 1, 5", rep.Expected, rep.Lost, rep.LostTCPConnected, rep.Crossed)
	}
}

// A room's name counts only whole, after the mark: bench-1 is not bench-12.
func TestBenchFindsTheRoomWhole(t *testing.T) {
	tests := []struct {
		text string
		room string
		want bool
	}{
		{"*** You are now in #bench-1 (3 here)\n", "bench-1", true},
		{"*** You are now in #bench-12 (3 here)\n", "bench-1", false},
		{"*** You are now in #bench-1", "bench-1", false}, // the name may go on in the next read
		{"*** Vous êtes maintenant dans #bench-7.\n", "bench-7", true},
		{"*** Thread-3 went to #bench-1\n", "bench-1", false},
		{"*** Thread-3 went to #bench-1\n*** You are now in #bench-2 \n", "bench-2", true},
		{"│ 12:01 Thread-3 moved you: you are now in #bench-4, with b1a2fs0 │", "bench-4", true},
	}
	for _, tt := range tests {
		if got := hasRoom([]byte(tt.text), movedMarks, tt.room); got != tt.want {
			t.Errorf("hasRoom(%q, %q) = %v, want %v", tt.text, tt.room, got, tt.want)
		}
	}
}

// Needs the hub's rooms (issue 12): before them, /join moves nobody and
// every message is seen in every "room", as crossed.
//
// Members of both doors spread over four rooms lose nothing and see nothing
// of another room; with trouble in bench-1 — members that never read and a
// member flooding — the same, and the report gives bench-1 apart.
func TestBenchRoomsKeepMessagesApart(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"4 rooms of 5 tcp + 1 ssh", Config{Rooms: 4, TCPClients: 20, SSHClients: 4, Senders: 8}},
		{"trouble in bench-1", Config{Rooms: 4, TCPClients: 20, SSHClients: 4, Senders: 8,
			Stalled: 2, StalledSSH: 1, StalledFirstRoom: true, FloodRate: 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tcpAddr, sshAddr := startServer(t)
			cfg := tt.cfg
			cfg.Rate, cfg.Duration, cfg.Warmup = 5, time.Second, 200*time.Millisecond
			cfg.AddrTCP, cfg.AddrSSH, cfg.PID = tcpAddr, sshAddr, os.Getpid()
			rep, err := Run(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			var table strings.Builder
			rep.WriteTable(&table)
			t.Logf("\n%s", table.String())
			total := cfg.TCPClients + cfg.SSHClients + cfg.Stalled + cfg.StalledSSH
			if rep.Connected != total || rep.Rooms != 4 {
				t.Errorf("%d connected in %d rooms, want %d in 4", rep.Connected, rep.Rooms, total)
			}
			// Each room holds 5 TCP readers and a screen: 5 others read each message.
			if rep.Sent == 0 || rep.Expected != rep.Sent*5 {
				t.Errorf("sent %d, expected %d: want 5 deliveries of each", rep.Sent, rep.Expected)
			}
			if rep.Crossed != 0 {
				t.Errorf("%d messages crossed rooms", rep.Crossed)
			}
			if rep.Lost != 0 || rep.Seen != rep.Expected || rep.SSHSeen != rep.SSHExpected || rep.SSHExpected == 0 || rep.Dropped != 0 || rep.Strays != 0 {
				t.Errorf("loss: %+v", rep)
			}
			if len(rep.RoomP99ms) != 4 || rep.WorstRoomP99ms <= 0 || rep.FirstRoomP99ms <= 0 || rep.OtherRoomsP99ms <= 0 {
				t.Errorf("no latency by room: %v, worst %v, bench-1 %v, others %v", rep.RoomP99ms, rep.WorstRoomP99ms, rep.FirstRoomP99ms, rep.OtherRoomsP99ms)
			}
			if cfg.FloodRate > 0 && (rep.FloodSent == 0 || rep.FloodP99ms <= 0 || !strings.Contains(table.String(), "stalled members all in bench-1")) {
				t.Errorf("flood sent %d; the table:\n%s", rep.FloodSent, table.String())
			}
		})
	}
}
