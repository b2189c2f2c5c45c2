package connlimit

import (
	"errors"
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

func TestSweepForgetsIdleAddresses(t *testing.T) {
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	l := &Limiter{MaxPerIP: 2, Rate: 100, Burst: 1, Now: func() time.Time { return now }}
	for i := range 3 * sweepAbove {
		now = now.Add(time.Second) // the earlier addresses' limits have refilled
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		rel, err := l.Admit(net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, 1)))
		if err != nil {
			t.Fatal(err)
		}
		rel()
	}
	if len(l.ips) > sweepAbove+1 {
		t.Errorf("%d addresses remembered, want at most %d", len(l.ips), sweepAbove+1)
	}
}

func TestPenalize(t *testing.T) {
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	l := &Limiter{Now: func() time.Time { return now }, Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	a := tcpAddr("127.0.0.5:1")
	l.Penalize(a, 3*time.Second)
	if _, err := l.Admit(a); !errors.Is(err, ErrTooFast) {
		t.Fatalf("right after a wrong password: err = %v (exempt addresses too)", err)
	}
	if _, err := l.Admit(tcpAddr("127.0.0.6:1")); err != nil {
		t.Fatalf("another address: %v", err)
	}
	now = now.Add(3 * time.Second)
	if _, err := l.Admit(a); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
}
