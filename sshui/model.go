package sshui

import (
	"io"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"palabre/room"
)

// self is what the screen needs of its room member (*room.Member
// satisfies it): who it is, to tell its own messages and mentions. The
// door hands the member's messages to the model (receive).
type self interface {
	ID() uint64
	Name() string
}

type modelConfig struct {
	Lang     room.Lang
	Renderer *lipgloss.Renderer // each SSH session's own renderer; styles are built from it, never the global one
	Room     string             // the room the member entered
	Member   self
	History  []room.Message // the room's, shown first, before live messages
	// Send hands typed text to the room, through the door's flood
	// control: one line, or several separated by "\n" (a paste), each a
	// message or a command ("/who"); blank lines are skipped. nil: nothing.
	Send func(line string)
	// Block hands a paste of several lines to the room as one message
	// (block.go); nil: the paste goes as Send's lines.
	Block func(text string)
	// Head gives the first n members, in join order, and how many there
	// are, without copying the whole list; nil: none.
	Head func(n int) ([]room.MemberInfo, int)
	// Hands is how many hands are raised in the room, when the member is
	// an operator (0 else: the title counts them for operators); nil: none.
	Hands func() int
	// Asked gives the room's first n open questions, most upvoted first,
	// and how many are open; nil: none.
	Asked func(n int) ([]room.QuestionInfo, int)
	// Members is the whole member list, for Tab completion only; nil: none.
	Members func() []room.MemberInfo
	// Activity lists the server's rooms, the default first, with the number
	// of each one's last public message; Seq is the server's last number,
	// and StartSeq what it was as the session began. nil: none.
	Activity func() []room.RoomInfo
	Seq      func() uint64
	StartSeq uint64
	// Held says how many of the lines sent wait for flood control, to be
	// shown; nil: none.
	Held func() int
	// Leave removes the member, when it quits or for a reason of the
	// screen's own (a paste too long to be a message); nil: nothing.
	Leave    func(room.Reason)
	Width    int // initial terminal size (may be 0: wait for tea.WindowSizeMsg)
	Height   int
	Location *time.Location // for HH:MM; nil means time.Local
	// Rows, when set, shares rendered messages with the server's other
	// screens, which must have the same Lang and Location.
	Rows *rowCache
	// Poll is the open poll of the member's room, with its tally; nil
	// (the func, or what it returns): none.
	Poll func() *room.PollView
}

var _ self = (*room.Member)(nil)

const (
	maxScrollback = 1000 // rendered rows kept, of all rooms together
	minWidth      = 20   // the layout never goes narrower; the frame is then cut to the terminal
	minHeight     = 5
	sidebarMin    = 80 // terminal width from which the member list shows
	sidebarWidth  = 20 // "│ " and 18 columns: names are at most 16
	maxSent       = 100
	wheelRows     = 3
)

type model struct {
	cfg   modelConfig
	st    styles
	wd    words
	paint painter
	ti    textinput.Model

	width, height int // as the terminal reports them
	areaW         int // the width the scrollback was rendered at

	sb      scrollback // the room shown's
	maxRows int        // of the scrollbacks of all rooms together
	rm      roomsState
	span    []line // compose's rows of the scrollback, reused
	offset  int    // rows between the newest row and the bottom of the view
	unread  int    // messages that arrived while scrolled up

	members   []room.MemberInfo // the first of the room's members, as many as the list shows
	count     int               // the room's members
	hands     int               // raised hands in the room, counted for an operator
	side      []line            // the member list's rows, rendered when it changes
	sideBlank line              // a row of the member list below its names
	sideSep   string            // what begins each of its rows with text: "│ ", styled

	questions     []room.QuestionInfo // the first open questions, for the side panel
	openQuestions int                 // how many are open

	view       frame // View's, kept to reuse its rows
	input      line  // the input's row, as last drawn
	inputDirty bool  // whether the input may have changed since

	topic    string // the room's topic, shown in the title bar
	modes    screenModes
	title    string // the title bar, drawn again only when titleKey changes
	titleKey titleKey

	sent    []string // own input history, oldest first
	histIdx int      // len(sent) while editing a fresh line
	draft   string   // the fresh line, kept while walking the history
	comp    completion

	poll pollScreen
}

