package room

import (
	"testing"
	"time"
)

// A banned member who comes back is told until when the ban holds; other
// refusals read as before.
func TestRefusalOfSaysUntilWhen(t *testing.T) {
	end := time.Date(2026, 3, 14, 10, 30, 0, 0, time.Local)
	for _, tt := range []struct {
		lang Lang
		err  error
		want string
	}{
		{LangEN, &BannedError{Ban{Until: end}, end.Add(-30 * time.Minute)}, "You are banned from this room until 10:30 (in 30 min)."},
		{LangFR, &BannedError{Ban{Until: end}, end.Add(-30 * time.Minute)}, "Vous êtes banni de ce salon jusqu'à 10:30 (dans 30 min)."},
		{LangEN, &BannedError{Ban{Until: end}, end.Add(-48 * time.Hour)}, "You are banned from this room until 2026-03-14 10:30 (in 2 days)."},
		{LangEN, &BannedError{Ban{}, end}, "You are banned from this room until lifted."},
		{LangFR, &BannedError{Ban{}, end}, "Vous êtes banni de ce salon jusqu'à nouvel ordre."},
		{LangEN, ErrFull, "The room is full; try again later."},
		{LangFR, ErrClosed, "Le serveur s'arrête. Au revoir !"},
	} {
		if got := tt.lang.RefusalOf(tt.err); got != tt.want {
			t.Errorf("%s, %v: %q, want %q", tt.lang, tt.err, got, tt.want)
		}
	}
}
