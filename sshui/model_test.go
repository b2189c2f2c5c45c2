package sshui

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"palabre/internal/testterm"
	"palabre/room"
)

// fakeSelf is the screen's member, as the model knows it.
type fakeSelf struct {
	id   uint64
	name string
}

func (f *fakeSelf) ID() uint64   { return f.id }
func (f *fakeSelf) Name() string { return f.name }

// batchMsg is what the pump hands the model at once (receive); harness.send
// takes it among the program's messages.
type batchMsg []room.Message

// headOf serves the first members of a list, as Hub.MembersHead does.
func headOf(list func() []room.MemberInfo) func(int) ([]room.MemberInfo, int) {
	return func(n int) ([]room.MemberInfo, int) {
		all := list()
		return all[:min(max(n, 0), len(all))], len(all)
	}
}

// The screen's member is carol, ID 3.
const meID = 3

var members = []room.MemberInfo{
	{Name: "alice", Door: room.DoorSSH}, {Name: "Albert", Door: room.DoorTCP},
	{Name: "bob", Door: room.DoorTCP}, {Name: "carol", Door: room.DoorSSH},
	{Name: "dave_the_longest", Door: room.DoorTCP},
}

func at(min int) time.Time { return time.Date(2025, 3, 14, 9, min, 0, 0, time.UTC) }

func chat(min int, from string, id uint64, text string) room.Message {
	return room.Message{At: at(min), Kind: room.KindChat, From: from, SenderID: id, Text: text}
}

var (
	history = []room.Message{
		chat(0, "alice", 1, "good morning"),
		{At: at(1), Kind: room.KindAction, From: "bob", SenderID: 2, Text: "waves"},
	}
	live = []room.Message{
		{At: at(2), Kind: room.KindJoin, From: "dave_the_longest", SenderID: 5, Door: room.DoorTCP},
		chat(3, "carol", meID, "hello everyone"),
		chat(4, "alice", 1, "hi Carol, café ☕ ready?"),
		chat(5, "bob", 2, "日本語のテキストと絵文字 🎉 mixed with English words to wrap around"),
		{At: at(6), Kind: room.KindPrivate, From: "alice", SenderID: 1, To: "carol", Text: "psst"},
		{At: at(7), Kind: room.KindWho, Members: members},
		chat(8, "alice", 1, strings.Repeat("lorem ipsum dolor sit amet ", 6)),
		{At: at(9), Kind: room.KindLeave, From: "bob", SenderID: 2, Reason: room.ReasonQuit},
		{At: at(10), Kind: room.KindError, Err: room.ErrUnknownCommand, Text: "/foo"},
	}
	shutdown = room.Message{At: at(11), Kind: room.KindShutdown}
)

type setup struct {
	lang    room.Lang
	profile termenv.Profile
	w, h    int
	history []room.Message
}

type harness struct {
	m      *model
	self   *fakeSelf
	posted []string      // lines sent
	left   []room.Reason // Leave's reasons
	calls  int           // of Head
}

func newHarness(s setup) *harness {
	h := &harness{self: &fakeSelf{meID, "carol"}}
	// termenv.WithProfile alone would not do: lipgloss asks the output for
	// its profile, and io.Discard is no terminal, so it would be Ascii.
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(s.profile)
	h.m = newModel(modelConfig{
		Lang:     s.lang,
		Renderer: r,
		Room:     "lobby",
		Member:   h.self,
		History:  s.history,
		Send:     func(t string) { h.posted = append(h.posted, t) },
		Leave:    func(r room.Reason) { h.left = append(h.left, r) },
		Head: func(n int) ([]room.MemberInfo, int) {
			h.calls++
			return headOf(func() []room.MemberInfo { return members })(n)
		},
		Members:  func() []room.MemberInfo { return members },
		Width:    s.w,
		Height:   s.h,
		Location: time.UTC,
	})
	return h
}

