package main

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"palabre/internal/config"
)

// classroom runs the server for a browser test: flood control off (a
// test types faster than a student), a data directory of its own.
func classroom(t *testing.T, tune func(*config.Config)) (config.Config, map[string]net.Addr, func()) {
	t.Helper()
	cfg := defaults(t)
	cfg.DataDir, cfg.MsgRate = t.TempDir(), 0
	if tune != nil {
		tune(&cfg)
	}
	a, stop := serveWeb(t, cfg)
	return cfg, a, stop
}

// enter opens the page at url and enters the room with the keyboard:
// Enter in the name field.
func (tb *tab) enter(url string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#name")), chromedp.SendKeys(chromedp.CSS("#name"), kb.Enter))
	tb.waitFor("connected", `document.getElementById("state").dataset.state === "online"`)
}

// pressEnter is the Enter key as a keyboard sends it to the input line,
// which sends on its key down and takes no character: a key down and a key
// up (SendKeys' "\r" would add the character a keyboard's Enter does not
// give once its key down is handled).
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		}); err != nil {
			return err
		}
	}
	return nil
})

// say types a line in the input and sends it with Enter.
func (tb *tab) say(text string) {
	tb.t.Helper()
	tb.do(chromedp.SendKeys(chromedp.CSS("#line"), text), pressEnter)
	tb.waitFor("the input emptied", `document.getElementById("line").value === ""`)
}

// waitLine waits for a line of the log holding text.
func (tb *tab) waitLine(text string) {
	tb.t.Helper()
	tb.waitFor("a line with "+text, `[...document.querySelectorAll("#log li")].some(li => li.textContent.includes(`+js(text)+`))`)
}

// A browser member and members at the TCP and SSH doors talk both ways;
// the page lists them with their doors, marks its own lines and its
// mentions, and runs the commands typed in it. The page loads nothing
// from elsewhere and reports no error.
func TestBrowserMemberTalksWithTCPAndSSH(t *testing.T) {
	_, a, _ := classroom(t, nil)
	origin := "http://" + a["http"].String()
	tb := openTab(t)
	tb.enter(origin + "/?name=ana")
	if got := eval[string](tb, `localStorage.getItem("palabre.name")`); got != "ana" {
		t.Errorf("the name kept for next time is %q", got)
	}

	tcpM := joinTCP(t, a["tcp"].String())
	sshIn, sshM := sshLines(t, a["ssh"].String(), "sam")
	tb.waitFor("three members listed with their doors", `(() => {
		const got = [...document.querySelectorAll("#members li")].map(li => li.firstChild.textContent + "/" + li.querySelector(".door").textContent);
		return ["ana/web", "Thread-1/tcp", "sam/ssh"].every(x => got.includes(x)) && document.getElementById("count").textContent === "(3)";
	})()`)

	io.WriteString(tcpM.nc, "hello from tcp\n")
	tb.waitFor("the TCP line, with its sender and time", `[...document.querySelectorAll("#log li.chat")].some(li =>
		li.querySelector(".from").textContent === "Thread-1" && li.querySelector(".text").textContent === "hello from tcp" && li.querySelector("time"))`)
	io.WriteString(sshIn, "hello from ssh\n")
	tb.waitFor("the SSH line", `[...document.querySelectorAll("#log li.chat")].some(li => li.querySelector(".from").textContent === "sam" && li.querySelector(".text").textContent === "hello from ssh")`)

	tb.say("hi both, from the web")
	tcpM.waitFor(t, "ana> hi both, from the web")
	sshM.waitFor(t, "ana> hi both, from the web")
	tb.waitFor("its own line marked", `[...document.querySelectorAll("#log li.mine")].some(li => li.textContent.includes("hi both, from the web"))`)

	io.WriteString(tcpM.nc, "ana: a question for you\n")
	tb.waitFor("a mention marked", `[...document.querySelectorAll("#log li.mention")].some(li => li.textContent.includes("a question for you"))`)
	if n := eval[int](tb, `document.querySelectorAll("#log li.mention").length`); n != 1 {
		t.Errorf("%d lines marked as mentions, want 1", n)
	}

	// Commands, typed in the page as in the other doors.
	tb.say("/me waves")
	waitContaining(t, tcpM, "ana waves")
	tb.say("/who")
	tb.waitFor("the /who reply", `[...document.querySelectorAll("#log li.system")].some(li => li.textContent.includes("sam") && li.textContent.includes("Thread-1"))`)
	tb.say("/join tp1")
	tb.waitFor("the page in #tp1", `document.getElementById("roomname").textContent === "#tp1" && document.getElementById("count").textContent === "(1)"`)
	tb.say("/join main")
	tb.waitFor("back in #main", `document.getElementById("roomname").textContent === "#main"`)

	// /quit leaves for good: the page says so, offers to enter again, and
	// does not come back by itself.
	tb.say("/quit")
	tcpM.waitFor(t, "*** ana left (quit)")
	tb.waitFor("the leave shown", `document.getElementById("state").dataset.state === "left" && !document.getElementById("join").hidden`)
	tb.do(chromedp.SendKeys(chromedp.CSS("#name"), kb.Enter))
	tcpM.waitFor(t, "*** ana joined (web)")
	tb.waitFor("in the room again", `document.getElementById("state").dataset.state === "online" && !document.getElementById("line").disabled`)
	tb.clean(origin)
}

