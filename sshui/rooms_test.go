package sshui

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"palabre/room"
)

// server is the rooms a screen sees on the hub: their last public
// messages, and the server's last number.
type server struct {
	rooms []room.RoomInfo
	seq   uint64
}

func (s *server) say(name string) uint64 {
	s.seq++
	for i := range s.rooms {
		if s.rooms[i].Name == name {
			s.rooms[i].Last = s.seq
		}
	}
	return s.seq
}

// withServer makes the harness's screen see srv.
func (h *harness) withServer(srv *server) {
	h.m.cfg.Activity = func() []room.RoomInfo { return slices.Clone(srv.rooms) }
	h.m.cfg.Seq = func() uint64 { return srv.seq }
}

func moveTo(name string, history ...room.Message) room.Message {
	return room.Message{At: at(30), Kind: room.KindMove, Room: name, Members: members[:2], Others: 3, History: history}
}

func numbered(seq uint64, msg room.Message) room.Message {
	msg.Seq = seq
	return msg
}

// count says how many rows of the view hold text.
func count(view, text string) int { return strings.Count(view, text) }

// Each room keeps its own scrollback on the screen: moving shows the room
// entered with what was said there, and coming back shows the room left as
// it was, with what was missed meanwhile and nothing twice.
func TestEachRoomKeepsItsScrollback(t *testing.T) {
	h := newHarness(setup{profile: termenv.Ascii, w: 100, h: 30})
	h.withServer(&server{rooms: []room.RoomInfo{{Name: "lobby"}, {Name: "tp1"}}})
	h.send(batchMsg{numbered(1, chat(1, "bob", 2, "said in the lobby"))})

	h.send(batchMsg{moveTo("tp1", numbered(2, chat(2, "alice", 1, "said in tp1 before")))})
	v := h.m.View()
	if !strings.HasPrefix(v, " #tp1 · 5 members") || count(v, "said in the lobby") != 0 || count(v, "said in tp1 before") != 1 ||
		count(v, "You are now in #tp1, with alice, Albert and 1 more") != 1 {
		t.Fatalf("in tp1 the screen shows\n%s", v)
	}
	h.send(batchMsg{numbered(4, chat(4, "alice", 1, "said in tp1 while here"))})

	// Back in the lobby: what it showed, and what was missed there, once;
	// the hub sends the missed messages, and one shown already is skipped.
	h.send(batchMsg{moveTo("lobby", numbered(1, chat(1, "bob", 2, "said in the lobby")), numbered(5, chat(5, "bob", 2, "missed in the lobby")))})
	v = h.m.View()
	if !strings.HasPrefix(v, " #lobby · ") || count(v, "said in the lobby") != 1 || count(v, "missed in the lobby") != 1 || count(v, "tp1 while here") != 0 {
		t.Fatalf("back in the lobby the screen shows\n%s", v)
	}

	// And tp1 again, as it was, with its own new message.
	h.send(batchMsg{moveTo("TP1", numbered(4, chat(4, "alice", 1, "said in tp1 while here")), numbered(6, chat(6, "alice", 1, "said in tp1 after")))})
	v = h.m.View()
	for text, want := range map[string]int{"said in tp1 before": 1, "said in tp1 while here": 1, "said in tp1 after": 1, "lobby": 0, "You are now in #TP1": 1, "You are now in #tp1": 1} {
		if got := count(v, text); got != want {
			t.Errorf("back in tp1, %q shows %d times, want %d:\n%s", text, got, want, v)
		}
	}
	if len(h.m.rm.byKey) != 2 {
		t.Errorf("the screen keeps %d rooms, want 2", len(h.m.rm.byKey))
	}
}

// A move is the screen's member list's cue: it is of the room entered.
func TestAMoveRefreshesTheMemberList(t *testing.T) {
	h := newHarness(setup{profile: termenv.Ascii, w: 100, h: 30})
	base := h.calls
	h.send(batchMsg{moveTo("tp1")})
	if h.calls != base+1 {
		t.Errorf("a move asked for the members %d times, want 1", h.calls-base)
	}
}

