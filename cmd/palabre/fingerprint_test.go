package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `palabre fingerprint` prints the host key's fingerprint alone, read from
// the data directory while the server holds it.
func TestFingerprintWhileTheServerRuns(t *testing.T) {
	cmd, _, logs := startBinary(t)
	go func() {
		for range logs {
		}
	}()
	dataDir := filepath.Join(cmd.Dir, "data")
	for _, args := range [][]string{
		{"fingerprint", "--data-dir", dataDir},
		{"fingerprint"}, // PALABRE_DATA_DIR, as the server reads it
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, []string{"PALABRE_DATA_DIR=" + dataDir})
		if want := fingerprintOf(t, dataDir) + "\n"; code != 0 || stdout.String() != want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and %q alone", args, code, stdout.String(), stderr.String(), want)
		}
	}
}

// Before the server's first start there is no key: fingerprint says so in
// the room's language and makes nothing, not even the directory.
func TestFingerprintWithoutAKey(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env here
	for lang, want := range map[string]string{"en": "no SSH host key in ", "fr": "pas encore de clé d'hôte SSH dans "} {
		t.Run(lang, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"fingerprint"}, strings.NewReader(""), &stdout, &stderr,
				[]string{"PALABRE_DATA_DIR=" + dataDir, "PALABRE_LANG=" + lang})
			if code != 1 || !strings.Contains(stderr.String(), want+dataDir) || stdout.Len() != 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout.String(), stderr.String(), want+dataDir)
			}
			if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
				t.Errorf("the data directory was made: %v", err)
			}
		})
	}
}
