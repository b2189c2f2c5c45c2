package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// refusedProc runs the real program in dir and returns its stderr, failing
// unless it exits non-zero on its own within patience.
func refusedProc(t *testing.T, dir string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PALABRE_TEST_BE_MAIN=1", "PALABRE_TCP_ADDR=127.0.0.1:0", "PALABRE_SSH_ADDR=127.0.0.1:0", "PALABRE_LOG_LEVEL=info")
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the program was still running after %v; stderr:\n%s", patience, stderr.String())
	}
	if err == nil {
		t.Fatalf("the program exited 0; stderr:\n%s", stderr.String())
	}
	return stderr.String()
}

// Two servers on one data directory would both write the transcript with
// the same sequence numbers, and the second's "UNIQUE constraint failed"
// would lose the first's messages: the second is refused, in one line
// naming the first. Killing the first, even with -9, frees the directory;
// the transcript reads it all along.
func TestSecondServerOnADataDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	first := startProc(t, dir)
	member, watcher := joinTCP(t, first.addr), joinTCP(t, first.addr)

	stderr := refusedProc(t, dir)
	want := fmt.Sprintf("palabre: PALABRE_DATA_DIR: data directory data is in use by palabre (pid %d)\n", first.cmd.Process.Pid)
	if stderr != want {
		t.Errorf("the second server said %q, want %q", stderr, want)
	}
	// The first one goes on, and the transcript does not need the lock.
	member.send(t, "still here")
	watcher.waitFor(t, member.name+"> still here")
	if _, errs, code := transcript(t, nil, "--data-dir", data); code != 0 {
		t.Errorf("transcript beside the server: exit %d, %s", code, errs)
	}

	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.reap()
	// The lock file stays, naming a dead process: it blocks nobody.
	if b, err := os.ReadFile(filepath.Join(data, "palabre.lock")); err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(first.cmd.Process.Pid) {
		t.Errorf("the lock file after kill -9: %q, %v", b, err)
	}
	startProc(t, dir) // a clean exit frees it too: store's TestOpenLocksTheDataDirectory
}
