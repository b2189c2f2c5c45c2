package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"palabre/room"
)

// fixture is a hub and a web server over a real socket, with the other
// doors' counters as plain atomics the test moves.
type fixture struct {
	hub        *room.Hub
	url        string
	store      atomic.Pointer[StoreStats]
	tcpBytes   atomic.Uint64
	handshakes atomic.Uint64
}

func start(t *testing.T, metrics bool, hubOpts room.Options) *fixture {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hubOpts.Logger = logger
	f := &fixture{hub: room.NewHub(hubOpts)}
	f.store.Store(&StoreStats{})
	srv, err := New(Options{
		Hub:   f.hub,
		Store: func() StoreStats { return *f.store.Load() },
		Doors: []Door{
			{Name: room.DoorTCP, BytesWritten: f.tcpBytes.Load},
			{Name: room.DoorSSH, BytesWritten: func() uint64 { return 0 }},
		},
		SSHHandshakesFailed: f.handshakes.Load,
		Metrics:             metrics,
		Logger:              logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	f.url = "http://" + ln.Addr().String()
	return f
}

func (f *fixture) join(t *testing.T, name string, door room.Door) *room.Member {
	t.Helper()
	m, _, err := f.hub.Join(room.JoinRequest{Name: name, Door: door, Addr: "192.0.2.1:4242", Echo: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// get fetches path and checks the headers every response carries.
func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("GET %s: %s = %q, want %q", url, h, got, want)
		}
	}
	return resp, body
}

func TestHealthz(t *testing.T) {
	f := start(t, true, room.Options{})
	f.join(t, "alice", room.DoorTCP)
	f.join(t, "bob", room.DoorTCP)
	f.join(t, "carol", room.DoorSSH)
	f.store.Store(&StoreStats{Pending: 7})

	resp, body := get(t, f.url+"/healthz")
	var h health
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	if resp.StatusCode != http.StatusOK || h.Status != "ok" || h.Members["tcp"] != 2 || h.Members["ssh"] != 1 || h.Rooms != 1 || h.StoreQueue != 7 ||
		resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("healthz: %d %s %+v", resp.StatusCode, resp.Header.Get("Content-Type"), h)
	}

	// A full disk: the room relays, the transcript is lost, monitoring must know.
	f.store.Store(&StoreStats{Failed: 12, Failing: true})
	resp, body = get(t, f.url+"/healthz")
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || h.Status != "store failing" {
		t.Errorf("store failing: %d %s", resp.StatusCode, body)
	}
}

func TestOtherPathsAndMethods(t *testing.T) {
	f := start(t, true, room.Options{})
	for _, path := range []string{"/", "/index.html", "/healthz/x", "/debug/pprof/"} {
		if resp, _ := get(t, f.url+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	resp, err := http.Post(f.url+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d, want 405", resp.StatusCode)
	}
}

func TestMetricsOff(t *testing.T) {
	f := start(t, false, room.Options{})
	if resp, _ := get(t, f.url+"/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics with metrics off: %d, want 404", resp.StatusCode)
	}
	if resp, _ := get(t, f.url+"/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz with metrics off: %d, want 200", resp.StatusCode)
	}
}

// scrape fetches /metrics and parses it as Prometheus reads it.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, body := get(t, url+"/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return mfs
}

// value is the sample of family name whose labels include want; -1: none.
func value(mfs map[string]*dto.MetricFamily, name string, want ...string) float64 {
	mf := mfs[name]
	if mf == nil {
		return -1
	}
next:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(want); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == want[i] && l.GetValue() == want[i+1])
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	f := start(t, true, room.Options{OpPassword: "s3cret", OutboxBytes: 1024, MsgRate: 1000, MsgBurst: 1})
	mfs := scrape(t, f.url)
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "palabre_leaves_total", "palabre_transcript_rows_written_total"} {
		if mfs[name] == nil {
			t.Errorf("no %s in /metrics", name)
		}
	}
	if v := value(mfs, "palabre_leaves_total", "reason", "too slow"); v != 0 {
		t.Errorf("leaves too slow before any: %v, want a series at 0", v)
	}

	op := f.join(t, "teacher", room.DoorSSH)
	bob := f.join(t, "bob", room.DoorTCP)
	slow := f.join(t, "slow", room.DoorTCP)
	f.hub.Post(op, "/op s3cret")
	op.Drain(nil)
	bob.Drain(nil)
	f.hub.Post(bob, "hello")
	op.Drain(nil)
	f.hub.Post(op, "/kick bob")
	for i := 0; i < 100 && slow.Reason() == 0; i++ {
		f.hub.Post(op, "a message of some length, to fill an outbox that nobody reads")
		op.Drain(nil)
	}
	op.Pace()
	op.Pace() // the burst is one: held back
	f.tcpBytes.Store(4242)
	f.handshakes.Store(3)
	f.store.Store(&StoreStats{Written: 10, Dropped: 2, Failed: 1, Pending: 5})

	mfs = scrape(t, f.url)
	for _, c := range []struct {
		name   string
		labels []string
		want   func(float64) bool
	}{
		{"palabre_members", []string{"door", "ssh"}, func(v float64) bool { return v == 1 }},
		{"palabre_members", []string{"door", "tcp"}, func(v float64) bool { return v == 0 }},
		{"palabre_joins_total", nil, func(v float64) bool { return v == 3 }},
		{"palabre_leaves_total", []string{"reason", "kicked"}, func(v float64) bool { return v == 1 }},
		{"palabre_leaves_total", []string{"reason", "too slow"}, func(v float64) bool { return v == 1 }},
		{"palabre_outbox_evictions_total", nil, func(v float64) bool { return v == 1 }},
		{"palabre_messages_posted_total", nil, func(v float64) bool { return v >= 2 }},
		{"palabre_deliveries_total", nil, func(v float64) bool { return v >= 5 }},
		{"palabre_flood_delays_total", nil, func(v float64) bool { return v >= 1 }},
		{"palabre_bytes_written_total", []string{"door", "tcp"}, func(v float64) bool { return v == 4242 }},
		{"palabre_ssh_handshakes_failed_total", nil, func(v float64) bool { return v == 3 }},
		{"palabre_transcript_rows_written_total", nil, func(v float64) bool { return v == 10 }},
		{"palabre_transcript_rows_dropped_total", nil, func(v float64) bool { return v == 2 }},
		{"palabre_transcript_queue", nil, func(v float64) bool { return v == 5 }},
		{"palabre_store_up", nil, func(v float64) bool { return v == 1 }},
		{"palabre_rooms", nil, func(v float64) bool { return v == 1 }},
	} {
		if v := value(mfs, c.name, c.labels...); !c.want(v) {
			t.Errorf("%s%v = %v", c.name, c.labels, v)
		}
	}
}
