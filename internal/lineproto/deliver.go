package lineproto

import (
	"io"
	"time"

	"palabre/room"
)

// Deliver is the writing half of a line-protocol member: the only writer of
// its connection. It sends the greeting, the welcome and the history, then
// the member's outbox as it fills, each batch in one write, until the member
// leaves the room; then what is still queued. It returns the first write
// error; the caller then removes the member and closes the connection.
// Write deadlines, where the connection has them, belong to w.
func Deliver(w io.Writer, lang room.Lang, greeting string, m *room.Member, others int, history []room.Message) error {
	id := m.ID()
	b := AppendIntro(nil, lang, greeting, m, others, history)
	if err := write(w, b); err != nil {
		return err
	}
	var batch []room.Message
	for {
		var left bool
		batch, left = m.Next(batch[:0])
		b = b[:0]
		for i := range batch {
			b = AppendMessage(b, lang, id, &batch[i])
		}
		if left {
			return write(w, AppendFarewell(b, lang, m))
		}
		if err := write(w, b); err != nil {
			return err
		}
	}
}

func write(w io.Writer, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, err := w.Write(b)
	return err
}

// AppendIntro appends what a member reads on joining: the greeting ("" when
// the door has greeted already), the welcome, and the history.
func AppendIntro(b []byte, lang room.Lang, greeting string, m *room.Member, others int, history []room.Message) []byte {
	if greeting != "" {
		b = AppendLine(b, greeting)
	}
	b = AppendLine(b, "*** ", lang.Welcome(m.Name(), others))
	return AppendHistory(b, lang, m, history)
}

// AppendHistory appends the messages m is shown from before it joined,
// each with its time ("[10:02] Thread-3> hi"), between a line that says
// they are earlier ones, since when, and one that says what follows is
// live: a newcomer tells the past from the present, and live lines keep
// the course's own form. No history, no marks.
func AppendHistory(b []byte, lang room.Lang, m *room.Member, history []room.Message) []byte {
	return appendPast(b, lang, m.ID(), history, m.Joined())
}

// appendPast is AppendHistory for the member selfID, shown the past at now.
func appendPast(b []byte, lang room.Lang, selfID uint64, history []room.Message, now time.Time) []byte {
	shown := false
	var line []byte
	for i := range history {
		msg := &history[i]
		if line = AppendMessage(line[:0], lang, selfID, msg); len(line) == 0 {
			continue // nothing of it is for m
		}
		if !shown {
			b = AppendLine(b, "*** ", lang.EarlierMessages(msg.At, now))
			shown = true
		}
		b = append(b, '[')
		b = msg.At.Local().AppendFormat(b, "15:04")
		b = append(append(b, "] "...), line...)
	}
	if !shown {
		return b
	}
	return AppendLine(b, "*** ", lang.NowLive())
}

// AppendFarewell appends why the server hangs up on m, when m did not ask
// to leave; m has left the room.
func AppendFarewell(b []byte, lang room.Lang, m *room.Member) []byte {
	if r := m.Reason(); r == room.ReasonTooSlow || r == room.ReasonTooLong {
		b = AppendLine(b, "*** ", lang.Describe(room.Message{Kind: room.KindLeave, From: m.Name(), Reason: r}))
	}
	return b
}
