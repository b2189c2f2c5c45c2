package sshui

import (
	"sync"

	"palabre/room"
)

// keptMessages holds one copy of each recent public message for every
// screen of the server. A screen keeps the messages its scrollback shows,
// to render them again when its width changes; a room.Message is over 300
// bytes, and 500 screens each keeping their own copy of the last 1000 lines
// held most of the server's heap under load. Screens keep pointers to these
// copies instead, which are never written once shared.
type keptMessages struct {
	mu    sync.Mutex
	msgs  map[uint64]*room.Message
	order []uint64 // in the order they came, to forget the oldest
	next  int      // where the next number goes in order, once it is full
}

// keptShared is how many messages are found by number: a few seconds of a
// busy room. A message forgotten here stays with the screens holding it;
// only screens that get it later keep a copy of their own.
const keptShared = 4096

func newKeptMessages() *keptMessages {
	return &keptMessages{msgs: make(map[uint64]*room.Message)}
}

// keep returns a copy of msg to hold in a scrollback: the server's shared
// one when msg is a public message every screen gets alike, else the
// screen's own. k may be nil: always the screen's own.
func (k *keptMessages) keep(msg *room.Message) *room.Message {
	if k == nil || !sharable(msg) {
		return ownCopy(msg)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if p, ok := k.msgs[msg.Seq]; ok && sameWords(p, msg) {
		return p
	}
	p := ownCopy(msg)
	if _, ok := k.msgs[msg.Seq]; !ok {
		if len(k.order) < keptShared {
			k.order = append(k.order, msg.Seq)
		} else {
			delete(k.msgs, k.order[k.next])
			k.order[k.next] = msg.Seq
			k.next = (k.next + 1) % keptShared
		}
	}
	k.msgs[msg.Seq] = p
	return p
}

// sharable: words said in a room, which the hub hands alike to each of its
// members under one number (broadcastLocked, the history); notices may be
// gathered per member (Others) or differ by reader (an operator's view of
// a question), and stay each screen's own.
func sharable(msg *room.Message) bool {
	switch msg.Kind {
	case room.KindChat, room.KindAction, room.KindBlock:
		return msg.Seq != 0 && msg.Others == 0
	}
	return false
}

// sameWords says whether a and b render alike: the shared copy is used only
// then, so that a number given twice (a test's, a restored history's) never
// shows another message's words.
func sameWords(a, b *room.Message) bool {
	return a.Seq == b.Seq && a.Kind == b.Kind && a.From == b.From && a.SenderID == b.SenderID &&
		a.Text == b.Text && a.To == b.To && a.Room == b.Room && a.At.Equal(b.At)
}

// ownCopy is msg for one screen. A move's copy drops the history it
// brought: it is in the scrollback as messages of their own.
func ownCopy(msg *room.Message) *room.Message {
	p := new(room.Message)
	*p = *msg
	p.History = nil
	return p
}
