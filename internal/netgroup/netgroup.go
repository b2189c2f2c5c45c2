// Package netgroup names the network an address stands for in every rule
// kept per address (connection limits, password checks, bans): an IPv4
// address is itself, while one IPv6 subscriber holds a whole prefix (a /64
// by default), so counting /128s would let one machine be a hundred.
// IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
package netgroup

import (
	"net"
	"net/netip"
)

// DefaultIPv6Prefix is the prefix length one IPv6 subscriber is given.
const DefaultIPv6Prefix = 64

// Of returns the network ip stands for: ip/32 for IPv4, ip masked to
// v6bits for IPv6 (v6bits outside 1..128: DefaultIPv6Prefix).
func Of(ip netip.Addr, v6bits int) netip.Prefix {
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	if v6bits <= 0 || v6bits > 128 {
		v6bits = DefaultIPv6Prefix
	}
	p, _ := ip.Prefix(v6bits)
	return p
}

// Parse reads an address as peers give it: "host:port", "[v6]:port", a
// bare IP, or a net.Addr's String. ok is false when it holds no IP.
func Parse(addr string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap().WithZone(""), true
}

// Key is the text that names addr's network in tables and bans: "192.0.2.7"
// for IPv4, "2001:db8:1:2::/64" for IPv6. An address that is not an IP is
// returned as it is.
func Key(addr string, v6bits int) string {
	ip, ok := Parse(addr)
	if !ok {
		return addr
	}
	p := Of(ip, v6bits)
	if ip.Is4() {
		return p.Addr().String()
	}
	return p.String()
}