// However many rooms a screen goes through, their scrollbacks together keep
// at most the rows one screen kept before rooms: the room shown keeps at
// least half of it, and the room left longest ago gives up its rows first.
func TestScrollbacksOfAllRoomsTogetherBounded(t *testing.T) {
	h := newHarness(setup{profile: termenv.Ascii, w: 60, h: 20})
	h.withServer(&server{rooms: []room.RoomInfo{{Name: "lobby"}, {Name: "tp1"}, {Name: "tp2"}, {Name: "tp3"}, {Name: "tp4"}}})
	total := func() int {
		n := h.m.sb.n
		for _, r := range h.m.rm.byKey {
			n += r.sb.n
		}
		return n
	}
	fill := func(name string, n int) {
		for i := range n {
			h.send(batchMsg{chat(i%60, "bob", 2, fmt.Sprintf("%s %d", name, i))})
		}
	}
	fill("lobby", 1500)
	if h.m.sb.n != maxScrollback {
		t.Fatalf("one room keeps %d rows, want %d", h.m.sb.n, maxScrollback)
	}
	for i, name := range []string{"tp1", "tp2", "tp3", "lobby", "tp1", "tp4"} {
		h.send(batchMsg{moveTo(name)})
		fill(name, 700)
		if got := total(); got > maxScrollback {
			t.Errorf("step %d, in %s: %d rows in all, over %d", i, name, got, maxScrollback)
		}
		if h.m.sb.n < maxScrollback/2 {
			t.Errorf("step %d, in %s: the room shown keeps %d rows", i, name, h.m.sb.n)
		}
		checkFrame(t, h.m.View(), 60, 20)
	}
	// tp3 was left before lobby and tp1: it gave its rows up first.
	if n := h.m.rm.byKey["tp3"].sb.n; n != 0 {
		t.Errorf("tp3 keeps %d rows, after lobby and tp1 were left later", n)
	}
	if n := h.m.rm.byKey["tp1"].sb.n; n == 0 {
		t.Errorf("tp1, the room left last, kept nothing")
	}
}

// The side panel lists the other rooms where something was said that the
// screen has not shown: a room never shown, once something is said there
// after the session began; a room left, once something is said after what
// it showed. Ctrl+N goes to the next of them, Ctrl+P to the previous, as
// /join lines; with none, they go round every room.
func TestUnreadRoomsAndTheKeysToThem(t *testing.T) {
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		srv := &server{rooms: []room.RoomInfo{{Name: "lobby", Last: 3}, {Name: "old", Last: 2}, {Name: "tp1"}, {Name: "tp2"}}, seq: 3}
		h := newHarness(setup{lang: lang, profile: termenv.Ascii, w: 100, h: 30})
		h.m.rm.start = 3 // the server's last number as the session began
		h.withServer(srv)
		header := map[room.Lang]string{room.LangEN: "│ Unread · Ctrl+N", room.LangFR: "│ Non lus · Ctrl+N"}[lang]
		look := func(step string, want ...string) {
			t.Helper()
			h.m.lookAtRooms(false)
			v := h.m.View()
			var got []string
			for _, row := range screenRows(v, 30) {
				if _, name, ok := strings.Cut(row, "│ #"); ok {
					got = append(got, name)
				}
			}
			if !slices.Equal(got, want) || (len(want) > 0) != strings.Contains(v, header) {
				t.Errorf("%s, %s: the side panel lists %q, want %q\n%s", lang, step, got, want, v)
			}
		}
		keys := func(k tea.KeyType, want string) {
			t.Helper()
			h.posted = nil
			h.send(key(k))
			if !slices.Equal(h.posted, []string{want}) {
				t.Errorf("%s: %v sent %q, want %q", lang, k, h.posted, want)
			}
		}
		look("at first")
		keys(tea.KeyCtrlN, "/join old") // nothing unread: the next room
		keys(tea.KeyCtrlP, "/join tp2")

		srv.say("tp2")
		look("tp2 spoke", "tp2 •")
		// The room shown is never unread: what is said there shows.
		h.send(batchMsg{numbered(srv.say("lobby"), chat(4, "bob", 2, "in the lobby"))})
		srv.say("tp1")
		look("tp1 spoke", "tp1 •", "tp2 •")
		keys(tea.KeyCtrlN, "/join tp1")
		keys(tea.KeyCtrlP, "/join tp2")

		h.send(batchMsg{moveTo("tp2", numbered(srv.rooms[3].Last, chat(5, "bob", 2, "in tp2")))})
		look("in tp2", "tp1 •")
		keys(tea.KeyCtrlN, "/join tp1")
		keys(tea.KeyCtrlP, "/join tp1")

		// The lobby, left, speaks.
		srv.say("lobby")
		look("the lobby spoke", "lobby •", "tp1 •")
		h.send(batchMsg{moveTo("lobby")})
		look("back in the lobby", "tp1 •")

		// Rooms gone from the server are forgotten, and listed no more.
		srv.rooms = slices.DeleteFunc(srv.rooms, func(r room.RoomInfo) bool { return strings.HasPrefix(r.Name, "tp") })
		srv.seq++
		look("tp1 and tp2 gone")
		if _, ok := h.m.rm.byKey["tp2"]; ok {
			t.Errorf("%s: tp2 is kept after it went", lang)
		}
	}
}