func newModel(cfg modelConfig) *model {
	if cfg.Renderer == nil {
		// termenv.WithProfile would not reach lipgloss, which asks the
		// output for its profile: only SetColorProfile fixes it.
		cfg.Renderer = lipgloss.NewRenderer(io.Discard)
		cfg.Renderer.SetColorProfile(termenv.Ascii)
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Send == nil {
		cfg.Send = func(string) {}
	}
	if cfg.Block == nil {
		cfg.Block = cfg.Send
	}
	if cfg.Head == nil {
		cfg.Head = func(int) ([]room.MemberInfo, int) { return nil, 0 }
	}
	if cfg.Hands == nil {
		cfg.Hands = func() int { return 0 }
	}
	if cfg.Asked == nil {
		cfg.Asked = func(int) ([]room.QuestionInfo, int) { return nil, 0 }
	}
	if cfg.Members == nil {
		cfg.Members = func() []room.MemberInfo { return nil }
	}
	if cfg.Activity == nil {
		cfg.Activity = func() []room.RoomInfo { return nil }
	}
	if cfg.Seq == nil {
		cfg.Seq = func() uint64 { return 0 }
	}
	if cfg.Held == nil {
		cfg.Held = func() int { return 0 }
	}
	if cfg.Leave == nil {
		cfg.Leave = func(room.Reason) {}
	}
	if cfg.Poll == nil {
		cfg.Poll = func() *room.PollView { return nil }
	}
	m := &model{cfg: cfg, st: newStyles(cfg.Renderer), wd: words{fr: cfg.Lang == room.LangFR}}
	m.paint = painter{st: &m.st, lang: cfg.Lang, wd: m.wd, loc: cfg.Location, cache: cfg.Rows, profile: cfg.Renderer.ColorProfile()}
	m.sb.max, m.maxRows = maxScrollback, maxScrollback

	ti := textinput.New()
	ti.Prompt = "> "
	ti.Placeholder = m.wd.placeholder()
	ti.CharLimit = maxPending // past it, typing stops; a longer paste ends the session
	// ctrl+v would read the clipboard of the server, not of the client.
	ti.KeyMap.Paste.SetEnabled(false)
	// A blinking cursor costs every client a frame every 530 ms.
	ti.Cursor.SetMode(cursor.CursorStatic)
	in := newInputStyles(cfg.Renderer)
	ti.PromptStyle, ti.TextStyle = in.prompt, in.text
	ti.PlaceholderStyle, ti.CompletionStyle = in.placeholder, in.placeholder
	ti.Cursor.Style, ti.Cursor.TextStyle = in.cursor, in.text
	ti.Focus()
	m.ti = ti

	m.setSize(cfg.Width, cfg.Height)
	m.refreshMembers()
	m.startRooms(cfg.Room, cfg.History)
	m.cfg.History = nil // kept in the scrollback now
	return m
}

func (m *model) Init() tea.Cmd { return m.ti.Focus() }

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.inputDirty = true
		m.setSize(msg.Width, msg.Height)
		return m, nil
	case tea.KeyMsg:
		m.inputDirty = true
		return m.key(msg)
	case tea.MouseMsg:
		if msg.Action == tea.MouseActionPress {
			switch msg.Button {
			case tea.MouseButtonWheelUp:
				m.scroll(wheelRows)
			case tea.MouseButtonWheelDown:
				m.scroll(-wheelRows)
			}
		}
		return m, nil
	}
	m.inputDirty = true // whatever else reaches the input may change it
	var cmd tea.Cmd
	m.ti, cmd = m.ti.Update(msg)
	return m, cmd
}

func (m *model) receive(msgs []room.Message) {
	if len(msgs) == 0 {
		return
	}
	meID, meName := m.cfg.Member.ID(), m.cfg.Member.Name()
	added, refresh := 0, false
	moved, polled := false, false
	for i := range msgs {
		msg := &msgs[i] // the address of a copy would escape: an allocation a message
		m.noteModes(*msg)
		polled = polled || pollEvent(msg.Kind)
		if msg.Kind == room.KindMove {
			m.move(msg, meID, meName)
			moved, refresh = true, true
			continue
		}
		added += m.add(msg, meID, meName)
		// Whatever comes with a number while a room shows was said there
		// or after: nothing said there before it is unread.
		m.rm.cur.seen = max(m.rm.cur.seen, msg.Seq)
		switch msg.Kind {
		case room.KindJoin, room.KindLeave, room.KindNick, room.KindOp, room.KindKick, room.KindBan,
			room.KindBreakout, room.KindGather, room.KindHand, room.KindFloor,
			room.KindQuestion, room.KindQueue, room.KindUpvote, room.KindAnswer, room.KindDismiss:
			refresh = true
		case room.KindTopic:
			m.topic = room.Sanitize(msg.Text)
		}
	}
	if moved {
		m.lookAtRooms(true) // the room left may have news, the one entered has none
	}
	if polled {
		m.lookAtPoll()
	}
	if m.offset > 0 {
		// Keep the rows being read in place while the newest pile up below.
		m.offset = max(0, min(m.offset+added, m.maxOffset())) // a line of joins may wrap shorter
		m.unread += len(msgs)
	}
	if refresh {
		m.refreshMembers()
	}
}

