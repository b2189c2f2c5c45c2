package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// httpGet fetches url and returns the status and the body.
func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := (&http.Client{Timeout: patience}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

type healthAnswer struct {
	Status     string         `json:"status"`
	UptimeS    int64          `json:"uptime_s"`
	Members    map[string]int `json:"members"`
	Rooms      int            `json:"rooms"`
	StoreQueue uint64         `json:"store_queue"`
}

func healthz(t *testing.T, base string) (int, healthAnswer) {
	t.Helper()
	code, body := httpGet(t, base+"/healthz")
	var h healthAnswer
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("/healthz %d: %q: %v", code, body, err)
	}
	return code, h
}

// metric scrapes base/metrics and returns the value of the series of name
// with the label pairs given; -1 if there is none.
func metric(t *testing.T, base, name string, labels ...string) float64 {
	t.Helper()
	code, body := httpGet(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	mf := mfs[name]
	if mf == nil {
		return -1
	}
next:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			if !hasLabel(m, labels[i], labels[i+1]) {
				continue next
			}
		}
		if m.Counter != nil {
			return m.Counter.GetValue()
		}
		return m.Gauge.GetValue()
	}
	return -1
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// eventually polls cond until it holds or patience runs out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", patience, what)
		}
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation: cond decides
	}
}

// A member at each door shows in /healthz; a message and its deliveries,
// the bytes each door writes and a failed SSH handshake show in /metrics.
func TestHealthAndMetricsOverTheDoors(t *testing.T) {
	cfg := defaults(t)
	cfg.MsgRate = 0
	addrs, _, _ := serveLogged(t, cfg)
	base := "http://" + addrs["http"].String()

	if code, h := healthz(t, base); code != http.StatusOK || h.Status != "ok" || h.Members["tcp"] != 0 || h.Members["ssh"] != 0 || h.Rooms != 1 {
		t.Fatalf("empty server: %d %+v", code, h)
	}
	tcpBytes := metric(t, base, "palabre_bytes_written_total", "door", "tcp")

	student := joinTCP(t, addrs["tcp"].String())
	stdin, _ := sshLines(t, addrs["ssh"].String(), "sshstudent") // no terminal: the line protocol
	eventually(t, "a member at each door in /healthz", func() bool {
		code, h := healthz(t, base)
		return code == http.StatusOK && h.Members["tcp"] == 1 && h.Members["ssh"] == 1
	})
	if got := metric(t, base, "palabre_members", "door", "ssh"); got != 1 {
		t.Errorf("palabre_members{door=ssh} = %v", got)
	}

	if _, err := io.WriteString(stdin, "hello from ssh\n"); err != nil {
		t.Fatal(err)
	}
	student.waitFor(t, "sshstudent> hello from ssh")
	for _, c := range []struct {
		name   string
		labels []string
		min    float64
	}{
		{"palabre_joins_total", nil, 2},
		{"palabre_messages_posted_total", nil, 1},
		{"palabre_deliveries_total", nil, 1},
		{"palabre_bytes_written_total", []string{"door", "tcp"}, tcpBytes + float64(len("sshstudent> hello from ssh\n"))},
		{"palabre_bytes_written_total", []string{"door", "ssh"}, 1},
		{"palabre_transcript_rows_written_total", nil, 1},
	} {
		eventually(t, fmt.Sprintf("%s%v ≥ %v", c.name, c.labels, c.min), func() bool { return metric(t, base, c.name, c.labels...) >= c.min })
	}

	// Not SSH at all: the handshake fails.
	nc, err := net.Dial("tcp", addrs["ssh"].String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(nc, "GET / HTTP/1.0\r\n\r\n")
	io.Copy(io.Discard, nc) // until the server hangs up
	nc.Close()
	eventually(t, "a failed SSH handshake counted", func() bool { return metric(t, base, "palabre_ssh_handshakes_failed_total") == 1 })
}

// PALABRE_METRICS=false leaves /healthz alone and /metrics unknown; an
// empty PALABRE_HTTP_ADDR opens no listener at all.
func TestMetricsOffAndNoListener(t *testing.T) {
	cfg := defaults(t)
	cfg.Metrics = false
	addrs, _, _ := serveLogged(t, cfg)
	base := "http://" + addrs["http"].String()
	if code, _ := httpGet(t, base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics with PALABRE_METRICS=false: %d, want 404", code)
	}
	if code, _ := healthz(t, base); code != http.StatusOK {
		t.Errorf("/healthz with PALABRE_METRICS=false: %d, want 200", code)
	}

	lines, _ := startBinaryTerminal(t, "PALABRE_HTTP_ADDR=", "PALABRE_TCP_ADDR=127.0.0.1:0", "PALABRE_SSH_ADDR=127.0.0.1:0")
	out := strings.Join(lines, "\n")
	if !strings.Contains(lines[len(lines)-1], " http=none ") || strings.Contains(out, "http://") {
		t.Errorf("PALABRE_HTTP_ADDR empty, yet:\n%s", out)
	}
}

var httpStarted = regexp.MustCompile(`msg="palabre started" .* http=(\S+)`)

// On a full disk the room goes on, and /healthz says the store is failing
// so that the school's monitoring calls someone.
func TestHealthzFailsWhileTheStoreCannotWrite(t *testing.T) {
	p := startProc(t, t.TempDir(), "PALABRE_MSG_RATE=0", "PALABRE_TEST_FILE_LIMIT=65536")
	m := httpStarted.FindStringSubmatch(p.started)
	if m == nil {
		t.Fatalf("no http address in %q", p.started)
	}
	base := "http://" + m[1]
	if code, h := healthz(t, base); code != http.StatusOK || h.Status != "ok" {
		t.Fatalf("before the disk fills: %d %+v", code, h)
	}
	sender, reader := joinTCP(t, p.addr), joinTCP(t, p.addr)
	var lines []string
	for i := range 500 {
		lines = append(lines, fmt.Sprintf("message %03d, on a full disk", i))
	}
	sender.send(t, lines...)
	reader.waitFor(t, sender.name+"> "+lines[len(lines)-1]) // the room still relays
	eventually(t, "/healthz 503 on a full disk", func() bool {
		code, h := healthz(t, base)
		return code == http.StatusServiceUnavailable && h.Status == "store failing"
	})
	if !strings.Contains(strings.Join(p.log(), "\n"), `msg="store: write failed"`) {
		t.Error("no failed write logged")
	}
}