// What a member writes is shown as text: markup in a message never becomes
// an element of the page, nor runs.
func TestBrowserShowsHostileTextAsText(t *testing.T) {
	_, a, _ := classroom(t, func(c *config.Config) { c.OpPassword = "sesame" })
	origin := "http://" + a["http"].String()
	tb := openTab(t)
	tb.enter(origin + "/?name=ana")
	tcpM := joinTCP(t, a["tcp"].String())
	hostile := []string{
		`<img src=x onerror="window.pwned=1">`,
		`<script>window.pwned=2</script>`,
		`<a href="javascript:window.pwned=3">click</a> <b>bold</b>`,
	}
	for _, h := range hostile {
		io.WriteString(tcpM.nc, h+"\n")
	}
	io.WriteString(tcpM.nc, "/op sesame\n/topic <img src=y onerror=\"window.pwned=4\">\nthe end\n")
	tb.waitLine("the end")
	for _, h := range hostile {
		if !eval[bool](tb, `[...document.querySelectorAll("#log li .text")].some(s => s.textContent === `+js(h)+`)`) {
			t.Errorf("%s is not shown as it was written", h)
		}
	}
	if got := eval[string](tb, `document.getElementById("topic").textContent`); got != `<img src=y onerror="window.pwned=4">` {
		t.Errorf("the topic reads %q", got)
	}
	if n := eval[int](tb, `document.querySelectorAll("body img, #log script, #log a, #log b, #topic *").length`); n != 0 {
		t.Errorf("%d elements made of a member's text", n)
	}
	if pwned := eval[bool](tb, `window.pwned !== undefined`); pwned {
		t.Errorf("a member's text ran in the page")
	}
	tb.clean(origin)
}

// flakyLink forwards connections to the server as a network does, and can
// drop them as a Wi-Fi does: the browser's side goes, the server's side
// stays open, and no new connection gets through until it is back.
type flakyLink struct {
	ln      net.Listener
	mu      sync.Mutex
	target  string
	down    bool
	browser []net.Conn
	server  []net.Conn
}

func newFlakyLink(t *testing.T, target string) *flakyLink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &flakyLink{ln: ln, target: target}
	t.Cleanup(l.close)
	go l.accept()
	return l
}

func (l *flakyLink) accept() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		down, target := l.down, l.target
		l.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		l.mu.Lock()
		l.browser, l.server = append(l.browser, c), append(l.server, s)
		l.mu.Unlock()
		go io.Copy(s, c) // neither copy closes the other side: cut decides
		go io.Copy(c, s)
	}
}

// cut drops the browser's connections and refuses new ones.
func (l *flakyLink) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = true
	for _, c := range l.browser {
		c.Close()
	}
	l.browser = nil
}

// restore lets connections through again, to target if not "".
func (l *flakyLink) restore(target string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = false
	if target != "" {
		l.target = target
	}
}

func (l *flakyLink) close() {
	l.ln.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range append(l.browser, l.server...) {
		c.Close()
	}
}

