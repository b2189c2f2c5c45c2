package room

import (
	"fmt"
	"time"
)

// Kind says what a Message is. Doors switch on it to format a message;
// nothing in a message's text ever decides how it is shown.
type Kind uint8

const (
	KindChat     Kind = iota + 1 // a public message: From, Text
	KindAction                   // /me: From, Text
	KindPrivate                  // /msg: From, To, Text; delivered to To and a copy to From
	KindJoin                     // From joined through Door
	KindLeave                    // From left, for Reason
	KindNick                     // From is now called To
	KindWho                      // reply: Members
	KindHelp                     // reply: the command list
	KindError                    // reply: Err, with Text as its argument
	KindShutdown                 // the server is shutting down
	KindKick                     // operator From kicked To, for Text
	KindMute                     // operator From muted To until Until (zero: until unmuted)
	KindUnmute                   // operator From unmuted To
	KindBan                      // operator From banned To until Until, for Text
	KindUnban                    // reply and record: operator From lifted the ban on Text, that held the name To ("": unknown)
	KindTopic                    // From set the topic to Text ("": cleared it); also sent to a newcomer
	KindOp                       // From is now an operator
	KindBans                     // reply: Bans
	KindBanScope                 // reply to the operator who banned: what Bans[0] holds
	KindRelease                  // reply and record: operator From released the name Text from its key
	KindStart                    // record only: the server started (the previous one stopped in order)
	KindStop                     // record only: the server stopped in order, after its members' leaves
	KindCrash                    // record only: the server started again after a crash (no KindStop)
	KindMove                     // reply: the reader is now in room Room (From: the operator who moved it, "" itself); Members: who else is there (the first few of Others); History: what it has not seen there; Text: the topic
	KindRooms                    // reply: Rooms, the reader's own marked Here
	KindBreakout                 // operator From spread Others members of Room into Rooms
	KindGather                   // operator From brought Others members back into Room from Rooms
	KindSlow                     // operator From set slow mode to Text, a duration ("": ended it); From "": a newcomer is told the room is slow
	KindQuiet                    // operator From made the room quiet: only operators post; From "": a newcomer is told
	KindOpen                     // operator From ended the quiet
	KindBlock                    // a multi-line message (code): From, Text, its lines separated by "\n" (block.go)

	KindPoll       // operator From opened a poll: Text the question, Rooms the choices (Name), in order
	KindPollTally  // reply to /poll: the open poll by From, Text its question, Rooms its choices with their votes (Members), Others the votes
	KindVote       // reply to /vote: the reader's vote is now Text ("2. salad"); To: the one it replaced, if another
	KindPollResult // operator From closed the poll opened by To: Text the question, Rooms the choices with their votes (Members), Others the votes
	KindHand       // From raised a hand, Others-th in line; Others 0: lowered it
	KindHands      // reply: Members, the raised hands in order
	KindFloor      // operator From gave the floor to To, whose hand is lowered; Others: hands still raised
	KindQuestion   // question Others asked by From ("": not shown to this reader), Text; To: AnonymousQuestion when asked so
	KindQueue      // reply: Questions, the open ones by votes
	KindUpvote     // reply and record: From upvoted question Others, Text; Questions[0]: it now
	KindAnswer     // operator From answered question Others (To: its text) with Text ("": marked answered)
	KindDismiss    // operator From dismissed question Others (To: its text)
	KindAnon       // operator From made the room's questions anonymous (Text "on") or signed ("off")
	KindBallot     // a vote for choice Others (from 0) of the poll opened at Seq Ref: counted on every node of a cluster, shown to nobody, never recorded
)

var kindNames = [...]string{
	KindChat:     "chat",
	KindAction:   "action",
	KindPrivate:  "private",
	KindJoin:     "join",
	KindLeave:    "leave",
	KindNick:     "nick",
	KindWho:      "who",
	KindHelp:     "help",
	KindError:    "error",
	KindShutdown: "shutdown",
	KindKick:     "kick",
	KindMute:     "mute",
	KindUnmute:   "unmute",
	KindBan:      "ban",
	KindUnban:    "unban",
	KindTopic:    "topic",
	KindOp:       "op",
	KindBans:     "bans",
	KindBanScope: "banscope",
	KindRelease:  "release",
	KindStart:    "start",
	KindStop:     "stop",
	KindCrash:    "crash",
	KindMove:     "move",
	KindRooms:    "rooms",
	KindBreakout: "breakout",
	KindGather:   "gather",
	KindSlow:     "slow",
	KindQuiet:    "quiet",
	KindOpen:     "open",
	KindBlock:    "block",

	KindPoll:       "poll",
	KindPollTally:  "polltally",
	KindVote:       "vote",
	KindPollResult: "pollresult",
	KindHand:       "hand",
	KindHands:      "hands",
	KindFloor:      "floor",
	KindQuestion:   "question",
	KindQueue:      "questions",
	KindUpvote:     "upvote",
	KindAnswer:     "answer",
	KindDismiss:    "dismiss",
	KindAnon:       "anonymous",
	KindBallot:     "ballot",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, bool) {
	for k, name := range kindNames {
		if name == s && name != "" {
			return Kind(k), true
		}
	}
	return 0, false
}

