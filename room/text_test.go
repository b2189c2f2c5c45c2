package room

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var langs = []Lang{LangEN, LangFR}

// allKinds lists every Kind that has a name, so a new Kind is covered here
// as soon as it is added to kindNames.
func allKinds(t *testing.T) []Kind {
	t.Helper()
	var out []Kind
	for k := Kind(1); !strings.HasPrefix(k.String(), "kind("); k++ {
		out = append(out, k)
	}
	if len(out) < int(KindShutdown) {
		t.Fatalf("found %d kinds; want at least %d", len(out), KindShutdown)
	}
	return out
}

func allReasons(t *testing.T) []Reason {
	t.Helper()
	var out []Reason
	for r := Reason(1); !strings.HasPrefix(r.String(), "reason("); r++ {
		out = append(out, r)
	}
	if len(out) < int(ReasonTooLong) {
		t.Fatalf("found %d reasons; want at least %d", len(out), ReasonTooLong)
	}
	return out
}

var allErrorCodes = []ErrorCode{ErrUnknownCommand, ErrUsage, ErrNoSuchMember, ErrNameTaken, ErrNameInvalid, ErrMsgSelf,
	ErrNotOperator, ErrWrongPassword, ErrNoOpPassword, ErrMuted, ErrNameOwned, ErrNoSuchBan, ErrSelf, ErrNameNotOwned,
	ErrBadDuration, ErrNoBanNumbered, ErrBanAmbiguous, ErrNameCleaned,
	ErrRoomName, ErrNoSuchRoom, ErrTooManyRooms, ErrNotInRoom, ErrAlreadyInRoom, ErrBreakoutCount, ErrRoomBusy, ErrNoBreakout,
	ErrSlowHeld, ErrQuiet, ErrSlowRange, ErrBlockTooLong,
	ErrPollOpen, ErrNoPoll, ErrPollClosed, ErrBadVote, ErrPollChoices, ErrPollEmpty,
	ErrNoHands, ErrNoQuestion, ErrOwnQuestion, ErrVotedAlready, ErrQuestionsFull}

var allNameProblems = []NameProblem{NameTooShort, NameTooLong, NameBadChars, NameReserved, NameGenerated}

// sample returns a message of kind k with every field its kind uses filled in.
func sample(k Kind) Message {
	return Message{
		Seq: 1, At: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), Kind: k,
		From: "alice", To: "bob", Text: "/nick", Door: DoorSSH, Reason: ReasonQuit,
		Err: ErrUsage, Problem: NameTooShort,
		Members: []MemberInfo{{Name: "alice", Door: DoorTCP}, {Name: "bob", Door: DoorSSH}},
		Bans:    []Ban{{Target: "SHA256:bob", Net: "192.0.2.7", Name: "bob", By: "alice"}},
	}
}

func TestKindSystem(t *testing.T) {
	for _, k := range allKinds(t) {
		want := k != KindChat && k != KindAction && k != KindPrivate && k != KindBlock
		if got := k.System(); got != want {
			t.Errorf("%v.System() = %v; want %v", k, got, want)
		}
	}
}

func TestDescribeSystemKinds(t *testing.T) {
	for _, k := range allKinds(t) {
		msg := sample(k)
		en, fr := LangEN.Describe(msg), LangFR.Describe(msg)
		if !k.System() {
			if en != "" || fr != "" {
				t.Errorf("Describe(%v) = %q / %q; want \"\": doors format members' words", k, en, fr)
			}
			continue
		}
		if en == "" || fr == "" {
			t.Errorf("Describe(%v): en %q, fr %q; want both non-empty", k, en, fr)
		}
		if en == fr {
			t.Errorf("Describe(%v): French is the English %q", k, en)
		}
	}
}

