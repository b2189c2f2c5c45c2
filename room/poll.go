package room

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// A poll takes from 2 to 9 choices: one digit to type in /vote.
const (
	MinPollChoices = 2
	MaxPollChoices = 9
)

// PollView is a poll as a screen shows it: a snapshot, never changed once
// published; a vote publishes a new one.
type PollView struct {
	By       string // the operator who opened it
	Question string
	Choices  []string // shared between the snapshots of one poll: never written
	Counts   []int    // the votes of each choice
	Total    int
}

// poll is a room's poll, guarded by the hub's lock.
type poll struct {
	seq      uint64 // of the event that opened it: ballots name it (Ref)
	by       string
	question string
	choices  []string
	counts   []int
	// votes holds each voter's choice (an index), by key when the member
	// has one, else by connection: a key's two sessions vote once
	// (voterFrom).
	votes  map[string]int
	closed bool
}

// roomPoll is a room's poll state: the one open, or the last one closed
// (to tell a late voter it closed), and what screens read of it without
// the hub's lock.
type roomPoll struct {
	cur   *poll
	shown atomic.Pointer[PollView] // the open poll's tally; nil: none open
}

// Poll is the open poll of r and its tally, read without the hub's lock:
// screens look at it once a second, so that votes cost no fan-out. nil:
// none is open.
func (r *Room) Poll() *PollView { return r.poll.shown.Load() }

// PollOf is the open poll of the room m is in, as Room.Poll; nil: none.
func (h *Hub) PollOf(m *Member) *PollView {
	r := m.at.Load()
	if r == nil {
		return nil
	}
	return r.Poll()
}

func (p *poll) view() *PollView {
	total := 0
	for _, n := range p.counts {
		total += n
	}
	return &PollView{By: p.by, Question: p.question, Choices: p.choices, Counts: append([]int(nil), p.counts...), Total: total}
}

// tally is p's choices as a message carries them: each choice a RoomInfo,
// its votes in Members, so that the transcript keeps a result in its rooms
// column, with no column of its own.
func (p *poll) tally(counts bool) []RoomInfo {
	out := make([]RoomInfo, len(p.choices))
	for i, c := range p.choices {
		out[i].Name = c
		if counts {
			out[i].Members = p.counts[i]
		}
	}
	return out
}

// voterFrom names the voter of a ballot or an upvote: its key, that one
// person holds whatever its sessions and nodes, else its connection, on
// its node.
func voterFrom(node string, id uint64, key string) string {
	if key != "" {
		return "k" + key
	}
	return "c" + node + "/" + strconv.FormatUint(id&^remoteID, 10)
}

func (h *Hub) voterOf(m *Member) string { return voterFrom(h.opts.Node, m.id, m.key) }