// ParseReason is the inverse of Reason.String.
func ParseReason(s string) (Reason, bool) {
	for r, name := range reasonNames {
		if name == s && name != "" {
			return Reason(r), true
		}
	}
	return 0, false
}

// System reports whether the message is an event or reply from the server
// rather than words a member typed.
func (k Kind) System() bool {
	return k != KindChat && k != KindAction && k != KindPrivate && k != KindBlock
}

// Door is the kind of connection a member came through.
type Door string

const (
	DoorTCP Door = "tcp"
	DoorSSH Door = "ssh"
	DoorWeb Door = "web"
)

// Reason says why a member left the room.
type Reason uint8

const (
	ReasonQuit     Reason = iota + 1 // typed /quit
	ReasonFIN                        // typed FIN, the course's way to leave
	ReasonClosed                     // the peer closed the connection
	ReasonLost                       // the network failed: a timeout, an unreachable peer
	ReasonTooSlow                    // it did not read: a message waited too long, too many bytes, or a write timed out
	ReasonShutdown                   // the server is stopping
	ReasonTooLong                    // it sent too much with no message boundary
	ReasonError                      // the server failed serving it (a panic, logged)
	ReasonKicked                     // an operator kicked it
	ReasonBanned                     // an operator banned it
	ReasonReset                      // the peer reset the connection (RST, broken pipe)
	ReasonCrash                      // the server crashed while it was in the room (recorded at the next start)
	ReasonMoved                      // it went to another room, named in Text
	ReasonReplaced                   // it came back on another node of a cluster, which took its name (JoinRequest.Resume)
)

var reasonNames = [...]string{
	ReasonQuit:     "quit",
	ReasonFIN:      "FIN",
	ReasonClosed:   "connection closed",
	ReasonLost:     "connection lost",
	ReasonTooSlow:  "too slow",
	ReasonShutdown: "server shutdown",
	ReasonTooLong:  "input too long",
	ReasonError:    "server error",
	ReasonKicked:   "kicked",
	ReasonBanned:   "banned",
	ReasonReset:    "connection reset",
	ReasonCrash:    "server crash",
	ReasonMoved:    "moved",
	ReasonReplaced: "reconnected",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) && reasonNames[r] != "" {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", r)
}

// ErrorCode names a refusal sent back to the member whose input caused it.
type ErrorCode uint8

const (
	ErrUnknownCommand  ErrorCode = iota + 1 // Text: the command
	ErrUsage                                // Text: the command whose arguments were wrong
	ErrNoSuchMember                         // Text: the name
	ErrNameTaken                            // Text: the name
	ErrNameInvalid                          // Text: the name; Detail says why
	ErrMsgSelf                              // /msg to oneself
	ErrNotOperator                          // Text: the command
	ErrWrongPassword                        // /op with a wrong password
	ErrNoOpPassword                         // /op when no operator password is set
	ErrMuted                                // the member is muted, Until
	ErrNameOwned                            // Text: a name bound to another key
	ErrNoSuchBan                            // Text: the target
	ErrSelf                                 // an operator command aimed at oneself
	ErrNameNotOwned                         // Text: a name no key owns (/release)
	ErrBadDuration                          // Text: the word that is no duration (/mute, /ban)
	ErrNoBanNumbered                        // Text: a number that is no ban of the last /bans shown
	ErrBanAmbiguous                         // Text: a name that several bans hold (/unban NAME)
	ErrNameCleaned                          // not an error: Text is the name made of the one asked for at joining
	ErrRoomName                             // Text: a room name that cannot be one; Problem says why
	ErrNoSuchRoom                           // Text: a room that does not exist, and only operators create rooms
	ErrTooManyRooms                         // Text: the room that would have been created
	ErrNotInRoom                            // Text: a member who is in another room than the operator
	ErrAlreadyInRoom                        // Text: the room the member is in already
	ErrBreakoutCount                        // Text: the N of /breakout, out of range for the members to spread
	ErrRoomBusy                             // Text: a breakout room name held by a room with members
	ErrNoBreakout                           // /gather with no breakout rooms of this room
	ErrSlowHeld                             // not an error: slow mode holds the member's line until Until
	ErrQuiet                                // the room is quiet: the member's line is refused
	ErrSlowRange                            // Text: a duration out of slow mode's range
	ErrBlockTooLong                         // Text: the block bound in bytes; Others: in lines (block.go)
	ErrPollOpen                             // /poll QUESTION|… while a poll is open: Text its question
	ErrNoPoll                               // /vote, /endpoll, /poll with no poll in the room
	ErrPollClosed                           // /vote, /endpoll after the room's last poll closed: Text its question
	ErrBadVote                              // /vote N with no choice N: Text the word, Others the choices
	ErrPollChoices                          // /poll with fewer than 2 or more than 9 choices: Others how many
	ErrPollEmpty                            // /poll with an empty part: Others its place (0: the question)
	ErrNoHands                              // /next with no hand raised in the room
	ErrNoQuestion                           // Text: a word that is no open question's number in this room
	ErrOwnQuestion                          // Text: the number of the reader's own question (/up)
	ErrVotedAlready                         // Text: the number of a question the reader upvoted already
	ErrQuestionsFull                        // /ask when the room's queue holds Others open ones
	ErrRoomUnavailable                      // this server is cut off from the others of its cluster: nothing is posted until it is back
	ErrRoomAvailable                        // not an error: the server is back with the others of its cluster
)

