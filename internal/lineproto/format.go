// Package lineproto is the course's line protocol, shared by the doors that
// speak it (TCP, and SSH sessions without a terminal): framing input into
// messages, and writing the room's messages as "NAME> TEXT" lines.
package lineproto

import (
	"strings"

	"palabre/room"
)

// AppendMessage appends what member self reads of msg, as lines ending in
// "\n", to b. A member's words always start with its name followed by "> ",
// "* NAME " or "[private"; system lines start with "*** ", which no member
// name can produce, so nobody can type a line that passes for the server's.
func AppendMessage(b []byte, lang room.Lang, selfID uint64, msg *room.Message) []byte {
	mine := msg.SenderID == selfID
	switch msg.Kind {
	case room.KindChat:
		if mine {
			return b // the course's server does not echo
		}
		return AppendLine(b, msg.From, "> ", msg.Text)
	case room.KindAction:
		if mine {
			return b
		}
		return AppendLine(b, "* ", msg.From, " ", msg.Text)
	case room.KindBlock:
		if mine {
			return b
		}
		return appendBlock(b, msg)
	case room.KindPrivate:
		if mine {
			return AppendLine(b, privateTo(lang), msg.To, "] ", msg.Text)
		}
		return AppendLine(b, privateFrom(lang), msg.From, "> ", msg.Text)
	case room.KindJoin, room.KindLeave:
		if mine {
			return b
		}
	}
	for line := range strings.SplitSeq(lang.Describe(*msg), "\n") {
		b = AppendLine(b, "*** ", line)
	}
	if msg.Kind == room.KindMove {
		// What was said in the room before the member came in, as a
		// newcomer is shown it.
		b = appendPast(b, lang, selfID, msg.History, msg.At)
	}
	return b
}

func privateTo(lang room.Lang) string {
	if lang == room.LangFR {
		return "[privé à "
	}
	return "[private to "
}

func privateFrom(lang room.Lang) string {
	if lang == room.LangFR {
		return "[privé] "
	}
	return "[private] "
}

// AppendLine appends the parts and a newline to b.
func AppendLine(b []byte, parts ...string) []byte {
	for _, p := range parts {
		b = append(b, p...)
	}
	return append(b, '\n')
}
