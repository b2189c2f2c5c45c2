package room

import "testing"

func TestNetworkKey(t *testing.T) {
	for _, tc := range []struct {
		addr string
		bits int
		want string
	}{
		{"192.0.2.7:5000", 64, "192.0.2.7"},
		{"192.0.2.7", 64, "192.0.2.7"},
		{"[::ffff:192.0.2.7]:22", 64, "192.0.2.7"},
		{"[2001:db8:1:2::200]:22", 64, "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::201]:22", 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", 64, "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::1]:22", 48, "2001:db8:1::/48"},
		{"[2001:db8:1:2::1]:22", 128, "2001:db8:1:2::1/128"},
		{"[2001:db8:1:2::1]:22", 0, "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:22", 64, "fe80::/64"},
		{"[::1]:22", 64, "::/64"},
		{"pipe", 64, "pipe"},
		{"", 64, ""},
	} {
		if got := NetworkKey(tc.addr, tc.bits); got != tc.want {
			t.Errorf("NetworkKey(%q, %d) = %q, want %q", tc.addr, tc.bits, got, tc.want)
		}
	}
}
