package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// A probe reads the server's CPU time and memory at one moment.
type probe interface {
	cpu() (time.Duration, error)
	// mem is the server's memory in bytes, after a collection when the
	// probe can ask for one.
	mem() (int64, error)
	describe() (cpu, mem string)
}

// probes are the server's processes, read together: one for a server, one
// a node for a cluster's (by --pid, so that several are pidProbes).
type probes []probe

var errNotMeasured = errors.New("not measured")

// cpu is each process's CPU time, in order.
func (ps probes) cpu() ([]time.Duration, error) {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		var err error
		if out[i], err = p.cpu(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// mem is each process's memory, in order.
func (ps probes) mem() ([]int64, error) {
	out := make([]int64, len(ps))
	for i, p := range ps {
		var err error
		if out[i], err = p.mem(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (ps probes) describe() (string, string) {
	if len(ps) == 1 {
		return ps[0].describe()
	}
	return procSources("PID", fmt.Sprintf(" of each of the %d processes, summed", len(ps)))
}

// selfProbe reads this very process: the server runs in it, next to the
// load generator, so both are counted.
type selfProbe struct{}

func (selfProbe) cpu() (time.Duration, error) { return selfCPU() }

// mem is the live heap and the goroutine stacks after a collection: what
// the members hold, without the heap's slack.
func (selfProbe) mem() (int64, error) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	var total int64
	for _, v := range s {
		if v.Value.Kind() != metrics.KindUint64 {
			return 0, fmt.Errorf("runtime/metrics: no %s", v.Name)
		}
		total += int64(v.Value.Uint64())
	}
	return total, nil
}

func (selfProbe) describe() (string, string) {
	return "getrusage of the bench process (server and load generator together)",
		"live heap + goroutine stacks of the bench process (server and client sides together)"
}

// pidProbe reads another process through /proc (Linux).
type pidProbe struct{ pid int }

// clockTick is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux build that matters (sysconf is out of reach without cgo).
const clockTick = time.Second / 100

func (p pidProbe) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime and stime, fields 14 and 15 of /proc/PID/stat;
// the command name, field 2, may hold spaces and parentheses, so the
// fields are counted from its closing parenthesis.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("/proc/PID/stat: no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 { // fields 3 to 15
		return 0, errors.New("/proc/PID/stat: too few fields")
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/PID/stat: %w", err)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

func (p pidProbe) mem() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(b)
}

func parseVmRSS(b []byte) (int64, error) {
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/PID/status: VmRSS: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("/proc/PID/status: no VmRSS")
}

func (p pidProbe) describe() (string, string) { return procSources(strconv.Itoa(p.pid), "") }

// procSources says where a pidProbe reads the process pid, then more.
func procSources(pid, more string) (cpu, mem string) {
	return "utime+stime of /proc/" + pid + "/stat" + more, "VmRSS of /proc/" + pid + "/status" + more
}