func TestDescribeContent(t *testing.T) {
	tests := []struct {
		msg  Message
		lang Lang
		want []string // substrings
	}{
		{Message{Kind: KindJoin, From: "alice", Door: DoorSSH}, LangEN, []string{"alice", "ssh"}},
		{Message{Kind: KindJoin, From: "alice", Door: DoorTCP}, LangFR, []string{"alice", "tcp"}},
		{Message{Kind: KindLeave, From: "bob", Reason: ReasonTooSlow}, LangEN, []string{"bob", "too slow"}},
		{Message{Kind: KindLeave, From: "bob", Reason: ReasonTooSlow}, LangFR, []string{"bob", "trop lent"}},
		{Message{Kind: KindNick, From: "alice", To: "alicia"}, LangEN, []string{"alice", "alicia"}},
		{Message{Kind: KindNick, From: "alice", To: "alicia"}, LangFR, []string{"alice", "alicia"}},
		{sample(KindWho), LangEN, []string{"2", "alice (tcp)", "bob (ssh)"}},
		{sample(KindWho), LangFR, []string{"2", "alice (tcp)", "bob (ssh)"}},
		{Message{Kind: KindHelp, ForOp: true}, LangEN, []string{"/nick NAME", "/who", "/me ACTION", "/msg NAME TEXT", "/help", "/quit", "//", "\nFor operators:\n", "/release NAME", "free a name from the key that owns it", "/topic TEXT, /topic -", "1h30m"}},
		{Message{Kind: KindHelp, ForOp: true}, LangFR, []string{"/nick NOM", "/who", "/me ACTION", "/msg NOM TEXTE", "/help", "/quit", "//", "\nPour les opérateurs :\n", "/release NOM", "libérer un nom de la clé qui le possède", "/topic TEXTE, /topic -", "1h30m"}},
		{Message{Kind: KindError, Err: ErrUnknownCommand, Text: "/foo"}, LangEN, []string{"/foo"}},
		{Message{Kind: KindError, Err: ErrUsage, Text: "/NICK"}, LangEN, []string{"/nick NAME"}},
		{Message{Kind: KindError, Err: ErrUsage, Text: "/msg"}, LangFR, []string{"/msg NOM TEXTE"}},
		{Message{Kind: KindError, Err: ErrNoSuchMember, Text: "zed"}, LangEN, []string{"zed"}},
		{Message{Kind: KindError, Err: ErrNameTaken, Text: "bob"}, LangFR, []string{"bob"}},
		{Message{Kind: KindError, Err: ErrNameInvalid, Problem: NameTooLong, Text: "x"}, LangEN, []string{`"x"`, "16"}},
		{Message{Kind: KindError, Err: ErrNameInvalid, Problem: NameTooShort, Text: "x"}, LangFR, []string{`"x"`, "2"}},
	}
	for _, tt := range tests {
		got := tt.lang.Describe(tt.msg)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s.Describe(%v %+v) = %q; want it to contain %q", tt.lang, tt.msg.Kind, tt.msg, got, w)
			}
		}
	}
}

func TestDescribeErrors(t *testing.T) {
	for _, code := range allErrorCodes {
		msg := Message{Kind: KindError, Err: code, Text: "zed", Problem: NameBadChars}
		en, fr := LangEN.Describe(msg), LangFR.Describe(msg)
		for _, s := range []string{en, fr} {
			if s == "" || strings.HasPrefix(s, "error ") {
				t.Errorf("error %d: Describe = %q; want a worded error", code, s)
			}
		}
		if en == fr {
			t.Errorf("error %d: French is the English %q", code, en)
		}
	}
}

// TestRoomNameTooLongSaysTheRoomsBound: a room's name may be longer than a
// member's, and the refusal says by how much.
func TestRoomNameTooLongSaysTheRoomsBound(t *testing.T) {
	msg := Message{Kind: KindError, Err: ErrRoomName, Text: "x", Problem: NameTooLong}
	for _, l := range []Lang{LangEN, LangFR} {
		if got := l.Describe(msg); !strings.Contains(got, fmt.Sprint(MaxRoomNameLen)) {
			t.Errorf("%v: %q", l, got)
		}
	}
}

func TestReasonWords(t *testing.T) {
	for _, r := range allReasons(t) {
		en, fr := LangEN.Reason(r), LangFR.Reason(r)
		for _, s := range []string{en, fr} {
			if s == "" || strings.HasPrefix(s, "reason(") {
				t.Errorf("reason %d: %q; want a worded reason", r, s)
			}
		}
		// FIN is the course's own keyword and reads the same in both
		// languages; every other reason is translated.
		if r != ReasonFIN && en == fr {
			t.Errorf("reason %v: French is the English %q", r, en)
		}
		msg := Message{Kind: KindLeave, From: "bob", Reason: r}
		den, dfr := LangEN.Describe(msg), LangFR.Describe(msg)
		if !strings.Contains(den, en) || !strings.Contains(dfr, fr) {
			t.Errorf("reason %v: leave reads %q / %q; want them to contain %q / %q", r, den, dfr, en, fr)
		}
		if den == dfr {
			t.Errorf("reason %v: French leave is the English %q", r, den)
		}
	}
}

