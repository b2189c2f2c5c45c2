// Package bench measures a palabre server under load, over loopback only:
// it connects TCP members, SSH members with a pty and web members (the
// WebSocket of the web door), makes some of them
// send at a steady rate, finds each message's unique token in every other
// member's stream (a screen's bytes stripped of escape codes, a web
// member's messages' text), and reports
// loss, latency from send to first sighting, throughput, and what the
// server spent in CPU and memory.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Addrs are a server's doors on loopback, HOST:PORT; Web is its HTTP
// listener, "" when it has none.
type Addrs struct{ TCP, SSH, Web string }

// StartFunc starts a server on loopback for the run and returns its doors'
// addresses and how to stop it; web asks for the web door too.
type StartFunc func(ctx context.Context, web bool) (addrs Addrs, stop func() error, err error)

// Config is one run, as the flags of `palabre bench` give it.
type Config struct {
	TCPClients int           // members on the TCP door that read
	SSHClients int           // members on the SSH door, each with a pty, that read the screen
	Stalled    int           // TCP members that read their welcome, then never again
	StalledSSH int           // SSH members, each with a pty, that read their welcome, then never again
	WebClients int           // members on the web door (a WebSocket each) that read
	StalledWeb int           // web members that read their welcome, then never again
	Senders    int           // how many of the reading members send
	Rate       float64       // messages per second, per sender
	Duration   time.Duration // the measured window, after the warm-up
	Warmup     time.Duration // sending before the measured window, not counted
	Drain      time.Duration // how long to wait for stragglers after the last send; 0: 2 s

	// Rooms spreads the members evenly over rooms bench-1 … bench-N, each
	// of them moving into its room before anyone sends, the senders spread
	// evenly too; a message is then expected by the other members of its
	// sender's room only. 0 or 1: everyone in the default room.
	Rooms int
	// StalledFirstRoom puts every stalled member in bench-1 instead of
	// spreading them, to show what a slow reader costs the other rooms.
	StalledFirstRoom bool
	// FloodRate, when more than 0, makes a reading member of bench-1 send
	// that many messages a second more, on top of its share: a flood in
	// one room, to show what it costs the others.
	FloodRate float64

	// AddrTCP, AddrSSH and AddrWeb (the HTTP listener, whose /ws is the
	// web door) target a running server (HOST:PORT on loopback), or
	// several separated by commas — the nodes of a cluster that share the
	// rooms — over which the door's members, and its senders, go round;
	// all empty: StartServer starts one in this process.
	AddrTCP, AddrSSH, AddrWeb string
	// PID is the running server's process, read in /proc for its CPU time
	// and memory; 0: not measured. Only with a running server's address.
	PID int
	// PIDs are more processes of the running server (a cluster's nodes),
	// after PID: each is measured, and the report gives them one by one
	// and summed. 0s are left out.
	PIDs        []int
	StartServer StartFunc
	// IKnow runs against a running server without first counting who is
	// in its room; without it the bench refuses a room with anyone in it,
	// who would read every message the bench sends.
	IKnow bool
	// Course says the server at AddrTCP is the course's own threaded
	// server (internal/bench/testdata/course_server.py), measured beside
	// palabre: TCP members only, one room, its greeting as the welcome,
	// and nobody counted first (it has no /who).
	Course bool
	// Resolver resolves the addresses' names, each checked to be loopback;
	// nil: the system's.
	Resolver *net.Resolver

	// CPUProfile, when not nil, receives a pprof CPU profile of the
	// measured window; the in-process server only.
	CPUProfile io.Writer
	// Progress, when not nil, shows a progress bar, redrawn in place.
	Progress io.Writer

	// ConnectRate is how many members start connecting each second, each
	// in a goroutine of its own, without waiting for the others' welcomes;
	// 0: every member at once, a join storm as a class arriving makes.
	ConnectRate float64
	// ConnectTimeout bounds each member's connection, handshake and
	// welcome; 0: DefaultConnectTimeout.
	ConnectTimeout time.Duration
	Cols, Rows     int // the screens' size; 0: 100 × 30
	// SSHMargins makes each screen's terminal answer, as xterm does, that
	// it has left and right margins (DECLRMM) when the server asks: the
	// server then scrolls the message column alone, beside the member
	// list. Without it the screens answer nothing, as a terminal without
	// them may.
	SSHMargins bool
}

// Defaults of the flags.
const (
	DefaultDuration = 10 * time.Second
	DefaultWarmup   = 2 * time.Second
	DefaultDrain    = 2 * time.Second
	// DefaultConnectTimeout is how long a member may take to be welcomed.
	DefaultConnectTimeout = 30 * time.Second
)

