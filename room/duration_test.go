package room

import (
	"flag"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"palabre/internal/fakeclock"
)

func TestParseDuration(t *testing.T) {
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	for _, tt := range []struct {
		in   string
		want time.Duration // 0: refused
	}{
		{"30s", 30 * time.Second},
		{"10m", 10 * time.Minute},
		{"2h", 2 * time.Hour},
		{"1d", day},
		{"1w", week},
		{"1h30m", 90 * time.Minute},
		{"1w2d3h4m5s", week + 2*day + 3*time.Hour + 4*time.Minute + 5*time.Second},
		{"10min", 10 * time.Minute},
		{"2hours", 2 * time.Hour},
		{"1day", day},
		{"3days", 3 * day},
		{"2weeks", 2 * week},
		{"45sec", 45 * time.Second},
		{"1hour30min", 90 * time.Minute},
		{"10M", 10 * time.Minute},
		{"2H", 2 * time.Hour},
		{"1j", day}, // French: jour
		{"2jours", 2 * day},
		{"2heures", 2 * time.Hour},
		{"1semaine", week},
		{"3650d", MaxDuration},
		{"1h0m0s", time.Hour}, // what time.Duration.String writes
		{"72h0m0s", 3 * day},

		{"", 0},
		{"forever", 0},
		{"10", 0},     // no unit
		{"10mn", 0},   // not a unit
		{"m", 0},      // no number
		{"10 min", 0}, // one word
		{"1h 30m", 0}, // one word
		{"-5m", 0},    // no sign
		{"+5m", 0},    // no sign
		{"1.5h", 0},   // whole numbers
		{"0m", 0},     // nothing
		{"0s0m", 0},   // nothing
		{"3651d", 0},  // past MaxDuration
		{"99999999999999999999s", 0},
		{"10m ", 0},
		{" 10m", 0},
		{"1hh", 0},
		{"1µs", 0},
		{"1ms", 0},
		{"1y", 0},
		{"1mo", 0},
		{"toujours", 0},
		{"１０m", 0}, // full-width digits
	} {
		got, err := ParseDuration(tt.in)
		switch {
		case tt.want == 0 && err == nil:
			t.Errorf("ParseDuration(%q) = %v; want it refused", tt.in, got)
		case tt.want != 0 && (err != nil || got != tt.want):
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// testUnits are the units of ParseDuration's grammar, in seconds, written
// again here: what the fuzzer checks the parser against.
var testUnits = map[string]int64{
	"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "seconde": 1, "secondes": 1,
	"m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
	"h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "heure": 3600, "heures": 3600,
	"d": 86400, "day": 86400, "days": 86400, "j": 86400, "jour": 86400, "jours": 86400,
	"w": 604800, "week": 604800, "weeks": 604800, "semaine": 604800, "semaines": 604800,
}

var grammar = func() *regexp.Regexp {
	var units []string
	for u := range testUnits {
		units = append(units, u)
	}
	return regexp.MustCompile(`^([0-9]+(` + strings.Join(units, "|") + `))+$`)
}()

// lowerASCII lowers ASCII letters only: the grammar's case is ASCII's, and
// (?i) would let the Kelvin sign pass for a k, the long s for an s.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

var groups = regexp.MustCompile(`([0-9]+)([a-zA-Z]+)`)

// grammarValue is the duration in seconds that s, which the grammar
// matches, stands for; big, so that no input overflows it.
func grammarValue(s string) *big.Int {
	total := new(big.Int)
	for _, g := range groups.FindAllStringSubmatch(s, -1) {
		n, _ := new(big.Int).SetString(g[1], 10)
		total.Add(total, n.Mul(n, big.NewInt(testUnits[lowerASCII(g[2])])))
	}
	return total
}

// FuzzParseDuration: no input panics; what is accepted is in the grammar,
// worth what its groups add up to, and reads back from its Go form (what
// --since's default and the flag print); what is in the grammar is
// accepted unless it is zero or past MaxDuration.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"10m", "1h30m", "10min", "2hours", "1day", "1w", "forever", "10mn", "", "0s", "3651d", "1j2heures", "99999999999s"} {
		f.Add(s)
	}
	maxSeconds := big.NewInt(int64(MaxDuration / time.Second))
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		inGrammar := grammar.MatchString(lowerASCII(s))
		if err != nil {
			if inGrammar {
				if v := grammarValue(s); v.Sign() > 0 && v.Cmp(maxSeconds) <= 0 {
					t.Fatalf("ParseDuration(%q) refused a duration of the grammar worth %v s: %v", s, v, err)
				}
			}
			return
		}
		if !inGrammar {
			t.Fatalf("ParseDuration(%q) = %v; the grammar has no such duration", s, d)
		}
		if d <= 0 || d > MaxDuration || d%time.Second != 0 {
			t.Fatalf("ParseDuration(%q) = %v: out of bounds", s, d)
		}
		if v := grammarValue(s); v.Cmp(big.NewInt(int64(d/time.Second))) != 0 {
			t.Fatalf("ParseDuration(%q) = %v; its groups add up to %v s", s, d, v)
		}
		if again, err := ParseDuration(d.String()); err != nil || again != d {
			t.Fatalf("ParseDuration(%q) = %v, but %q reads %v, %v", s, d, d.String(), again, err)
		}
	})
}

