package room

import (
	"errors"
	"strings"
	"time"
)

// MaxDuration is the longest duration ParseDuration accepts: past it, a
// mute or ban is meant to last until lifted, and says so by having none.
const MaxDuration = 3650 * 24 * time.Hour

// ErrDuration is what ParseDuration returns for text it cannot read; the
// error's text names the accepted forms.
var ErrDuration = errors.New(`a duration is a number and a unit, s m h d or w, run together: 30s, 10m, 2h, 1d, 1w, 1h30m (or 10min, 2hours, 1day), at most 3650d`)

// durationUnits are the units a duration may use, in either language, in
// any case. The one-letter ones are Go's, and d and w besides; the words
// are what people type when they do not know the letters.
var durationUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"seconde": time.Second, "secondes": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"heure": time.Hour, "heures": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"j": 24 * time.Hour, "jour": 24 * time.Hour, "jours": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	"semaine": 7 * 24 * time.Hour, "semaines": 7 * 24 * time.Hour,
}

// ParseDuration reads one duration, the same everywhere a person gives one
// (/mute, /ban, palabre transcript --since): one or more groups of a
// whole number and a unit, run together ("1h30m", "10min", "2hours"), in
// any case. Anything else, a duration of zero, and one past MaxDuration
// are refused with ErrDuration: a duration that cannot be read must never
// be taken as none, which would mean "forever".
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, ErrDuration
	}
	var total time.Duration
	for i := 0; i < len(s); {
		j := i
		var n time.Duration
		for ; j < len(s) && '0' <= s[j] && s[j] <= '9'; j++ {
			n = n*10 + time.Duration(s[j]-'0')
			if n > MaxDuration/time.Second {
				return 0, ErrDuration // too large, in any unit
			}
		}
		if j == i {
			return 0, ErrDuration // a unit without its number
		}
		k := j
		for ; k < len(s) && ('a' <= s[k] && s[k] <= 'z' || 'A' <= s[k] && s[k] <= 'Z'); k++ {
		}
		unit, ok := durationUnits[strings.ToLower(s[j:k])]
		if !ok {
			return 0, ErrDuration // no unit, or one we do not know
		}
		if n > (MaxDuration-total)/unit {
			return 0, ErrDuration
		}
		total += n * unit
		i = k
	}
	if total <= 0 {
		return 0, ErrDuration
	}
	return total, nil
}

// looksLikeDuration says whether the word after a name in /ban was meant
// as a duration: it starts with a digit. "/ban alice 10mn cheating" is then
// refused, rather than a ban for good with "10mn cheating" as its reason;
// a reason may be any words that do not start with one.
func looksLikeDuration(word string) bool {
	return word != "" && '0' <= word[0] && word[0] <= '9'
}

// Duration is a time.Duration read by ParseDuration, as a command-line
// flag (flag.Value and pflag.Value): palabre transcript --since 1d.
type Duration time.Duration

func (d *Duration) Set(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (d *Duration) String() string {
	if d == nil || *d == 0 {
		return "0"
	}
	return time.Duration(*d).String()
}

func (d *Duration) Type() string { return "duration" }