func (h *harness) send(msgs ...tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	for _, msg := range msgs {
		if b, ok := msg.(batchMsg); ok {
			h.m.receive(b)
			cmd = nil
			continue
		}
		_, cmd = h.m.Update(msg)
	}
	return cmd
}

func runes(s string) tea.KeyMsg    { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }
func key(t tea.KeyType) tea.KeyMsg { return tea.KeyMsg{Type: t} }

// checkFrame fails when any row of the frame is wider than width or when
// there are more rows than height.
func checkFrame(t *testing.T, frame string, width, height int) {
	t.Helper()
	if frame == "" {
		return
	}
	rows := strings.Split(frame, "\n")
	if len(rows) > height {
		t.Errorf("%dx%d: %d rows", width, height, len(rows))
	}
	for i, r := range rows {
		if w := ansi.StringWidth(r); w > width {
			t.Errorf("%dx%d: row %d is %d wide: %q", width, height, i, w, ansi.Strip(r))
		}
	}
}

// TestGolden keeps what a terminal shows of the screen, drawn as the door
// draws it: the first frame with the history, then the room's messages as
// the pump hands them over, typing, and the shutdown notice, each drawn by
// term on a terminal emulator (x/vt), whose screen, with its styles, is
// the golden file.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		lang room.Lang
		w    int
	}{{"en_40", room.LangEN, 40}, {"en_80", room.LangEN, 80}, {"en_120", room.LangEN, 120}, {"fr_80", room.LangFR, 80}} {
		t.Run(tc.name, func(t *testing.T) {
			const rows = 24
			h := newHarness(setup{lang: tc.lang, profile: termenv.ANSI, history: history, w: tc.w, h: rows})
			em := testterm.New(t, tc.w, rows, nil)
			tm := newTerm(em)
			tm.enter()
			draw := func() {
				t.Helper()
				if err := tm.write(tm.frame(h.m)); err != nil {
					t.Fatal(err)
				}
			}
			draw()
			h.m.receive(live)
			draw()
			h.send(runes("see you"))
			draw()
			h.m.receive([]room.Message{shutdown})
			draw()
			if got, want := screenRows(em.String(), rows), screenRows(h.m.View(), rows); !slices.Equal(got, want) {
				t.Errorf("the terminal shows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			golden.RequireEqual(t, []byte(em.Render()))
		})
	}
}

func TestFrameFitsTheTerminal(t *testing.T) {
	msgs := append(append([]room.Message{}, live...),
		chat(12, "bob", 2, strings.Repeat("é世🎉a", 500)), // 2000 characters
		chat(13, "alice", 1, strings.Repeat("x", 2000)),
		chat(14, "dave_the_longest", 5, "👩‍👩‍👧 ZWJ family, e\u0301 combining, ﷽ wide"),
		room.Message{At: at(15), Kind: room.KindHelp},
		room.Message{At: at(16), Kind: room.KindPrivate, From: "dave_the_longest", SenderID: 5, To: "carol", Text: "ok"},
	)
	sizes := [][2]int{{40, 24}, {79, 24}, {80, 24}, {120, 40}, {200, 50}, {20, 5}, {19, 4}, {10, 3}, {1, 1}, {0, 0}, {3, 100}}
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		h := newHarness(setup{lang: lang, profile: termenv.ANSI, history: history})
		h.send(batchMsg(msgs))
		for _, sz := range sizes { // every size, from whatever size came before
			h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			checkFrame(t, h.m.View(), sz[0], sz[1])
			h.send(key(tea.KeyPgUp), batchMsg{chat(20, "bob", 2, "one more 世界")})
			checkFrame(t, h.m.View(), sz[0], sz[1])
			h.send(key(tea.KeyEnd))
		}
	}
	if v := newHarness(setup{}).m.View(); v != "" {
		t.Errorf("view before any size = %q, want empty", v)
	}
}

