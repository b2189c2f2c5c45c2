package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"palabre/internal/connerr"
	"palabre/internal/connlimit"
	"palabre/internal/lineproto"
	"palabre/room"
)

// Version is the version of the JSON messages on /ws; every message carries it.
const Version = 1

// Defaults for the MemberDoor's fields left at zero.
const (
	DefaultWriteTimeout    = 10 * time.Second
	DefaultMaxMessageBytes = 1024
	helloTimeout           = 2 * time.Minute // as long as the TCP door waits for the password
	frameSlack             = 1024            // a frame's JSON around its text
)

// MemberDoor configures the WebSocket door at GET /ws: members of the room
// like those of the other doors, with the same limits.
type MemberDoor struct {
	Lang         room.Lang
	WriteTimeout time.Duration // a write taking longer drops the member (too slow)
	// MaxMessageBytes is the size of one message for flood control: a
	// longer line is paced as several (as on the TCP door).
	MaxMessageBytes int
	// ReadLimit bounds one frame from a client; 0: enough for a block
	// (the hub's MaxBlockBytes) or a long line, escaped, and the JSON around.
	ReadLimit int64
	// Origins are the hosts, besides the request's own, whose pages may
	// open the socket (PALABRE_HTTP_ORIGINS; patterns as path.Match).
	Origins   []string
	Limits    *connlimit.Limiter      // shared with the other doors; nil: none
	Password  string                  // the room password, asked in hello
	Passwords *connlimit.PasswordGate // shared with the other doors; nil: one of its own
	KeysOnly  bool                    // no password and only known SSH keys: the web door is closed
	// TrustedProxies are the reverse proxies whose X-Forwarded-For gives
	// the browser's address (PALABRE_TRUSTED_PROXIES); nil: none.
	TrustedProxies []netip.Prefix
	// LastWeb is the last Web number a previous run gave (the store's
	// State.Numbers["web-"]): numbering goes on after it.
	LastWeb uint64
	// Numbers, when set, gives the Web numbers instead of the door's own
	// count: a cluster's, shared by its nodes. An error falls back to it.
	Numbers func() (uint64, error)
}

// members is the running state of the member door.
type members struct {
	MemberDoor
	s       *Server
	webs    atomic.Uint64 // Web-1, Web-2, … in order of arrival
	written atomic.Uint64
	quit    chan struct{} // closed by Shutdown: a password check waiting its turn gives up
	mu      sync.Mutex
	conns   map[*websocket.Conn]struct{}
	resumes map[string]*room.Member // a live member by its resume token
	closing bool
	wg      sync.WaitGroup
}

func newMembers(s *Server, d MemberDoor) *members {
	if d.WriteTimeout <= 0 {
		d.WriteTimeout = DefaultWriteTimeout
	}
	if d.MaxMessageBytes <= 0 {
		d.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if d.ReadLimit <= 0 {
		// Escaped, a character may take six bytes ("\u0001"); a long line
		// is as long as the TCP door lets one be before it cuts it off.
		d.ReadLimit = int64(max(s.opts.Hub.MaxBlockBytes(), 16<<10))*2 + frameSlack
	}
	if d.Limits == nil {
		d.Limits = &connlimit.Limiter{}
	}
	if d.Passwords == nil {
		d.Passwords = &connlimit.PasswordGate{}
	}
	ms := &members{MemberDoor: d, s: s, quit: make(chan struct{}), conns: map[*websocket.Conn]struct{}{}, resumes: map[string]*room.Member{}}
	ms.webs.Store(d.LastWeb)
	return ms
}

// clientMsg is what a client sends: hello first, then say.
type clientMsg struct {
	V        int    `json:"v"`
	Type     string `json:"type"`
	Name     string `json:"name,omitempty"`
	Room     string `json:"room,omitempty"`
	Password string `json:"password,omitempty"`
	Text     string `json:"text,omitempty"`
	// Lang is the page's language ("en", "fr"): the server's words to
	// this member (system messages, refusals) are in it; "": the door's.
	Lang string `json:"lang,omitempty"`
	// Resume is the token of this tab's previous member (its welcome's):
	// if that member is still here, its socket lost but not yet noticed,
	// it goes, so that the page comes back under its own name.
	Resume string `json:"resume,omitempty"`
}

// wireMsg is one message of the room, as the page reads it. System holds
// the server's own wording of a system event, so the page needs none.
type wireMsg struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	Kind string `json:"kind"`
	Seq  uint64 `json:"seq,omitempty"`
	At   string `json:"at,omitempty"`
	Room string `json:"room,omitempty"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	Text string `json:"text,omitempty"`
	Mine bool   `json:"mine,omitempty"`
	// Mention: the text names the reader (room.Mentions, as on a screen).
	Mention bool   `json:"mention,omitempty"`
	System  string `json:"system,omitempty"`
	// Syntax: the language a fenced block named ("```go"); its Text is
	// then the code, without the fences.
	Syntax string `json:"syntax,omitempty"`
	// History: on a move, what the reader has not seen in its new room.
	History []wireMsg `json:"history,omitempty"`
}