// add renders msg once, into the scrollback, and returns how many rows the
// scrollback grew by. A mention is decided now, against the name the member
// has now.
func (m *model) add(msg *room.Message, meID uint64, meName string) int {
	if msg.Kind == room.KindJoin || msg.Kind == room.KindLeave {
		if n, ok := m.gatherMore(msg); ok {
			return n
		}
	}
	e := item{msg: msg} // the caller's: a rendering keeps a copy, or the server's
	if !msg.Kind.System() && msg.SenderID != meID {
		e.mention = room.Mentions(msg.Text, meName)
	}
	return m.paintEntry(e)
}

// gatheredNames is how many names a line of joins or leaves shows before
// "and N others".
const gatheredNames = 3

// gatherMore adds a join to the line of joins just above it, or a leave to
// the line of leaves, in the same minute: a class of 500 arriving, or
// leaving at the bell, is a few lines, not 500, on every screen (and in
// each screen's memory).
func (m *model) gatherMore(msg *room.Message) (int, bool) {
	sb := &m.sb
	if sb.entries.n == 0 {
		return 0, false
	}
	last := sb.entries.at(sb.entries.n - 1)
	if last.r.msg.Kind != msg.Kind || last.r.msg.At.Unix()/60 != msg.At.Unix()/60 || last.rows() > sb.n {
		return 0, false
	}
	e := last.item()
	g := gathered{names: []string{e.msg.From}, count: 1 + e.msg.Others}
	if e.gather != nil {
		// A new line each time: the one kept is never written.
		g = gathered{names: append([]string(nil), e.gather.names...), count: e.gather.count}
	}
	if len(g.names) < gatheredNames {
		g.names = append(g.names, msg.From)
	}
	g.count += 1 + msg.Others // a member's outbox may have gathered a storm already
	e.gather = &g
	was := last.rows()
	sb.pop()
	return m.paintEntry(e) - was, true
}

func (m *model) paintEntry(e item) int {
	r := m.paint.render(e, m.cfg.Member.ID(), m.areaW)
	m.sb.add(entry{r})
	return len(r.rows)
}

// layout is the size the screen is laid out for: never below the minimum,
// so that tiny or unknown sizes cannot break the arithmetic.
func (m *model) layout() (w, h int) { return max(m.width, minWidth), max(m.height, minHeight) }
func (m *model) sidebar() bool      { return m.width >= sidebarMin }
func (m *model) areaHeight() int    { _, h := m.layout(); return h - 2 }
func (m *model) maxOffset() int     { return max(0, m.sb.n-m.areaHeight()+m.pinnedRows()) }
func (m *model) page() int          { return max(1, m.areaHeight()-1) }

func (m *model) setSize(w, h int) {
	m.width, m.height = max(w, 0), max(h, 0)
	lw, _ := m.layout()
	m.ti.Width = max(1, lw-ansi.StringWidth(m.ti.Prompt)-1)
	areaW := lw
	if m.sidebar() {
		areaW -= sidebarWidth + 1 // a blank column keeps text off the separator
	}
	if areaW != m.areaW {
		m.areaW = areaW
		m.rerender()
	}
	m.offset = min(m.offset, m.maxOffset())
	if m.areaHeight() > len(m.members) && m.count > len(m.members) {
		m.refreshMembers() // taller: more of the list shows
	} else {
		m.buildSidebar()
	}
}

// rerender redraws every kept message at the current width: only a change
// of width gets here, never a new message.
func (m *model) rerender() {
	entries := m.sb.entries
	m.sb.reset()
	for i := range entries.n {
		m.paintEntry(entries.at(i).item())
	}
}

// refreshMembers keeps the member count and only the members the list can
// show: in a room of 500, each screen holding everyone would cost the
// server 500 × 500 entries. Tab completion asks the room when pressed.
func (m *model) refreshMembers() {
	head, count := m.cfg.Head(m.areaHeight())
	m.members, m.count = append(m.members[:0], head...), count
	m.hands = m.cfg.Hands()
	m.questions, m.openQuestions = m.cfg.Asked(questionsListed)
	m.buildSidebar()
}