func TestWrapIndentsUnderTheText(t *testing.T) {
	h := newHarness(setup{profile: termenv.Ascii, w: 40, h: 24})
	h.send(batchMsg{chat(3, "alice", 1, strings.Repeat("word ", 20))})
	rows := strings.Split(h.m.View(), "\n")
	prefix := "09:03   <alice> "
	if !strings.HasPrefix(rows[1], prefix) {
		t.Fatalf("first row %q, want prefix %q", rows[1], prefix)
	}
	for _, r := range rows[2:5] {
		if !strings.HasPrefix(r, strings.Repeat(" ", len(prefix))+"word") {
			t.Errorf("continuation %q not indented under the text", r)
		}
	}
}

func TestMemberList(t *testing.T) {
	for _, tc := range []struct {
		w    int
		lang room.Lang
		want bool
	}{{80, room.LangEN, true}, {79, room.LangEN, false}, {200, room.LangEN, true}, {40, room.LangEN, false}, {80, room.LangFR, true}} {
		h := newHarness(setup{lang: tc.lang, profile: termenv.Ascii, w: tc.w, h: 24})
		v := h.m.View()
		header := map[room.Lang]string{room.LangEN: "│ Members", room.LangFR: "│ Membres"}[tc.lang]
		if got := strings.Contains(v, header) && strings.Contains(v, "│ dave_the_longest"); got != tc.want {
			t.Errorf("width %d %s: member list shown = %v, want %v\n%s", tc.w, tc.lang, got, tc.want, v)
		}
	}
}

func TestMembersRefreshOnlyOnMembershipChange(t *testing.T) {
	h := newHarness(setup{profile: termenv.Ascii, w: 80, h: 24})
	base := h.calls
	h.send(batchMsg{chat(1, "bob", 2, "hi"), chat(2, "alice", 1, "yo")})
	if h.calls != base {
		t.Errorf("chat refreshed the member list")
	}
	for i, k := range []room.Kind{room.KindJoin, room.KindLeave, room.KindNick} {
		h.send(batchMsg{chat(3, "bob", 2, "hi"), {At: at(3), Kind: k, From: "eve", To: "eva"}})
		if h.calls != base+i+1 {
			t.Errorf("%s: Head called %d times, want %d", k, h.calls-base, i+1)
		}
	}
}

func TestInput(t *testing.T) {
	h := newHarness(setup{profile: termenv.Ascii, w: 80, h: 24})
	h.send(key(tea.KeyEnter), runes("   "), key(tea.KeyEnter))
	if len(h.posted) != 0 {
		t.Fatalf("empty input posted %q", h.posted)
	}
	h.send(runes("one"), key(tea.KeyEnter), runes("/who"), key(tea.KeyEnter), runes("héllo 世界"))
	if cmd := h.send(key(tea.KeyEnter)); cmd != nil {
		t.Errorf("Enter returned a command")
	}
	if want := []string{"one", "/who", "héllo 世界"}; fmt.Sprint(h.posted) != fmt.Sprint(want) {
		t.Errorf("posted %q, want %q", h.posted, want)
	}
	if v := h.m.ti.Value(); v != "" {
		t.Errorf("input not cleared: %q", v)
	}

	// Up and Down walk the history and come back to the draft.
	h.send(runes("draft"))
	for i, step := range []struct {
		k    tea.KeyType
		want string
	}{{tea.KeyUp, "héllo 世界"}, {tea.KeyUp, "/who"}, {tea.KeyUp, "one"}, {tea.KeyUp, "one"},
		{tea.KeyDown, "/who"}, {tea.KeyDown, "héllo 世界"}, {tea.KeyDown, "draft"}, {tea.KeyDown, "draft"}} {
		h.send(key(step.k))
		if v := h.m.ti.Value(); v != step.want {
			t.Errorf("step %d (%s): input %q, want %q", i, step.k, v, step.want)
		}
	}

	// /quit is only sent, behind any line held back: the hub answers by
	// closing Done. Ctrl+C leaves at once.
	h.m.ti.Reset()
	if cmd := h.send(runes("/quit"), key(tea.KeyEnter)); cmd != nil {
		t.Errorf("/quit returned a command")
	}
	if got := h.posted[len(h.posted)-1]; got != "/quit" {
		t.Errorf("sent %q, want /quit", got)
	}
	if cmd := h.send(key(tea.KeyCtrlC)); cmd == nil || cmd() != tea.Quit() {
		t.Errorf("ctrl+c did not quit")
	}
	if !slices.Equal(h.left, []room.Reason{room.ReasonQuit}) {
		t.Errorf("ctrl+c left with %v, want quit", h.left)
	}
}