func (c Config) withDefaults() Config {
	if c.Drain <= 0 {
		c.Drain = DefaultDrain
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.Cols <= 0 || c.Rows <= 0 {
		c.Cols, c.Rows = 100, 30
	}
	return c
}

func (c Config) external() bool { return c.AddrTCP != "" || c.AddrSSH != "" || c.AddrWeb != "" }

// pids are the processes to measure, PID first; none: not measured.
func (c Config) pids() []int {
	var pids []int
	for _, pid := range append([]int{c.PID}, c.PIDs...) {
		if pid != 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// readers is how many members read: those that may send, and receive.
func (c Config) readers() int { return c.TCPClients + c.SSHClients + c.WebClients }

// total is every member of the run, the stalled ones included.
func (c Config) total() int { return c.readers() + c.Stalled + c.StalledSSH + c.StalledWeb }

func (c Config) check() error {
	switch {
	case c.TCPClients < 0 || c.SSHClients < 0 || c.WebClients < 0 || c.Stalled < 0 || c.StalledSSH < 0 || c.StalledWeb < 0 || c.Senders < 0:
		return errors.New("member counts must be 0 or more")
	case c.readers() == 0:
		return errors.New("no members: give --tcp-clients, --ssh-clients or --web-clients")
	case c.Senders > c.readers():
		return fmt.Errorf("%d senders, but only %d reading members to send", c.Senders, c.readers())
	case c.Senders > 0 && (c.Rate <= 0 || math.IsInf(c.Rate, 0) || math.IsNaN(c.Rate)):
		return errors.New("--rate must be more than 0 messages per second")
	case c.Duration <= 0:
		return errors.New("--duration must be more than 0")
	case c.Warmup < 0:
		return errors.New("--warmup must be 0 or more")
	case c.ConnectRate < 0 || math.IsInf(c.ConnectRate, 0) || math.IsNaN(c.ConnectRate):
		return errors.New("--connect-rate must be 0 (all at once) or more connections per second")
	case c.Rooms < 0 || c.Rooms > c.readers():
		return fmt.Errorf("--rooms %d: want 0 (one room) up to the %d reading members", c.Rooms, c.readers())
	case c.FloodRate < 0 || math.IsInf(c.FloodRate, 0) || math.IsNaN(c.FloodRate):
		return errors.New("--flood-rate must be 0 (no flood) or more messages per second")
	case (c.FloodRate > 0 || c.StalledFirstRoom) && c.Rooms < 2:
		return errors.New("--flood-rate and --stalled-first-room load one room beside the others: give --rooms 2 or more")
	}
	if c.external() {
		if c.TCPClients+c.Stalled > 0 && c.AddrTCP == "" {
			return errors.New("TCP members against a running server need --addr-tcp")
		}
		if c.SSHClients+c.StalledSSH > 0 && c.AddrSSH == "" {
			return errors.New("SSH members against a running server need --addr-ssh")
		}
		if c.WebClients+c.StalledWeb > 0 && c.AddrWeb == "" {
			return errors.New("web members against a running server need --addr-web")
		}
		if c.Course && (c.AddrTCP == "" || c.SSHClients+c.StalledSSH+c.WebClients+c.StalledWeb > 0 || c.Rooms > 1) {
			return errors.New("--course benches the course's server: TCP members only (--addr-tcp), in its one room")
		}
		if c.AddrTCP == "" && c.AddrSSH == "" && !c.IKnow {
			// The count of who is there reads the line protocol's welcome.
			return errors.New("the bench counts who is in a running server's room by its TCP or SSH door: give --addr-tcp or --addr-ssh too, or --i-know")
		}
		if c.CPUProfile != nil {
			return errors.New("--cpuprofile profiles the in-process server only: drop --addr-tcp, --addr-ssh and --addr-web")
		}
		given := map[int]bool{}
		for _, pid := range c.pids() {
			if pid < 0 || given[pid] {
				return fmt.Errorf("--pid %d: want each process of the server once, by its id", pid)
			}
			given[pid] = true
		}
		return nil
	}
	if len(c.pids()) > 0 {
		return errors.New("--pid reads a running server: give its --addr-tcp, --addr-ssh or --addr-web too")
	}
	if c.StartServer == nil {
		return errors.New("no server: give --addr-tcp and --addr-ssh")
	}
	return nil
}

type phase int32

const (
	phaseConnect phase = iota
	phaseWarmup
	phaseMeasure
	phaseDrain
	phaseDone
)

// runner is the state of one run, shared by the members' goroutines.
type runner struct {
	cfg Config
	run string // sets this run's tokens apart
	// Each door's addresses, resolved: HOST:PORT, several (a cluster's
	// nodes) separated by commas. webAddr is the HTTP listener's; the
	// socket is at /ws.
	tcpAddr, sshAddr, webAddr string
	cols, rows                int
	start                     time.Time // the origin of every time below, on the monotonic clock

	senders, slots int // message ids are sender*slots + seq
	// The flood, when there is one, is sender number senders, of flooder;
	// its ids follow the senders', floodSlots of them.
	flood      bool
	flooder    *member
	floodSlots int
	// t0 is when the first sender sends; the measured window is
	// [measureStart, sendEnd).
	t0, measureStart, sendEnd time.Duration
	sendTimes                 []atomic.Int64 // by message id; 0: not sent

	members []*member
	rooms   int           // 1: the default room only
	inRoom  [][nDoors]int // reading members, by room and door

	hist       [nDoors]histogram      // latencies, by the receiver's door
	roomHist   []histogram            // latencies of the senders' messages, by the receiver's room, with rooms
	floodHist  histogram              // latencies of the flood's messages
	seen       [nDoors]atomic.Int64   // measured deliveries, by the receiver's door
	roomSent   [][nDoors]atomic.Int64 // measured messages, by the sender's room and door
	floodSent  atomic.Int64           // measured messages of the flood
	crossed    atomic.Int64           // tokens seen by a member of another room than their sender's: none, unless rooms leak
	sentTotal  atomic.Int64
	sendErrors atomic.Int64
	strays     atomic.Int64 // tokens of this run that were never sent: none, unless something is wrong
	maxLag     atomic.Int64 // how far a send fell behind its schedule
	connected  atomic.Int64
	closing    atomic.Bool
	phase      atomic.Int32
}

func (r *runner) since() time.Duration { return time.Since(r.start) }

// at is when message seq of sender s is due: each sender on its own
// steady schedule, the senders spread evenly over one interval; the flood
// on its own.
func (r *runner) at(s, seq int) time.Duration {
	if s == r.senders {
		return r.t0 + time.Duration(float64(seq)*float64(time.Second)/r.cfg.FloodRate)
	}
	return r.t0 + time.Duration((float64(s)/float64(r.senders)+float64(seq))*float64(time.Second)/r.cfg.Rate)
}

// id is the number of message seq of sender s, or false when no message of
// this run has them.
func (r *runner) id(s, seq int) (int, bool) {
	switch {
	case s < 0 || seq < 0:
		return 0, false
	case s < r.senders && seq < r.slots:
		return s*r.slots + seq, true
	case s == r.senders && r.flood && seq < r.floodSlots:
		return r.senders*r.slots + seq, true
	}
	return 0, false
}

// own reports whether sender s is member m: its own words, on a screen.
func (r *runner) own(m *member, s int) bool {
	return s == m.sender || (r.flood && s == r.senders && m == r.flooder)
}

// deliver counts the first sighting of a token by member m.
func (r *runner) deliver(m *member, s, seq int, now time.Duration) {
	if r.own(m, s) {
		return
	}
	id, ok := r.id(s, seq)
	if !ok {
		return // no message of this run
	}
	sent := r.sendTimes[id].Load()
	if sent == 0 {
		r.strays.Add(1)
		return
	}
	word, bit := id>>6, uint64(1)<<(id&63)
	if m.seen[word]&bit != 0 {
		return // a screen drawn again
	}
	m.seen[word] |= bit
	if r.senderRoom(s) != m.room {
		r.crossed.Add(1) // warm-up or not: a room leaked
		return
	}
	if r.at(s, seq) < r.measureStart {
		return // warm-up
	}
	d := now - time.Duration(sent)
	r.hist[m.door].add(d)
	switch {
	case s == r.senders:
		r.floodHist.add(d)
	case r.roomHist != nil:
		r.roomHist[m.room].add(d)
	}
	r.seen[m.door].Add(1)
	m.seenN.Add(1)
}

// Run connects the members, sends, waits for the stragglers and reports.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return Report{}, err
	}
	r := &runner{cfg: cfg, run: newRunID(), cols: cfg.Cols, rows: cfg.Rows, start: time.Now(), rooms: max(1, cfg.Rooms)}
	rep := Report{Cores: runtime.NumCPU(), TCPMembers: cfg.TCPClients, SSHMembers: cfg.SSHClients, WebMembers: cfg.WebClients,
		Stalled: cfg.Stalled, StalledSSH: cfg.StalledSSH, StalledWeb: cfg.StalledWeb, ConnectRate: cfg.ConnectRate, SSHMargins: cfg.SSHMargins,
		Senders: cfg.Senders, Rate: cfg.Rate, DurationS: cfg.Duration.Seconds(), WarmupS: cfg.Warmup.Seconds(),
		Rooms: max(1, cfg.Rooms), StalledFirstRoom: cfg.StalledFirstRoom, FloodRate: cfg.FloodRate}

	var prs probes // the server's processes; none: not measured
	fdsPerMember := uint64(1)
	if cfg.external() {
		rep.Server = "external"
		var err error
		if cfg.AddrTCP != "" {
			if r.tcpAddr, err = loopbacks(ctx, cfg.Resolver, "--addr-tcp", cfg.AddrTCP); err != nil {
				return rep, err
			}
		}
		if cfg.AddrSSH != "" {
			if r.sshAddr, err = loopbacks(ctx, cfg.Resolver, "--addr-ssh", cfg.AddrSSH); err != nil {
				return rep, err
			}
		}
		if cfg.AddrWeb != "" {
			if r.webAddr, err = loopbacks(ctx, cfg.Resolver, "--addr-web", cfg.AddrWeb); err != nil {
				return rep, err
			}
		}
		if !cfg.IKnow && !cfg.Course {
			others, err := r.countOthers(ctx)
			if err != nil {
				return rep, fmt.Errorf("counting the room's members before the run (--i-know skips it): %w", err)
			}
			if others > 0 && r.rooms <= 1 {
				return rep, fmt.Errorf("the room has %d member(s), who would be flooded with the bench's messages: bench an empty room, or give --i-know", others)
			}
			if others > 0 {
				return rep, fmt.Errorf("the default room and bench-1 … bench-%d have %d member(s), who would be flooded with the bench's messages and moves: bench empty rooms, or give --i-know", r.rooms, others)
			}
		}
		for _, pid := range cfg.pids() {
			p := pidProbe{pid}
			if _, err := p.cpu(); err != nil {
				return rep, fmt.Errorf("--pid %d: %w", pid, err)
			}
			prs = append(prs, p)
			rep.Processes = append(rep.Processes, ProcessFigures{PID: pid})
		}
		if len(prs) == 1 {
			rep.Processes = nil // one server: the figures say it all
		}
	} else {
		rep.Server = "in-process"
		web := cfg.WebClients+cfg.StalledWeb > 0
		addrs, stop, err := cfg.StartServer(ctx, web)
		if err != nil {
			return rep, fmt.Errorf("starting the server: %w", err)
		}
		stopped := false
		defer func() {
			if !stopped {
				stop()
			}
		}()
		if r.tcpAddr, err = loopback(ctx, cfg.Resolver, "the server's TCP address", addrs.TCP); err != nil {
			return rep, err
		}
		if r.sshAddr, err = loopback(ctx, cfg.Resolver, "the server's SSH address", addrs.SSH); err != nil {
			return rep, err
		}
		if web {
			if r.webAddr, err = loopback(ctx, cfg.Resolver, "the server's web address", addrs.Web); err != nil {
				return rep, err
			}
		}
		prs, fdsPerMember = probes{selfProbe{}}, 2 // both ends of every connection are here
		rep, err = r.measure(ctx, rep, prs, fdsPerMember)
		stopped = true
		if serr := stop(); serr != nil && err == nil {
			err = fmt.Errorf("stopping the server: %w", serr)
		}
		return rep, err
	}
	return r.measure(ctx, rep, prs, fdsPerMember)
}

func newRunID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// measure is the run proper, once the server is known.
func (r *runner) measure(ctx context.Context, rep Report, prs probes, fdsPerMember uint64) (Report, error) {
	cfg := r.cfg
	total := cfg.total()
	if err := raiseNoFile(uint64(total)*fdsPerMember + 256); err != nil {
		return rep, err
	}

	if err := r.plan(); err != nil {
		return rep, err
	}

	stopProgress := r.showProgress(total)
	defer stopProgress()
	defer r.closeAll()

	var memBefore []int64
	memErr := errNotMeasured
	if prs != nil {
		memBefore, memErr = prs.mem()
	}
	// perMemberKB is the memory grown since before connecting, per member:
	// the processes' together, and each one's (over every member too, so
	// that they add up).
	perMemberKB := func(now []int64) (float64, []float64) {
		var all int64
		each := make([]float64, len(now))
		for i := range now {
			all += now[i] - memBefore[i]
			each[i] = float64(now[i]-memBefore[i]) / float64(total) / 1024
		}
		return float64(all) / float64(total) / 1024, each
	}

	// Connect: every member in a goroutine of its own, started on the
	// connect rate's schedule or all at once; none waits for another's
	// welcome, as students do not.
	began := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for i, m := range r.members {
		g.Go(func() error {
			if cfg.ConnectRate > 0 {
				at := began.Add(time.Duration(float64(i) / cfg.ConnectRate * float64(time.Second)))
				if err := sleepUntil(gctx, at); err != nil {
					return err
				}
			}
			connect := r.connectTCP
			switch m.door {
			case doorSSH:
				connect = r.connectSSH
			case doorWeb:
				connect = r.connectWeb
			}
			if err := connect(gctx, m); err != nil {
				kind := m.door.String()
				if m.stalled {
					kind = "stalled " + kind
				}
				return fmt.Errorf("%s member %d of %d: %w", kind, i+1, total, err)
			}
			r.connected.Add(1)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return rep, err
	}
	rep.Connected = int(r.connected.Load())
	rep.ConnectS = round3(time.Since(began).Seconds())
	if memErr == nil {
		var after []int64
		if after, memErr = prs.mem(); memErr == nil {
			v, each := perMemberKB(after)
			rep.MemPerMemberKB = &v
			for i := range rep.Processes {
				rep.Processes[i].MemPerMemberKB = &each[i]
			}
		}
	}

	// Send: a goroutine per sender, on its own schedule.
	r.t0 = r.since() + 50*time.Millisecond
	r.measureStart = r.t0 + cfg.Warmup
	r.sendEnd = r.measureStart + cfg.Duration
	r.phase.Store(int32(phaseWarmup))
	var wg sync.WaitGroup
	for _, m := range r.members {
		if m.sender >= 0 {
			wg.Go(func() { r.send(ctx, m, m.sender) })
		}
	}
	if r.flood {
		wg.Go(func() { r.send(ctx, r.flooder, r.senders) })
	}

	// The measured window: CPU time, and the profile.
	if err := sleepUntil(ctx, r.start.Add(r.measureStart)); err != nil {
		wg.Wait()
		return rep, err
	}
	r.phase.Store(int32(phaseMeasure))
	var cpu0 []time.Duration
	cpuErr := errNotMeasured
	if prs != nil {
		cpu0, cpuErr = prs.cpu()
	}
	self0, selfErr := selfCPU() // the load generator's own, when the server is apart
	if cfg.CPUProfile != nil {
		if err := pprof.StartCPUProfile(cfg.CPUProfile); err != nil {
			wg.Wait()
			return rep, fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	wg.Wait()
	// The window lasts its whole duration, even if every sender stopped early.
	werr := sleepUntil(ctx, r.start.Add(r.sendEnd))
	if cfg.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	if werr != nil {
		return rep, werr
	}
	if self1, err := selfCPU(); selfErr == nil && err == nil && cfg.external() {
		v := round3((self1 - self0).Seconds())
		rep.BenchCPUS = &v
	}
	if cpuErr == nil {
		var cpu1 []time.Duration
		if cpu1, cpuErr = prs.cpu(); cpuErr == nil {
			var all float64
			for i := range cpu1 {
				v := (cpu1[i] - cpu0[i]).Seconds()
				all += v
				if rep.Processes != nil {
					rep.Processes[i].CPUS = &v
				}
			}
			rep.CPUS = &all
		}
	}
	// Memory once more at the end: what the traffic made the server hold
	// (scrollback, buffers, the collector's headroom), not only the join.
	if memErr == nil {
		if end, err := prs.mem(); err == nil {
			v, each := perMemberKB(end)
			rep.MemEndPerMemberKB = &v
			if rep.Processes != nil {
				var all int64
				for i := range rep.Processes {
					kb := end[i] >> 10
					all += kb
					rep.Processes[i].MemEndPerMemberKB, rep.Processes[i].RSSKB = &each[i], &kb
				}
				rep.RSSKB = &all
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}

	// Drain: wait for the stragglers, or until the drain time is up.
	r.phase.Store(int32(phaseDrain))
	expected := r.expected()
	deadline := time.Now().Add(cfg.Drain)
	for r.seenAll() < sum(expected) && time.Now().Before(deadline) {
		if err := sleepUntil(ctx, time.Now().Add(20*time.Millisecond)); err != nil {
			return rep, err
		}
	}
	r.phase.Store(int32(phaseDone))
	hungUp := r.stalledDropped()
	rep.StalledDropped, rep.StalledSSHDropped, rep.StalledWebDropped = hungUp[doorTCP], hungUp[doorSSH], hungUp[doorWeb]
	r.fill(&rep, expected, prs)
	return rep, nil
}

// plan lays the run out before anyone connects: the schedule, room for
// every message's send time and for what each reader saw, and the members,
// each in its room.
func (r *runner) plan() error {
	cfg := r.cfg
	r.senders = cfg.Senders
	window := (cfg.Warmup + cfg.Duration).Seconds()
	if r.senders > 0 {
		r.slots = int(math.Ceil(window*cfg.Rate)) + 1
	}
	if r.flood = cfg.FloodRate > 0; r.flood {
		r.floodSlots = int(math.Ceil(window*cfg.FloodRate)) + 1
	}
	ids := r.senders*r.slots + r.floodSlots
	readers := cfg.readers()
	if ids > 50_000_000 || float64(ids)/8*float64(readers) > 4<<30 {
		return fmt.Errorf("%d messages to %d members is more than the bench keeps track of: lower --senders, --rate, --flood-rate or --duration", ids, readers)
	}
	r.sendTimes = make([]atomic.Int64, ids)

	r.rooms = max(1, cfg.Rooms)
	r.roomSent = make([][nDoors]atomic.Int64, r.rooms)
	if r.rooms > 1 {
		r.roomHist = make([]histogram, r.rooms)
	}
	r.spread()
	for _, m := range r.members[:readers] {
		m.seen = make([]uint64, (ids+63)/64)
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send sends the messages of sender s, member m, on its schedule until the
// end of the window. A send that falls behind goes at once: the schedule
// does not wait for the server, so a slow server shows as latency, not as
// fewer messages.
func (r *runner) send(ctx context.Context, m *member, s int) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	buf := make([]byte, 0, maxTokenLen)
	slots, flood := r.slots, s == r.senders
	if flood {
		slots = r.floodSlots
	}
	for seq := range slots {
		at := r.at(s, seq)
		if at >= r.sendEnd {
			return
		}
		if d := at - r.since(); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		now := r.since()
		for lag := now - at; !flood; { // the flood goes as fast as it can: its lag is no news
			old := r.maxLag.Load()
			if int64(lag) <= old || r.maxLag.CompareAndSwap(old, int64(lag)) {
				break
			}
		}
		id, _ := r.id(s, seq)
		r.sendTimes[id].Store(int64(now))
		buf = append(appendToken(buf[:0], r.run, s, seq), m.eol)
		if _, err := m.write(buf); err != nil {
			r.sendErrors.Add(1)
			return
		}
		r.sentTotal.Add(1)
		if at >= r.measureStart {
			r.roomSent[m.room][m.door].Add(1)
			m.sentN.Add(1)
			if flood {
				r.floodSent.Add(1)
			}
		}
	}
}

// expected is how many measured deliveries there should be, by the
// receiver's door: each measured message to every reading member of its
// sender's room but its sender.
func (r *runner) expected() [nDoors]int64 {
	var e [nDoors]int64
	for room := range r.rooms {
		for from := range nDoors {
			n := r.roomSent[room][from].Load()
			for to := range nDoors {
				others := int64(r.inRoom[room][to])
				if from == to {
					others-- // not to its sender
				}
				e[to] += n * others
			}
		}
	}
	return e
}

// sentIn is how many measured messages were sent in room.
func (r *runner) sentIn(room int) int64 {
	var n int64
	for d := range nDoors {
		n += r.roomSent[room][d].Load()
	}
	return n
}

// seenAll is how many measured deliveries were seen, all doors together.
func (r *runner) seenAll() int64 {
	var n int64
	for d := range nDoors {
		n += r.seen[d].Load()
	}
	return n
}

func sum(by [nDoors]int64) int64 {
	var n int64
	for _, v := range by {
		n += v
	}
	return n
}

// stalledDropped finds how many stalled members the server has hung up
// on, by door. A TCP member's stream, or a web member's socket, is read to
// its end, if it comes within half a second; an SSH member's client read
// its connection all along (into the session's buffer, up to the channel's
// window), so its session has ended already if the server closed it or the
// connection, or ends within that half second.
func (r *runner) stalledDropped() [nDoors]int {
	var n [nDoors]atomic.Int64
	var wg sync.WaitGroup
	for _, m := range r.members {
		if !m.stalled {
			continue
		}
		wg.Go(func() {
			patience := 500 * time.Millisecond
			if m.door == doorSSH {
				if m.ended == nil {
					return // never had a session
				}
				t := time.NewTimer(patience)
				defer t.Stop()
				select {
				case <-m.ended:
					n[doorSSH].Add(1)
				case <-t.C:
				}
				return
			}
			if m.door == doorWeb {
				if m.ws != nil && webHungUp(m.ws, patience) {
					n[doorWeb].Add(1)
				}
				return
			}
			_ = m.conn.SetReadDeadline(time.Now().Add(patience))
			if _, err := io.Copy(io.Discard, m.conn); err == nil {
				n[doorTCP].Add(1) // the end of the stream: hung up on
			}
		})
	}
	wg.Wait()
	var out [nDoors]int
	for d := range nDoors {
		out[d] = int(n[d].Load())
	}
	return out
}

func (r *runner) closeAll() {
	r.closing.Store(true)
	for _, m := range r.members {
		m.close()
	}
	for _, m := range r.members {
		if m.reading {
			<-m.gone
		}
		if m.ended != nil {
			<-m.ended
		}
	}
}

// fill puts the figures into rep.
func (r *runner) fill(rep *Report, expected [nDoors]int64, prs probes) {
	cfg := r.cfg
	var all histogram
	var seen [nDoors]int64
	for d := range nDoors {
		all.merge(&r.hist[d])
		seen[d] = r.seen[d].Load()
	}

	rep.SentTotal = r.sentTotal.Load()
	for room := range r.rooms {
		rep.Sent += r.sentIn(room)
	}
	rep.FloodSent = r.floodSent.Load()
	rep.Expected = sum(expected)
	rep.Seen = sum(seen)
	rep.Lost = max(0, rep.Expected-rep.Seen)
	rep.LossPct = pct(rep.Lost, rep.Expected)
	rep.TCPExpected, rep.TCPSeen = expected[doorTCP], seen[doorTCP]
	rep.SSHExpected, rep.SSHSeen = expected[doorSSH], seen[doorSSH]
	rep.WebExpected, rep.WebSeen = expected[doorWeb], seen[doorWeb]
	rep.P50ms, rep.P90ms, rep.P99ms = ms(all.quantile(.50)), ms(all.quantile(.90)), ms(all.quantile(.99))
	rep.MaxMs = ms(time.Duration(all.max.Load()))
	rep.TCPP50ms, rep.TCPP99ms = ms(r.hist[doorTCP].quantile(.50)), ms(r.hist[doorTCP].quantile(.99))
	rep.SSHP50ms, rep.SSHP99ms = ms(r.hist[doorSSH].quantile(.50)), ms(r.hist[doorSSH].quantile(.99))
	rep.WebP50ms, rep.WebP99ms = ms(r.hist[doorWeb].quantile(.50)), ms(r.hist[doorWeb].quantile(.99))
	rep.DeliveriesPerS = round3(float64(rep.Seen) / cfg.Duration.Seconds())
	rep.CPUSPer1000 = per1000(rep.CPUS, rep.Seen)
	round3p(rep.MemPerMemberKB, rep.MemEndPerMemberKB, rep.CPUS)
	for i := range rep.Processes {
		p := &rep.Processes[i]
		p.CPUSPer1000 = per1000(p.CPUS, rep.Seen) // of every delivery: the processes' add up
		round3p(p.MemPerMemberKB, p.MemEndPerMemberKB, p.CPUS)
	}
	rep.SendLagMaxMs = ms(time.Duration(r.maxLag.Load()))
	rep.SendErrors = r.sendErrors.Load()
	r.lossByCause(rep)
	rep.Strays = r.strays.Load()
	rep.Crossed = r.crossed.Load()
	r.roomFigures(rep)
	if prs != nil {
		rep.CPUSource, rep.MemSource = prs.describe()
	}
	rep.Notes = r.notes(rep)
}

// lossByCause splits the loss: what went with members the server hung up
// on, and what members still connected at the end never saw.
func (r *runner) lossByCause(rep *Report) {
	for _, m := range r.members {
		if m.stalled || m.seen == nil {
			continue
		}
		lost := r.sentIn(m.room) - m.sentN.Load() - m.seenN.Load()
		switch {
		case m.dropped.Load():
			rep.Dropped++
			if phase(m.lostIn.Load()) < phaseMeasure {
				rep.DroppedBeforeWindow++
			}
			rep.LostDropped += lost
			if rep.DropReasons == nil {
				rep.DropReasons = map[string]int{}
			}
			rep.DropReasons[lastLine(m.tail)]++
		case m.door == doorSSH:
			rep.LostSSHConnected += lost
		case m.door == doorWeb:
			rep.LostWebConnected += lost
		default:
			rep.LostTCPConnected += lost
		}
	}
}

// memberName matches the names of the bench's members, and the count of a
// line that gathers many ("NAME and 499 others left"), to count the reasons
// members were dropped for by kind.
var (
	memberName = regexp.MustCompile(`\bThread-\d+\b|\bWeb-\d+\b|\bb[0-9a-f]{4}s\d+\b`)
	others     = regexp.MustCompile(`\b(and|et) \d+ (others?|autres?)\b`)
)

// lastLine is the last line of a dropped member's stream, which tells why
// when the server said so, with member names written NAME. A screen's rows,
// stripped of the escape codes that place them, run together into one line:
// its farewell is then the line's end, from the "*** " that marks a server
// line on both doors.
func lastLine(b []byte) string {
	lines := bytes.FieldsFunc(b, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := len(lines) - 1; i >= 0; i-- {
		if l := bytes.TrimSpace(lines[i]); len(l) > 0 {
			if j := bytes.LastIndex(l, []byte("*** ")); j > 0 {
				l = l[j:]
			}
			return others.ReplaceAllString(memberName.ReplaceAllString(string(l), "NAME"), "$1 N $2")
		}
	}
	return "(the connection ended without a word)"
}

func (r *runner) notes(rep *Report) []string {
	var notes []string
	if rep.Server == "in-process" {
		notes = append(notes, "in-process: the load generator shares the server's process and cores; CPU and memory count both; for the server alone, run it apart and give --addr-tcp, --addr-ssh and --pid")
	}
	if rep.LostSSHConnected > 0 {
		notes = append(notes, fmt.Sprintf("%d deliveries never showed on SSH screens that stayed connected: drawn after the drain, or never drawn — a screen draws at most 30 frames a second and shows its last %d rows, so lines that scroll past between two frames are never drawn",
			rep.LostSSHConnected, r.rows-2))
	}
	if rep.LostTCPConnected > 0 {
		notes = append(notes, fmt.Sprintf("%d deliveries to TCP members that stayed connected came after the drain (%v), or never", rep.LostTCPConnected, r.cfg.Drain))
	}
	if rep.LostWebConnected > 0 {
		notes = append(notes, fmt.Sprintf("%d deliveries to web members that stayed connected came after the drain (%v), or never", rep.LostWebConnected, r.cfg.Drain))
	}
	if interval := time.Duration(float64(time.Second) / max(r.cfg.Rate, 1e-9)); r.senders > 0 && time.Duration(r.maxLag.Load()) > interval/10 {
		notes = append(notes, fmt.Sprintf("the load generator fell up to %.1f ms behind its schedule: latency runs from the actual send, so that delay is not in it", rep.SendLagMaxMs))
	}
	if rep.Dropped > 0 {
		reasons := slices.Sorted(maps.Keys(rep.DropReasons))
		for i, why := range reasons {
			reasons[i] = fmt.Sprintf("%d× %q", rep.DropReasons[why], why)
		}
		early := ""
		if rep.DroppedBeforeWindow > 0 {
			early = fmt.Sprintf(" (%d of them before the measured window: while the members connected, or in the warm-up)", rep.DroppedBeforeWindow)
		}
		notes = append(notes, fmt.Sprintf("%d reading members lost their connection during the run%s, and %d deliveries with them; their last lines: %s",
			rep.Dropped, early, rep.LostDropped, strings.Join(reasons, ", ")))
	}
	if rep.Strays > 0 {
		notes = append(notes, fmt.Sprintf("%d tokens were seen that were never sent", rep.Strays))
	}
	if rep.Crossed > 0 {
		notes = append(notes, fmt.Sprintf("ERROR: %d messages were seen by members of another room than their sender's", rep.Crossed))
	}
	return notes
}

func pct(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return math.Round(float64(part)/float64(whole)*100*1e4) / 1e4
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// round3p rounds the figures that were measured.
func round3p(vs ...*float64) {
	for _, v := range vs {
		if v != nil {
			*v = round3(*v)
		}
	}
}

// per1000 is cpu seconds per 1000 of seen deliveries, nil when either is
// missing.
func per1000(cpu *float64, seen int64) *float64 {
	if cpu == nil || seen == 0 {
		return nil
	}
	v := math.Round(*cpu/float64(seen)*1000*1e6) / 1e6 // small: µs matter
	return &v
}

// showProgress draws a bar on cfg.Progress about four times a second,
// until the returned function is called.
func (r *runner) showProgress(total int) func() {
	w := r.cfg.Progress
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintf(w, "\r%*s\r", 78, "")
				return
			case <-t.C:
				fmt.Fprintf(w, "\r%-78s", r.progressLine(total))
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

func (r *runner) progressLine(total int) string {
	var frac float64
	var text string
	seen := r.seenAll()
	switch p := phase(r.phase.Load()); p {
	case phaseConnect:
		n := r.connected.Load()
		frac = float64(n) / float64(total)
		text = fmt.Sprintf("connecting %d/%d members", n, total)
	case phaseWarmup, phaseMeasure:
		frac = float64(r.since()-r.t0) / float64(r.sendEnd-r.t0)
		label := "warm-up"
		if p == phaseMeasure {
			label = "measuring"
		}
		text = fmt.Sprintf("%s  sent %d  seen %d", label, r.sentTotal.Load(), seen)
	default:
		e := r.expected()
		frac = 1
		text = fmt.Sprintf("draining  seen %d of %d", seen, sum(e))
	}
	frac = min(max(frac, 0), 1)
	const width = 20
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < int(frac*width) {
			bar[i] = '#'
		}
	}
	return fmt.Sprintf("[%s] %3.0f%% %s", bar, frac*100, text)
}
