package room

import (
	"cmp"
	"slices"
	"strconv"
)

// AnonymousQuestion is the To of a question asked anonymously: the
// transcript keeps it with its author, and an export for the class's
// eyes leaves the author out.
const AnonymousQuestion = "anonymous"

// maxQuestions bounds a room's open questions: past it, /ask is refused
// until operators answer or dismiss some.
const maxQuestions = 100

// QuestionInfo is one open question, as a reader may see it: From is ""
// when it was asked anonymously and the reader is neither an operator nor
// its author.
type QuestionInfo struct {
	N         int
	From      string
	Text      string
	Votes     int
	Anonymous bool
}

type question struct {
	n         int
	from      string // the author's name when it asked
	fromID    uint64 // as this node's doors see it: marked when another node's (remoteID)
	fromNode  string
	fromKey   string
	text      string
	anonymous bool
	voters    map[string]bool // by voterFrom
}

// questionQueue is a room's questions, guarded by the hub's lock.
type questionQueue struct {
	last      int         // the number of the last question asked
	open      []*question // in the order they were asked
	anonymous bool        // questions asked now hide their authors from members
}

func (h *Hub) questionsOf(r *Room) *questionQueue {
	if r.questions == nil {
		r.questions = &questionQueue{anonymous: h.opts.AnonymousQuestions}
	}
	return r.questions
}

// seesAuthor reports whether m may be shown who asked q.
func (q *question) seesAuthor(m *Member) bool {
	return !q.anonymous || m.IsOp() || m.id == q.fromID
}

func (q *question) info(reader *Member) QuestionInfo {
	qi := QuestionInfo{N: q.n, Text: q.text, Votes: len(q.voters), Anonymous: q.anonymous}
	if q.seesAuthor(reader) {
		qi.From = q.from
	}
	return qi
}

// find returns the open question numbered word, or nil.
func (qq *questionQueue) find(word string) (int, *question) {
	n, err := strconv.Atoi(word)
	if err != nil || n <= 0 {
		return -1, nil
	}
	return qq.numbered(n)
}

// numbered returns the open question numbered n, or nil.
func (qq *questionQueue) numbered(n int) (int, *question) {
	for i, q := range qq.open {
		if q.n == n {
			return i, q
		}
	}
	return -1, nil
}

// askLocked is /ask: like a hand, a question is no public message, so a
// room where only operators may post still takes it; a muted member,
// though, asks nothing.
func (h *Hub) askLocked(m *Member, text string) {
	if h.mutedLocked(m) {
		return
	}
	if len(h.questionsOf(m.room).open) >= maxQuestions {
		h.replyLocked(m, Message{Kind: KindError, Err: ErrQuestionsFull, Others: maxQuestions})
		return
	}
	h.broadcastLocked(m.room, Message{Kind: KindQuestion, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key, Text: Clip(text, h.opts.MaxMessageBytes)})
}

// questionAskedLocked queues the question msg brings (effectLocked),
// numbering it, on every node of a cluster alike, and marks it anonymous
// if the room's questions are: its readers see who asked as
// anonymousQuestionLocked decides.
func (h *Hub) questionAskedLocked(r *Room, msg *Message) bool {
	qq := h.questionsOf(r)
	if len(qq.open) >= maxQuestions {
		return false // filled meanwhile from other nodes
	}
	qq.last++
	from := msg.SenderID
	if msg.Node != h.opts.Node {
		from |= remoteID // as this node's doors see it
	}
	q := &question{n: qq.last, from: msg.From, fromID: from, fromNode: msg.Node, fromKey: msg.Key, text: msg.Text, anonymous: qq.anonymous, voters: map[string]bool{}}
	qq.open = append(qq.open, q)
	msg.Others = q.n
	if q.anonymous {
		msg.To = AnonymousQuestion
	}
	return true
}

// anonymousQuestionLocked shows an anonymous question: the transcript,
// operators and its author get it whole; every other member gets a copy
// that holds nothing of its author, so that no door, whatever it shows,
// can show who asked.
func (h *Hub) anonymousQuestionLocked(r *Room, msg Message) {
	hidden := msg
	hidden.From, hidden.SenderID, hidden.Key, hidden.Door, hidden.Node = "", 0, "", "", ""
	var slow []*Member
	now := h.outboxNow()
	for _, m := range r.members {
		send := &hidden
		if m.IsOp() || (msg.Node == h.opts.Node && m.id == msg.SenderID) {
			send = &msg
		}
		if !m.push(send, now) {
			slow = append(slow, m)
		}
		h.congested = h.congested || m.half.Load()
	}
	h.evictLocked(slow)
}

