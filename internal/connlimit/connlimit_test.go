package connlimit

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

func tcpAddr(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }

func TestMaxPerIP(t *testing.T) {
	l := &Limiter{MaxPerIP: 3}
	var releases []func()
	for i := range 3 {
		rel, err := l.Admit(tcpAddr("10.0.0.1:1000"))
		if err != nil {
			t.Fatalf("connection %d refused: %v", i, err)
		}
		releases = append(releases, rel)
	}
	if _, err := l.Admit(tcpAddr("10.0.0.1:1004")); !errors.Is(err, ErrTooMany) {
		t.Fatalf("4th connection: err = %v, want ErrTooMany", err)
	}
	if _, err := l.Admit(tcpAddr("10.0.0.2:1000")); err != nil {
		t.Fatalf("another address refused: %v", err)
	}
	releases[0]()
	releases[0]() // twice is harmless
	if got := l.Open(tcpAddr("10.0.0.1:1")); got != 2 {
		t.Fatalf("open = %d after one release, want 2", got)
	}
	if _, err := l.Admit(tcpAddr("10.0.0.1:1005")); err != nil {
		t.Fatalf("after a release: %v", err)
	}
}

func TestRate(t *testing.T) {
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	l := &Limiter{Rate: 2, Burst: 4, Now: func() time.Time { return now }}
	admitted := 0
	for range 10 {
		if rel, err := l.Admit(tcpAddr("[2001:db8::1]:5")); err == nil {
			admitted++
			rel()
		} else if !errors.Is(err, ErrTooFast) {
			t.Fatalf("err = %v, want ErrTooFast", err)
		}
	}
	if admitted != 4 {
		t.Fatalf("admitted %d at once, want the burst of 4", admitted)
	}
	now = now.Add(time.Second) // two more slots
	admitted = 0
	for range 10 {
		if rel, err := l.Admit(tcpAddr("[2001:db8::1]:5")); err == nil {
			admitted++
			rel()
		}
	}
	if admitted != 2 {
		t.Fatalf("admitted %d a second later, want 2", admitted)
	}
}

func TestExempt(t *testing.T) {
	l := &Limiter{MaxPerIP: 1, Rate: 1, Burst: 1, Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("192.0.2.0/24")}}
	for _, a := range []string{"127.0.0.1:1", "192.0.2.77:1", "[::ffff:192.0.2.8]:1"} {
		for i := range 50 {
			if _, err := l.Admit(tcpAddr(a)); err != nil {
				t.Fatalf("%s connection %d: %v", a, i, err)
			}
		}
	}
	if _, err := l.Admit(tcpAddr("198.51.100.1:1")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Admit(tcpAddr("198.51.100.1:2")); err == nil {
		t.Fatal("a second connection from a limited address was admitted")
	}
}

// Idle networks are forgotten as admissions go, a few at a time: a scan
// from ever new addresses leaves a table the size of what it sent in the
// time a network takes to go idle, not of everything it ever sent.
func TestSweepForgetsIdleAddresses(t *testing.T) {
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	l := &Limiter{MaxPerIP: 2, Rate: 100, Burst: 1, Now: func() time.Time { return now }}
	for i := range 10000 {
		now = now.Add(time.Second) // the earlier addresses' limits have refilled
		rel, err := l.Admit(v4(i))
		if err != nil {
			t.Fatal(err)
		}
		rel()
	}
	if n := l.nets.len(); n > 2 {
		t.Errorf("%d addresses remembered, want at most 2 (each idle a second after it came)", n)
	}
}

// v4 is the i-th address of 10.0.0.0/8.
func v4(i int) net.Addr {
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 1))
}

// v6 is the i-th address of the /64 2001:db8:1:2::/64, or of the i-th /64
// of 2001:db8::/32 when apart.
func v6(i int, apart bool) net.Addr {
	a := netip.MustParseAddr("2001:db8:1:2::").As16()
	if apart {
		a[4], a[5], a[6], a[7] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	}
	a[12], a[13], a[14], a[15] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	return &net.TCPAddr{IP: net.IP(a[:]), Port: 40000 + i%1000}
}

