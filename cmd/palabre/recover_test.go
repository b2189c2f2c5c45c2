package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"palabre/internal/store"
)

// damagePages overwrites count pages in the middle of the database at
// path with random bytes, as a failing disk or a bad copy would.
func damagePages(t *testing.T, path string, count int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size := int(binary.BigEndian.Uint16(b[16:18])) // the header's page size
	first := len(b) / size / 2
	rand.Read(b[first*size : (first+count)*size])
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

var (
	keptLine = regexp.MustCompile(`(?m)^kept: .*\b(\d+) messages\b`)
	lostLine = regexp.MustCompile(`(?m)^unreadable: messages (\d+)–(\d+)$`)
)

// A database with three pages overwritten: the server refuses it in one
// line saying what to run; the transcript says the same instead of
// printing nothing; `palabre recover` keeps every message it can read,
// says which it could not, moves the damaged file aside, and the server
// starts again, numbering on.
func TestDamagedDatabaseRefusedThenRecovered(t *testing.T) {
	const n = 3000
	t.Chdir(t.TempDir())
	cfg := defaults(t)
	cfg.DataDir, cfg.MsgRate = t.TempDir(), 0
	addr, stop := startServeIn(t, cfg)
	sender, reader := joinTCP(t, addr), joinTCP(t, addr)
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf("message %04d", i))
	}
	sender.send(t, lines...)
	reader.waitFor(t, sender.name+"> "+lines[n-1])
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	before := entries(t, cfg.DataDir)
	path := filepath.Join(cfg.DataDir, store.FileName)
	damagePages(t, path, 3)

	environ := []string{"PALABRE_TCP_ADDR=127.0.0.1:0", "PALABRE_SSH_ADDR=127.0.0.1:0", "PALABRE_DATA_DIR=" + cfg.DataDir}
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), patience) // a server that starts runs until then
	defer cancel()
	code := run(ctx, nil, strings.NewReader(""), io.Discard, &stderr, environ)
	line := stderr.String()
	if code != 1 || strings.Count(line, "\n") != 1 || !strings.HasPrefix(line, "palabre: PALABRE_DATA_DIR: "+path+" is damaged (") ||
		!strings.Contains(line, "run `palabre recover --data-dir "+cfg.DataDir+"`") {
		t.Fatalf("the server on a damaged database: exit %d, stderr %q; want 1 and one line saying to run palabre recover", code, line)
	}
	if out, errs, code := transcript(t, nil, "--data-dir", cfg.DataDir); code == 0 || out != "" || !strings.Contains(errs, "is damaged") {
		t.Errorf("transcript of a damaged database: exit %d, %d bytes out, stderr %q; want it to say so", code, len(out), errs)
	}

	var out bytes.Buffer
	stderr.Reset()
	if code := run(t.Context(), []string{"recover", "--data-dir", cfg.DataDir}, strings.NewReader(""), &out, &stderr, nil); code != 0 {
		t.Fatalf("recover: exit %d, %s", code, stderr.String())
	}
	report := out.String()
	kept, lost := keptLine.FindStringSubmatch(report), lostLine.FindStringSubmatch(report)
	if !strings.HasPrefix(report, path+" was damaged: ") || kept == nil || lost == nil ||
		!strings.Contains(report, "the damaged file is now "+path+".damaged-") {
		t.Fatalf("recover said:\n%s", report)
	}
	from, _ := strconv.ParseUint(lost[1], 10, 64)
	to, _ := strconv.ParseUint(lost[2], 10, 64)
	after := entries(t, cfg.DataDir)
	var want []store.Entry // what was there, less the span recover names
	for _, e := range before {
		if e.Seq < from || e.Seq > to {
			want = append(want, e)
		}
	}
	if got := fmt.Sprint(len(after)); got != kept[1] || len(after) != len(want) {
		t.Errorf("the transcript has %d entries; recover said it kept %s; want %d", len(after), kept[1], len(want))
	}
	for i := range min(len(after), len(want)) {
		if after[i].Seq != want[i].Seq || after[i].Text != want[i].Text {
			t.Fatalf("entry %d after recover: %d %q, want %d %q", i, after[i].Seq, after[i].Text, want[i].Seq, want[i].Text)
		}
	}
	if chats := len(chats(after)); chats < n-300 {
		t.Errorf("recover kept %d of %d messages, want at least %d", chats, n, n-300)
	} else {
		t.Logf("recover kept %d of %d messages; lost %d–%d", chats, n, from, to)
	}
	if matches, _ := filepath.Glob(path + ".damaged-*"); len(matches) != 1 {
		t.Errorf("damaged files: %q, want one", matches)
	}

	addr, stop = startServeIn(t, cfg)
	member, watcher := joinTCP(t, addr), joinTCP(t, addr)
	member.send(t, "after recover")
	watcher.waitFor(t, member.name+"> after recover")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	last := before[len(before)-1].Seq
	es := entries(t, cfg.DataDir)
	if e := es[len(es)-1]; e.Seq <= last {
		t.Errorf("after recover, the sequence went back: %d after %d", e.Seq, last)
	}
}