type welcomeMsg struct {
	V       int       `json:"v"`
	Type    string    `json:"type"`
	Name    string    `json:"name"`
	Room    string    `json:"room"`
	Lang    string    `json:"lang"`
	Resume  string    `json:"resume"` // for the next hello of this tab, after a drop
	History []wireMsg `json:"history"`
}

// roomMsg is the member's room as the page shows it beside the messages:
// sent after the welcome and after each batch that changed it.
type roomMsg struct {
	V       int          `json:"v"`
	Type    string       `json:"type"`
	Room    string       `json:"room"`
	Topic   string       `json:"topic"`
	Members []memberInfo `json:"members"` // the first RosterSize
	Count   int          `json:"count"`
}

type memberInfo struct {
	Name string `json:"name"`
	Door string `json:"door"`
	Op   bool   `json:"op,omitempty"`
	Hand bool   `json:"hand,omitempty"`
}

// RosterSize is how many members a page lists: beyond, it shows the count.
const RosterSize = 200

type byeMsg struct {
	V      int    `json:"v"`
	Type   string `json:"type"`
	Reason string `json:"reason"`
	// Code is why a member left (room.Reason's name: "quit", "kicked",
	// "banned", "server shutdown", …), for the page to decide whether to
	// come back by itself; "": refused before it entered.
	Code string `json:"code,omitempty"`
}

func (wm *wsMember) wire(m *room.Message) wireMsg {
	self := wm.m.ID()
	w := wireMsg{V: Version, Type: "msg", Kind: m.Kind.String(), Seq: m.Seq, Room: m.Room, From: m.From, Text: m.Text, Mine: m.SenderID == self}
	if !m.At.IsZero() {
		w.At = m.At.UTC().Format(time.RFC3339)
	}
	switch m.Kind {
	case room.KindChat, room.KindAction, room.KindBlock:
		w.Mention = !w.Mine && room.Mentions(m.Text, wm.m.Name())
		if lang, code, fenced := room.Fenced(m.Text); m.Kind == room.KindBlock && fenced {
			w.Text, w.Syntax = code, lang // the code, as the screen shows it
		}
	case room.KindPrivate:
		w.To = m.To
	default:
		w.System = wm.lang.Describe(*m)
		for i := range m.History {
			w.History = append(w.History, wm.wire(&m.History[i]))
		}
	}
	return w
}

func (ms *members) track(c *websocket.Conn) bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.closing {
		return false
	}
	ms.conns[c] = struct{}{}
	ms.wg.Add(1)
	return true
}

func (ms *members) untrack(c *websocket.Conn) {
	ms.mu.Lock()
	delete(ms.conns, c)
	ms.mu.Unlock()
	ms.wg.Done()
}