// Without the side panel, the title bar counts the rooms with unread
// messages.
func TestTitleCountsUnreadRoomsWithoutTheSidePanel(t *testing.T) {
	srv := &server{rooms: []room.RoomInfo{{Name: "lobby"}, {Name: "tp1"}, {Name: "tp2"}}}
	for _, tc := range []struct {
		lang room.Lang
		w    int
		want string
	}{{room.LangEN, 60, " #lobby · 5 members · 2 unread room(s) •"}, {room.LangFR, 60, " #lobby · 5 membres · 2 salon(s) non lu(s) •"}, {room.LangEN, 100, " #lobby · 5 members  "}} {
		h := newHarness(setup{lang: tc.lang, profile: termenv.Ascii, w: tc.w, h: 20})
		h.withServer(srv)
		srv.say("tp1")
		srv.say("tp2")
		h.m.lookAtRooms(false)
		if title := screenRows(h.m.View(), 20)[0]; !strings.HasPrefix(title, tc.want) {
			t.Errorf("%s at %d columns: the title bar is %q, want %q…", tc.lang, tc.w, title, tc.want)
		}
	}
}

// A look at the rooms costs nothing when nothing was said since the last.
func TestLookingAtRoomsWhenNothingWasSaid(t *testing.T) {
	srv := &server{rooms: []room.RoomInfo{{Name: "lobby"}, {Name: "tp1"}}}
	h := newHarness(setup{profile: termenv.Ascii, w: 100, h: 20})
	asked := 0
	h.m.cfg.Activity = func() []room.RoomInfo { asked++; return srv.rooms }
	h.m.cfg.Seq = func() uint64 { return srv.seq }
	h.m.lookAtRooms(false)
	before := asked
	for range 10 {
		if h.m.lookAtRooms(false) {
			t.Error("a look with nothing said changed the side panel")
		}
	}
	if asked != before {
		t.Errorf("%d looks with nothing said listed the rooms %d times", 10, asked-before)
	}
	srv.say("tp1")
	if !h.m.lookAtRooms(false) || asked != before+1 {
		t.Errorf("a look after tp1 spoke: listed %d times, changed nothing", asked-before)
	}
}

// A room shown again after a resize is laid out for the new width.
func TestARoomShownAgainFitsTheNewWidth(t *testing.T) {
	h := newHarness(setup{profile: termenv.Ascii, w: 120, h: 20})
	h.withServer(&server{rooms: []room.RoomInfo{{Name: "lobby"}, {Name: "tp1"}}})
	long := strings.Repeat("a rather long line of words ", 4)
	h.send(batchMsg{numbered(1, chat(1, "bob", 2, long))})
	h.send(batchMsg{moveTo("tp1")})
	h.send(tea.WindowSizeMsg{Width: 40, Height: 20})
	h.send(batchMsg{moveTo("lobby")})
	v := h.m.View()
	checkFrame(t, v, 40, 20)
	if !strings.Contains(v, "a rather long") {
		t.Errorf("the lobby's line is gone:\n%s", v)
	}
}

// BenchmarkLookAtRooms is a screen's look at the rooms of a hub of 50,
// when something was said since the last (otherwise a look is one atomic
// load): what each screen pays once a second at most.
func BenchmarkLookAtRooms(b *testing.B) {
	hub := room.NewHub(room.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for i := range 50 {
		m, _, err := hub.Join(room.JoinRequest{Name: fmt.Sprintf("m%d", i), Door: room.DoorTCP, Room: fmt.Sprintf("tp%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		hub.Post(m, "hello")
	}
	h := newHarness(setup{profile: termenv.ANSI256, w: 120, h: 40})
	seq := uint64(0)
	h.m.cfg.Activity, h.m.cfg.Seq = hub.Activity, func() uint64 { seq++; return seq }
	b.ReportAllocs()
	for b.Loop() {
		h.m.lookAtRooms(false)
	}
}
