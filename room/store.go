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
	// SaveTopic keeps the topic of a room ("": none), by the room's name
	// as the hub gives it (rooms are named case-insensitively: a store
	// keeps one topic per name whatever its case).
	SaveTopic(room, topic string)
	// BindName keeps that key (a SHA256 fingerprint) owns name (as the
	// member wrote it) and no other: a name it owned before is no longer
	// its. seen is the key's last visit; binding again refreshes it.
	BindName(name, key string, seen time.Time)
	// ReleaseName keeps that no key owns name (any case).
	ReleaseName(name string)
}

// Ban turns a key, or the keyless newcomers of a network, away until a
// time (zero: for good).
type Ban struct {
	Target string // what /unban takes: an SSH key's SHA256 fingerprint, or a network (NetworkKey)
	// Net is the network whose keyless newcomers the ban refuses: the
	// target itself for a ban on an address; for a ban on a key, the
	// network its holder came from, unless that network is exempt when a
	// newcomer comes (a class behind one NAT). "": none.
	Net    string
	Name   string // the member's name when banned, for /bans
	Reason string
	By     string // the operator
	At     time.Time
	Until  time.Time // zero: no end

	// Exempt says that Net is one of the hub's exempt networks, as the hub
	// saw it when it showed the ban to an operator. Not kept by a Store.
	Exempt bool
}

// Active reports whether the ban still holds at now.
func (b Ban) Active(now time.Time) bool { return b.Until.IsZero() || now.Before(b.Until) }

// OnAddress reports whether the ban is on an address (a member without a
// key) rather than on a key.
func (b Ban) OnAddress() bool { return b.Net != "" && b.Target == b.Net }

// NameOwner is a name and the key that owns it, as a Store keeps them.
type NameOwner struct {
	Name string    // as its owner wrote it
	Key  string    // SHA256 fingerprint
	Seen time.Time // the key's last visit; zero: unknown (taken as now)
}

// State is what a hub starts from, as a Store loaded it.
type State struct {
	Seq     uint64    // the last sequence number given: the next one follows it
	History []Message // the last public messages of the default room, oldest first
	Bans    []Ban     // bans still in force
	Topic   string    // the default room's topic
	// Rooms holds the other rooms' recent public messages and topics, by
	// the room's name lower-cased: a room created again after a restart
	// starts from them.
	Rooms map[string]RoomState
	Names []NameOwner // the owned names, the most recently seen last
	// Numbers holds the highest number each prefix of the server's names
	// was given, by its lower-cased prefix ("thread-": 41): a door that
	// numbers its members goes on from it, so that no newcomer takes the
	// name under which someone else's words are kept.
	Numbers map[string]uint64
	// Crashed says that the previous run ended without its stop being
	// recorded; Present are the members it left in the room, whose leave
	// was never recorded. Hub.Started records both.
	Crashed bool
	Present []MemberInfo
}

// RoomState is what a Store kept of one room.
type RoomState struct {
	Topic   string
	History []Message // the last public messages, oldest first
}
