package sshui

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"palabre/room"
)

// screenRows is what a frame shows, as text: View's rows, cleaned of
// escape codes and trailing spaces, as the terminal's Lines are.
func screenRows(view string, height int) []string {
	rows := strings.Split(view, "\n")
	for i, r := range rows {
		rows[i] = strings.TrimRight(ansi.Strip(r), " ")
	}
	for len(rows) < height {
		rows = append(rows, "")
	}
	return rows
}

// termHarness is a model drawn through a term into a virtual terminal.
type termHarness struct {
	*harness
	t   *term
	vt  *vt
	out bytes.Buffer // what the last draw wrote
	w   *teeWriter
}

type teeWriter struct {
	a, b interface{ Write([]byte) (int, error) }
}

func (w *teeWriter) Write(p []byte) (int, error) { w.a.Write(p); return w.b.Write(p) }

func newTermHarness(s setup) *termHarness {
	th := &termHarness{harness: newHarness(s), vt: newVT(s.w, s.h)}
	th.w = &teeWriter{&th.out, th.vt}
	th.t = newTerm(th.w)
	return th
}

// resize gives the model and the terminal a new size; the new terminal
// starts blank, as term assumes nothing of what a resize leaves.
func (th *termHarness) resize(w, h int) {
	th.send(tea.WindowSizeMsg{Width: w, Height: h})
	if w == th.vt.cols && h == th.vt.rows {
		return // the same size: the terminal keeps what it shows
	}
	th.vt = newVT(w, h)
	th.w.b = th.vt
}

