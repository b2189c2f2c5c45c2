package lineproto

import (
	"testing"

	"palabre/room"
)

// A member's outbox that gathered a storm reads as one line on the course's
// door, in both languages.
func TestGatheredPresenceLines(t *testing.T) {
	for _, tc := range []struct {
		lang room.Lang
		msg  room.Message
		want string
	}{
		{room.LangEN, room.Message{Kind: room.KindJoin, From: "Thread-9", Door: room.DoorTCP}, "*** Thread-9 joined (tcp)\n"},
		{room.LangEN, room.Message{Kind: room.KindJoin, From: "Thread-9", Door: room.DoorTCP, Others: 297}, "*** Thread-9 and 297 others joined\n"},
		{room.LangFR, room.Message{Kind: room.KindJoin, From: "Thread-9", Door: room.DoorTCP, Others: 297}, "*** Thread-9 et 297 autres ont rejoint le salon\n"},
		{room.LangEN, room.Message{Kind: room.KindLeave, From: "Thread-3", Reason: room.ReasonTooSlow, Others: 499}, "*** Thread-3 and 499 others left\n"},
		{room.LangFR, room.Message{Kind: room.KindLeave, From: "Thread-3", Reason: room.ReasonTooSlow, Others: 499}, "*** Thread-3 et 499 autres sont partis\n"},
		{room.LangEN, room.Message{Kind: room.KindLeave, From: "Thread-3", Reason: room.ReasonReset}, "*** Thread-3 left (connection reset)\n"},
	} {
		if got := string(AppendMessage(nil, tc.lang, 1, &tc.msg)); got != tc.want {
			t.Errorf("%s %+v: %q, want %q", tc.lang, tc.msg, got, tc.want)
		}
	}
}
