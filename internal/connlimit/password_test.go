package connlimit

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"palabre/internal/fakeclock"
)

var (
	t0       = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
)

// frozen is a clock that moves only when told: a wait is recorded, not
// slept, so that a test counts turns exactly.
type frozen struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *frozen) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *frozen) Sleep(d time.Duration, cancel <-chan struct{}) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	select {
	case <-cancel:
		return false
	default:
		return true
	}
}

func (c *frozen) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// outcome words what a check ended with, for tables.
func outcome(right bool, err error) string {
	var w *WaitError
	switch {
	case errors.As(err, &w):
		return fmt.Sprintf("refused, retry in %v", w.RetryIn)
	case err != nil:
		return err.Error()
	case right:
		return "right"
	}
	return "wrong"
}

// A network gives its burst of wrong answers at once, then one per
// interval; a loopback or exempt network has a class's burst.
func TestPasswordGateBurstThenPace(t *testing.T) {
	for _, tt := range []struct {
		name  string
		addr  string
		burst int
		every time.Duration
	}{
		{"a limited address", "198.51.100.7:1", DefaultPasswordBurst, DefaultPasswordEvery},
		{"loopback (exempt)", "127.0.0.1:1", DefaultExemptPasswordBurst, DefaultExemptPasswordEvery},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := &frozen{now: t0}
			g := &PasswordGate{Exempt: loopback, MaxWait: -1, Now: clock.Now, Sleep: clock.Sleep}
			a := tcpAddr(tt.addr)
			for i := range tt.burst {
				if got := outcome(g.Check(a, "guess", "sesame", nil)); got != "wrong" {
					t.Fatalf("wrong answer %d of the burst: %s", i+1, got)
				}
			}
			want := fmt.Sprintf("refused, retry in %v", tt.every)
			if got := outcome(g.Check(a, "sesame", "sesame", nil)); got != want {
				t.Fatalf("past the burst: %s, want %s", got, want)
			}
			clock.add(tt.every)
			if got := outcome(g.Check(a, "guess", "sesame", nil)); got != "wrong" {
				t.Fatalf("an interval later: %s, want one more check", got)
			}
			if got := outcome(g.Check(a, "guess", "sesame", nil)); got != want {
				t.Fatalf("then: %s, want %s", got, want)
			}
		})
	}
}

// A check past the burst waits its turn, after the turns already given,
// up to MaxWait; the answers compared are never more than the burst and
// one per interval.
func TestPasswordGateQueuesTurns(t *testing.T) {
	clock := &frozen{now: t0}
	g := &PasswordGate{Burst: 3, Every: time.Second, MaxWait: 5 * time.Second, Now: clock.Now, Sleep: clock.Sleep}
	a := tcpAddr("198.51.100.7:1")
	const n = 50
	var wg sync.WaitGroup
	outcomes := make(chan string, n)
	for range n {
		wg.Go(func() { outcomes <- outcome(g.Check(a, "guess", "sesame", nil)) })
	}
	wg.Wait()
	close(outcomes)
	got := map[string]int{}
	for o := range outcomes {
		got[o]++
	}
	if got["wrong"] != 3+5 {
		t.Errorf("%v: want 8 checks (a burst of 3, then 5 turns within 5 s)", got)
	}
	waits := map[time.Duration]int{}
	for _, w := range clock.waits {
		waits[w]++
	}
	for s := 1; s <= 5; s++ {
		if waits[time.Duration(s)*time.Second] != 1 {
			t.Errorf("waits %v: want one turn each second up to 5 s", clock.waits)
			break
		}
	}
	if got["refused, retry in 6s"] != n-8 {
		t.Errorf("%v: want the rest refused, to retry in 6 s", got)
	}
}

// A right answer takes nothing from the network's allowance: a class may
// come in together, and someone who knows the password reconnects at will.
func TestPasswordGateRightAnswersAreFree(t *testing.T) {
	clock := &frozen{now: t0}
	g := &PasswordGate{Burst: 2, MaxWait: -1, Now: clock.Now, Sleep: clock.Sleep}
	a := tcpAddr("198.51.100.7:1")
	for i := range 100 {
		if got := outcome(g.Check(a, "sesame", "sesame", nil)); got != "right" {
			t.Fatalf("right answer %d: %s", i+1, got)
		}
	}
	for i := range 2 {
		if got := outcome(g.Check(a, "guess", "sesame", nil)); got != "wrong" {
			t.Fatalf("wrong answer %d: %s", i+1, got)
		}
	}
}

// A wait called off (the connection gone, the server stopping) compares
// nothing and costs nothing.
func TestPasswordGateCancelledWaitGivesTheTurnBack(t *testing.T) {
	clock := &frozen{now: t0}
	g := &PasswordGate{Burst: 1, Every: time.Second, Now: clock.Now, Sleep: clock.Sleep}
	a := tcpAddr("198.51.100.7:1")
	if got := outcome(g.Check(a, "guess", "sesame", nil)); got != "wrong" {
		t.Fatal(got)
	}
	cancelled := make(chan struct{})
	close(cancelled)
	for range 20 {
		if _, err := g.Check(a, "sesame", "sesame", cancelled); !errors.Is(err, ErrGaveUp) {
			t.Fatalf("a cancelled wait: %v", err)
		}
	}
	clock.waits = nil
	if got := outcome(g.Check(a, "guess", "sesame", nil)); got != "wrong" || len(clock.waits) != 1 || clock.waits[0] != time.Second {
		t.Fatalf("after the cancelled waits: %s after %v, want a check after 1 s", got, clock.waits)
	}
}

