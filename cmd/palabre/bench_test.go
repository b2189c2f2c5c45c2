package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runBench runs `palabre bench` with args in-process and returns its stdout
// and stderr.
func runBench(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := newBenchCmd(&stdout, &stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return stdout.String(), stderr.String(), err
}

// A short run against the in-process server, as the test suite affords,
// with a stalled screen: nothing lost, and every field there and coherent. The figures
// themselves are never asserted.
func TestBenchSmoke(t *testing.T) {
	out, _, err := runBench(t, "--tcp-clients", "20", "--ssh-clients", "3", "--stalled-ssh", "1", "--senders", "3",
		"--rate", "5", "--duration", "2s", "--warmup", "300ms", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line of JSON, got %q", out)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"loss_pct", "p50_ms", "p90_ms", "p99_ms", "max_ms", "deliveries_per_s", "cpu_s_per_1000",
		"mem_per_member_kb", "sent", "expected", "seen", "connected", "connect_rate", "dropped", "dropped_before_window"} {
		if _, ok := rep[k].(float64); !ok {
			t.Errorf("%s = %v, want a number", k, rep[k])
		}
	}
	num := func(k string) float64 { v, _ := rep[k].(float64); return v }
	if num("connected") != 24 || rep["server"] != "in-process" {
		t.Errorf("connected %v to %v, want 24 to in-process", rep["connected"], rep["server"])
	}
	if num("stalled_ssh_members") != 1 || num("stalled_members") != 0 || num("stalled_ssh_dropped") > 1 {
		t.Errorf("stalled: %v tcp, %v ssh (%v hung up on); want 0 and 1", rep["stalled_members"], rep["stalled_ssh_members"], rep["stalled_ssh_dropped"])
	}
	if num("sent") == 0 || num("expected") != num("sent")*22 {
		t.Errorf("sent %v, expected %v: want 22 deliveries of each", num("sent"), num("expected"))
	}
	if num("connect_rate") != 0 || num("dropped") != 0 || num("dropped_before_window") != 0 {
		t.Errorf("connected at %v a second (want 0: all at once), %v dropped, %v before the window", rep["connect_rate"], rep["dropped"], rep["dropped_before_window"])
	}
	if num("loss_pct") != 0 || num("seen") != num("expected") || num("ssh_seen") != num("ssh_expected") {
		t.Errorf("deliveries lost: %s", out)
	}
	if !(0 < num("p50_ms") && num("p50_ms") <= num("p99_ms") && num("p99_ms") <= num("max_ms")) {
		t.Errorf("latencies out of order: %s", out)
	}
	if num("deliveries_per_s") <= 0 || num("cpu_s_per_1000") <= 0 {
		t.Errorf("no throughput or cost: %s", out)
	}
}

// Needs the hub's rooms (issue 12). `--rooms` through the command line,
// against the server it starts: the members spread over three rooms, each
// message read in its room only, and the table tells so.
func TestBenchRoomsFlag(t *testing.T) {
	out, _, err := runBench(t, "--rooms", "3", "--tcp-clients", "9", "--ssh-clients", "3", "--senders", "6",
		"--rate", "5", "--duration", "1s", "--warmup", "200ms", "--flood-rate", "20", "--stalled", "1", "--stalled-first-room")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3, bench-1 … bench-3", "0 (must be 0)", "lost 0 (0.000%)", "bench-1 p50", "stalled members all in bench-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table has no %q:\n%s", want, out)
		}
	}
	if _, _, err := runBench(t, "--flood-rate", "5"); err == nil || !strings.Contains(err.Error(), "--rooms") {
		t.Errorf("a flood without rooms: err = %v, want a refusal naming --rooms", err)
	}
}

