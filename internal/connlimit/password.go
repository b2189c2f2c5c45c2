package connlimit

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"palabre/room"
)

// Defaults for a PasswordGate's fields left at zero. A home or a phone
// mistypes a few times; a class behind one NAT address mistypes a few
// times each, at the start of the lesson, all together.
const (
	DefaultPasswordBurst       = 5
	DefaultPasswordEvery       = 5 * time.Second
	DefaultExemptPasswordBurst = 30
	DefaultExemptPasswordEvery = time.Second
	DefaultPasswordMaxWait     = 10 * time.Second
)

var (
	// ErrTooManyWrong: the network gave so many wrong passwords lately that
	// its next check is more than MaxWait away (see WaitError).
	ErrTooManyWrong = errors.New("too many wrong passwords from your address")
	// ErrGaveUp: the check was called off while it waited its turn.
	ErrGaveUp = errors.New("password check called off")
)

// WaitError refuses a check without making it: RetryIn is when the
// network may have one at once.
type WaitError struct{ RetryIn time.Duration }

func (e *WaitError) Error() string {
	return fmt.Sprintf("%v; try again in %v", ErrTooManyWrong, e.RetryIn.Round(time.Second))
}

func (e *WaitError) Unwrap() error { return ErrTooManyWrong }

// PasswordGate compares answers with the room password, as many at a time
// as a network has earned: each network (an IPv4 address, an IPv6 prefix)
// has a bucket of Burst wrong answers that refills by one every Every, for
// all its connections and both doors together. A check is made only with a
// token in the bucket; a wrong answer spends it, a right one gives it
// back, so a classmate who knows the password is never held up by one who
// guesses slower than the refill, and waits at most MaxWait for one who
// guesses faster. Past MaxWait a check is refused, with the time to wait.
//
// Exempt networks (loopback, a classroom's NAT) are paced too, with a
// bucket sized for a class. The zero value uses the defaults above and is
// safe for use by several doors at once.
type PasswordGate struct {
	Burst       int           // wrong answers a network may give at once; 0: DefaultPasswordBurst
	Every       time.Duration // past the burst, one check per Every; 0: DefaultPasswordEvery
	ExemptBurst int           // Burst for Exempt networks; 0: DefaultExemptPasswordBurst
	ExemptEvery time.Duration // Every for Exempt networks; 0: DefaultExemptPasswordEvery
	Exempt      []netip.Prefix
	MaxWait     time.Duration // longest wait for a turn; 0: DefaultPasswordMaxWait; below 0: none
	IPv6Prefix  int           // the prefix length of an IPv6 network; 0: room.DefaultIPv6Prefix

	Now   func() time.Time                                   // nil: time.Now
	Sleep func(d time.Duration, cancel <-chan struct{}) bool // nil: a timer; false if cancel closed first

	mu   sync.Mutex
	nets table[gateKey, bucket]
}

// gateKey names a network's bucket; an exempt address and a limited one in
// the same IPv6 prefix do not share one.
type gateKey struct {
	net    netip.Prefix // the zero Prefix for a peer that is not an IP
	exempt bool
}

type bucket struct {
	tokens float64 // wrong answers the network may give now; below 0, checks wait their turn
	at     time.Time
	burst  float64
	every  time.Duration
}

// refill counts the tokens come back since the last count.
func (b *bucket) refill(now time.Time) {
	if now.After(b.at) {
		b.tokens = min(b.burst, b.tokens+float64(now.Sub(b.at))/float64(b.every))
		b.at = now
	}
}

// Check decides on one answer from addr: once the network's turn comes (at
// once, or after a wait that cancel closing calls off), it reports whether
// answer is password. White space around the answer is not part of it (the
// course's client, a terminal, may add some), and the comparison takes the
// same time whatever the answer. An error means no comparison was made.
func (g *PasswordGate) Check(addr net.Addr, answer, password string, cancel <-chan struct{}) (bool, error) {
	k := g.key(addr)
	wait, err := g.take(k)
	if err != nil {
		return false, err
	}
	if wait > 0 && !g.sleep(wait, cancel) {
		g.giveBack(k) // nothing was compared
		return false, ErrGaveUp
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(answer)), []byte(password)) == 1 {
		g.giveBack(k) // a right answer costs the others nothing
		return true, nil
	}
	return false, nil
}

func (g *PasswordGate) key(addr net.Addr) gateKey {
	ip, ok := addrIP(addr)
	if !ok {
		return gateKey{}
	}
	return gateKey{net: room.NetworkOf(ip, g.IPv6Prefix), exempt: exempt(g.Exempt, ip)}
}

// take spends a token of k's bucket, now or after the wait it returns.
func (g *PasswordGate) take(k gateKey) (time.Duration, error) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.nets.sweep(func(b *bucket) bool {
		b.refill(now)
		return b.tokens >= b.burst
	})
	b := g.nets.get(k, func() bucket {
		burst, every := pick(g.Burst, DefaultPasswordBurst), pick(g.Every, DefaultPasswordEvery)
		if k.exempt {
			burst, every = pick(g.ExemptBurst, DefaultExemptPasswordBurst), pick(g.ExemptEvery, DefaultExemptPasswordEvery)
		}
		return bucket{tokens: float64(burst), at: now, burst: float64(burst), every: every}
	})
	b.refill(now)
	if b.tokens >= 1 {
		b.tokens--
		return 0, nil
	}
	wait := time.Duration((1 - b.tokens) * float64(b.every))
	if maxWait := pick(g.MaxWait, DefaultPasswordMaxWait); maxWait < 0 || wait > maxWait {
		return 0, &WaitError{RetryIn: wait}
	}
	b.tokens-- // a turn in the queue: later checks wait after it
	return wait, nil
}

// giveBack returns a token taken for a check that did not cost one.
func (g *PasswordGate) giveBack(k gateKey) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if b := g.nets.lookup(k); b != nil { // else forgotten, as full as it can be
		b.refill(now)
		b.tokens = min(b.burst, b.tokens+1)
	}
}

func (g *PasswordGate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *PasswordGate) sleep(d time.Duration, cancel <-chan struct{}) bool {
	if g.Sleep != nil {
		return g.Sleep(d, cancel)
	}
	return room.Sleep(d, cancel)
}

// pick is v, or def when v is zero.
func pick[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Answer is Check for a door that answers with one line, the course's
// TCP door and the web door: it returns "" for the right password, else
// the line that refuses the connection, having logged why.
func (g *PasswordGate) Answer(addr net.Addr, answer, password string, cancel <-chan struct{}, lang room.Lang, log *slog.Logger) string {
	right, err := g.Check(addr, answer, password, cancel)
	var wait *WaitError
	switch {
	case errors.As(err, &wait):
		log.Info("too many wrong passwords", "addr", addr.String(), "retry_in", wait.RetryIn)
		return lang.TooManyWrongPasswords(wait.RetryIn)
	case err != nil: // shutting down
		return lang.Refusal(room.RefusedShutdown)
	case !right:
		log.Info("wrong room password", "addr", addr.String())
		return lang.Refusal(room.RefusedPassword)
	}
	return ""
}