// The flag that palabre transcript --since takes reads what /mute reads.
func TestDurationFlag(t *testing.T) {
	var since time.Duration
	fs := flag.NewFlagSet("transcript", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	fs.Var((*Duration)(&since), "since", "")
	if err := fs.Parse([]string{"--since", "1d"}); err != nil || since != 24*time.Hour {
		t.Fatalf("--since 1d: %v, %v", since, err)
	}
	err := fs.Parse([]string{"--since", "1 day"})
	if err == nil || !strings.Contains(err.Error(), "30s, 10m, 2h, 1d, 1w, 1h30m") {
		t.Fatalf("--since '1 day': %v; want the accepted forms named", err)
	}
	if v := (*Duration)(&since); v.String() != "24h0m0s" || v.Type() != "duration" {
		t.Errorf("String %q, Type %q", v.String(), v.Type())
	}
}

func TestParseInputDurations(t *testing.T) {
	for _, tt := range []struct {
		line string
		want Input
	}{
		{"/mute alice", Input{Cmd: CmdMute, Name: "alice", Word: "/mute"}},
		{"/mute alice 10min", Input{Cmd: CmdMute, Name: "alice", Dur: 10 * time.Minute, Word: "/mute"}},
		{"/mute alice 1h30m", Input{Cmd: CmdMute, Name: "alice", Dur: 90 * time.Minute, Word: "/mute"}},
		{"/mute alice forever", Input{Cmd: CmdMute, Name: "alice", Text: "forever", Word: "/mute", Err: ErrBadDuration}},
		{"/mute alice 10 min", Input{Cmd: CmdMute, Name: "alice", Text: "10 min", Word: "/mute", Err: ErrBadDuration}},
		{"/ban alice", Input{Cmd: CmdBan, Name: "alice", Word: "/ban"}},
		{"/ban alice triche", Input{Cmd: CmdBan, Name: "alice", Text: "triche", Word: "/ban"}},
		{"/ban alice forever cheating", Input{Cmd: CmdBan, Name: "alice", Text: "forever cheating", Word: "/ban"}},
		{"/ban alice 10min triche", Input{Cmd: CmdBan, Name: "alice", Dur: 10 * time.Minute, Text: "triche", Word: "/ban"}},
		{"/ban alice 2d", Input{Cmd: CmdBan, Name: "alice", Dur: 48 * time.Hour, Word: "/ban"}},
		{"/ban alice 10mn triche", Input{Cmd: CmdBan, Name: "alice", Text: "10mn", Word: "/ban", Err: ErrBadDuration}},
		{"/ban alice 3 warnings", Input{Cmd: CmdBan, Name: "alice", Text: "3", Word: "/ban", Err: ErrBadDuration}},
		{"/kick alice 10m", Input{Cmd: CmdKick, Name: "alice", Text: "10m", Word: "/kick"}}, // a kick has no duration
	} {
		if got := ParseInput(tt.line); got != tt.want {
			t.Errorf("ParseInput(%q) = %+v; want %+v", tt.line, got, tt.want)
		}
	}
}

// A duration that cannot be read is refused, and nothing happens: no mute
// for good, no ban for good with the duration in its reason.
func TestUnreadableDurationsAreRefused(t *testing.T) {
	clock := fakeclock.New(testClock)
	store := newMemStore()
	h := newTestHub(t, Options{OpKeys: []string{"K"}, Now: clock.Now, Store: store})
	op := joinAs(t, h, "prof", "K", "10.0.0.1:1")
	alice := joinAs(t, h, "alice", "SHA256:alice", "10.0.0.2:1")
	bob := joinAs(t, h, "bob", "", "10.0.0.3:1")

	for _, line := range []string{"/mute alice forever", "/mute alice 10mn", "/mute alice 10 min", "/ban alice 10mn triche", "/ban alice 1.5h", "/ban alice 3651d"} {
		op.Drain(nil)
		bob.Drain(nil)
		h.Post(op, line)
		word := strings.Fields(line)[2]
		if line == "/mute alice 10 min" {
			word = "10 min"
		}
		if e := lastOf(t, op, KindError); e.Err != ErrBadDuration || e.Text != word {
			t.Errorf("%s: %+v; want the duration %q refused", line, e, word)
		}
		if got := bob.Drain(nil); len(got) != 0 {
			t.Errorf("%s: the room read %v", line, got)
		}
		h.Post(alice, "still speaking")
		if got := lastOf(t, bob, KindChat); got.Text != "still speaking" {
			t.Errorf("%s: alice was muted or banned", line)
		}
	}
	if len(store.bans) != 0 || len(h.mutes) != 0 {
		t.Errorf("bans %v, mutes %v; want none", store.bans, h.mutes)
	}
	if e := LangEN.Describe(Message{Kind: KindError, Err: ErrBadDuration, Text: "forever"}); !strings.Contains(e, `"forever" is no duration, and nothing was done`) || !strings.Contains(e, "30s, 10m, 2h, 1d, 1w, 1h30m") {
		t.Errorf("the refusal reads %q; want the accepted forms named", e)
	}

	// The words are durations; a ban's reason follows its duration.
	h.Post(op, "/mute alice 10min")
	if m := lastOf(t, bob, KindMute); !m.Until.Equal(testClock.Add(10 * time.Minute)) {
		t.Errorf("/mute alice 10min: %+v", m)
	}
	h.Post(op, "/ban alice 10min triche")
	b := lastOf(t, bob, KindBan)
	if !b.Until.Equal(testClock.Add(10*time.Minute)) || b.Text != "triche" {
		t.Errorf("/ban alice 10min triche: until %v, reason %q", b.Until, b.Text)
	}

	// A member who is no operator learns nothing of the arguments.
	h.Post(bob, "/mute prof forever")
	if e := lastOf(t, bob, KindError); e.Err != ErrNotOperator {
		t.Errorf("a student's /mute with a bad duration: %+v", e)
	}
}

// A mute or ban says until when: "until lifted" without a duration, the
// time and how long from now with one, in the server's time zone.
func TestUntilWords(t *testing.T) {
	at := time.Date(2026, 11, 24, 10, 32, 0, 0, time.Local)
	for _, tt := range []struct {
		lang  Lang
		kind  Kind
		until time.Time
		want  string
	}{
		{LangEN, KindMute, time.Time{}, "alice was muted by prof until lifted"},
		{LangFR, KindMute, time.Time{}, "alice a perdu la parole (par prof) jusqu'à nouvel ordre"},
		{LangEN, KindMute, at.Add(10 * time.Minute), "alice was muted by prof until 10:42 (in 10 min)"},
		{LangFR, KindMute, at.Add(10 * time.Minute), "alice a perdu la parole (par prof) jusqu'à 10:42 (dans 10 min)"},
		{LangEN, KindBan, at.Add(90 * time.Minute), "alice was banned by prof until 12:02 (in 1 h 30 min): triche"},
		{LangFR, KindBan, at.Add(2 * time.Hour), "alice a été banni par prof jusqu'à 12:32 (dans 2 h) : triche"},
		{LangEN, KindBan, time.Time{}, "alice was banned by prof until lifted: triche"},
		{LangEN, KindBan, at.Add(24 * time.Hour), "alice was banned by prof until 2026-11-25 10:32 (in 1 day): triche"},
		{LangFR, KindBan, at.Add(36 * time.Hour), "alice a été banni par prof jusqu'à 2026-11-25 22:32 (dans 1 jour 12 h) : triche"},
		{LangEN, KindMute, at.Add(30 * time.Second), "alice was muted by prof until 10:32 (in 30 s)"},
		{LangEN, KindMute, at.Add(14 * 24 * time.Hour), "alice was muted by prof until 2026-12-08 10:32 (in 14 days)"},
	} {
		msg := Message{At: at, Kind: tt.kind, From: "prof", To: "alice", Until: tt.until}
		if tt.kind == KindBan {
			msg.Text = "triche"
		}
		if got := tt.lang.Describe(msg); got != tt.want {
			t.Errorf("%s: %q\nwant %q", tt.lang, got, tt.want)
		}
	}
}