// --web-clients against the server the bench starts: it opens its web
// door for them, and their deliveries are counted apart.
func TestBenchWebClientsFlag(t *testing.T) {
	out, _, err := runBench(t, "--tcp-clients", "4", "--ssh-clients", "1", "--web-clients", "4", "--stalled-web", "1",
		"--senders", "3", "--rate", "10", "--duration", "500ms", "--warmup", "100ms", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	num := func(k string) float64 { v, _ := rep[k].(float64); return v }
	if num("connected") != 10 || num("web_members") != 4 || num("stalled_web_members") != 1 {
		t.Errorf("connected %v, web %v, stalled web %v; want 10, 4, 1", rep["connected"], rep["web_members"], rep["stalled_web_members"])
	}
	if num("sent") == 0 || num("expected") != num("sent")*8 || num("web_expected") == 0 ||
		num("seen") != num("expected") || num("web_seen") != num("web_expected") || num("web_p99_ms") <= 0 {
		t.Errorf("deliveries: %s", out)
	}
}

func TestBenchTableAndProfile(t *testing.T) {
	prof := t.TempDir() + "/cpu.prof"
	out, errOut, err := runBench(t, "--tcp-clients", "3", "--ssh-clients", "1", "--senders", "2",
		"--rate", "10", "--duration", "500ms", "--warmup", "100ms", "--cpuprofile", prof, "--connect-rate", "40")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deliveries", "lost 0 (0.000%)", "latency", "p99", "server cpu", "per 1000 deliveries", "kB per member", "in-process",
		"40 a second", "0 reading members (0 before the measured window)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table has no %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "%") || !strings.Contains(errOut, "\r") {
		t.Errorf("no progress bar on stderr: %q", errOut)
	}
	if info, err := os.Stat(prof); err != nil || info.Size() == 0 {
		t.Errorf("no CPU profile: %v", err)
	}
}

func TestBenchRefusesRemoteAddresses(t *testing.T) {
	for _, args := range [][]string{
		{"--addr-tcp", "192.0.2.7:12800", "--ssh-clients", "0"},
		{"--addr-tcp", "127.0.0.1:12800", "--addr-ssh", "[2001:db8::2]:2222"},
	} {
		_, _, err := runBench(t, args...)
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%v: err = %v, want a refusal naming loopback", args, err)
		}
	}
	if _, _, err := runBench(t, "--pid", "1"); err == nil || !strings.Contains(err.Error(), "--addr-tcp") {
		t.Errorf("--pid alone: err = %v", err)
	}
}

// Every address of a list, and every process of --pid's, is checked as one
// alone is: the first bad one is refused, named with its flag, before any
// connection.
func TestBenchFlagLists(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no port in a tcp list", []string{"--addr-tcp", "127.0.0.1:1,127.0.0.1", "--ssh-clients", "0"}, `--addr-tcp "127.0.0.1": want HOST:PORT`},
		{"an empty ssh entry", []string{"--addr-tcp", "127.0.0.1:1", "--addr-ssh", "127.0.0.1:2,,127.0.0.1:3"}, `--addr-ssh "": want HOST:PORT`},
		{"a remote web door among loopback ones", []string{"--addr-tcp", "127.0.0.1:1", "--ssh-clients", "0", "--web-clients", "1", "--addr-web", "127.0.0.1:3,192.0.2.9:80"},
			`--addr-web "192.0.2.9:80": 192.0.2.9 is not a loopback address`},
		{"a pid that is no number", []string{"--addr-tcp", "127.0.0.1:1", "--ssh-clients", "0", "--pid", "1,x"}, `invalid argument "1,x" for "--pid" flag`},
		{"a pid twice", []string{"--addr-tcp", "127.0.0.1:1", "--ssh-clients", "0", "--pid", "1,1"}, "--pid 1: want each process of the server once"},
		{"pids without a running server", []string{"--pid", "1,2"}, "--pid reads a running server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runBench(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one with %q", err, tt.want)
			}
		})
	}
}