// NameProblem says why a name was refused.
type NameProblem uint8

const (
	NameOK NameProblem = iota
	NameTooShort
	NameTooLong
	NameBadChars
	NameReserved
	NameGenerated // the form of a name the server gives: Thread-N, guest-N
)

// MemberInfo is a snapshot of one member, for /who and member lists.
type MemberInfo struct {
	Name   string
	Door   Door
	Joined time.Time
	Key    string // SSH key fingerprint, or ""
	Op     bool   // an operator
	Room   string // the room it is in
	Hand   bool   // its hand is raised in its room (Hub.MembersHead, KindHands)
}

// Message is one event of the room, as delivered to members. Messages are
// values: each recipient's outbox holds its own copy, and only a join or
// leave notice still waiting there changes, when others gather into it.
type Message struct {
	Seq  uint64 // order of the server, across rooms; 0 for replies sent to one member only
	At   time.Time
	Kind Kind
	Room string // the room the event happened in; KindMove: the room the reader is now in
	From string // the sender, or the subject of a system event
	// SenderID is the Member.ID of From, so a door can tell its own
	// member's words from others' even across a change of name. In a
	// cluster, a member of another node has its ID marked (cluster.go),
	// never equal to one of this node's.
	SenderID uint64
	To       string // KindPrivate: the target; KindNick: the new name
	Text     string
	Door     Door   // KindJoin
	Reason   Reason // KindLeave
	// Others is how many more members joined (KindJoin) or left (KindLeave)
	// with From, in a member's outbox that gathered a storm into one line.
	Others  int
	Err     ErrorCode    // KindError
	Problem NameProblem  // KindError with ErrNameInvalid
	Members []MemberInfo // KindWho
	Key     string       // the sender's SSH key fingerprint, for the transcript
	Until   time.Time    // KindMute, KindBan, ErrMuted: the end (zero: none)
	Bans    []Ban        // KindBans
	ForOp   bool         // KindHelp: the reader is an operator, and is shown their commands
	Rooms   []RoomInfo   // KindRooms, KindBreakout, KindGather
	History []Message    // KindMove: the room's recent public messages the reader has not seen, oldest first
	// Questions: KindQueue, the open questions; KindUpvote, the one upvoted.
	Questions []QuestionInfo

	// Node is the cluster node From is a member of (SenderID is its ID
	// there); "": a server alone. Quiet says that the event is recorded
	// but shown to nobody (a breakout's moves, a kick's leave): in a
	// cluster every node still follows it in its member lists. Op: a
	// join's member is an operator.
	Node  string
	Quiet bool
	Op    bool
	// Addr is a cluster join's member's address, for an operator's ban on
	// another node to hold its network. Never shown.
	Addr string
	// Owns says that a join's or a nick's name became the member's key's:
	// a cluster's other nodes keep it the key's too.
	Owns bool
	// Ref is the sequence number of the event this one is about: the
	// poll a ballot or a poll's result is for.
	Ref uint64
}

// RoomInfo is a snapshot of one room, for /rooms and breakout notices.
type RoomInfo struct {
	Name    string
	Members int
	Topic   string
	Here    bool   // the reader is in it (KindRooms)
	Last    uint64 // the sequence number of its last public message (Hub.Activity)
}

// size is what a message costs in an outbox, for its byte bound.
func (m *Message) size() int {
	n := len(m.From) + len(m.To) + len(m.Text) + 64
	for _, mi := range m.Members {
		n += len(mi.Name) + 32
	}
	for _, r := range m.Rooms {
		n += len(r.Name) + len(r.Topic) + 32
	}
	for i := range m.History {
		n += m.History[i].size()
	}
	return n
}