// ServeHTTP upgrades GET /ws and runs the member until it leaves.
func (ms *members) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := ms.s.opts.Logger.With("door", room.DoorWeb)
	// The server's request timeouts end with the request: net/http clears
	// a connection's deadlines as it is hijacked (TestWebMemberOutlivesThe
	// HTTPTimeouts). The member's socket has its own bounds: the read
	// limit, flood control and the writer's timeout.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: ms.Origins})
	if err != nil {
		log.Info("websocket refused", "addr", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return // Accept has answered (403 for a foreign origin)
	}
	if !ms.track(c) {
		c.Close(websocket.StatusGoingAway, ms.Lang.Refusal(room.RefusedShutdown))
		return
	}
	defer ms.untrack(c)
	c.SetReadLimit(ms.ReadLimit)
	addr := clientAddr(r, ms.TrustedProxies)
	release, err := ms.Limits.Admit(addr)
	if err != nil {
		log.Info("connection refused", "addr", addr.String(), "peer", r.RemoteAddr, "why", err.Error())
		ms.refuse(c, ms.Lang.Refusal(connlimit.Refusal(err)))
		return
	}
	defer release()

	hello, lang, ok := ms.hello(c, addr, log)
	if !ok {
		return
	}
	resume := hello.Resume
	if ms.dropGhost(resume) {
		resume = "" // its ghost was here, and is gone
	}
	name, generated := hello.Name, false
	if strings.TrimSpace(name) == "" {
		name, generated = fmt.Sprintf("Web-%d", ms.nextWeb(log)), true
	}
	// Echo: the page shows its own lines as the room has them (numbered, in
	// the room's order), not as it sent them.
	// A cluster's other node may hold the page's ghost (a load balancer
	// sent it elsewhere this time): the token tells the hub it may take
	// the name back (JoinRequest.Resume).
	token := rand.Text()
	m, history, err := ms.s.opts.Hub.Join(room.JoinRequest{Name: name, Generated: generated, Door: room.DoorWeb, Addr: addr.String(), Room: hello.Room, Echo: true,
		Token: token, Resume: resume})
	if err != nil {
		ms.refuse(c, lang.RefusalOf(err))
		return
	}
	wm := &wsMember{ms: ms, c: c, m: m, lang: lang, resume: ms.resumable(m, token)}
	defer ms.forget(wm.resume)
	done := make(chan struct{})
	go func() {
		defer close(done)
		wm.deliver(history)
	}()
	reason := wm.read()
	ms.s.opts.Hub.Leave(m, reason) // no-op if the hub or the writer removed it first
	<-done
}

// hello reads the first message, with the room password if there is one,
// and the language the member reads.
func (ms *members) hello(c *websocket.Conn, addr net.Addr, log *slog.Logger) (clientMsg, room.Lang, bool) {
	if ms.KeysOnly && ms.Password == "" {
		ms.refuse(c, ms.Lang.Refusal(room.RefusedNoPassword))
		return clientMsg{}, ms.Lang, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), helloTimeout)
	defer cancel()
	var h clientMsg
	typ, b, err := c.Read(ctx)
	if err != nil {
		c.CloseNow()
		return h, ms.Lang, false
	}
	if typ != websocket.MessageText || json.Unmarshal(b, &h) != nil || h.V != Version || h.Type != "hello" {
		c.Close(websocket.StatusPolicyViolation, "expected {\"v\":1,\"type\":\"hello\"}")
		return h, ms.Lang, false
	}
	lang := ms.Lang
	if err := lang.UnmarshalText([]byte(h.Lang)); err != nil {
		lang = ms.Lang // none, or one we do not speak
	}
	if ms.Password == "" {
		return h, lang, true
	}
	if refusal := ms.Passwords.Answer(addr, h.Password, ms.Password, ms.quit, lang, log); refusal != "" {
		ms.refuse(c, refusal)
		return h, lang, false
	}
	return h, lang, true
}

// refuse says why in a bye and closes.
func (ms *members) refuse(c *websocket.Conn, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ms.send(ctx, c, byeMsg{V: Version, Type: "bye", Reason: reason})
	c.Close(websocket.StatusPolicyViolation, room.Clip(reason, 100))
}

