package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium, headless, through the
// DevTools protocol. One browser serves every test of the package (a
// start costs a second); each test has its own tab.

var browser struct {
	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
	dataDir string
	err     error
}

// chromiumPath finds the browser: PALABRE_TEST_CHROMIUM, or one on PATH.
// None is a failure, never a skip: the page would go untested.
func chromiumPath() (string, error) {
	if p := os.Getenv("PALABRE_TEST_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium for the browser tests: install Debian's chromium " +
		"(apt-get install chromium; .ci/run does it in CI) or set PALABRE_TEST_CHROMIUM to a Chromium or Chrome binary")
}

func startBrowser() {
	path, err := chromiumPath()
	if err != nil {
		browser.err = err
		return
	}
	browser.dataDir, err = os.MkdirTemp("", "palabre-chromium-")
	if err != nil {
		browser.err = err
		return
	}
	// The flags that keep Chromium off the network, where this machine's
	// closed network refuses it (and a test must see only the server's
	// requests); as root in CI, without a sandbox.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(browser.dataDir),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "en-US"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		browser.err = fmt.Errorf("starting %s: %w", path, err)
		return
	}
	browser.ctx = ctx
	browser.cancel = func() { cancel(); cancelAlloc() }
}

// stopBrowser ends the browser, if a test started it (TestMain).
func stopBrowser() {
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dataDir != "" {
		os.RemoveAll(browser.dataDir)
	}
}

// tab is one page in the shared browser, with what it asked for over the
// network and what went wrong in it (console errors, exceptions, the
// browser's own errors: a refused CSP, a 404).
type tab struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	urls     []string
	problems []string
}

func openTab(t *testing.T) *tab {
	t.Helper()
	browser.once.Do(startBrowser)
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	tb := &tab{t: t}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithListener(tb.listen))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab, with no timeout: it lives as long as ctx
		t.Fatal(err)
	}
	tb.ctx = ctx
	return tb
}

func (tb *tab) listen(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		tb.urls = append(tb.urls, e.Request.URL)
	case *network.EventWebSocketCreated:
		tb.urls = append(tb.urls, e.URL)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
			tb.problems = append(tb.problems, fmt.Sprintf("console.%s: %s", e.Type, argsText(e.Args)))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		tb.problems = append(tb.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, text))
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
			tb.problems = append(tb.problems, fmt.Sprintf("browser %s (%s): %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
		}
	}
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		if len(a.Value) > 0 {
			parts = append(parts, string(a.Value))
		} else {
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}

// do runs actions, within patience.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, patience)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatal(err)
	}
}

// eval returns the value of a JavaScript expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, patience)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor waits until a JavaScript expression is true in the page.
func (tb *tab) waitFor(what, expr string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, patience)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(patience)))
	if err != nil {
		tb.t.Fatalf("not within %v: %s (%s): %v\nthe log: %q\nthe state: %q", patience, what, expr, err, tb.logLines(), tb.state())
	}
}

// js quotes s for a JavaScript expression.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// logLines is the text of each line of the page's log.
func (tb *tab) logLines() []string {
	ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#log li")].map(li => li.textContent)`))
	return v
}

func (tb *tab) state() string {
	ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("state").dataset.state + ": " + document.getElementById("state").textContent`))
	return v
}

// clean fails the test if the page asked anything of another server than
// origin ("http://host:port"), or reported an error or a warning other
// than those the test expects (a line holding one of expected).
func (tb *tab) clean(origin string, expected ...string) {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	wsOrigin := "ws" + strings.TrimPrefix(origin, "http")
	for _, u := range tb.urls {
		if !strings.HasPrefix(u, origin+"/") && !strings.HasPrefix(u, wsOrigin+"/") {
			tb.t.Errorf("the page asked for %s, outside the server %s", u, origin)
		}
	}
	if len(tb.urls) == 0 {
		tb.t.Errorf("no request seen: the listener sees nothing")
	}
problems:
	for _, p := range tb.problems {
		for _, e := range expected {
			if strings.Contains(p, e) {
				continue problems
			}
		}
		tb.t.Errorf("the page reported %s", p)
	}
}