// ParsePoll reads the arguments of /poll: QUESTION | CHOICE | CHOICE …
// It returns the refusal (and its Others) when they make no poll.
func ParsePoll(args string) (question string, choices []string, err ErrorCode, at int) {
	parts := strings.Split(args, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if n := len(parts) - 1; n < MinPollChoices || n > MaxPollChoices {
		return "", nil, ErrPollChoices, n
	}
	for i, p := range parts {
		if !visible(p) {
			return "", nil, ErrPollEmpty, i
		}
	}
	return parts[0], parts[1:], 0, 0
}

// pollLocked carries out /poll, /vote and /endpoll in m's room.
func (h *Hub) pollLocked(m *Member, in Input) {
	r := m.room
	switch {
	case in.Cmd == CmdPoll && in.Text == "":
		h.showPollLocked(m, r)
	case in.Cmd == CmdPoll:
		h.openPollLocked(m, r, in.Text)
	case in.Cmd == CmdVote:
		h.voteLocked(m, r, in.Name)
	case in.Cmd == CmdEndPoll:
		h.endPollLocked(m, r)
	}
}

// noPollLocked tells m there is no open poll in r; it reports whether it
// did.
func (h *Hub) noPollLocked(m *Member, r *Room) bool {
	switch p := r.poll.cur; {
	case p == nil:
		h.replyLocked(m, Message{Kind: KindError, Err: ErrNoPoll})
	case p.closed:
		h.replyLocked(m, Message{Kind: KindError, Err: ErrPollClosed, Text: p.question})
	default:
		return false
	}
	return true
}

func (h *Hub) showPollLocked(m *Member, r *Room) {
	if h.noPollLocked(m, r) {
		return
	}
	p := r.poll.cur
	v := r.poll.shown.Load()
	h.replyLocked(m, Message{Kind: KindPollTally, Room: r.name, From: p.by, Text: p.question, Rooms: p.tally(true), Others: v.Total})
}

func (h *Hub) openPollLocked(m *Member, r *Room, args string) {
	if !m.IsOp() {
		h.replyLocked(m, Message{Kind: KindError, Err: ErrNotOperator, Text: "/poll"})
		return
	}
	if p := r.poll.cur; p != nil && !p.closed {
		h.replyLocked(m, Message{Kind: KindError, Err: ErrPollOpen, Text: p.question})
		return
	}
	question, choices, code, at := ParsePoll(args)
	if code != 0 {
		h.replyLocked(m, Message{Kind: KindError, Err: code, Others: at})
		return
	}
	h.events = append(h.events, event{"poll opened", []any{"room", r.name, "by", m.Name(), "choices", len(choices)}})
	p := poll{choices: choices}
	h.broadcastLocked(r, Message{Kind: KindPoll, From: m.Name(), SenderID: m.id, Key: m.key, Text: question, Rooms: p.tally(false)})
}

// pollOpenedLocked opens the poll msg brings (pollEffectLocked): not if
// one is open, another operator's, opened at the same moment on another
// node of a cluster and first in its order.
func (h *Hub) pollOpenedLocked(r *Room, msg *Message) bool {
	if p := r.poll.cur; p != nil && !p.closed {
		return false
	}
	choices := make([]string, len(msg.Rooms))
	for i, c := range msg.Rooms {
		choices[i] = c.Name
	}
	p := &poll{seq: msg.Seq, by: msg.From, question: msg.Text, choices: choices, counts: make([]int, len(choices)), votes: make(map[string]int)}
	r.poll.cur = p
	r.poll.shown.Store(p.view())
	return true
}

// voteLocked counts m's vote, or moves it. Only the voter is told: a class
// voting at once costs one reply a vote, and screens read the tally. In a
// cluster the vote is counted as the cluster brings it back, on every
// node, in its order: a vote that came after the poll's end is not.
func (h *Hub) voteLocked(m *Member, r *Room, word string) {
	if h.noPollLocked(m, r) {
		return
	}
	p := r.poll.cur
	n, err := strconv.Atoi(word)
	if err != nil || n < 1 || n > len(p.choices) {
		h.replyLocked(m, Message{Kind: KindError, Err: ErrBadVote, Text: Clip(word, 16), Others: len(p.choices)})
		return
	}
	reply := Message{Kind: KindVote, Room: r.name, Text: choiceLabel(p.choices, n-1)}
	if was, ok := p.votes[h.voterOf(m)]; ok {
		if was == n-1 {
			h.replyLocked(m, reply)
			return
		}
		reply.To = choiceLabel(p.choices, was)
	}
	ballot := Message{Kind: KindBallot, Room: r.name, SenderID: m.id, Key: m.key, Others: n - 1, Ref: p.seq}
	if h.clustered() {
		h.emitLocked(ballot)
	} else {
		h.ballotLocked(r, &ballot)
	}
	h.replyLocked(m, reply)
}

// ballotLocked counts a ballot (pollEffectLocked), if its poll is still
// open.
func (h *Hub) ballotLocked(r *Room, msg *Message) {
	p := r.poll.cur
	if p == nil || p.closed || p.seq != msg.Ref || msg.Others < 0 || msg.Others >= len(p.choices) {
		return
	}
	voter := voterFrom(msg.Node, msg.SenderID, msg.Key)
	if was, ok := p.votes[voter]; ok {
		p.counts[was]--
	}
	p.votes[voter] = msg.Others
	p.counts[msg.Others]++
	r.poll.shown.Store(p.view())
}

func (h *Hub) endPollLocked(m *Member, r *Room) {
	if h.noPollLocked(m, r) {
		return
	}
	p := r.poll.cur
	h.events = append(h.events, event{"poll closed", []any{"room", r.name, "by", m.Name(), "votes", len(p.votes)}})
	h.broadcastLocked(r, Message{Kind: KindPollResult, From: m.Name(), SenderID: m.id, Key: m.key, To: p.by, Text: p.question, Ref: p.seq})
}

// pollClosedLocked closes the poll msg names and gives msg its result, as
// this node counted it, which every node of a cluster counted alike at
// this point of its order. Closed already (two operators at once), it is
// not shown again.
func (h *Hub) pollClosedLocked(r *Room, msg *Message) bool {
	p := r.poll.cur
	if p == nil || p.closed || p.seq != msg.Ref {
		return false
	}
	p.closed = true
	msg.To, msg.Text, msg.Rooms, msg.Others = p.by, p.question, p.tally(true), len(p.votes)
	p.votes = nil // a closed poll takes no votes: its counts are its result
	r.poll.shown.Store(nil)
	return true
}

func choiceLabel(choices []string, i int) string {
	return strconv.Itoa(i+1) + ". " + choices[i]
}
