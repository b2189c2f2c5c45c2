package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/joho/godotenv"
	"github.com/spf13/cobra"

	"palabre/internal/store"
	"palabre/room"
)

func newTranscriptCmd(stdout io.Writer, environ []string) *cobra.Command {
	var since time.Duration
	var from, format, roomName string
	var dataDirOf func() string
	cmd := &cobra.Command{
		Use:   "transcript",
		Short: "Print the rooms' transcript from the data directory",
		Long: "transcript prints what the rooms kept: every public message, action, join, leave,\n" +
			"name change, kick, mute, ban, topic change, breakout and gather, and each start, stop\n" +
			"or crash of the server, oldest first, in the server's one order. Once the server has\n" +
			"had more than one room, each line names its room (#tp1); the server's own lines name\n" +
			"none. --room keeps one room's lines. It reads the database in the data directory\n" +
			"read-only, and may run while the server does, or on a copy.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("since") && cmd.Flags().Changed("from") {
				return errors.New("--since and --from: give one")
			}
			start := time.Time{}
			switch {
			case cmd.Flags().Changed("since"):
				start = time.Now().Add(-since)
			case from != "":
				t, err := parseTime(from)
				if err != nil {
					return err
				}
				start = t
			}
			dataDir := dataDirOf()
			if !slices.Contains([]string{"text", "json", "markdown", "html"}, format) {
				return fmt.Errorf("--format %q: text, json, markdown or html", format)
			}
			t, err := store.OpenTranscript(dataDir)
			if err != nil {
				return err
			}
			defer t.Close()
			rooms, err := t.Rooms()
			if err != nil {
				return err
			}
			only := strings.TrimPrefix(roomName, "#")
			if cmd.Flags().Changed("room") && !slices.ContainsFunc(rooms, func(r string) bool { return strings.EqualFold(r, only) }) {
				return fmt.Errorf("--room %q: %s", roomName, noSuchRoom(rooms))
			}
			var print func(store.Entry) error
			switch format {
			case "text":
				// One room's lines need no room; a server that never had
				// more than one room keeps its transcript as it always read.
				width := 0
				if only == "" && len(rooms) > 1 {
					for _, r := range rooms {
						width = max(width, len("#"+r))
					}
				}
				print = func(e store.Entry) error {
					at := e.At.Local().Format("2006-01-02 15:04")
					var err error
					// A block is several lines, each dated as any line: grep finds them.
					for line := range strings.SplitSeq(transcriptLine(e), "\n") {
						if width == 0 {
							_, err = fmt.Fprintln(stdout, at, line)
						} else {
							_, err = fmt.Fprintf(stdout, "%s %-*s %s\n", at, width, roomTag(e.Room), line)
						}
						if err != nil {
							break
						}
					}
					return err
				}
			case "json":
				enc := json.NewEncoder(stdout)
				print = func(e store.Entry) error { return enc.Encode(e) }
			case "markdown", "html":
				var x exporter
				if err := t.Read(store.Filter{From: start, Room: only}, x.add); err != nil {
					return err
				}
				if format == "html" {
					return x.html(stdout)
				}
				return x.markdown(stdout)
			}
			return t.Read(store.Filter{From: start, Room: only}, print)
		},
	}
	// The room's one duration syntax, as /mute and /ban read it (1d, 1h30m, 10min).
	cmd.Flags().Var((*room.Duration)(&since), "since", "only the last DURATION (e.g. 2h, 1d, 1h30m)")
	cmd.Flags().StringVar(&from, "from", "", `only from TIME on ("2026-11-24 10:00", "2026-11-24", or RFC 3339)`)
	cmd.Flags().StringVar(&roomName, "room", "", "only the room NAME's lines (any case, # or not); default: every room's and the server's")
	cmd.Flags().StringVar(&format, "format", "text", "text, json (one object a line), markdown or html (a page for the course's site: each room's messages, code kept as code; no joins, leaves, moderation or private messages)")
	dataDirOf = dataDirFlag(cmd, environ)
	return cmd
}

// roomTag names a line's room in the text transcript; the server's own
// lines have none.
func roomTag(name string) string {
	if name == "" {
		return ""
	}
	return "#" + name
}

// noSuchRoom says that --room named none of rooms, and which there are.
func noSuchRoom(rooms []string) string {
	if len(rooms) == 0 {
		return "no such room: the transcript names no room yet"
	}
	tags := make([]string, len(rooms))
	for i, r := range rooms {
		tags[i] = "#" + r
	}
	return "no such room in the transcript; its rooms: " + strings.Join(tags, ", ")
}

// dataDirFlag gives cmd the --data-dir flag of the commands that read the
// server's data directory, and returns what names it at run time: the
// flag, else PALABRE_DATA_DIR (the environment, then .env), else data.
func dataDirFlag(cmd *cobra.Command, environ []string) func() string {
	var dir string
	cmd.Flags().StringVar(&dir, "data-dir", "", "the server's data directory (default: PALABRE_DATA_DIR, else data)")
	return func() string {
		if cmd.Flags().Changed("data-dir") {
			return dir
		}
		return dataDirFrom(environ)
	}
}

// dataDirFrom finds PALABRE_DATA_DIR in the environment, else in .env.
func dataDirFrom(environ []string) string {
	return settingFrom(environ, "PALABRE_DATA_DIR", "data")
}

// settingFrom finds the variable name in the environment, else in .env,
// else returns def: what the server would read, for the commands that
// read its data directory.
func settingFrom(environ []string, name, def string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, name+"="); ok && v != "" {
			return v
		}
	}
	if env, err := godotenv.Read(".env"); err == nil && env[name] != "" {
		return env[name]
	}
	return def
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--from %q: want a time such as \"2026-11-24 10:00\"", s)
}

// transcriptLine words one entry as the TCP door shows it: "alice> bonjour".
func transcriptLine(e store.Entry) string {
	kind, _ := room.ParseKind(e.Kind)
	reason, _ := room.ParseReason(e.Reason)
	switch kind {
	case room.KindChat:
		return e.Name + "> " + e.Text
	case room.KindAction:
		return "* " + e.Name + " " + e.Text
	case room.KindBlock: // one line per line of code, as the TCP door sends it
		return e.Name + "> " + strings.ReplaceAll(e.Text, "\n", "\n"+e.Name+"> ")
	case room.KindPrivate:
		return "[private] " + e.Name + " -> " + e.Target + ": " + e.Text
	case room.KindPollResult:
		return pollResultLine(e)
	}
	rooms := make([]room.RoomInfo, len(e.Rooms))
	for i, r := range e.Rooms {
		rooms[i] = room.RoomInfo{Name: r.Name, Members: r.Members}
	}
	text := room.LangEN.Describe(room.Message{Kind: kind, Room: e.Room, From: e.Name, To: e.Target, Text: e.Text,
		Door: room.Door(e.Door), Reason: reason, Until: e.Until, At: e.At, Others: e.Others, Rooms: rooms})
	if text == "" {
		text = e.Kind + " " + e.Name + " " + e.Text
	}
	return "*** " + strings.ReplaceAll(text, "\n", " ")
}
