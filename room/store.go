package room

import "time"

// Store keeps what the room must not forget: the transcript, the bans, the
// topic and which key owns which name. The hub calls it under its lock, so
// every method must queue its work and return at once; a Store that cannot
// keep up counts and logs what it drops, it never blocks the room.
type Store interface {
	// Record keeps one event of the room: every message with a sequence
	// number (chat, actions, joins, leaves, names, moderation, topic;
	// private messages too, for the store to keep or not).
	Record(Message)
	SaveBan(Ban)
	DeleteBan(target string)
	SaveTopic(topic string)
	BindName(name, key string) // name as the member wrote it; key a SHA256 fingerprint
}

// Ban turns a key or an address away until a time (zero: for good).
type Ban struct {
	Target string // an SSH key's SHA256 fingerprint, or an IP address
	Name   string // the member's name when banned, for /bans
	Reason string
	By     string // the operator
	At     time.Time
	Until  time.Time // zero: no end
}

// Active reports whether the ban still holds at now.
func (b Ban) Active(now time.Time) bool { return b.Until.IsZero() || now.Before(b.Until) }

// State is what a hub starts from, as a Store loaded it.
type State struct {
	Seq     uint64            // the last sequence number given: the next one follows it
	History []Message         // the last public messages, oldest first
	Bans    []Ban             // bans still in force
	Topic   string            //
	Names   map[string]string // name (any case) → the key fingerprint that owns it
}
