package room

// The network an address stands for, in every rule kept per address (bans
// here; connection limits and password checks at the doors): an IPv4
// address is itself, while one IPv6 subscriber holds a whole prefix (a /64
// by default), so counting /128s would let one machine be a hundred.
// IPv4-mapped IPv6 addresses count as the IPv4 address they carry.

import (
	"net"
	"net/netip"
)

// DefaultIPv6Prefix is the prefix length one IPv6 subscriber is given.
const DefaultIPv6Prefix = 64

// NetworkOf returns the network ip stands for: ip/32 for IPv4, ip masked to
// v6bits for IPv6 (v6bits outside 1..128: DefaultIPv6Prefix).
func NetworkOf(ip netip.Addr, v6bits int) netip.Prefix {
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

// ParseAddr reads an address as peers give it: "host:port", "[v6]:port", a
// bare IP, or a net.Addr's String. ok is false when it holds no IP.
func ParseAddr(addr string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap().WithZone(""), true
}

// NetworkKey is the text that names addr's network in tables and bans: "192.0.2.7"
// for IPv4, "2001:db8:1:2::/64" for IPv6. An address that is not an IP is
// returned as it is.
func NetworkKey(addr string, v6bits int) string {
	ip, ok := ParseAddr(addr)
	if !ok {
		return addr
	}
	p := NetworkOf(ip, v6bits)
	if ip.Is4() {
		return p.Addr().String()
	}
	return p.String()
}