func TestTabCompletion(t *testing.T) {
	for _, tc := range []struct {
		typed string
		tabs  []tea.KeyType
		want  string
	}{
		{"al", []tea.KeyType{tea.KeyTab}, "alice: "},
		{"al", []tea.KeyType{tea.KeyTab, tea.KeyTab}, "Albert: "},
		{"AL", []tea.KeyType{tea.KeyTab, tea.KeyTab, tea.KeyTab}, "alice: "},
		{"al", []tea.KeyType{tea.KeyShiftTab}, "Albert: "},
		{"/msg B", []tea.KeyType{tea.KeyTab}, "/msg bob "},
		{"hi @da", []tea.KeyType{tea.KeyTab}, "hi @dave_the_longest "},
		{"", []tea.KeyType{tea.KeyTab}, "alice: "},
		{"ca", []tea.KeyType{tea.KeyTab}, "ca"}, // one's own name is not offered
		{"zz", []tea.KeyType{tea.KeyTab}, "zz"},
		{"/he", []tea.KeyType{tea.KeyTab}, "/he"},
	} {
		h := newHarness(setup{profile: termenv.Ascii, w: 80, h: 24})
		h.send(runes(tc.typed))
		for _, k := range tc.tabs {
			h.send(key(k))
		}
		if v := h.m.ti.Value(); v != tc.want {
			t.Errorf("%q + %v: %q, want %q", tc.typed, tc.tabs, v, tc.want)
		}
	}

	// Text after the cursor stays; any other key ends the cycle.
	h := newHarness(setup{profile: termenv.Ascii, w: 80, h: 24})
	h.send(runes("hi bo and"), key(tea.KeyLeft), key(tea.KeyLeft), key(tea.KeyLeft), key(tea.KeyLeft), key(tea.KeyTab), runes("x"))
	if v := h.m.ti.Value(); v != "hi bob x and" {
		t.Errorf("completion in the middle: %q", v)
	}
}

func TestScrollAndNewMessagesMark(t *testing.T) {
	for _, tc := range []struct {
		lang      room.Lang
		one, more string
	}{{room.LangEN, "1 new message (End)", "2 new messages (End)"}, {room.LangFR, "1 nouveau(x) message(s) (Fin)", "2 nouveau(x) message(s) (Fin)"}} {
		h := newHarness(setup{lang: tc.lang, profile: termenv.Ascii, w: 80, h: 24})
		for i := range 100 {
			h.send(batchMsg{chat(i%60, "bob", 2, fmt.Sprintf("message %d", i))})
		}
		h.send(key(tea.KeyPgUp))
		before := strings.Split(h.m.View(), "\n")
		if h.m.offset == 0 || strings.Contains(before[22], "message 99") {
			t.Fatalf("PgUp did not scroll")
		}
		h.send(batchMsg{chat(0, "bob", 2, "new one")})
		v := h.m.View()
		if !strings.Contains(v, tc.one) || strings.Contains(v, "new one") {
			t.Errorf("%s: after one message while scrolled:\n%s", tc.lang, v)
		}
		if rows := strings.Split(v, "\n"); rows[1] != before[1] {
			t.Errorf("the view moved: %q, was %q", rows[1], before[1])
		}
		h.send(batchMsg{chat(0, "bob", 2, "another")})
		if v := h.m.View(); !strings.Contains(v, tc.more) {
			t.Errorf("%s: no %q mark:\n%s", tc.lang, tc.more, v)
		}
		h.send(key(tea.KeyEnd))
		if v := h.m.View(); strings.Contains(v, tc.one[:8]) || !strings.Contains(v, "another") || h.m.offset != 0 {
			t.Errorf("%s: End did not return to the newest:\n%s", tc.lang, v)
		}
	}

	h := newHarness(setup{profile: termenv.Ascii, w: 80, h: 24})
	for i := range 50 {
		h.send(batchMsg{chat(0, "bob", 2, fmt.Sprint(i))})
	}
	wheel := func(b tea.MouseButton) tea.MouseMsg {
		return tea.MouseMsg{Action: tea.MouseActionPress, Button: b}
	}
	h.send(wheel(tea.MouseButtonWheelUp), wheel(tea.MouseButtonWheelUp))
	if h.m.offset != 2*wheelRows {
		t.Errorf("wheel up: offset %d", h.m.offset)
	}
	h.send(key(tea.KeyPgDown), key(tea.KeyPgUp), key(tea.KeyPgUp), key(tea.KeyPgUp), key(tea.KeyPgUp))
	if h.m.offset != h.m.maxOffset() {
		t.Errorf("scrolling stops at the oldest row: offset %d, max %d", h.m.offset, h.m.maxOffset())
	}
	h.send(runes("hi"), key(tea.KeyEnter)) // speaking returns to the newest
	if h.m.offset != 0 {
		t.Errorf("offset %d after sending", h.m.offset)
	}
}