// The page comes back by itself, showing its state meanwhile: after a
// drop the server had not noticed (under its own name, not beside its
// ghost, with what was said meanwhile), and after the server restarted.
func TestBrowserReconnects(t *testing.T) {
	cfg, a, stop := classroom(t, nil)
	link := newFlakyLink(t, a["http"].String())
	origin := "http://" + link.ln.Addr().String()
	tb := openTab(t)
	tb.enter(origin + "/?name=ana")
	tcpM := joinTCP(t, a["tcp"].String())
	io.WriteString(tcpM.nc, "before the drop\n")
	tb.waitLine("before the drop")

	link.cut()
	tb.waitFor("the drop shown", `document.getElementById("state").dataset.state === "offline" && document.getElementById("state").textContent !== ""`)
	io.WriteString(tcpM.nc, "said while away 1\nsaid while away 2\n")
	link.restore("")
	tb.waitFor("connected again", `document.getElementById("state").dataset.state === "online"`)
	tb.waitLine("While you were away (2)")
	tb.waitLine("said while away 2")
	tb.waitFor("the same name, its ghost gone", `(() => {
		const names = [...document.querySelectorAll("#members li")].map(li => li.firstChild.textContent);
		return names.includes("ana") && !names.includes("ana-2") && names.length === 2;
	})()`)
	tb.say("back")
	tcpM.waitFor(t, "ana> back")

	// The server restarts (on new ports: the link follows it).
	stop()
	tb.waitFor("the restart shown", `document.getElementById("state").dataset.state === "offline"`)
	a2, _ := serveAt(t, withLoopback(cfg))
	link.restore(a2["http"].String())
	tb.waitFor("connected after the restart", `document.getElementById("state").dataset.state === "online"`)
	tb.waitLine("Back: nothing missed")
	tcp2 := joinTCP(t, a2["tcp"].String())
	io.WriteString(tcp2.nc, "after the restart\n")
	tb.waitLine("after the restart")
	if n := eval[int](tb, `[...document.querySelectorAll("#log li")].filter(li => li.textContent.includes("before the drop")).length`); n != 1 {
		t.Errorf("%q shown %d times, want once", "before the drop", n)
	}
	if got := eval[string](tb, `[...document.querySelectorAll("#members li")].map(li => li.firstChild.textContent).join(",")`); got != "ana,Thread-2" {
		t.Errorf("members after the restart: %s", got)
	}
	// The browser says so of each try while the link or the server is down.
	tb.clean(origin, "WebSocket connection to 'ws://"+link.ln.Addr().String()+"/ws' failed")
}

func withLoopback(cfg config.Config) config.Config {
	cfg.TCPAddr, cfg.SSHAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	return cfg
}

// On a 360 px phone the page fits: no sideways scrolling, even for a long
// word or a wide block; the messages, the members, then the input, all on
// the screen; text large enough not to zoom. Wider, the members go beside
// the messages. Set PALABRE_TEST_SCREENSHOTS to a directory to keep the
// screenshots.
func TestBrowserOnANarrowPhone(t *testing.T) {
	_, a, _ := classroom(t, nil)
	origin := "http://" + a["http"].String()
	tb := openTab(t)
	tb.do(chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	tb.enter(origin + "/?name=ana")
	tcpM := joinTCP(t, a["tcp"].String())
	long := strings.Repeat("x", 300)
	io.WriteString(tcpM.nc, long+"\n```go\n"+strings.Repeat("wide ", 60)+"\n```\n")
	tb.waitLine(long)
	tb.waitFor("the block, without its fences", `[...document.querySelectorAll("#log li.block")].some(li =>
		li.querySelector(".syntax").textContent === "(go)" && li.querySelector("pre").textContent === `+js(strings.TrimSpace(strings.Repeat("wide ", 60)))+`)`)

	type box struct{ Top, Bottom, Left, Right, Width float64 }
	layout := func() map[string]box {
		return eval[map[string]box](tb, `(() => {
			const out = {};
			for (const [k, sel] of Object.entries({log: "#log", members: "aside", line: "#line", say: "#say"})) {
				const r = document.querySelector(sel).getBoundingClientRect();
				out[k] = {Top: r.top, Bottom: r.bottom, Left: r.left, Right: r.right, Width: r.width};
			}
			out.page = {Right: document.documentElement.scrollWidth, Bottom: innerHeight, Width: innerWidth};
			return out;
		})()`)
	}
	l := layout()
	if l["page"].Right > 360 {
		t.Errorf("the page is %v px wide on a 360 px screen: it scrolls sideways", l["page"].Right)
	}
	if !(l["log"].Top < l["members"].Top && l["members"].Top < l["say"].Top) {
		t.Errorf("not messages, members, then input from the top: %+v", l)
	}
	if ln := l["line"]; ln.Bottom > 740 || ln.Right > 360 || ln.Width < 150 {
		t.Errorf("the input is not on the screen, or too narrow: %+v", ln)
	}
	if fs := eval[string](tb, `getComputedStyle(document.getElementById("line")).fontSize`); fs != "16px" {
		t.Errorf("the input's font is %s: under 16px a phone zooms in", fs)
	}
	shot := tb.screenshot("narrow")
	if cfg, err := png.DecodeConfig(bytes.NewReader(shot)); err != nil || cfg.Width != 360 {
		t.Errorf("the screenshot is %d px wide (%v), want 360", cfg.Width, err)
	}

	tb.do(chromedp.EmulateViewport(1024, 700))
	l = layout()
	if !(l["members"].Left >= l["log"].Right-1 && l["members"].Top < l["say"].Top) {
		t.Errorf("at 1024 px the members are not beside the messages: %+v", l)
	}
	tb.screenshot("wide")
	tb.clean(origin)
}

// screenshot takes the screen, kept under PALABRE_TEST_SCREENSHOTS if set.
func (tb *tab) screenshot(name string) []byte {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, patience)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatal(err)
	}
	if dir := os.Getenv("PALABRE_TEST_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, tb.t.Name()+"-"+name+".png"), shot, 0o644); err != nil {
			tb.t.Error(err)
		}
	}
	return shot
}

