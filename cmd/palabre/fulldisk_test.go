package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

var stoppedLine = regexp.MustCompile(`msg=stopped transcript_written=(\d+) transcript_dropped=(\d+) transcript_failed=(\d+) transcript_failed_batches=(\d+)`)

// On a full disk the room goes on relaying, and the stop line counts the
// writes the database failed beside those the queue dropped: a teacher
// reading transcript_dropped=0 alone would believe nothing was lost.
func TestFullDiskRelaysAndCountsFailedWrites(t *testing.T) {
	const n = 500
	dir := t.TempDir()
	// Room to start (the schema, the host key), not for 500 messages.
	p := startProc(t, dir, "PALABRE_MSG_RATE=0", "PALABRE_TEST_FILE_LIMIT=65536")
	sender, reader := joinTCP(t, p.addr), joinTCP(t, p.addr)
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf("message %03d, on a full disk", i))
	}
	sender.send(t, lines...)
	for _, l := range lines {
		reader.waitFor(t, sender.name+"> "+l)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.reap(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	var stopped []string
	failures := 0
	for _, l := range p.log() {
		if m := stoppedLine.FindStringSubmatch(l); m != nil {
			stopped = m
		}
		if strings.Contains(l, `msg="store: write failed"`) {
			failures++
		}
	}
	if stopped == nil {
		t.Fatal("no stop line with the transcript's counts")
	}
	written, _ := strconv.Atoi(stopped[1])
	dropped, _ := strconv.Atoi(stopped[2])
	failed, _ := strconv.Atoi(stopped[3])
	batches, _ := strconv.Atoi(stopped[4])
	if dropped != 0 || failed == 0 || batches == 0 || written+failed < n {
		t.Errorf("stop line %q: want no drop, and the %d messages written or failed, some failed", stopped[0], n)
	}
	if failures == 0 {
		t.Error("no failed write was logged")
	}
	t.Logf("%s", stopped[0])
}