// One IPv6 subscriber holds a /64: its hundred addresses are one network
// for the limits, as many as one IPv4 address; an IPv4-mapped address is
// the IPv4 address it carries.
func TestIPv6AddressesCountByNetwork(t *testing.T) {
	t.Run("open connections", func(t *testing.T) {
		for _, tt := range []struct {
			prefix, want int
		}{{0, 4}, {64, 4}, {128, 100}} {
			l := &Limiter{MaxPerIP: 4, IPv6Prefix: tt.prefix}
			admitted := 0
			for i := range 100 {
				if _, err := l.Admit(v6(i+1, false)); err == nil {
					admitted++
				} else if !errors.Is(err, ErrTooMany) {
					t.Fatal(err)
				}
			}
			if admitted != tt.want {
				t.Errorf("prefix %d: %d of 100 addresses of one /64 admitted, want %d", tt.prefix, admitted, tt.want)
			}
		}
	})
	t.Run("rate of new connections", func(t *testing.T) {
		now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
		l := &Limiter{Rate: 1, Burst: 4, Now: func() time.Time { return now }}
		admitted := 0
		for i := range 200 {
			if rel, err := l.Admit(v6(i%100+1, false)); err == nil {
				admitted++
				rel()
			}
		}
		if admitted != 4 {
			t.Errorf("%d of 200 connections from one /64 admitted at once, want the burst of 4", admitted)
		}
		if _, err := l.Admit(v6(1, true)); err != nil {
			t.Errorf("another /64: %v", err)
		}
	})
	t.Run("IPv4-mapped", func(t *testing.T) {
		l := &Limiter{MaxPerIP: 2}
		for _, a := range []string{"1.2.3.4:1", "[::ffff:1.2.3.4]:2"} {
			if _, err := l.Admit(tcpAddr(a)); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
		}
		for _, a := range []net.Addr{tcpAddr("1.2.3.4:3"), tcpAddr("[::ffff:1.2.3.4]:4"), &net.TCPAddr{IP: net.ParseIP("1.2.3.4").To16(), Port: 5}} {
			if _, err := l.Admit(a); !errors.Is(err, ErrTooMany) {
				t.Errorf("%s, a third connection of 1.2.3.4: err = %v, want ErrTooMany", a, err)
			}
		}
		if got := l.Open(tcpAddr("[::ffff:1.2.3.4]:9")); got != 2 {
			t.Errorf("open = %d, want 2", got)
		}
	})
}

// An admission examines the same few entries whatever the number of
// networks tracked: no sweep of the whole table past some size (the time it
// takes is BenchmarkAdmit's).
func TestSweepWorkIsBounded(t *testing.T) {
	for _, tracked := range []int{100, 10000} {
		var tb table[int, int]
		for i := range tracked {
			tb.get(i, func() int { return i })
		}
		for range 1000 {
			examined := 0
			tb.sweep(func(*int) bool { examined++; return examined%2 == 0 })
			if examined > sweepStep {
				t.Fatalf("%d tracked: one sweep examined %d entries, want at most %d", tracked, examined, sweepStep)
			}
		}
		if n := tb.len(); n < tracked-2*1000 || n > tracked {
			t.Errorf("%d tracked: %d left after 1000 sweeps forgetting every other entry examined", tracked, n)
		}
	}
}

func BenchmarkAdmit(b *testing.B) {
	for _, tracked := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("tracked=%d", tracked), func(b *testing.B) {
			l := &Limiter{MaxPerIP: 4, Rate: 100, Burst: 10}
			for i := range tracked {
				if _, err := l.Admit(v6(i, true)); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				rel, err := l.Admit(v4(i))
				if err != nil {
					b.Fatal(err)
				}
				rel()
			}
		})
	}
}
