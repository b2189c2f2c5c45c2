// Package connlimit turns away connections from one address past a number
// at once or a rate of new ones, so that a script connecting a thousand
// times cannot crowd out a class. Some networks are exempt: loopback, and a
// classroom that reaches the server from behind one NAT address.
package connlimit

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

var (
	// ErrTooMany: the address has MaxPerIP connections open already.
	ErrTooMany = errors.New("too many connections from your address")
	// ErrTooFast: the address opens new connections faster than Rate, or
	// gave a wrong password a moment ago.
	ErrTooFast = errors.New("too many new connections from your address; try again in a moment")
)

// Limiter admits connections. The zero value admits everything. It is safe
// for use by several doors at once: the limits count both doors together.
type Limiter struct {
	MaxPerIP int              // open connections per address; 0: no limit
	Rate     float64          // new connections per second per address; 0: no limit
	Burst    int              // new connections allowed at once before Rate applies
	Exempt   []netip.Prefix   // addresses never limited
	Now      func() time.Time // nil: time.Now

	mu  sync.Mutex
	ips map[netip.Addr]*ipState
}

type ipState struct {
	open     int
	new      *rate.Limiter
	notUntil time.Time // a wrong password: no new connection before then
}

// sweepAbove is how many addresses may be tracked before idle ones are forgotten.
const sweepAbove = 1024

// Admit decides on a new connection from addr. When it is admitted, release
// must be called once the connection has closed; it is safe to call twice.
func (l *Limiter) Admit(addr net.Addr) (release func(), err error) {
	ip, ok := addrIP(addr)
	if !ok {
		return func() {}, nil
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.ips[ip]; st != nil && now.Before(st.notUntil) {
		return nil, ErrTooFast // even when exempt: passwords are not guessed at speed
	}
	if l.exempt(ip) || (l.MaxPerIP <= 0 && l.Rate <= 0) {
		return func() {}, nil
	}
	if l.ips == nil {
		l.ips = make(map[netip.Addr]*ipState)
	}
	st := l.ips[ip]
	if st == nil {
		if len(l.ips) >= sweepAbove {
			l.sweepLocked(now)
		}
		st = &ipState{}
		if l.Rate > 0 {
			st.new = rate.NewLimiter(rate.Limit(l.Rate), max(l.Burst, 1))
		}
		l.ips[ip] = st
	}
	if l.MaxPerIP > 0 && st.open >= l.MaxPerIP {
		return nil, ErrTooMany
	}
	if st.new != nil && !st.new.AllowN(now, 1) {
		return nil, ErrTooFast
	}
	st.open++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			st.open--
			l.mu.Unlock()
		})
	}, nil
}

// Penalize keeps addr from connecting again for d: after a wrong password,
// so that a password cannot be guessed at the speed of a script.
func (l *Limiter) Penalize(addr net.Addr, d time.Duration) {
	ip, ok := addrIP(addr)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ips == nil {
		l.ips = make(map[netip.Addr]*ipState)
	}
	st := l.ips[ip]
	if st == nil {
		st = &ipState{}
		if l.Rate > 0 {
			st.new = rate.NewLimiter(rate.Limit(l.Rate), max(l.Burst, 1))
		}
		l.ips[ip] = st
	}
	st.notUntil = l.now().Add(d)
}

// Open returns how many admitted connections from addr are open.
func (l *Limiter) Open(addr net.Addr) int {
	ip, _ := addrIP(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.ips[ip]; st != nil {
		return st.open
	}
	return 0
}

// sweepLocked forgets addresses with nothing open whose rate limit has
// refilled: remembering them would change nothing.
func (l *Limiter) sweepLocked(now time.Time) {
	for ip, st := range l.ips {
		if st.open == 0 && !now.Before(st.notUntil) && (st.new == nil || st.new.TokensAt(now) >= float64(st.new.Burst())) {
			delete(l.ips, ip)
		}
	}
}

func (l *Limiter) exempt(ip netip.Addr) bool {
	for _, p := range l.Exempt {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func addrIP(addr net.Addr) (netip.Addr, bool) {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		ip, ok := netip.AddrFromSlice(tcp.IP)
		return ip.Unmap(), ok
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}
