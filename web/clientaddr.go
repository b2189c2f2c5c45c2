package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the browser's address, for limits and bans: the
// connection's peer; or, when the peer is one of the trusted proxies, the
// address X-Forwarded-For gives: the last one in it that is not a trusted
// proxy itself, read from the right, as each proxy appends its peer (what
// is left of it was written by the client, and a client can write
// anything there). A header that does not parse is the peer's fault: the
// peer's address is kept.
func clientAddr(r *http.Request, trusted []netip.Prefix) net.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return &net.TCPAddr{}
	}
	if !within(trusted, peer.Addr()) {
		return net.TCPAddrFromAddrPort(peer)
	}
	hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
	if hops == nil {
		return net.TCPAddrFromAddrPort(peer)
	}
	client := peer.Addr()
	for i := len(hops) - 1; i >= 0; i-- {
		client = hops[i]
		if !within(trusted, client) {
			break
		}
	}
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(client, 0))
}

// forwardedFor parses the X-Forwarded-For headers, in order; nil if any
// entry is not an address.
func forwardedFor(values []string) []netip.Addr {
	var hops []netip.Addr
	for _, v := range values {
		for f := range strings.SplitSeq(v, ",") {
			f = strings.TrimSpace(f)
			a, err := netip.ParseAddr(f)
			if err != nil {
				ap, perr := netip.ParseAddrPort(f) // "1.2.3.4:5678", "[::1]:80"
				if perr != nil {
					return nil
				}
				a = ap.Addr()
			}
			hops = append(hops, a.Unmap().WithZone(""))
		}
	}
	return hops
}

func within(nets []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, n := range nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}
