package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"palabre/internal/store"
)

func newRecoverCmd(stdout io.Writer, environ []string) *cobra.Command {
	var dataDirOf func() string
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Keep what is readable of a damaged database and move the damaged file aside",
		Long: "recover is for a server that refuses to start because its database is damaged.\n" +
			"It copies every row it can read into a fresh database, moves the damaged file aside\n" +
			"as palabre.db.damaged-TIME and puts the fresh one in its place, then says what it\n" +
			"kept and which messages it could not read. The server must be stopped; a sound\n" +
			"database is left alone.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dataDir := dataDirOf()
			rec, err := store.Recover(dataDir, time.Now())
			if errors.Is(err, store.ErrInUse) {
				return fmt.Errorf("%w: stop it before recovering", err)
			}
			if err != nil {
				return err
			}
			path := filepath.Join(dataDir, store.FileName)
			if rec.Problem == "" {
				_, err := fmt.Fprintf(stdout, "%s is not damaged: nothing to do\n", path)
				return err
			}
			kept := []string{fmt.Sprintf("%d messages", rec.Kept["messages"])}
			for _, t := range slices.Sorted(maps.Keys(rec.Kept)) {
				if t != "messages" {
					kept = append(kept, fmt.Sprintf("%d %s", rec.Kept[t], t))
				}
			}
			var lost []string
			for _, s := range rec.Lost {
				lost = append(lost, spanText(s))
			}
			if len(lost) == 0 {
				lost = []string{"nothing"}
			}
			_, err = fmt.Fprintf(stdout, "%s was damaged: %s\nkept: %s\nunreadable: %s\nthe damaged file is now %s; the server can start\n",
				path, rec.Problem, strings.Join(kept, ", "), strings.Join(lost, ", "), rec.Damaged)
			return err
		},
	}
	dataDirOf = dataDirFlag(cmd, environ)
	return cmd
}

// spanText words a lost span: "messages 1259–1404" (their sequence
// numbers), "names (rows 3 and after)".
func spanText(s store.Span) string {
	var r string
	switch {
	case s.From == math.MinInt64 && s.To == store.End:
		return "all " + s.Table
	case s.From == math.MinInt64:
		r = fmt.Sprintf("up to %d", s.To)
	case s.To == store.End:
		r = fmt.Sprintf("%d and after", s.From)
	case s.From == s.To:
		r = fmt.Sprint(s.From)
	default:
		r = fmt.Sprintf("%d–%d", s.From, s.To)
	}
	if s.Table == "messages" {
		return "messages " + r
	}
	return s.Table + " (rows " + r + ")"
}