// draw draws and checks the terminal shows exactly the frame.
func (th *termHarness) draw(t *testing.T, step string) {
	t.Helper()
	th.out.Reset()
	if err := th.t.write(th.t.frame(th.m)); err != nil {
		t.Fatal(err)
	}
	want := screenRows(th.m.View(), th.m.height)
	if got := th.vt.Lines(); !slices.Equal(got, want) {
		t.Fatalf("after %s, the terminal shows\n%s\nwant\n%s", step, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if u := th.vt.Unknown(); len(u) > 0 {
		t.Fatalf("after %s: sequences a terminal may not know: %q", step, u)
	}
}

// TestTermShowsTheFrame drives a screen through random messages, scrolls,
// typing, flood control, member changes and resizes, and checks after each
// step that a terminal replaying what term wrote shows exactly View.
func TestTermShowsTheFrame(t *testing.T) {
	texts := []string{
		"hi", "hello carol", "café ☕ ready?", "日本語のテキストと絵文字 🎉",
		strings.Repeat("lorem ipsum dolor sit amet ", 9), strings.Repeat("x", 300), "e\u0301 combining",
	}
	sizes := [][2]int{{100, 30}, {40, 12}, {80, 24}, {79, 10}, {120, 8}, {20, 5}}
	for seed := range uint64(8) {
		// Half the terminals have left and right margins, as xterm has.
		margins := seed >= 4
		t.Run(fmt.Sprintf("%d margins=%v", seed, margins), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 7))
			sz := sizes[seed%uint64(len(sizes))]
			th := newTermHarness(setup{profile: termenv.ANSI256, w: sz[0], h: sz[1], history: history})
			th.t.margins = margins
			who := slices.Clone(members)
			th.m.cfg.Head = headOf(func() []room.MemberInfo { return who })
			held := 0 // lines flood control holds back
			th.m.cfg.Send = func(string) { held++ }
			th.m.cfg.Held = func() int { return held }
			rooms := []room.RoomInfo{{Name: "lobby"}, {Name: "tp1"}, {Name: "tp2"}}
			th.m.cfg.Activity = func() []room.RoomInfo { return rooms }
			var seq uint64 // of the messages a move shows
			th.draw(t, "the first frame")
			minute := 0
			for step := range 600 {
				var did string
				switch op := rnd.IntN(20); {
				case op < 8:
					var batch batchMsg
					for range 1 + rnd.IntN(3) {
						minute++
						from := members[rnd.IntN(len(members))]
						msg := chat(minute%60, from.Name, uint64(1+rnd.IntN(5)), texts[rnd.IntN(len(texts))])
						switch rnd.IntN(6) {
						case 0:
							msg.Kind = room.KindAction
						case 1:
							msg.Kind, msg.To = room.KindPrivate, "carol"
						case 2:
							msg.Kind = room.KindTopic
						}
						batch = append(batch, msg)
					}
					th.send(batch)
					did = fmt.Sprintf("%d messages", len(batch))
				case op < 10:
					k := []tea.KeyType{tea.KeyPgUp, tea.KeyPgDown, tea.KeyEnd}[rnd.IntN(3)]
					th.send(key(k))
					did = k.String()
				case op < 11:
					b := []tea.MouseButton{tea.MouseButtonWheelUp, tea.MouseButtonWheelDown}[rnd.IntN(2)]
					th.send(tea.MouseMsg{Action: tea.MouseActionPress, Button: b})
					did = "the wheel"
				case op < 13:
					th.send(runes(texts[rnd.IntN(4)]))
					did = "typing"
				case op < 14:
					th.send(key(tea.KeyEnter))
					did = "enter"
				case op < 15:
					held = max(0, held-1-rnd.IntN(3))
					did = "flood control let lines go"
				case op < 17:
					name := fmt.Sprintf("student%02d", step)
					kind := room.KindJoin
					if len(who) > 3 && rnd.IntN(2) == 0 {
						name, kind = who[len(who)-1].Name, room.KindLeave
						who = who[:len(who)-1]
					} else {
						who = append(who, room.MemberInfo{Name: name, Door: room.DoorTCP})
					}
					th.send(batchMsg{{At: at(minute % 60), Kind: kind, From: name, Door: room.DoorTCP}})
					did = "a member came or went"
				case op < 18:
					sz := sizes[rnd.IntN(len(sizes))]
					th.resize(sz[0], sz[1])
					did = fmt.Sprintf("a resize to %dx%d", sz[0], sz[1])
				case op < 19:
					// Each room has its scrollback: the terminal shows
					// another's whole, whatever it showed before.
					move := room.Message{At: at(minute % 60), Kind: room.KindMove, Room: rooms[rnd.IntN(len(rooms))].Name}
					for range rnd.IntN(4) {
						seq++
						move.History = append(move.History, numbered(seq, chat(minute%60, "bob", 2, texts[rnd.IntN(len(texts))])))
					}
					th.send(batchMsg{move})
					did = "a move to " + move.Room
				default:
					did = "nothing"
				}
				th.draw(t, fmt.Sprintf("step %d (%s)", step, did))
			}
		})
	}
}

// A new message on a full screen scrolls it: far fewer bytes than the
// screen, and only the new rows' text.
func TestTermScrollsForANewMessage(t *testing.T) {
	for _, sz := range [][2]int{{100, 30}, {60, 20}} { // with and without the member list
		th := newTermHarness(setup{profile: termenv.ANSI256, w: sz[0], h: sz[1]})
		for i := range 40 {
			th.send(batchMsg{chat(i%60, "bob", 2, fmt.Sprintf("filler %d", i))})
		}
		th.draw(t, "filling")
		whole := th.out.Len()
		th.send(batchMsg{chat(41, "alice", 1, "the newest one")})
		th.draw(t, "one more")
		got := th.out.String()
		if !strings.Contains(got, "\x1b[2;"+fmt.Sprint(sz[1]-1)+"r") || !strings.Contains(got, "the newest one") {
			t.Errorf("%dx%d: no scroll, or no new row: %q", sz[0], sz[1], got)
		}
		if strings.Contains(got, "filler") {
			t.Errorf("%dx%d: rows already shown were written again: %q", sz[0], sz[1], got)
		}
		if th.out.Len()*4 > whole {
			t.Errorf("%dx%d: a new message wrote %d bytes, the whole screen %d", sz[0], sz[1], th.out.Len(), whole)
		}
	}
}

