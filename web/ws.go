package web

import (
	"context"
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
	// LastWeb is the last Web number a previous run gave (the store's
	// State.Numbers["web-"]): numbering goes on after it.
	LastWeb uint64
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
	ms := &members{MemberDoor: d, s: s, quit: make(chan struct{}), conns: map[*websocket.Conn]struct{}{}}
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
}

// wireMsg is one message of the room, as the page reads it. System holds
// the server's own wording of a system event, so the page needs none.
type wireMsg struct {
	V      int    `json:"v"`
	Type   string `json:"type"`
	Kind   string `json:"kind"`
	Seq    uint64 `json:"seq,omitempty"`
	At     string `json:"at,omitempty"`
	Room   string `json:"room,omitempty"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Text   string `json:"text,omitempty"`
	Mine   bool   `json:"mine,omitempty"`
	System string `json:"system,omitempty"`
}

type welcomeMsg struct {
	V       int       `json:"v"`
	Type    string    `json:"type"`
	Name    string    `json:"name"`
	Room    string    `json:"room"`
	History []wireMsg `json:"history"`
}

type byeMsg struct {
	V      int    `json:"v"`
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

func (ms *members) wire(self uint64, m *room.Message) wireMsg {
	w := wireMsg{V: Version, Type: "msg", Kind: m.Kind.String(), Seq: m.Seq, Room: m.Room, From: m.From, Text: m.Text, Mine: m.SenderID == self && self != 0}
	if !m.At.IsZero() {
		w.At = m.At.UTC().Format(time.RFC3339)
	}
	switch m.Kind {
	case room.KindChat, room.KindAction, room.KindBlock:
	case room.KindPrivate:
		w.To = m.To
	default:
		w.System = ms.Lang.Describe(*m)
	}
	return w
}

// remoteAddr is the client's address for limits and bans: the peer of the
// connection (no X-Forwarded-For: PALABRE_TRUSTED_PROXIES is not here yet).
func remoteAddr(r *http.Request) net.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return &net.TCPAddr{}
	}
	return net.TCPAddrFromAddrPort(ap)
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
	addr := remoteAddr(r)
	release, err := ms.Limits.Admit(addr)
	if err != nil {
		log.Info("connection refused", "addr", r.RemoteAddr, "why", err.Error())
		ms.refuse(c, ms.Lang.Refusal(connlimit.Refusal(err)))
		return
	}
	defer release()

	hello, ok := ms.hello(c, addr, log)
	if !ok {
		return
	}
	name, generated := hello.Name, false
	if strings.TrimSpace(name) == "" {
		name, generated = fmt.Sprintf("Web-%d", ms.webs.Add(1)), true
	}
	m, history, err := ms.s.opts.Hub.Join(room.JoinRequest{Name: name, Generated: generated, Door: room.DoorWeb, Addr: addr.String(), Room: hello.Room})
	if err != nil {
		ms.refuse(c, ms.Lang.RefusalOf(err))
		return
	}
	wm := &wsMember{ms: ms, c: c, m: m}
	done := make(chan struct{})
	go func() {
		defer close(done)
		wm.deliver(history)
	}()
	reason := wm.read()
	ms.s.opts.Hub.Leave(m, reason) // no-op if the hub or the writer removed it first
	<-done
}

// hello reads the first message, with the room password if there is one.
func (ms *members) hello(c *websocket.Conn, addr net.Addr, log *slog.Logger) (clientMsg, bool) {
	if ms.KeysOnly && ms.Password == "" {
		ms.refuse(c, ms.Lang.Refusal(room.RefusedNoPassword))
		return clientMsg{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), helloTimeout)
	defer cancel()
	var h clientMsg
	typ, b, err := c.Read(ctx)
	if err != nil {
		c.CloseNow()
		return h, false
	}
	if typ != websocket.MessageText || json.Unmarshal(b, &h) != nil || h.V != Version || h.Type != "hello" {
		c.Close(websocket.StatusPolicyViolation, "expected {\"v\":1,\"type\":\"hello\"}")
		return h, false
	}
	if ms.Password == "" {
		return h, true
	}
	if refusal := ms.Passwords.Answer(addr, h.Password, ms.Password, ms.quit, ms.Lang, log); refusal != "" {
		ms.refuse(c, refusal)
		return h, false
	}
	return h, true
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
	ms *members
	c  *websocket.Conn
	m  *room.Member
}

// deliver sends the welcome and the history, then the outbox as it fills,
// one frame a message, until the member leaves; then a bye and the close.
// A write that takes longer than WriteTimeout drops the member as too slow.
func (wm *wsMember) deliver(history []room.Message) {
	ms, m := wm.ms, wm.m
	write := func(v any) error {
		ctx, cancel := context.WithTimeout(context.Background(), ms.WriteTimeout)
		defer cancel()
		return ms.send(ctx, wm.c, v)
	}
	hist := make([]wireMsg, 0, len(history))
	for i := range history {
		hist = append(hist, ms.wire(m.ID(), &history[i]))
	}
	if err := write(welcomeMsg{V: Version, Type: "welcome", Name: m.Name(), Room: m.Room().Name(), History: hist}); err != nil {
		wm.failed(err)
		return
	}
	var batch []room.Message
	for {
		var left bool
		batch, left = m.Next(batch[:0])
		for i := range batch {
			if err := write(ms.wire(m.ID(), &batch[i])); err != nil {
				if !left {
					wm.failed(err)
				} else {
					wm.c.CloseNow()
				}
				return
			}
		}
		if left {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			reason := ms.Lang.Reason(m.Reason())
			_ = ms.send(ctx, wm.c, byeMsg{V: Version, Type: "bye", Reason: reason})
			cancel()
			wm.c.Close(websocket.StatusNormalClosure, room.Clip(reason, 100))
			return
		}
	}
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
