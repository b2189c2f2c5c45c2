package lineproto

import (
	"strings"
	"testing"
	"time"

	"palabre/room"
)

// What a member reads on moving: where it is, with whom, the topic, and
// the room's past it has not seen, marked off as a newcomer's history is;
// its own words of that past are not shown it, and a past of its own
// words only is no past at all.
func TestMoveLines(t *testing.T) {
	at := time.Date(2026, 11, 24, 10, 2, 0, 0, time.Local)
	const self = 7
	said := func(from string, id uint64, text string) room.Message {
		return room.Message{Kind: room.KindChat, At: at, From: from, SenderID: id, Text: text, Room: "tp1"}
	}
	many := make([]room.MemberInfo, 20)
	for i := range many {
		many[i] = room.MemberInfo{Name: "m" + string(rune('a'+i))}
	}
	for _, tc := range []struct {
		name string
		lang room.Lang
		msg  room.Message
		want []string
	}{
		{"alone", room.LangEN, room.Message{Kind: room.KindMove, Room: "tp1"},
			[]string{"*** You are now in #tp1, alone for now"}},
		{"moved by an operator, with others and a topic", room.LangFR,
			room.Message{Kind: room.KindMove, Room: "main-2", From: "prof", Members: []room.MemberInfo{{Name: "ana"}, {Name: "ben"}}, Others: 2, Text: "exercice 3"},
			[]string{"*** prof vous a déplacé : vous êtes maintenant dans #main-2, avec ana, ben", "*** Sujet : exercice 3"}},
		{"more than are listed", room.LangEN,
			room.Message{Kind: room.KindMove, Room: "same", Members: many, Others: 199},
			[]string{"*** You are now in #same, with " + names(many) + " and 179 more"}},
		{"the past, without its own words", room.LangEN,
			room.Message{Kind: room.KindMove, Room: "tp1", At: at.Add(time.Minute), Others: 1, Members: []room.MemberInfo{{Name: "ana"}},
				History: []room.Message{said("ana", 3, "hi"), said("me", self, "mine"), said("ana", 3, "again")}},
			[]string{"*** You are now in #tp1, with ana", "*** earlier messages, since 10:02:", "[10:02] ana> hi", "[10:02] ana> again", "*** now live"}},
		{"a past of its own words only", room.LangFR,
			room.Message{Kind: room.KindMove, Room: "tp1", History: []room.Message{said("me", self, "mine")}},
			[]string{"*** Vous êtes maintenant dans #tp1, seul pour l'instant"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(AppendMessage(nil, tc.lang, self, &tc.msg))
			if want := strings.Join(tc.want, "\n") + "\n"; got != want {
				t.Errorf("read\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func names(ms []room.MemberInfo) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return strings.Join(out, ", ")
}