// The page speaks the browser's language when it is one of the two, the
// server's otherwise; the server's words to the member follow it.
func TestBrowserLanguage(t *testing.T) {
	for _, tc := range []struct {
		server, accept, want, label, moved string
	}{
		{"en", "fr-FR,fr;q=0.9", "fr", "Votre nom", "Vous êtes maintenant dans #tp1"},
		{"fr", "en-GB,en;q=0.8", "en", "Your name", "You are now in #tp1"},
		{"fr", "de-DE,de;q=0.9", "fr", "Votre nom", "Vous êtes maintenant dans #tp1"},
	} {
		t.Run(tc.server+"/"+tc.accept, func(t *testing.T) {
			_, a, _ := classroom(t, func(c *config.Config) { c.Lang.UnmarshalText([]byte(tc.server)) })
			origin := "http://" + a["http"].String()
			tb := openTab(t)
			tb.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": tc.accept}})
				return err
			}))
			tb.enter(origin + "/?name=ana")
			if got := eval[string](tb, `document.documentElement.lang + " " + document.querySelector("label[for=name]").textContent`); got != tc.want+" "+tc.label {
				t.Errorf("page: %q, want %q", got, tc.want+" "+tc.label)
			}
			tb.say("/join tp1")
			tb.waitLine(tc.moved)
			tb.clean(origin)
		})
	}
}

// With a room password the page asks for it; a wrong one is refused in
// words on the page, the right one lets the member in, in the room the
// address names (?room=tp1).
func TestBrowserRoomPassword(t *testing.T) {
	_, a, _ := classroom(t, func(c *config.Config) { c.Password = "tp-secret" })
	origin := "http://" + a["http"].String()
	tb := openTab(t)
	tb.do(chromedp.Navigate(origin+"/?name=ana&room=tp1"), chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#password"), "wrong"+kb.Enter))
	tb.waitFor("the refusal shown", `!document.getElementById("refusal").hidden && document.getElementById("refusal").textContent !== "" && document.getElementById("chat").hidden`)
	eval[string](tb, `document.getElementById("password").value = ""`)
	tb.do(chromedp.SendKeys(chromedp.CSS("#password"), "tp-secret"+kb.Enter))
	tb.waitFor("in the room ?room= names", `document.getElementById("state").dataset.state === "online" && !document.getElementById("chat").hidden &&
		document.getElementById("roomname").textContent === "#tp1"`)
	tb.clean(origin)
}

// A screen reader can use the page: every control has a label (or its own
// text), new messages are announced by a live region, the state is a
// status region, and the input is reached with the keyboard alone.
func TestBrowserScreenReader(t *testing.T) {
	_, a, _ := classroom(t, func(c *config.Config) { c.Password = "pw" })
	origin := "http://" + a["http"].String()
	tb := openTab(t)
	tb.do(chromedp.Navigate(origin + "/"))
	unlabelled := eval[[]string](tb, `[...document.querySelectorAll("input, textarea, button")].filter(el => {
		const label = el.id && document.querySelector("label[for='" + el.id + "']");
		return !(label && label.textContent.trim()) && !el.textContent.trim() && !el.getAttribute("aria-label");
	}).map(el => el.outerHTML)`)
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %q", unlabelled)
	}
	if got := eval[string](tb, `(l => l.getAttribute("role") + " " + l.getAttribute("aria-live") + " " + l.getAttribute("aria-label"))(document.getElementById("log"))`); got != "log polite Messages" {
		t.Errorf("the log is %q, want a polite live region labelled Messages", got)
	}
	if got := eval[string](tb, `document.getElementById("state").getAttribute("role")`); got != "status" {
		t.Errorf("the connection state's role is %q", got)
	}
	// Keyboard only: the name field has the focus; Tab goes to the password.
	if got := eval[string](tb, `document.activeElement.id`); got != "name" {
		t.Errorf("the focus starts on %q, want the name", got)
	}
	tb.do(chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("pw"+kb.Enter))
	tb.waitFor("in the room", `document.getElementById("state").dataset.state === "online"`)
	if got := eval[string](tb, `document.activeElement.id`); got != "line" {
		t.Errorf("once in, the focus is on %q, want the input line", got)
	}
	tb.clean(origin)
}