func TestStyles(t *testing.T) {
	row := func(profile termenv.Profile, msg room.Message) string {
		h := newHarness(setup{profile: profile, w: 60, h: 10})
		h.send(batchMsg{msg})
		return strings.Split(h.m.View(), "\n")[1]
	}
	for _, tc := range []struct {
		name  string
		msg   room.Message
		plain string
		style func(*styles) ink
		part  string
	}{
		{"own", chat(3, "carol", meID, "hello"), "09:03 > <carol> hello", func(s *styles) ink { return s.own }, "carol"},
		{"mention", chat(3, "bob", 2, "hey CAROL!"), "09:03 ! <bob> hey CAROL!", func(s *styles) ink { return s.mention }, "hey CAROL!"},
		{"other", chat(3, "bob", 2, "hey carolyn"), "09:03   <bob> hey carolyn", func(s *styles) ink { return s.name("bob") }, "bob"},
		{"action", room.Message{At: at(3), Kind: room.KindAction, From: "bob", SenderID: 2, Text: "waves"}, "09:03   * bob waves", func(s *styles) ink { return s.name("bob") }, "bob"},
		{"private", room.Message{At: at(3), Kind: room.KindPrivate, From: "carol", SenderID: meID, To: "bob", Text: "psst"}, "09:03 > [private] carol → bob: psst", func(s *styles) ink { return s.private }, "[private] "},
		{"system", room.Message{At: at(3), Kind: room.KindJoin, From: "bob", Door: room.DoorTCP}, "09:03 - bob joined (tcp)", func(s *styles) ink { return s.system }, "bob joined (tcp)"},
	} {
		plain := row(termenv.Ascii, tc.msg)
		if plain != tc.plain {
			t.Errorf("%s, Ascii: %q, want %q", tc.name, plain, tc.plain)
		}
		coloured := row(termenv.ANSI, tc.msg)
		h := newHarness(setup{profile: termenv.ANSI})
		want := tc.style(&h.m.st).Render(tc.part)
		if want == tc.part || !strings.Contains(coloured, want) {
			t.Errorf("%s: %q does not hold the styled %q (%q)", tc.name, coloured, tc.part, want)
		}
		// Colour changes nothing of the text but the marks around a
		// sender's name, which without colour tell it from the text.
		if tc.msg.Kind == room.KindChat {
			plain = strings.Replace(plain, "<"+tc.msg.From+"> ", tc.msg.From+" ", 1)
		}
		if ansi.Strip(coloured) != plain {
			t.Errorf("%s: colour changes the text: %q", tc.name, ansi.Strip(coloured))
		}
	}
	a, b := newHarness(setup{profile: termenv.ANSI}), newHarness(setup{profile: termenv.ANSI})
	if a.m.st.name("Alice").Render("x") != b.m.st.name("alice").Render("x") {
		t.Errorf("a name's colour depends on its case or on the session")
	}
}