func (ms *members) send(ctx context.Context, c *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return ms.write(ctx, c, b)
}

// write writes one frame within ctx, and counts its bytes for metrics.
func (ms *members) write(ctx context.Context, c *websocket.Conn, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		return err
	}
	ms.written.Add(uint64(len(b)))
	return nil
}

// shutdown stops new sockets, and closes those still open when ctx ends.
func (ms *members) shutdown(ctx context.Context) error {
	ms.mu.Lock()
	if !ms.closing {
		close(ms.quit)
	}
	ms.closing = true
	ms.mu.Unlock()
	done := make(chan struct{})
	go func() {
		ms.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	ms.mu.Lock()
	for c := range ms.conns {
		c.CloseNow()
	}
	ms.mu.Unlock()
	<-done
	return ctx.Err()
}

// wsMember is one web member: this reader, and a writer (deliver).
type wsMember struct {
	ms     *members
	c      *websocket.Conn
	m      *room.Member
	lang   room.Lang
	resume string
}

// deliver sends the welcome and the history, then the outbox as it fills,
// one frame a message, until the member leaves; then a bye and the close.
// A write that takes longer than WriteTimeout drops the member as too slow.
func (wm *wsMember) deliver(history []room.Message) {
	ms, m := wm.ms, wm.m
	hist := make([]wireMsg, 0, len(history))
	for i := range history {
		hist = append(hist, wm.wire(&history[i]))
	}
	welcome := welcomeMsg{V: Version, Type: "welcome", Name: m.Name(), Room: m.Room().Name(), Lang: string(wm.lang), Resume: wm.resume, History: hist}
	err := wm.writeOne(welcome)
	if err == nil {
		err = wm.writeOne(wm.roster())
	}
	if err != nil {
		wm.failed(err)
		return
	}
	var batch []room.Message
	var frame bytes.Buffer
	enc := json.NewEncoder(&frame) // one object a line
	for {
		var left bool
		batch, left = m.Next(batch[:0])
		// What waited is one frame, one write: a member behind by a burst
		// costs a system call, not one per message. Large, it is cut.
		frame.Reset()
		reshaped := false
		for i := range batch {
			reshaped = reshaped || batch[i].Kind.Reshapes()
			_ = enc.Encode(wm.wire(&batch[i]))
			if frame.Len() >= maxFrame {
				if err := wm.writeFrame(frame.Bytes()); err != nil {
					wm.stop(err, left)
					return
				}
				frame.Reset()
			}
		}
		// Once a batch: a join storm costs a roster per batch, not per join.
		if reshaped && !left {
			_ = enc.Encode(wm.roster())
		}
		if err := wm.writeFrame(frame.Bytes()); err != nil {
			wm.stop(err, left)
			return
		}
		if frame.Cap() > 4<<10 {
			frame = bytes.Buffer{} // a burst's buffer is not kept by an idle member
		}
		if left {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			reason := wm.lang.Reason(m.Reason())
			_ = ms.send(ctx, wm.c, byeMsg{V: Version, Type: "bye", Reason: reason, Code: m.Reason().String()})
			cancel()
			wm.c.Close(websocket.StatusNormalClosure, room.Clip(reason, 100))
			return
		}
	}
}

// maxFrame is where a batch's frame is cut: a member far behind is sent
// several frames, none of which a client must hold whole beyond this.
const maxFrame = 32 << 10

// writeFrame writes one frame of messages within the write timeout.
func (wm *wsMember) writeFrame(b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), wm.ms.WriteTimeout)
	defer cancel()
	return wm.ms.write(ctx, wm.c, b)
}

// writeOne writes one message as its own frame within the write timeout.
func (wm *wsMember) writeOne(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return wm.writeFrame(b)
}

// stop ends the writer on a failed write: the member is dropped for it,
// unless it had left already.
func (wm *wsMember) stop(err error, left bool) {
	if left {
		wm.c.CloseNow()
		return
	}
	wm.failed(err)
}

