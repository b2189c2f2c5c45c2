package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// listing describes dir's files: name, size, mode and time of change.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %v %d", e.Name(), fi.Size(), fi.Mode(), fi.ModTime().UnixNano()))
	}
	return out
}

// `palabre transcript` reads a copy of a data directory (a USB stick, a
// backup) without creating or changing any file in it, and reads beside a
// running server without creating any either. The tests run as root, for
// whom a read-only directory is writable: the listing is the witness.
func TestTranscriptWritesNothing(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg := defaults(t)
	cfg.DataDir, cfg.MsgRate = t.TempDir(), 0
	addr, stop := startServeIn(t, cfg)
	alice, bob := joinTCP(t, addr), joinTCP(t, addr)
	alice.send(t, "bonjour")
	bob.waitFor(t, alice.name+"> bonjour")

	live := listing(t, cfg.DataDir)
	names := func(l []string) []string {
		out := make([]string, len(l))
		for i, s := range l {
			out[i], _, _ = strings.Cut(s, " ") // the name alone: a live -wal grows
		}
		return out
	}
	// The writer commits within its gathering pace (README: 100 ms) of the
	// relay: read until the line is there, then once more.
	deadline := time.Now().Add(patience)
	for reads := 0; reads < 2; {
		out, errs, code := transcript(t, nil, "--data-dir", cfg.DataDir)
		switch {
		case code != 0:
			t.Fatalf("transcript beside the server: exit %d, %s", code, errs)
		case strings.Contains(out, alice.name+"> bonjour"):
			reads++
		case time.Now().After(deadline):
			t.Fatalf("transcript beside the server never showed the message: %q", out)
		}
	}
	if got := names(listing(t, cfg.DataDir)); !slices.Equal(got, names(live)) {
		t.Errorf("transcript beside the server changed the files: %q to %q", names(live), got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	want, _, _ := transcript(t, nil, "--data-dir", cfg.DataDir)
	copied := t.TempDir()
	es, err := os.ReadDir(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es { // what a stopped server leaves: no -wal, no -shm
		b, err := os.ReadFile(filepath.Join(cfg.DataDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(copied, e.Name()), b, 0o400); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{cfg.DataDir, copied} {
		before := listing(t, dir)
		out, errs, code := transcript(t, nil, "--data-dir", dir)
		if code != 0 || out != want {
			t.Errorf("transcript of %s: exit %d, %q, %s; want %q", dir, code, out, errs, want)
		}
		if after := listing(t, dir); !slices.Equal(before, after) {
			t.Errorf("transcript changed %s:\n%q\nto\n%q", dir, before, after)
		}
	}
}