func TestFrench(t *testing.T) {
	h := newHarness(setup{lang: room.LangFR, profile: termenv.Ascii, w: 100, h: 50}) // tall enough for /help and its keys
	h.send(batchMsg{live[0], live[4], {At: at(8), Kind: room.KindHelp}})
	v := h.m.View()
	for _, want := range []string{"#lobby · 5 membres", "vous : carol", "│ Membres", "Tapez un message",
		"[privé] alice → carol: psst", "a rejoint le salon", "Commandes :"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q in\n%s", want, v)
		}
	}
}

func TestScrollbackBounded(t *testing.T) {
	h := newHarness(setup{profile: termenv.Ascii, w: 40, h: 24})
	for i := range 600 {
		h.send(batchMsg{chat(i%60, "bob", 2, fmt.Sprintf("%d %s", i, strings.Repeat("long text ", 5)))})
	}
	h.send(batchMsg{chat(0, "alice", 1, strings.Repeat("y", 2000))})
	check := func(when string, want int) {
		sb := &h.m.sb
		if sb.n != want {
			t.Errorf("%s: %d rows kept, want %d", when, sb.n, want)
		}
		if sb.rows < sb.n || sb.rows-sb.entries.at(0).rows() >= maxScrollback {
			t.Errorf("%s: %d entries hold %d rows for %d kept", when, sb.entries.n, sb.rows, sb.n)
		}
		checkFrame(t, h.m.View(), h.m.width, h.m.height)
	}
	check("at 40", maxScrollback)
	// Re-rendered wider, the kept messages take fewer rows.
	h.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	check("at 120", h.m.sb.rows)
	if h.m.sb.rows >= maxScrollback {
		t.Errorf("%d rows at 120 columns", h.m.sb.rows)
	}
	if v := h.m.View(); !strings.Contains(v, "yyyyy") {
		t.Errorf("the newest message is not shown")
	}
}

func BenchmarkModelMessage(b *testing.B) {
	msg := batchMsg{chat(5, "bob", 2, "a message of ordinary length, with a mention of carol and some 世界")}
	for _, bc := range []struct {
		name string
		full bool
	}{{"empty", false}, {"scrollback1000", true}} {
		b.Run(bc.name, func(b *testing.B) {
			h := newHarness(setup{profile: termenv.ANSI256, w: 120, h: 40})
			for h.m.sb.n < maxScrollback {
				h.send(msg)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if !bc.full { // forget every row, in O(1): StopTimer would cost more than the work
					sb := &h.m.sb
					sb.entries.start, sb.entries.n, sb.rows, sb.pushed, sb.n, sb.dropped = 0, 0, 0, 0, 0, 0
				}
				h.m.receive(msg)
				_ = h.m.View()
			}
		})
	}
}

// ink must style text exactly as lipgloss does, for every profile: the
// goldens were drawn by lipgloss.
func TestInkMatchesLipgloss(t *testing.T) {
	texts := []string{"a", "hello world", "é世🎉", " padded ", "x"}
	for _, p := range []termenv.Profile{termenv.Ascii, termenv.ANSI, termenv.ANSI256, termenv.TrueColor} {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(p)
		for _, st := range []lipgloss.Style{
			r.NewStyle(), r.NewStyle().Reverse(true).Bold(true), r.NewStyle().Faint(true),
			r.NewStyle().Bold(true).Foreground(lipgloss.Color("11")), r.NewStyle().Foreground(lipgloss.Color("13")),
		} {
			k := inkOf(st)
			for _, s := range texts {
				if got, want := k.Render(s), st.Render(s); got != want {
					t.Errorf("profile %v: ink %q, lipgloss %q", p, got, want)
				}
			}
		}
	}
}

