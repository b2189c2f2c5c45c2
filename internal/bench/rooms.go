package bench

import (
	"bytes"
	"fmt"
	"strconv"
)

// Rooms: with Config.Rooms of 2 or more, the members are spread over rooms
// bench-1 … bench-N, each message is expected only by the other members of
// its sender's room, and a token seen in another room is counted as crossed.

// roomName names room i, counted from 0: bench-1 for the first.
func roomName(i int) string { return "bench-" + strconv.Itoa(i+1) }

// spread makes the run's members — the readers of each door, then the
// stalled ones of each — puts each in its room, picks the senders and sends
// each member to one of its door's addresses. Each kind is spread evenly
// over the rooms, the readers of every door counted together so that the
// rooms differ by one reader at most; the senders are spread evenly too,
// and inside a room chosen evenly among its readers, as they are among
// everyone with one room.
func (r *runner) spread() {
	cfg := r.cfg
	readers := cfg.readers()
	sshName := func(i int) string { return fmt.Sprintf("b%ss%d", r.run[:4], i) }
	// The web door names its members (Web-N), as the TCP door does.
	for i := range readers {
		var m *member
		switch {
		case i < cfg.TCPClients:
			m = newMember(doorTCP, "")
		case i < cfg.TCPClients+cfg.SSHClients:
			m = newMember(doorSSH, sshName(i-cfg.TCPClients))
		default:
			m = newMember(doorWeb, "")
		}
		m.room = i % r.rooms
		r.members = append(r.members, m)
	}
	for i := range cfg.Stalled + cfg.StalledSSH + cfg.StalledWeb {
		var m *member
		switch {
		case i < cfg.Stalled:
			m = newMember(doorTCP, "")
		case i < cfg.Stalled+cfg.StalledSSH:
			m = newMember(doorSSH, sshName(cfg.SSHClients+i-cfg.Stalled))
		default:
			m = newMember(doorWeb, "")
		}
		m.stalled = true
		if !cfg.StalledFirstRoom {
			m.room = i % r.rooms
		}
		r.members = append(r.members, m)
	}

	r.inRoom = make([][nDoors]int, r.rooms)
	byRoom := make([][]*member, r.rooms)
	for _, m := range r.members[:readers] {
		r.inRoom[m.room][m.door]++
		byRoom[m.room] = append(byRoom[m.room], m)
	}
	for s := range r.senders {
		room := r.senderRoom(s)
		in := byRoom[room]
		n := (r.senders - room + r.rooms - 1) / r.rooms // the senders of that room
		in[s/r.rooms*len(in)/n].sender = s
	}
	r.spreadAddrs()
	if r.flood {
		// The flood comes from a reader of the first room, by the TCP door
		// if one is there: a line a message, however fast.
		in := byRoom[0]
		r.flooder = in[0]
		for _, m := range in {
			if m.door == doorTCP {
				r.flooder = m
				break
			}
		}
	}
}

// senderRoom is the room of sender s: the senders go round the rooms, and
// the flood is the first room's.
func (r *runner) senderRoom(s int) int {
	if s >= r.senders || r.rooms <= 1 {
		return 0
	}
	return s % r.rooms
}

// movedMarks are what the line telling a member it moved holds before the
// room's name, on either door and in either language: "You are now in
// #bench-3, with …", "Vous êtes maintenant dans #bench-3 …", and the same
// after "NAME moved you: you are …". Not a bare "#": the room a member
// leaves reads "NAME went to #bench-3" of those who go before it.
var movedMarks = [][]byte{[]byte("ou are now in #"), []byte("tes maintenant dans #")}

// hasRoom reports whether text holds one of the marks followed by the room's
// name, whole: bench-1 is not the start of bench-12.
func hasRoom(text []byte, marks [][]byte, name string) bool {
	for _, mark := range marks {
		for rest := text; ; {
			i := bytes.Index(rest, mark)
			if i < 0 {
				break
			}
			rest = rest[i+len(mark):]
			if after, ok := bytes.CutPrefix(rest, []byte(name)); ok && len(after) > 0 && !nameByte(after[0]) {
				return true
			}
		}
	}
	return false
}

// nameByte reports whether c may be part of a room's name.
func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// roomFigures puts the latencies by room into rep, with rooms: of the
// senders' messages, the flood's apart — a flooder held back by the server
// sees its own messages late, which is not its room's latency.
func (r *runner) roomFigures(rep *Report) {
	if r.roomHist == nil {
		return
	}
	var others histogram
	rep.RoomP99ms = make([]float64, r.rooms)
	for i := range r.roomHist {
		h := &r.roomHist[i]
		p99 := ms(h.quantile(.99))
		rep.RoomP99ms[i] = p99
		if rep.WorstRoom == "" || p99 > rep.WorstRoomP99ms {
			rep.WorstRoom, rep.WorstRoomP99ms = roomName(i), p99
		}
		if i > 0 {
			others.merge(h)
			rep.OtherRoomsMaxP99 = max(rep.OtherRoomsMaxP99, p99)
		}
	}
	rep.FirstRoomP50ms, rep.FirstRoomP99ms = ms(r.roomHist[0].quantile(.50)), ms(r.roomHist[0].quantile(.99))
	rep.OtherRoomsP50ms, rep.OtherRoomsP99ms = ms(others.quantile(.50)), ms(others.quantile(.99))
	if r.flood {
		rep.FloodP50ms, rep.FloodP99ms = ms(r.floodHist.quantile(.50)), ms(r.floodHist.quantile(.99))
	}
}