// On a terminal with left and right margins, a message on a screen with a
// full member list scrolls the message column alone: the list is not
// written again, and a message costs at most half as much again as on a
// screen without the list, whose message column is as wide. Without
// margins, every row of the list is written again.
func TestTermMarginsKeepTheList(t *testing.T) {
	crowd := crowdOf(60)
	perMessage := func(w int, margins bool) int {
		th := newTermHarness(setup{profile: termenv.ANSI256, w: w, h: 30})
		th.m.cfg.Head = headOf(func() []room.MemberInfo { return crowd })
		th.m.refreshMembers()
		th.t.margins = margins
		for i := range 40 {
			th.send(batchMsg{chat(i%60, "bob", 2, fmt.Sprintf("filler %d", i))})
		}
		th.draw(t, "filling")
		n := 0
		for i := range 50 {
			th.send(batchMsg{chat(i%60, crowd[i%len(crowd)].Name, uint64(10+i), fmt.Sprintf("message %d of ordinary length, about the lab", i))})
			th.draw(t, fmt.Sprintf("message %d", i))
			if margins && strings.Contains(th.out.String(), fmt.Sprintf(";%dH", th.m.areaW+2)) {
				t.Fatalf("%d columns: a cell of the list was written again: %q", w, th.out.String())
			}
			n += th.out.Len()
		}
		return n / 50
	}
	alone := perMessage(79, false) // the widest screen without the list: the same message column
	beside := perMessage(100, true)
	whole := perMessage(100, false)
	t.Logf("bytes per message: %d without the list, %d beside it with margins, %d without margins", alone, beside, whole)
	if beside*2 > alone*3 {
		t.Errorf("with margins, a message beside the list wrote %d bytes, more than 1.5× the %d without the list", beside, alone)
	}
	if whole*2 <= alone*3 {
		t.Errorf("without margins, %d bytes: the list should be written again (%d without it)", whole, alone)
	}
}

func TestTermModes(t *testing.T) {
	th := newTermHarness(setup{w: 40, h: 10})
	th.t.enter()
	if err := th.t.write(th.t.frame(th.m)); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []int{1049, 2004, 1002, 1006} {
		if !th.vt.Modes()[mode] {
			t.Errorf("mode %d not set on enter", mode)
		}
	}
	if th.vt.Modes()[25] || th.vt.Modes()[7] {
		t.Error("the cursor shows, or rows may wrap")
	}
	if err := th.t.write([]byte(th.t.leave())); err != nil {
		t.Fatal(err)
	}
	for mode, on := range th.vt.Modes() {
		if on != (mode == 25 || mode == 7) {
			t.Errorf("mode %d left %v", mode, on)
		}
	}
}

// BenchmarkScreenMessage is a message's cost on one screen: the model's
// work and the terminal's bytes, at the bench's size, scrolled.
func BenchmarkScreenMessage(b *testing.B) {
	th := newTermHarness(setup{profile: termenv.ANSI256, w: 100, h: 30})
	th.w.b = discard{}
	// Different messages, some of them not ASCII: equal rows would need
	// no drawing at all.
	var msgs []batchMsg
	for i := range 64 {
		text := fmt.Sprintf("message %d of ordinary length, with a mention of carol", i)
		if i%4 == 0 {
			text += " and some 世界"
		}
		msgs = append(msgs, batchMsg{chat(5, "bob", 2, text)})
	}
	benchMessages(b, th, msgs)
}

