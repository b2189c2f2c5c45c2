package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

// docs/performance.md and `palabre bench --help` say the same about the
// server the bench starts, and the page's commands run as written: it
// builds the binary they call and finds the server by $!, not by name.
func TestPerformancePageAgreesWithBenchHelp(t *testing.T) {
	b, err := os.ReadFile("../../docs/performance.md")
	if err != nil {
		t.Fatal(err)
	}
	page := strings.Join(strings.Fields(string(b)), " ")
	help := strings.Join(strings.Fields(newBenchCmd(io.Discard, io.Discard).Long), " ")
	for _, want := range []string{"a server of its own inside the bench's process", "--i-know"} {
		if !strings.Contains(help, want) || !strings.Contains(page, want) {
			t.Errorf("%q: in the help %v, in the page %v; want both", want, strings.Contains(help, want), strings.Contains(page, want))
		}
	}
	for _, want := range []string{"go build -o palabre ./cmd/palabre", "PID=$!", "--pid $PID", "kill $PID"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "pgrep") {
		t.Error("the page finds the server with pgrep")
	}
}