// Both doors compare the same way: white space around the answer is
// dropped, none inside it.
func TestPasswordGateTrimsTheAnswer(t *testing.T) {
	g := &PasswordGate{}
	for _, tt := range []struct {
		answer string
		right  bool
	}{
		{"sesame", true},
		{"sesame ", true},
		{"  sesame\t", true},
		{"sesame\r\n", true},
		{"ses ame", false},
		{"Sesame", false},
		{"sesam", false},
		{"sesame!", false},
		{"", false},
	} {
		right, err := g.Check(tcpAddr(fmt.Sprintf("198.51.100.%d:1", len(tt.answer))), tt.answer, "sesame", nil)
		if err != nil || right != tt.right {
			t.Errorf("%q: %v, %v; want %v", tt.answer, right, err, tt.right)
		}
	}
}

// The class behind one NAT address: one student guesses every 1.5 s for
// two minutes, and four classmates who know the password come in along the
// way. None is refused; none waits at all when the class's network is
// exempt, at most one interval when it is not (the guesser's turn, then
// theirs). Before, each wrong answer kept the whole address out for 2 s.
func TestPasswordGateClassBehindOneNAT(t *testing.T) {
	for _, tt := range []struct {
		name    string
		exempt  []netip.Prefix
		maxWait time.Duration
	}{
		{"exempt NAT", []netip.Prefix{netip.MustParsePrefix("203.0.113.9/32")}, 0},
		{"NAT not declared", nil, DefaultPasswordEvery},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := fakeclock.New(t0)
			g := &PasswordGate{Exempt: tt.exempt, Now: clock.Now, Sleep: clock.Sleep}
			nat := func(port int) net.Addr { return tcpAddr(fmt.Sprintf("203.0.113.9:%d", port)) }
			in, guesses := 0, 0
			for step := range 80 { // 80 × 1.5 s
				if got := outcome(g.Check(nat(1000+step), fmt.Sprintf("guess%d", step), "sesame", nil)); got == "wrong" {
					guesses++
				}
				if step%20 == 10 {
					before := clock.Slept()
					if got := outcome(g.Check(nat(2000+step), "sesame", "sesame", nil)); got != "right" {
						t.Errorf("classmate at %v: %s", clock.Now().Sub(t0), got)
						continue
					}
					in++
					if waited := clock.Slept() - before; waited > tt.maxWait {
						t.Errorf("classmate at %v waited %v, want at most %v", clock.Now().Sub(t0), waited, tt.maxWait)
					}
				}
				clock.Sleep(1500*time.Millisecond, nil)
			}
			t.Logf("%d of 4 classmates in; %d guesses checked in %v", in, guesses, clock.Now().Sub(t0))
			if in != 4 {
				t.Errorf("%d of 4 classmates in", in)
			}
		})
	}
}

// Networks are IPv4 addresses and IPv6 prefixes: a hundred addresses of
// one /64 share one allowance, and an IPv4-mapped address shares its IPv4
// address's.
func TestPasswordGateCountsByNetwork(t *testing.T) {
	clock := &frozen{now: t0}
	g := &PasswordGate{Burst: 4, MaxWait: -1, Now: clock.Now, Sleep: clock.Sleep}
	checked := 0
	for i := range 100 {
		if _, err := g.Check(v6(i+1, false), "guess", "sesame", nil); err == nil {
			checked++
		}
	}
	if checked != 4 {
		t.Errorf("%d wrong answers of 100 from one /64 checked, want the burst of 4", checked)
	}
	if _, err := g.Check(v6(1, true), "guess", "sesame", nil); err != nil {
		t.Errorf("another /64: %v", err)
	}
	for _, a := range []string{"1.2.3.4:1", "[::ffff:1.2.3.4]:2", "1.2.3.4:3", "[::ffff:1.2.3.4]:4"} {
		if _, err := g.Check(tcpAddr(a), "guess", "sesame", nil); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	if _, err := g.Check(tcpAddr("1.2.3.4:5"), "guess", "sesame", nil); !errors.Is(err, ErrTooManyWrong) {
		t.Errorf("the 5th wrong answer of 1.2.3.4, two of them mapped: %v", err)
	}
}

// Once a network's allowance has refilled it is forgotten, a few networks
// at a time as checks go on.
func TestPasswordGateForgetsRefilledNetworks(t *testing.T) {
	clock := &frozen{now: t0}
	g := &PasswordGate{MaxWait: -1, Now: clock.Now, Sleep: clock.Sleep}
	for i := range 5000 {
		_, _ = g.Check(v4(i), "guess", "sesame", nil)
	}
	if n := g.nets.len(); n != 5000 {
		t.Fatalf("%d networks tracked while their wrong answers count, want 5000", n)
	}
	clock.add(DefaultPasswordEvery) // one wrong answer each: refilled
	for i := range 5000 {
		_, _ = g.Check(v6(i, true), "sesame", "sesame", nil)
	}
	if n := g.nets.len(); n > 10 {
		t.Errorf("%d networks tracked once every allowance has refilled, want a handful", n)
	}
}
