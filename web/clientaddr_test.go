package web

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		trusted    []netip.Prefix
		want       string
	}{
		{"no proxy trusted: the header is ignored", "10.0.0.5:4000", []string{"203.0.113.7"}, nil, "10.0.0.5:4000"},
		{"an untrusted peer's header is ignored", "198.51.100.9:4000", []string{"203.0.113.7"}, proxies, "198.51.100.9:4000"},
		{"a trusted proxy names the client", "10.0.0.5:4000", []string{"203.0.113.7"}, proxies, "203.0.113.7:0"},
		{"what the client wrote before is not believed", "10.0.0.5:4000", []string{"1.2.3.4, 203.0.113.7"}, proxies, "203.0.113.7:0"},
		{"a chain of trusted proxies", "10.0.0.5:4000", []string{"203.0.113.7, 10.1.1.1", "10.2.2.2"}, proxies, "203.0.113.7:0"},
		{"only trusted hops: the first", "10.0.0.5:4000", []string{"10.9.9.9, 10.1.1.1"}, proxies, "10.9.9.9:0"},
		{"IPv6 through an IPv6 proxy", "[fd00::1]:4000", []string{"2001:db8::7"}, proxies, "[2001:db8::7]:0"},
		{"an address with a port", "10.0.0.5:4000", []string{"[2001:db8::7]:5555"}, proxies, "[2001:db8::7]:0"},
		{"IPv4 mapped in IPv6", "10.0.0.5:4000", []string{"::ffff:203.0.113.7"}, proxies, "203.0.113.7:0"},
		{"garbage: the peer", "10.0.0.5:4000", []string{"203.0.113.7, <script>"}, proxies, "10.0.0.5:4000"},
		{"empty entries: the peer", "10.0.0.5:4000", []string{","}, proxies, "10.0.0.5:4000"},
		{"no header: the peer", "10.0.0.5:4000", nil, proxies, "10.0.0.5:4000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tc.peer, Header: http.Header{}}
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, tc.trusted).String(); got != tc.want {
				t.Errorf("clientAddr = %s, want %s", got, tc.want)
			}
		})
	}
}

// Whatever a proxy forwards, the address is the peer's or one the header
// holds, and a header from an untrusted peer never counts.
func FuzzClientAddr(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "1.2.3.4, 10.0.0.1", "[::1]:80", "", ",,", "::ffff:1.2.3.4%eth0", "fe80::1%25x"} {
		f.Add(s, true)
	}
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, xff string, trustedPeer bool) {
		peer := "198.51.100.9:4000"
		if trustedPeer {
			peer = "10.0.0.5:4000"
		}
		r := &http.Request{RemoteAddr: peer, Header: http.Header{"X-Forwarded-For": {xff}}}
		got := clientAddr(r, proxies).String()
		if got == peer {
			return
		}
		if !trustedPeer {
			t.Fatalf("an untrusted peer's header gave %s", got)
		}
		ap, err := netip.ParseAddrPort(got)
		if err != nil || ap.Port() != 0 || ap.Addr().Zone() != "" {
			t.Fatalf("%q gave %q", xff, got)
		}
	})
}