// --addr-tcp A,B and --pid P1,P2 end to end: one server given twice, two
// processes measured, each in the JSON.
func TestBenchFlagListsRun(t *testing.T) {
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sleeper.Process.Kill()
		sleeper.Wait()
	})
	addr, _ := startServe(t, defaults(t))
	pids := strconv.Itoa(os.Getpid()) + "," + strconv.Itoa(sleeper.Process.Pid)
	out, _, err := runBench(t, "--addr-tcp", addr+","+addr, "--pid", pids, "--tcp-clients", "4", "--ssh-clients", "0",
		"--senders", "2", "--rate", "5", "--duration", "500ms", "--warmup", "100ms", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Lost      int64 `json:"lost"`
		Seen      int64 `json:"seen"`
		RSSKB     int64 `json:"rss_kb"`
		Processes []struct {
			PID   int   `json:"pid"`
			RSSKB int64 `json:"rss_kb"`
		} `json:"processes"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Lost != 0 || rep.Seen == 0 || len(rep.Processes) != 2 || rep.Processes[0].PID != os.Getpid() || rep.Processes[1].PID != sleeper.Process.Pid ||
		rep.RSSKB != rep.Processes[0].RSSKB+rep.Processes[1].RSSKB {
		t.Errorf("want no loss and both processes, their RSS summed: %s", out)
	}
}

// benchServer runs the real program in a process of its own (this test
// binary, as main_test.go's TestMain allows), so that its CPU time and
// memory are its own; it returns the two doors and the process id.
func benchServer(t *testing.T) (tcpAddr, sshAddr string, pid int) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "PALABRE_TEST_BE_MAIN=1", "PALABRE_TCP_ADDR=127.0.0.1:0", "PALABRE_SSH_ADDR=127.0.0.1:0", "PALABRE_HTTP_ADDR=",
		"PALABRE_LOG_LEVEL=info", "PALABRE_DATA_DIR="+cmd.Dir+"/data", "PALABRE_MSG_RATE=0", "PALABRE_MAX_PER_IP=0",
		"PALABRE_CONNECT_RATE=0", "PALABRE_MAX_MEMBERS=10000")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	started := regexp.MustCompile(`msg="palabre started" tcp=(\S+) ssh=(\S+)`)
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := started.FindStringSubmatch(sc.Text()); m != nil {
				found <- m
				break
			}
		}
		close(found)
		io.Copy(io.Discard, stderr) // the join lines, until the end
	}()
	select {
	case m, ok := <-found:
		if !ok {
			t.Fatal("the server exited before starting")
		}
		return m[1], m[2], cmd.Process.Pid
	case <-time.After(10 * time.Second):
		t.Fatal("no start line in the server's log")
	}
	return "", "", 0
}

// TestBenchBig is the real measurement, too long for the suite: set
// PALABRE_BENCH_BIG=1 (without -race). PALABRE_BENCH_ARGS replaces the
// runs below with one run of those flags, against a server in its own
// process when PALABRE_BENCH_EXTERNAL=1.
func TestBenchBig(t *testing.T) {
	if os.Getenv("PALABRE_BENCH_BIG") == "" {
		t.Skip("set PALABRE_BENCH_BIG=1 for the long measurements")
	}
	type run struct {
		name     string
		external bool
		args     string
	}
	runs := []run{
		{"1000 tcp in-process", false, "--tcp-clients 1000 --ssh-clients 0 --senders 100 --rate 2 --duration 10s --warmup 2s"},
		{"1000 tcp", true, "--tcp-clients 1000 --ssh-clients 0 --senders 100 --rate 2 --duration 10s --warmup 2s"},
		{"300 ssh", true, "--tcp-clients 0 --ssh-clients 300 --senders 20 --rate 2 --duration 10s --warmup 2s"},
		{"1000 tcp + 300 ssh", true, "--tcp-clients 1000 --ssh-clients 300 --senders 100 --rate 2 --duration 10s --warmup 2s"},
		{"1000 tcp + 300 ssh in-process", false, "--tcp-clients 1000 --ssh-clients 300 --senders 100 --rate 2 --duration 10s --warmup 2s"},
		{"1000 tcp + 50 stalled", true, "--tcp-clients 1000 --ssh-clients 0 --stalled 50 --senders 100 --rate 2 --duration 10s --warmup 2s"},
	}
	if args := os.Getenv("PALABRE_BENCH_ARGS"); args != "" {
		runs = []run{{"custom", os.Getenv("PALABRE_BENCH_EXTERNAL") == "1", args}}
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			args := strings.Fields(r.args)
			if r.external {
				tcpAddr, sshAddr, pid := benchServer(t)
				args = append(args, "--addr-tcp", tcpAddr, "--addr-ssh", sshAddr, "--pid", strconv.Itoa(pid))
			}
			out, _, err := runBench(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("palabre bench %s\n%s", strings.Join(args, " "), out)
		})
	}
}

// `palabre bench` against a running server whose room has someone in it
// refuses, saying how many would be flooded; --i-know runs it.
func TestBenchRefusesAnOccupiedRoom(t *testing.T) {
	addr, _ := startServe(t, defaults(t))
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	waitLine(t, lineReader(nc), "You are Thread-1")
	args := []string{"--addr-tcp", addr, "--tcp-clients", "2", "--ssh-clients", "0", "--senders", "1", "--duration", "200ms", "--warmup", "0s", "--json"}
	_, _, err = runBench(t, args...)
	if err == nil || !strings.Contains(err.Error(), "the room has 1 member(s), who would be flooded") || !strings.Contains(err.Error(), "--i-know") {
		t.Fatalf("err = %v; want a refusal counting 1 member and naming --i-know", err)
	}
	if _, _, err := runBench(t, append(args, "--i-know")...); err != nil {
		t.Errorf("with --i-know: %v", err)
	}
}
