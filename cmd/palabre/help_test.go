package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// --help shows each flag with its type and its default once, and a bool
// flag takes no value.
func TestHelpShowsTypesAndEachDefaultOnce(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"transcript", "--help"}, {"recover", "--help"}, {"fingerprint", "--help"}, {"bench", "--help"}, {"connect", "--help"}} {
		var stdout bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &stdout, io.Discard, nil); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		for _, l := range strings.Split(stdout.String(), "\n") {
			if strings.Count(l, "default") > 1 {
				t.Errorf("%v: a default twice: %q", args, l)
			}
		}
	}
	var stdout bytes.Buffer
	run(context.Background(), []string{"--help"}, strings.NewReader(""), &stdout, io.Discard, nil)
	help := stdout.String()
	for _, want := range []string{
		`--store-private  `, // no type: a bool
		`--history int `, `--max-members int `, `--msg-rate float `,
		`--write-timeout duration `, `--ssh-keepalive duration `, `--tcp-addr string `,
	} {
		if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(want)).MatchString(help) {
			t.Errorf("--help has no line starting with %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "completion") {
		t.Errorf("--help lists shells' completion scripts:\n%s", help)
	}
}

// Typed flags are read as their settings: a bool flag alone is true, a
// duration is a duration.
func TestTypedFlags(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env here
	cmd := newRootCmd(nil, io.Discard, io.Discard, nil)
	if err := cmd.ParseFlags([]string{"--store-private", "--history", "7", "--write-timeout", "1m30s", "--msg-rate", "0.5"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.StorePrivate || cfg.History != 7 || cfg.WriteTimeout != 90*time.Second || cfg.MsgRate != 0.5 {
		t.Errorf("got store-private %v, history %d, write-timeout %v, msg-rate %v", cfg.StorePrivate, cfg.History, cfg.WriteTimeout, cfg.MsgRate)
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--history", "lots"}, strings.NewReader(""), io.Discard, &stderr, nil); code != 1 ||
		!strings.Contains(stderr.String(), "--history") {
		t.Errorf("--history lots: exit %d, stderr %q", code, stderr.String())
	}
}