// roster is the member's room now, for the page's side.
func (wm *wsMember) roster() roomMsg {
	v := wm.ms.s.opts.Hub.View(wm.m, RosterSize)
	out := roomMsg{V: Version, Type: "room", Room: v.Name, Topic: v.Topic, Count: v.Count, Members: make([]memberInfo, len(v.Members))}
	for i, mi := range v.Members {
		out.Members[i] = memberInfo{Name: mi.Name, Door: string(mi.Door), Op: mi.Op, Hand: mi.Hand}
	}
	return out
}

// failed drops a member whose socket would not take a write: in time (too
// slow), or at all.
func (wm *wsMember) failed(err error) {
	r := connerr.Write(err)
	if errors.Is(err, context.DeadlineExceeded) {
		r = room.ReasonTooSlow
	}
	wm.ms.s.opts.Logger.Info("write failed; member dropped", "door", room.DoorWeb, "name", wm.m.Name(), "reason", r.String(), "err", err)
	wm.ms.s.opts.Hub.Leave(wm.m, r)
	wm.c.CloseNow()
}

// read posts each say through the same path as the other doors' lines:
// slow mode and flood control hold the reader back, so that while the
// member is paced this socket is not read and nothing it sent is lost. It
// returns the reason to leave with.
func (wm *wsMember) read() room.Reason {
	ms := wm.ms
	in := lineproto.Input{Hub: ms.s.opts.Hub, Member: wm.m, MessageBytes: ms.MaxMessageBytes}
	ctx := context.Background()
	for {
		typ, b, err := wm.c.Read(ctx)
		if err != nil {
			select {
			case <-wm.m.Done():
				return room.ReasonClosed
			default:
			}
			if errors.Is(err, websocket.ErrMessageTooBig) {
				ms.s.opts.Logger.Info("frame too long", "door", room.DoorWeb, "name", wm.m.Name())
				return room.ReasonTooLong
			}
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return room.ReasonClosed // the page closed the socket: the tab went away
			}
			return connerr.Read(err)
		}
		var msg clientMsg
		if typ != websocket.MessageText || json.Unmarshal(b, &msg) != nil || msg.V != Version || msg.Type != "say" {
			// Not ours to read (a newer page's message): ignored, not fatal,
			// but paced as a message, so that a stream of them costs a
			// client what a stream of lines would.
			if !wm.m.Pace() {
				return room.ReasonClosed
			}
			continue
		}
		var ok bool
		if strings.Contains(msg.Text, "\n") {
			ok = in.SendBlock(msg.Text)
		} else {
			ok = in.Send(msg.Text)
		}
		if !ok {
			return room.ReasonClosed
		}
	}
}

// resumable keeps m's token, which its page can name in its next hello,
// after a drop: 128 random bits, only ever written to m's own socket.
func (ms *members) resumable(m *room.Member, token string) string {
	ms.mu.Lock()
	ms.resumes[token] = m
	ms.mu.Unlock()
	return token
}

func (ms *members) forget(token string) {
	ms.mu.Lock()
	delete(ms.resumes, token)
	ms.mu.Unlock()
}

// dropGhost removes the member a resume token names, if it is still here:
// its page lost the socket and came back before the server noticed (a
// dead network is only noticed at a write's timeout or TCP's keepalive).
// Without it, the page would come back as alice-2 beside alice's ghost.
// It reports whether the ghost was here.
func (ms *members) dropGhost(token string) bool {
	if token == "" {
		return false
	}
	ms.mu.Lock()
	ghost := ms.resumes[token]
	delete(ms.resumes, token)
	ms.mu.Unlock()
	if ghost != nil {
		ms.s.opts.Hub.Leave(ghost, room.ReasonLost)
	}
	return ghost != nil
}

// nextWeb is the next nameless member's Web number.
func (ms *members) nextWeb(log *slog.Logger) uint64 {
	if ms.Numbers != nil {
		n, err := ms.Numbers()
		if err == nil {
			return n
		}
		log.Warn("the cluster gave no Web number; the door's own count goes on", "err", err)
	}
	return ms.webs.Add(1)
}
