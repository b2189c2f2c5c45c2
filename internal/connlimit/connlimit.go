// Package connlimit turns away connections from one network past a number
// at once or a rate of new ones, so that a script connecting a thousand
// times cannot crowd out a class, and paces the room password's checks per
// network (PasswordGate), so that it cannot be guessed at a script's speed.
// Some networks are exempt from the connection limits: loopback, and a
// classroom that reaches the server from behind one NAT address.
//
// A network is an IPv4 address, or an IPv6 prefix (a /64 by default): see
// room.NetworkOf.
package connlimit

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"palabre/room"
)

var (
	// ErrTooMany: the network has MaxPerIP connections open already.
	ErrTooMany = errors.New("too many connections from your address")
	// ErrTooFast: the network opens new connections faster than Rate.
	ErrTooFast = errors.New("too many new connections from your address; try again in a moment")
)

// Limiter admits connections. The zero value admits everything. It is safe
// for use by several doors at once: the limits count both doors together.
type Limiter struct {
	MaxPerIP   int              // open connections per network; 0: no limit
	Rate       float64          // new connections per second per network; 0: no limit
	Burst      int              // new connections allowed at once before Rate applies
	Exempt     []netip.Prefix   // addresses never limited
	IPv6Prefix int              // the prefix length of an IPv6 network; 0: room.DefaultIPv6Prefix
	Now        func() time.Time // nil: time.Now

	mu   sync.Mutex
	nets table[netip.Prefix, ipState]
}

type ipState struct {
	open int
	new  *rate.Limiter
}

// Admit decides on a new connection from addr. When it is admitted, release
// must be called once the connection has closed; it is safe to call twice.
func (l *Limiter) Admit(addr net.Addr) (release func(), err error) {
	ip, ok := addrIP(addr)
	if !ok || exempt(l.Exempt, ip) || (l.MaxPerIP <= 0 && l.Rate <= 0) {
		return func() {}, nil
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nets.sweep(func(st *ipState) bool { return st.idle(now) })
	st := l.nets.get(room.NetworkOf(ip, l.IPv6Prefix), l.fresh)
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
			st.open-- // never forgotten while open
			l.mu.Unlock()
		})
	}, nil
}

func (l *Limiter) fresh() ipState {
	var st ipState
	if l.Rate > 0 {
		st.new = rate.NewLimiter(rate.Limit(l.Rate), max(l.Burst, 1))
	}
	return st
}

// Open returns how many admitted connections from addr's network are open.
func (l *Limiter) Open(addr net.Addr) int {
	ip, ok := addrIP(addr)
	if !ok {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.nets.lookup(room.NetworkOf(ip, l.IPv6Prefix)); st != nil {
		return st.open
	}
	return 0
}

// idle reports whether forgetting the network would change nothing: it has
// nothing open and its rate limit has refilled.
func (st *ipState) idle(now time.Time) bool {
	return st.open == 0 && (st.new == nil || st.new.TokensAt(now) >= float64(st.new.Burst()))
}

func exempt(nets []netip.Prefix, ip netip.Addr) bool {
	for _, p := range nets {
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

// addrIP is the IP of a peer's address, IPv4-mapped addresses as IPv4.
func addrIP(addr net.Addr) (netip.Addr, bool) {
	if addr == nil {
		return netip.Addr{}, false
	}
	if tcp, ok := addr.(*net.TCPAddr); ok {
		ip, ok := netip.AddrFromSlice(tcp.IP)
		return ip.Unmap().WithZone(""), ok
	}
	return room.ParseAddr(addr.String())
}

// Refusal is what a door tells a connection Admit turned away: too many
// open from its network, or too many new ones lately.
func Refusal(err error) room.Refusal {
	if errors.Is(err, ErrTooMany) {
		return room.RefusedTooMany
	}
	return room.RefusedTooFast
}