func (m *model) buildSidebar() {
	m.side = m.side[:0]
	m.rm.listed = false
	if !m.sidebar() {
		return
	}
	rows := m.areaHeight()
	m.sideBlank = line{m.st.sep.Render("│"), 1}
	sep := m.sideBlank.s + " "
	m.sideSep = sep
	text := sidebarWidth - 2
	row := func(s string, st ink) line { return line{sep + st.Render(s), 2 + ansi.StringWidth(s)} }
	rows -= m.pollRows(rows, row)
	rows -= m.roomRows(rows, row)
	rows -= m.questionRows(rows, row)
	m.side = append(m.side, row(ansi.Truncate(m.wd.membersHeader(), text, ""), m.st.sideHead))
	shown := m.members
	if m.count > rows-1 { // the last row says how many more
		shown = shown[:min(len(shown), max(rows-2, 0))]
	}
	me := m.cfg.Member.Name()
	for _, mi := range shown {
		label := room.Sanitize(mi.Name)
		if mi.Op { // operators are marked, as in IRC
			label = "@" + label
		}
		if mi.Hand {
			label = m.handMark() + label
		}
		name := ansi.Truncate(label, text, "…")
		style := m.st.name(mi.Name) // the colour its messages have
		if strings.EqualFold(mi.Name, me) {
			style = m.st.own
		}
		m.side = append(m.side, row(name, style))
	}
	if more := m.count - len(shown); more > 0 {
		m.side = append(m.side, row(m.wd.more(more), m.st.sep))
	}
}

func (m *model) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if k.Paste {
		m.paste(string(k.Runes))
		return m, nil
	}
	if k.Type != tea.KeyTab && k.Type != tea.KeyShiftTab {
		m.comp = completion{}
	}
	switch k.Type {
	case tea.KeyCtrlC:
		m.cfg.Leave(room.ReasonQuit) // at once, ahead of any line held back
		return m, tea.Quit
	case tea.KeyCtrlN:
		m.toRoom(1)
		return m, nil
	case tea.KeyCtrlP:
		m.toRoom(-1)
		return m, nil
	case tea.KeyEnter:
		m.send()
		return m, nil
	case tea.KeyUp:
		m.recall(-1)
		return m, nil
	case tea.KeyDown:
		m.recall(1)
		return m, nil
	case tea.KeyTab:
		m.complete(1)
		return m, nil
	case tea.KeyShiftTab:
		m.complete(-1)
		return m, nil
	case tea.KeyPgUp:
		m.scroll(m.page())
		return m, nil
	case tea.KeyPgDown:
		m.scroll(-m.page())
		return m, nil
	case tea.KeyEnd:
		m.scroll(-m.offset) // and the input's cursor goes to the end too
	}
	// bubbletea gives every program the same slice for a space's runes
	// (key.go, spaceRunes), and the text input's sanitiser writes its
	// result in place: screens typing spaces at once would race on it.
	k.Runes = slices.Clone(k.Runes)
	var cmd tea.Cmd
	m.ti, cmd = m.ti.Update(k)
	return m, cmd
}

func (m *model) send() {
	v := m.ti.Value()
	m.ti.Reset()
	m.histIdx, m.draft = len(m.sent), ""
	if strings.TrimSpace(v) == "" {
		return
	}
	if n := len(m.sent); n == 0 || m.sent[n-1] != v {
		if n == maxSent {
			m.sent = append(m.sent[:0], m.sent[1:]...)
		}
		m.sent = append(m.sent, v)
	}
	m.histIdx = len(m.sent)
	// Whoever speaks wants to see the answer.
	m.scroll(-m.offset)
	m.cfg.Send(v)
}

// paste takes a bracketed paste as it came: each line of it is a message
// (the hub cleans and splits them as it does any input), and the last,
// unfinished line stays in the input to be edited. A line longer than the
// framer's bound, as on the other doors, ends the session. The complete
// lines go to the door as one text, cut into lines only as they go.
func (m *model) paste(text string) {
	if m.pasteBlock(text) {
		return
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	all := m.ti.Value() + text
	for rest := all; rest != ""; {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		if len(l) > maxPending {
			m.cfg.Leave(room.ReasonTooLong)
			return
		}
	}
	last := strings.LastIndexByte(all, '\n')
	if last >= 0 {
		m.cfg.Send(all[:last])
	}
	// SetValue cleans what it is given: the rest stays as typed text.
	m.ti.SetValue(all[last+1:])
	m.ti.CursorEnd()
}

// recall walks the input history; past the newest entry is the line that
// was being typed before the walk began.
func (m *model) recall(d int) {
	i := m.histIdx + d
	if i < 0 || i > len(m.sent) {
		return
	}
	if m.histIdx == len(m.sent) {
		m.draft = m.ti.Value()
	}
	m.histIdx = i
	if i == len(m.sent) {
		m.ti.SetValue(m.draft)
	} else {
		m.ti.SetValue(m.sent[i])
	}
	m.ti.CursorEnd()
}

// scroll moves the view d rows towards older messages (negative: newer).
func (m *model) scroll(d int) {
	m.offset = min(max(m.offset+d, 0), m.maxOffset())
	if m.offset == 0 {
		m.unread = 0
	}
}