func TestNameProblemWords(t *testing.T) {
	for _, p := range allNameProblems {
		en, fr := LangEN.NameProblem(p), LangFR.NameProblem(p)
		if en == "" || fr == "" {
			t.Errorf("NameProblem(%d) = %q / %q; want both non-empty", p, en, fr)
		}
		if en == fr {
			t.Errorf("NameProblem(%d): French is the English %q", p, en)
		}
	}
	if got := LangEN.NameProblem(NameOK); got != "" {
		t.Errorf("NameProblem(NameOK) = %q; want \"\"", got)
	}
}

func TestGreetingWelcome(t *testing.T) {
	for _, l := range langs {
		if l.Greeting() == "" {
			t.Errorf("%s: empty greeting", l)
		}
		w := l.Welcome("alice", 3)
		if !strings.Contains(w, "alice") || !strings.Contains(w, "3") {
			t.Errorf("%s.Welcome(alice, 3) = %q; want the name and the count", l, w)
		}
	}
	if LangEN.Greeting() == LangFR.Greeting() || LangEN.Welcome("a", 1) == LangFR.Welcome("a", 1) {
		t.Error("French greeting or welcome is the English one")
	}
}

// TestZeroLangIsEnglish checks that an unset Lang words things in English.
func TestZeroLangIsEnglish(t *testing.T) {
	var zero Lang
	for _, k := range allKinds(t) {
		msg := sample(k)
		if got, want := zero.Describe(msg), LangEN.Describe(msg); got != want {
			t.Errorf("Lang(\"\").Describe(%v) = %q; want the English %q", k, got, want)
		}
	}
}

func TestLangUnmarshalText(t *testing.T) {
	tests := []struct {
		in      string
		want    Lang
		wantErr bool
	}{
		{"en", LangEN, false},
		{"fr", LangFR, false},
		{"FR", LangFR, false},
		{"En", LangEN, false},
		{"de", "", true},
		{"", "", true},
		{" fr", "", true},
		{"french", "", true},
	}
	for _, tt := range tests {
		l := Lang("unchanged")
		err := l.UnmarshalText([]byte(tt.in))
		if tt.wantErr {
			if err == nil {
				t.Errorf("UnmarshalText(%q) = nil error, Lang %q; want an error", tt.in, l)
			}
			if l != "unchanged" {
				t.Errorf("UnmarshalText(%q) failed but set Lang to %q", tt.in, l)
			}
			continue
		}
		if err != nil || l != tt.want {
			t.Errorf("UnmarshalText(%q) = %q, %v; want %q, nil", tt.in, l, err, tt.want)
		}
	}
}

// What a ban holds is worded in both languages, naming its network.
func TestBanScopeWords(t *testing.T) {
	tests := []struct {
		ban    Ban
		en, fr string
	}{
		{Ban{Target: "SHA256:e", Net: "192.0.2.7"}, "the key and every newcomer without a key from 192.0.2.7",
			"la clé et tout nouveau venu sans clé depuis 192.0.2.7"},
		{Ban{Target: "SHA256:e", Net: "10.1.2.3", Exempt: true}, "the key only: 10.1.2.3 is an exempt network",
			"ne vise que la clé : 10.1.2.3 est un réseau exempté"},
		{Ban{Target: "SHA256:e"}, "the key only", "ne vise que la clé"},
		{Ban{Target: "192.0.2.7", Net: "192.0.2.7"}, "every newcomer without a key from 192.0.2.7",
			"tout nouveau venu sans clé depuis 192.0.2.7"},
		{Ban{Target: "10.1.2.3", Net: "10.1.2.3", Exempt: true}, "every newcomer without a key from 10.1.2.3, an exempt network: a whole class",
			"tout nouveau venu sans clé depuis 10.1.2.3, un réseau exempté : toute une classe"},
	}
	for _, tt := range tests {
		for lang, want := range map[Lang]string{LangEN: tt.en, LangFR: tt.fr} {
			scope := lang.Describe(Message{Kind: KindBanScope, Bans: []Ban{tt.ban}})
			list := lang.Describe(Message{Kind: KindBans, Bans: []Ban{tt.ban}})
			if !strings.Contains(scope, want) || !strings.Contains(list, "\n    "+scope) {
				t.Errorf("%s, %+v: told %q, listed %q; want %q in both", lang, tt.ban, scope, list, want)
			}
		}
	}
}

