package bench

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
)

// The doors' addresses: on loopback only, and several for a door when the
// server is a cluster's nodes, each taking its share of the members.

// loopbacks is loopback for each address of list, separated by commas
// (the nodes of a cluster), and returns them in the same form.
func loopbacks(ctx context.Context, res *net.Resolver, flag, list string) (string, error) {
	var out []string
	for addr := range strings.SplitSeq(list, ",") {
		addr, err := loopback(ctx, res, flag, strings.TrimSpace(addr))
		if err != nil {
			return "", err
		}
		out = append(out, addr)
	}
	return strings.Join(out, ","), nil
}

// loopback resolves addr and refuses it unless every address its host
// stands for is a loopback one; it returns the address to dial, so that a
// name cannot resolve elsewhere later.
func loopback(ctx context.Context, res *net.Resolver, flag, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s %q: want HOST:PORT, e.g. 127.0.0.1:12800", flag, addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if res == nil {
		res = net.DefaultResolver
	}
	ips, err := res.LookupIPAddr(ctx, host)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", flag, addr, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return "", fmt.Errorf("%s %q: %s is not a loopback address: the bench only loads a server on this machine (127.0.0.0/8 or ::1)", flag, addr, ip.IP)
		}
	}
	return net.JoinHostPort(ips[0].IP.String(), port), nil
}

// doorAddrs is door d's addresses.
func (r *runner) doorAddrs(d door) []string {
	list := r.tcpAddr
	switch d {
	case doorSSH:
		list = r.sshAddr
	case doorWeb:
		list = r.webAddr
	}
	return strings.Split(list, ",")
}

// addr is where member m connects.
func (r *runner) addr(m *member) string {
	addrs := r.doorAddrs(m.door)
	return addrs[m.at%len(addrs)]
}

// spreadAddrs sends each door's members round its addresses: first the
// senders, then the other readers, then the stalled members, each kind
// room by room. Every address then has senders when the door has as many
// as it has addresses, readers of every room (messages cross the nodes)
// when the room has as many on the door besides its senders, and as many
// members as the others, give or take one.
func (r *runner) spreadAddrs() {
	kind := func(m *member) int {
		switch {
		case m.sender >= 0:
			return 0
		case m.stalled:
			return 2
		}
		return 1
	}
	order := slices.Clone(r.members)
	slices.SortStableFunc(order, func(a, b *member) int {
		return cmp.Or(cmp.Compare(kind(a), kind(b)), cmp.Compare(a.room, b.room))
	})
	var n, next [nDoors]int
	for d := range nDoors {
		n[d] = len(r.doorAddrs(d))
	}
	for _, m := range order {
		m.at = next[m.door] % n[m.door]
		next[m.door]++
	}
}
