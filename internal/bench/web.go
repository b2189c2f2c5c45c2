package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// The web door's members speak its JSON messages over a WebSocket at
// GET /ws, version 1, as the page does: a hello, then one say a message;
// the server answers a welcome, then one msg a message of the room. Any
// other type the server sends (a newer server's) is read and ignored.

// wsVersion is the version of the web door's messages the bench speaks.
const wsVersion = 1

// wsReadLimit bounds one frame from the server: a welcome carries the
// room's history, larger than the client library's default of 32 kB.
const wsReadLimit = 1 << 20

type wsHello struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	Room string `json:"room,omitempty"`
}

type wsSay struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	Text string `json:"text"`
}

// wsFrame is what the bench reads of a server's message: its type, the
// text of a msg, the room of a welcome, the reason of a bye.
type wsFrame struct {
	Type   string `json:"type"`
	Text   string `json:"text"`
	Room   string `json:"room"`
	Reason string `json:"reason"`
}

// wsWriter sends each write as one say: a write is one message and its
// line end (the bench's eol), which a say does not carry.
type wsWriter struct{ c *websocket.Conn }

func (w wsWriter) Write(p []byte) (int, error) {
	b, err := json.Marshal(wsSay{V: wsVersion, Type: "say", Text: string(bytes.TrimSuffix(p, []byte{'\n'}))})
	if err != nil {
		return 0, err
	}
	if err := w.c.Write(context.Background(), websocket.MessageText, b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// connectWeb opens a web member and waits for its welcome. It sends no
// Origin header, as a client that is not a browser does (the door lets it
// in); with rooms, the hello names the member's room, as the page's
// ?room= does, and the welcome says which room it is in.
func (r *runner) connectWeb(ctx context.Context, m *member) error {
	d := &net.Dialer{Timeout: r.cfg.ConnectTimeout}
	if m.stalled {
		d.Control = smallReadBuffer // the server feels the stall soon (see connectTCP)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}} // no proxy: loopback only
	dctx, cancel := context.WithTimeout(ctx, r.cfg.ConnectTimeout)
	defer cancel()
	c, resp, err := websocket.Dial(dctx, "ws://"+r.addr(m)+"/ws", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		if resp != nil {
			return fmt.Errorf("websocket: %w (HTTP %s)", err, resp.Status)
		}
		return fmt.Errorf("websocket: %w", err)
	}
	c.SetReadLimit(wsReadLimit)
	m.ws, m.w, m.eol = c, wsWriter{c}, '\n'
	hello := wsHello{V: wsVersion, Type: "hello"}
	if r.rooms > 1 {
		hello.Room = roomName(m.room)
	}
	b, err := json.Marshal(hello)
	if err != nil {
		return err
	}
	if err := c.Write(dctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	m.reading = true
	go r.receiveWeb(m, c)
	if err := r.wait(ctx, m, m.ready, "welcome"); err != nil {
		return err
	}
	return r.wait(ctx, m, m.moved, "move to #"+roomName(m.room))
}

// receiveWeb reads a web member's messages until its socket ends: the
// welcome first (and its room, with rooms), then the tokens in the text of
// every msg, each counted at its first sighting. A stalled member stops
// reading once welcomed.
func (r *runner) receiveWeb(m *member, c *websocket.Conn) {
	defer close(m.gone)
	var now time.Duration
	sc := newScanner(r.run, func(sender, seq int) { r.deliver(m, sender, seq, now) })
	var recent []byte
	nl := []byte{'\n'}
	ready := false
	for {
		_, b, err := c.Read(context.Background())
		if err != nil {
			if ready && !r.closing.Load() {
				m.tail = recent
				m.lostIn.Store(r.phase.Load())
				m.dropped.Store(true)
			}
			return
		}
		now = r.since()
		// A frame holds one message or several, one a line.
		for line := range bytes.SplitSeq(b, nl) {
			var f wsFrame
			if len(line) == 0 || json.Unmarshal(line, &f) != nil {
				continue
			}
			switch f.Type {
			case "welcome":
				if ready {
					continue
				}
				ready = true
				close(m.ready)
				if r.rooms > 1 && f.Room != roomName(m.room) {
					fmt.Fprintf(&m.last, "welcomed in #%s, not #%s\n", f.Room, roomName(m.room))
					return // m.moved stays open: the wait fails at once, and says why
				}
				close(m.moved)
				if m.stalled {
					return // never reads again
				}
			case "msg":
				t := []byte(f.Text)
				sc.feed(t)
				sc.feed(nl) // a message ends with its line: no token runs on into the next
				recent = keepEnd(keepEnd(recent, t, 256), nl, 256)
			case "bye":
				fmt.Fprintf(&m.last, "%s\n", f.Reason)
				recent = keepEnd(recent, []byte("*** "+f.Reason+"\n"), 256)
			}
		}
	}
}

// webHungUp reports whether the server has closed a stalled web member's
// socket: reading what it left unread, the socket ends within patience.
func webHungUp(c *websocket.Conn, patience time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded)
		}
	}
}