// A class arriving together is one line per minute on the screen, and the
// scrollback holds one entry for it.
func TestJoinsGather(t *testing.T) {
	join := func(min int, name string) room.Message {
		return room.Message{At: at(min), Kind: room.KindJoin, From: name, Door: room.DoorTCP}
	}
	for _, tc := range []struct {
		lang room.Lang
		msgs []room.Message
		want []string
	}{
		{room.LangEN, []room.Message{join(1, "ann")}, []string{"09:01 - ann joined (tcp)"}},
		{room.LangEN, []room.Message{join(1, "ann"), join(1, "bea")}, []string{"09:01 - ann and bea joined"}},
		{room.LangEN, []room.Message{join(1, "ann"), join(1, "bea"), join(1, "cid")}, []string{"09:01 - ann, bea and cid joined"}},
		{room.LangEN, []room.Message{join(1, "ann"), join(1, "bea"), join(1, "cid"), join(1, "dan"), join(1, "eve")},
			[]string{"09:01 - ann, bea, cid and 2 others joined"}},
		{room.LangFR, []room.Message{join(1, "ann"), join(1, "bea"), join(1, "cid"), join(1, "dan")},
			[]string{"09:01 - ann, bea, cid et 1 autre ont rejoint le salon"}},
		{room.LangEN, []room.Message{join(1, "ann"), join(1, "bea"), chat(1, "bob", 2, "hi"), join(1, "cid"), join(2, "dan")},
			[]string{"09:01 - ann and bea joined", "09:01   <bob> hi", "09:01 - cid joined (tcp)", "09:02 - dan joined (tcp)"}},
	} {
		h := newHarness(setup{lang: tc.lang, profile: termenv.Ascii, w: 60, h: 10})
		for _, msg := range tc.msgs { // one batch each, as they come apart
			h.send(batchMsg{msg})
		}
		rows := screenRows(h.m.View(), 10)[1 : 1+len(tc.want)]
		for i := range rows {
			rows[i] = strings.TrimRight(rows[i], " │")
		}
		if !slices.Equal(rows, tc.want) {
			t.Errorf("%d messages\nshow %q\nwant %q", len(tc.msgs), rows, tc.want)
		}
		if h.m.sb.entries.n != len(tc.want) {
			t.Errorf("%d entries kept, want %d", h.m.sb.entries.n, len(tc.want))
		}
	}
}

// Whatever the scrollback went through (joins gathered into a line that
// wraps, rows pushed out of a full ring, scrolling up), it holds the newest
// rows a fresh rendering of its entries gives. (It may hold fewer: a line
// of joins that wraps shorter leaves the room of a row it cannot refill.)
func TestScrollbackAsRenderedAfresh(t *testing.T) {
	h := newHarness(setup{profile: termenv.ANSI, w: 30, h: 8})
	h.m.sb.max = 12
	names := []string{"a_rather_long_name", "bo", "cyd", "dee_dee_dee", "e"}
	for i := range 300 {
		msg := room.Message{At: at(i / 40), Kind: room.KindJoin, From: names[i%len(names)], Door: room.DoorSSH}
		if i%17 == 0 {
			msg = chat(i/40, "bob", 2, strings.Repeat("word ", i%7))
		}
		if i%50 == 0 {
			h.send(key(tea.KeyPgUp))
		}
		h.send(batchMsg{msg})
		before, offset := h.m.View(), h.m.offset
		rows := h.m.sb.appendRows(nil, 0, h.m.sb.n)
		h.m.rerender()
		again := h.m.sb.appendRows(nil, 0, h.m.sb.n)
		if len(again) < len(rows) || !slices.Equal(rows, again[len(again)-len(rows):]) || offset == 0 && h.m.View() != before {
			t.Fatalf("step %d: kept rows\n%v\nrendered afresh\n%v", i, rows, again)
		}
	}
}