// /help shows the operators' commands to operators alone.
func TestHelpShowsOperatorsTheirs(t *testing.T) {
	h := newTestHub(t, Options{OpKeys: []string{"K"}})
	op := joinAs(t, h, "prof", "K", "")
	student := joinAs(t, h, "student", "", "")
	for _, lang := range langs {
		h.Post(student, "/help")
		got := lang.Describe(lastOf(t, student, KindHelp))
		for _, c := range commands {
			if c.op && strings.Contains(got, "/"+c.name+" ") {
				t.Errorf("%s: a student's /help shows /%s:\n%s", lang, c.name, got)
			}
		}
		if strings.Contains(got, lang.pick("operators", "opérateurs")) {
			t.Errorf("%s: a student's /help speaks of operators:\n%s", lang, got)
		}
		h.Post(op, "/help")
		got = lang.Describe(lastOf(t, op, KindHelp))
		for _, c := range commands {
			if !strings.Contains(got, "/"+c.name) {
				t.Errorf("%s: an operator's /help lacks /%s:\n%s", lang, c.name, got)
			}
		}
	}
}

// Gathered joins and leaves name the first members and count the rest,
// "1 other" for one.
func TestGatheredWords(t *testing.T) {
	for _, tt := range []struct {
		lang  Lang
		left  bool
		first []string
		n     int
		want  string
	}{
		{LangEN, false, []string{"ann"}, 1, "ann joined"},
		{LangEN, false, []string{"ann"}, 2, "ann and 1 other joined"},
		{LangEN, false, []string{"ann", "bea"}, 2, "ann and bea joined"},
		{LangEN, false, []string{"ann", "bea", "cid"}, 3, "ann, bea and cid joined"},
		{LangEN, false, []string{"ann", "bea", "cid"}, 4, "ann, bea, cid and 1 other joined"},
		{LangEN, true, []string{"ann", "bea"}, 59, "ann, bea and 57 others left"},
		{LangEN, true, []string{"ann"}, 2, "ann and 1 other left"},
		{LangEN, true, []string{"ann", "bea"}, 2, "ann and bea left"},
		{LangFR, false, []string{"ann"}, 1, "ann a rejoint le salon"},
		{LangFR, false, []string{"ann"}, 2, "ann et 1 autre ont rejoint le salon"},
		{LangFR, false, []string{"ann", "bea", "cid"}, 9, "ann, bea, cid et 6 autres ont rejoint le salon"},
		{LangFR, true, []string{"ann", "bea"}, 59, "ann, bea et 57 autres sont partis"},
		{LangFR, true, []string{"ann"}, 2, "ann et 1 autre sont partis"},
		{LangFR, true, []string{"ann", "bea"}, 2, "ann et bea sont partis"},
	} {
		got := tt.lang.Joined(tt.first, tt.n)
		if tt.left {
			got = tt.lang.Left(tt.first, tt.n)
		}
		if got != tt.want {
			t.Errorf("%s %v %d: %q; want %q", tt.lang, tt.first, tt.n, got, tt.want)
		}
	}
	// A member's outbox gathers a storm into one message.
	for _, tt := range []struct {
		msg  Message
		want string
	}{
		{Message{Kind: KindLeave, From: "ann", Others: 1}, "ann and 1 other left"},
		{Message{Kind: KindLeave, From: "ann", Others: 57}, "ann and 57 others left"},
		{Message{Kind: KindJoin, From: "ann", Others: 1}, "ann and 1 other joined"},
	} {
		if got := LangEN.Describe(tt.msg); got != tt.want {
			t.Errorf("%+v: %q; want %q", tt.msg, got, tt.want)
		}
	}
}
