package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/joho/godotenv"
	"github.com/spf13/cobra"

	"palabre/internal/store"
	"palabre/room"
)

func newTranscriptCmd(stdout io.Writer, environ []string) *cobra.Command {
	var since time.Duration
	var from, format, dataDir string
	cmd := &cobra.Command{
		Use:   "transcript",
		Short: "Print the room's transcript from the data directory",
		Long: "transcript prints what the room kept: every public message, action, join, leave,\n" +
			"name change, kick, mute, ban and topic change, and each start, stop or crash of the\n" +
			"server, oldest first. It reads the database\n" +
			"in the data directory read-only, and may run while the server does, or on a copy.",
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
			if !cmd.Flags().Changed("data-dir") {
				dataDir = dataDirFrom(environ)
			}
			var print func(store.Entry) error
			switch format {
			case "text":
				print = func(e store.Entry) error {
					_, err := fmt.Fprintln(stdout, e.At.Local().Format("2006-01-02 15:04"), transcriptLine(e))
					return err
				}
			case "json":
				enc := json.NewEncoder(stdout)
				print = func(e store.Entry) error { return enc.Encode(e) }
			default:
				return fmt.Errorf("--format %q: text or json", format)
			}
			return store.ReadTranscript(dataDir, start, print)
		},
	}
	// The room's one duration syntax, as /mute and /ban read it (1d, 1h30m, 10min).
	cmd.Flags().Var((*room.Duration)(&since), "since", "only the last DURATION (e.g. 2h, 1d, 1h30m)")
	cmd.Flags().StringVar(&from, "from", "", `only from TIME on ("2026-11-24 10:00", "2026-11-24", or RFC 3339)`)
	cmd.Flags().StringVar(&format, "format", "text", "text, or json (one object a line)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the server's data directory (default: PALABRE_DATA_DIR, else data)")
	return cmd
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
	case room.KindPrivate:
		return "[private] " + e.Name + " -> " + e.Target + ": " + e.Text
	}
	text := room.LangEN.Describe(room.Message{Kind: kind, From: e.Name, To: e.Target, Text: e.Text,
		Door: room.Door(e.Door), Reason: reason, Until: e.Until, At: e.At})
	if text == "" {
		text = e.Kind + " " + e.Name + " " + e.Text
	}
	return "*** " + strings.ReplaceAll(text, "\n", " ")
}
