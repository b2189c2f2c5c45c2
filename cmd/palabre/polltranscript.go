package main

import (
	"palabre/internal/store"
	"palabre/room"
)

// pollResultLine words a poll's result for the text transcript on its one
// line: each choice with its votes and share, without the bars a screen
// shows on lines of their own.
func pollResultLine(e store.Entry) string {
	choices := make([]room.RoomInfo, len(e.Rooms))
	for i, r := range e.Rooms {
		choices[i] = room.RoomInfo{Name: r.Name, Members: r.Members}
	}
	return "*** " + room.LangEN.PollSummary(room.Message{Kind: room.KindPollResult, From: e.Name, To: e.Target, Text: e.Text, Rooms: choices, Others: e.Others})
}