// upLocked is /up N: one vote per member (per key, when it has one), never
// for its own question.
func (h *Hub) upLocked(m *Member, word string) {
	_, q := h.questionsOf(m.room).find(word)
	switch {
	case q == nil:
		h.replyLocked(m, Message{Kind: KindError, Err: ErrNoQuestion, Text: Clip(word, 16)})
		return
	case q.fromID == m.id || (m.key != "" && q.fromKey == m.key):
		h.replyLocked(m, Message{Kind: KindError, Err: ErrOwnQuestion, Text: word})
		return
	case q.voters[h.voterOf(m)]:
		h.replyLocked(m, Message{Kind: KindError, Err: ErrVotedAlready, Text: word})
		return
	}
	msg := Message{Kind: KindUpvote, Room: m.room.name, From: m.Name(), SenderID: m.id, Door: m.door, Key: m.key, Others: q.n, Text: q.text}
	now := q.info(m)
	now.Votes++ // with this one: counted here now, alone, or as the cluster brings it back
	if !h.clustered() {
		h.upvotedLocked(m.room, &msg)
	}
	h.recordForLocked(m, msg, now)
}

// upvotedLocked counts the upvote msg brings (effectLocked), once per
// voter and never its author's.
func (h *Hub) upvotedLocked(r *Room, msg *Message) {
	_, q := h.questionsOf(r).numbered(msg.Others)
	if q == nil || (msg.Key != "" && q.fromKey == msg.Key) || (q.fromNode == msg.Node && q.fromID&^remoteID == msg.SenderID) {
		return
	}
	q.voters[voterFrom(msg.Node, msg.SenderID, msg.Key)] = true
}

// questionsLocked is /questions: the open ones, most voted first, then
// in the order they were asked.
func (h *Hub) questionsLocked(m *Member) {
	qq := h.questionsOf(m.room)
	h.replyLocked(m, Message{Kind: KindQueue, Room: m.room.name, Questions: qq.byVotes(m)})
}

// byVotes lists the open questions as reader may see them, most upvoted
// first, then in the order they were asked.
func (qq *questionQueue) byVotes(reader *Member) []QuestionInfo {
	list := make([]QuestionInfo, len(qq.open))
	for i, q := range qq.open {
		list[i] = q.info(reader)
	}
	slices.SortStableFunc(list, func(a, b QuestionInfo) int { return cmp.Compare(b.Votes, a.Votes) })
	return list
}

// openQuestionLocked is question word of op's room, or nil, and op is
// told there is none of that number.
func (h *Hub) openQuestionLocked(op *Member, word string) *question {
	_, q := h.questionsOf(op.room).find(word)
	if q == nil {
		h.replyLocked(op, Message{Kind: KindError, Err: ErrNoQuestion, Text: Clip(word, 16)})
	}
	return q
}

// answerLocked is an operator's /answer N [text]: the room reads the
// answer with the question, never its author.
func (h *Hub) answerLocked(op *Member, word, text string) {
	if q := h.openQuestionLocked(op, word); q != nil {
		h.broadcastLocked(op.room, Message{Kind: KindAnswer, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, Others: q.n, To: q.text, Text: text})
	}
}

// dismissLocked is an operator's /dismiss N.
func (h *Hub) dismissLocked(op *Member, word string) {
	if q := h.openQuestionLocked(op, word); q != nil {
		h.broadcastLocked(op.room, Message{Kind: KindDismiss, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, Others: q.n, To: q.text})
	}
}

// questionClosedLocked takes the question msg answers or dismisses out of
// the queue (effectLocked). Gone already (two operators at once), it is
// not shown again.
func (h *Hub) questionClosedLocked(r *Room, msg *Message) bool {
	qq := h.questionsOf(r)
	i, q := qq.numbered(msg.Others)
	if q == nil {
		return false
	}
	qq.open = slices.Delete(qq.open, i, i+1)
	return true
}

// anonymousLocked is an operator's /anonymous on|off, for the questions
// asked in its room from now on.
func (h *Hub) anonymousLocked(op *Member, word string) {
	var on bool
	switch {
	case asciiEqualFold(word, "on"):
		on = true
	case asciiEqualFold(word, "off"):
	default:
		h.replyLocked(op, Message{Kind: KindError, Err: ErrUsage, Text: "/anonymous"})
		return
	}
	h.broadcastLocked(op.room, Message{Kind: KindAnon, From: op.Name(), SenderID: op.id, Door: op.door, Key: op.key, Text: map[bool]string{true: "on", false: "off"}[on]})
}

// OpenQuestions gives the first n open questions of self's room, most
// upvoted first, as self may see them, and how many are open: a screen's
// side panel shows a few.
func (h *Hub) OpenQuestions(self *Member, n int) ([]QuestionInfo, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if self.room == nil || self.room.questions == nil {
		return nil, 0
	}
	list := self.room.questions.byVotes(self)
	return list[:min(max(n, 0), len(list))], len(list)
}
