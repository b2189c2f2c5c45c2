package main

import (
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"palabre/internal/store"
)

// welcomeIn matches the welcome line in either language.
var welcomeIn = regexp.MustCompile(`^\*\*\* (?:You are|Vous êtes) (\S+) ?;`)

// joinAny connects to addr and reads up to the welcome line, in either
// language.
func joinAny(t *testing.T, addr string) *member {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	m := &member{nc: nc, lines: lineReader(nc)}
	for m.name == "" {
		if w := welcomeIn.FindStringSubmatch(m.next(t)); w != nil {
			m.name = w[1]
		}
	}
	return m
}

// stop ends p with SIGTERM and waits for a clean exit.
func stop(t *testing.T, p *proc) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.reap(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

// After a restart, Thread-N goes on from the last number given, even one
// given to a member that never spoke: the newcomer is not shown someone
// else's words under its own name. Its history is marked off, each line
// with its time, and what follows it is in the course's form; in both
// languages. The transcript holds each run's start and stop.
func TestRestartNumbersOnAndMarksHistory(t *testing.T) {
	for _, tc := range []struct {
		lang, earlier, live, joined string
	}{
		{"en", "*** earlier messages, since ", "*** now live", "*** Thread-4 joined (tcp)"},
		{"fr", "*** messages précédents, depuis ", "*** en direct", "*** Thread-4 a rejoint le salon (tcp)"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			dir := t.TempDir()
			env := "PALABRE_LANG=" + tc.lang
			first := startProc(t, dir, env)
			a := joinAny(t, first.addr)
			b := joinAny(t, first.addr) // never speaks
			a.send(t, "bonjour")
			b.waitFor(t, "Thread-1> bonjour")
			if a.name != "Thread-1" || b.name != "Thread-2" {
				t.Fatalf("first run: %s and %s", a.name, b.name)
			}
			stop(t, first)
			spoke := entries(t, filepath.Join(dir, "data"))
			var at time.Time
			for _, e := range spoke {
				if e.Kind == "chat" {
					at = e.At
				}
			}

			second := startProc(t, dir, env)
			c := joinAny(t, second.addr)
			if c.name != "Thread-3" {
				t.Errorf("after the restart the newcomer is %s, want Thread-3 (Thread-1 and Thread-2 are the first run's)", c.name)
			}
			hhmm := at.Local().Format("15:04")
			for _, want := range []string{tc.earlier + hhmm + map[string]string{"en": ":", "fr": " :"}[tc.lang], "[" + hhmm + "] Thread-1> bonjour", tc.live} {
				if got := c.next(t); got != want {
					t.Fatalf("history: read %q, want %q", got, want)
				}
			}
			d := joinAny(t, second.addr)
			if got := c.next(t); got != tc.joined || d.name != "Thread-4" {
				t.Errorf("live: read %q as %s joined, want %q", got, d.name, tc.joined)
			}
			d.send(t, "salut")
			if got := c.next(t); got != "Thread-4> salut" {
				t.Errorf("live: read %q, want the course's form", got)
			}
			stop(t, second)

			var runs []string
			for _, e := range entries(t, filepath.Join(dir, "data")) {
				if e.Kind == "start" || e.Kind == "stop" || e.Kind == "crash" {
					runs = append(runs, e.Kind)
				}
			}
			if want := []string{"start", "stop", "start", "stop"}; !slices.Equal(runs, want) {
				t.Errorf("the transcript's runs: %v, want %v", runs, want)
			}
		})
	}
}

// After a kill -9, the next start records that the server restarted after
// a crash, and each member the killed server had in the room, under its
// last name, as gone for the crash; one that had left is not.
func TestCrashRecordedAtRestart(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	first := startProc(t, dir)
	joinAny(t, first.addr)
	b := joinAny(t, first.addr)
	c := joinAny(t, first.addr)
	c.send(t, "FIN")
	b.send(t, "/nick bob")
	b.send(t, "/join tp1")
	// The kill comes once the transcript holds the name change, the leave
	// and bob's arrival in tp1: what the test is about is what a restart
	// makes of a kept transcript.
	kept := func(es []store.Entry) bool {
		return slices.Contains(kinds(es), "nick") &&
			slices.ContainsFunc(es, func(e store.Entry) bool { return e.Kind == "leave" && e.Reason == "FIN" }) &&
			slices.ContainsFunc(es, func(e store.Entry) bool { return e.Kind == "join" && e.Room == "tp1" })
	}
	deadline := time.Now().Add(patience)
	for es := entries(t, data); !kept(es); es = entries(t, data) {
		if time.Now().After(deadline) {
			t.Fatalf("the name change, the leave and the move never reached the transcript: %v", kinds(es))
		}
		time.Sleep(10 * time.Millisecond) // polling the file, not synchronising goroutines
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.reap()

	second := startProc(t, dir)
	if d := joinAny(t, second.addr); d.name != "Thread-4" {
		t.Errorf("after the crash the newcomer is %s, want Thread-4", d.name)
	}
	stop(t, second)

	es := entries(t, data)
	var after []string
	seen := false
	for _, e := range es {
		seen = seen || e.Kind == "crash"
		if seen && e.Kind != "join" {
			after = append(after, e.Kind+" "+e.Name+" "+e.Reason+" "+e.Room)
		}
	}
	// Each leave in the room its member was in.
	want := []string{"crash   ", "leave Thread-1 server crash main", "leave bob server crash tp1", "leave Thread-4 server shutdown main", "stop   "}
	if !slices.Equal(after, want) {
		t.Errorf("from the crash on, the transcript holds\n%q\nwant\n%q", after, want)
	}
	out, _, code := transcript(t, nil, "--data-dir", data)
	for _, line := range []string{"*** server started", "*** server restarted after a crash", "*** Thread-1 left (server crash)", "*** bob left (server crash)", "*** server stopped"} {
		if code != 0 || !strings.Contains(out, line) {
			t.Errorf("transcript (exit %d) lacks %q:\n%s", code, line, out)
		}
	}
	checkSeqs(t, es)
}