// benchMessages shows msgs on th's screen, then measures showing them
// again one at a time: the screen's work, and the bytes written.
func benchMessages(b *testing.B, th *termHarness, msgs []batchMsg) {
	for _, msg := range msgs {
		th.send(msg)
	}
	_ = th.t.write(th.t.frame(th.m))
	b.ReportAllocs()
	n, ops := 0, 0
	for b.Loop() {
		th.out.Reset()
		th.send(msgs[ops%len(msgs)])
		_ = th.t.write(th.t.frame(th.m))
		n += th.out.Len()
		ops++
	}
	b.ReportMetric(float64(n)/float64(ops), "bytes/op")
}

// crowdOf is n members on the SSH door: student00, student01…
func crowdOf(n int) []room.MemberInfo {
	var crowd []room.MemberInfo
	for i := range n {
		crowd = append(crowd, room.MemberInfo{Name: fmt.Sprintf("student%02d", i), Door: room.DoorSSH})
	}
	return crowd
}

// BenchmarkScreenMessageBesideAFullList is a message's cost on a screen
// whose member list fills its side, on a terminal with left and right
// margins and on one without.
func BenchmarkScreenMessageBesideAFullList(b *testing.B) {
	crowd := crowdOf(60)
	for _, margins := range []bool{false, true} {
		b.Run(fmt.Sprintf("margins=%v", margins), func(b *testing.B) {
			th := newTermHarness(setup{profile: termenv.ANSI256, w: 100, h: 30})
			th.m.cfg.Head = headOf(func() []room.MemberInfo { return crowd })
			th.m.refreshMembers()
			th.t.margins = margins
			th.w.b = discard{}
			var msgs []batchMsg
			for i := range 64 {
				msgs = append(msgs, batchMsg{chat(5, crowd[i%len(crowd)].Name, uint64(10+i), fmt.Sprintf("message %d of ordinary length, about the lab", i))})
			}
			benchMessages(b, th, msgs)
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Screens sharing rendered rows show exactly what each would render alone,
// whatever their member (own words, mentions), width or colour profile.
func TestSharedRowsChangeNothing(t *testing.T) {
	cache := newRowCache()
	type screen struct{ alone, shared *model }
	var screens []screen
	for _, who := range []struct {
		id      uint64
		name    string
		w       int
		profile termenv.Profile
	}{{3, "carol", 100, termenv.ANSI256}, {2, "bob", 100, termenv.ANSI256}, {5, "dave", 100, termenv.Ascii}, {6, "eve", 60, termenv.ANSI256}} {
		mk := func(rows *rowCache) *model {
			r := lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(who.profile)
			return newModel(modelConfig{Renderer: r, Room: "lobby", Member: &fakeSelf{who.id, who.name},
				Width: who.w, Height: 20, Location: time.UTC, Rows: rows, Head: headOf(func() []room.MemberInfo { return members })})
		}
		screens = append(screens, screen{mk(nil), mk(cache)})
	}
	var seq uint64
	for i := range 60 {
		seq++
		msg := chat(i%60, []string{"alice", "bob", "carol"}[i%3], uint64(1+i%3), fmt.Sprintf("hello %d dave, %s", i, strings.Repeat("word ", i%9)))
		msg.Seq = seq
		if i%7 == 0 {
			msg.Kind, msg.To = room.KindPrivate, "carol"
		}
		for _, s := range screens {
			s.alone.receive([]room.Message{msg})
			s.shared.receive([]room.Message{msg})
		}
	}
	compare := func(when string) {
		for i, s := range screens {
			if a, b := s.alone.View(), s.shared.View(); a != b {
				t.Errorf("%s, screen %d: alone\n%s\nshared\n%s", when, i, a, b)
			}
		}
	}
	compare("as they came")
	// A change of width renders the kept messages again: the shared
	// copies must show what each screen's own would.
	for i, s := range screens {
		size := tea.WindowSizeMsg{Width: 45 + 30*i, Height: 20}
		s.alone.Update(size)
		s.shared.Update(size)
	}
	compare("resized")
	if len(cache.rows) == 0 {
		t.Error("nothing was shared")
	}
}
