package room

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"palabre/internal/fakeclock"
)

// A ban holds its holder: a banned key's holder does not come straight
// back from the same network without the key.

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func TestBanHoldsItsHolder(t *testing.T) {
	type comer struct{ key, addr string }
	tests := []struct {
		name     string
		opts     Options
		target   comer // the member banned
		newcomer comer
		refused  bool
		scope    Ban // what the operator is told: Target, Net, Exempt
	}{
		// A ban on a key.
		{"the key, from elsewhere", Options{}, comer{"SHA256:eve", "192.0.2.7:1"}, comer{"SHA256:eve", "198.51.100.1:9"}, true,
			Ban{Target: "SHA256:eve", Net: "192.0.2.7"}},
		{"no key, same address", Options{}, comer{"SHA256:eve", "192.0.2.7:1"}, comer{"", "192.0.2.7:2"}, true,
			Ban{Target: "SHA256:eve", Net: "192.0.2.7"}},
		{"no key, another address", Options{}, comer{"SHA256:eve", "192.0.2.7:1"}, comer{"", "192.0.2.8:2"}, false,
			Ban{Target: "SHA256:eve", Net: "192.0.2.7"}},
		{"another key, same address", Options{}, comer{"SHA256:eve", "192.0.2.7:1"}, comer{"SHA256:ann", "192.0.2.7:2"}, false,
			Ban{Target: "SHA256:eve", Net: "192.0.2.7"}},
		{"the operator's key, same address", Options{}, comer{"SHA256:eve", "192.0.2.7:1"}, comer{"SHA256:prof", "192.0.2.7:2"}, false,
			Ban{Target: "SHA256:eve", Net: "192.0.2.7"}},
		{"no key, same IPv6 network", Options{}, comer{"SHA256:eve", "[2001:db8:1:2::200]:1"}, comer{"", "[2001:db8:1:2::201]:2"}, true,
			Ban{Target: "SHA256:eve", Net: "2001:db8:1:2::/64"}},
		{"no key, another IPv6 network", Options{}, comer{"SHA256:eve", "[2001:db8:1:2::200]:1"}, comer{"", "[2001:db8:1:3::200]:2"}, false,
			Ban{Target: "SHA256:eve", Net: "2001:db8:1:2::/64"}},
		{"no key, same IPv6 /56 with IPv6Prefix 56", Options{IPv6Prefix: 56}, comer{"SHA256:eve", "[2001:db8:1:2::200]:1"}, comer{"", "[2001:db8:1:3::200]:2"}, true,
			Ban{Target: "SHA256:eve", Net: "2001:db8:1::/56"}},
		{"no key, same address, IPv4 mapped", Options{}, comer{"SHA256:eve", "192.0.2.7:1"}, comer{"", "[::ffff:192.0.2.7]:2"}, true,
			Ban{Target: "SHA256:eve", Net: "192.0.2.7"}},
		{"no key, same address, exempt network", Options{Exempt: loopback}, comer{"SHA256:eve", "127.0.0.5:1"}, comer{"", "127.0.0.5:2"}, false,
			Ban{Target: "SHA256:eve", Net: "127.0.0.5", Exempt: true}},
		{"the key, exempt network", Options{Exempt: loopback}, comer{"SHA256:eve", "127.0.0.5:1"}, comer{"SHA256:eve", "127.0.0.5:2"}, true,
			Ban{Target: "SHA256:eve", Net: "127.0.0.5", Exempt: true}},

		// A ban on a member without a key: its network.
		{"address: no key, same address", Options{}, comer{"", "192.0.2.7:1"}, comer{"", "192.0.2.7:2"}, true,
			Ban{Target: "192.0.2.7", Net: "192.0.2.7"}},
		{"address: no key, same IPv6 network", Options{}, comer{"", "[2001:db8:1:2::200]:1"}, comer{"", "[2001:db8:1:2::201]:2"}, true,
			Ban{Target: "2001:db8:1:2::/64", Net: "2001:db8:1:2::/64"}},
		{"address: a key, same address", Options{}, comer{"", "192.0.2.7:1"}, comer{"SHA256:ann", "192.0.2.7:2"}, false,
			Ban{Target: "192.0.2.7", Net: "192.0.2.7"}},
		{"address: the operator's key, same address", Options{}, comer{"", "192.0.2.7:1"}, comer{"SHA256:prof", "192.0.2.7:2"}, false,
			Ban{Target: "192.0.2.7", Net: "192.0.2.7"}},
		{"address: no key, exempt network, banned all the same", Options{Exempt: loopback}, comer{"", "127.0.0.5:1"}, comer{"", "127.0.0.5:2"}, true,
			Ban{Target: "127.0.0.5", Net: "127.0.0.5", Exempt: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := fakeclock.New(testClock)
			tt.opts.Now, tt.opts.OpKeys = clock.Now, []string{"SHA256:prof"}
			h := newTestHub(t, tt.opts)
			op := joinAs(t, h, "prof", "SHA256:prof", "192.0.2.1:1")
			target := joinAs(t, h, "target", tt.target.key, tt.target.addr)
			op.Drain(nil)
			h.Post(op, "/ban target 1h")
			if target.Reason() != ReasonBanned {
				t.Fatalf("the target left for %v", target.Reason())
			}
			got := op.Drain(nil)
			if len(got) != 2 || got[0].Kind != KindBan || got[1].Kind != KindBanScope || len(got[1].Bans) != 1 {
				t.Fatalf("the operator read %+v, want the ban and what it holds", got)
			}
			if s := got[1].Bans[0]; s.Target != tt.scope.Target || s.Net != tt.scope.Net || s.Exempt != tt.scope.Exempt {
				t.Errorf("the operator was told %+v, want %+v", s, tt.scope)
			}
			_, _, err := h.Join(JoinRequest{Name: "back", Door: DoorSSH, Key: tt.newcomer.key, Addr: tt.newcomer.addr})
			if refused := err != nil; refused != tt.refused {
				t.Fatalf("newcomer %+v: err %v, want refused %v", tt.newcomer, err, tt.refused)
			}
			if !tt.refused {
				return
			}
			clock.Advance(time.Hour) // the ban runs out
			if _, _, err := h.Join(JoinRequest{Name: "later", Door: DoorSSH, Key: tt.newcomer.key, Addr: tt.newcomer.addr}); err != nil {
				t.Errorf("after the ban: %v", err)
			}
		})
	}
}

// /bans shows both parts of each ban; /unban of an address lifts what
// holds it, and leaves the key banned.
func TestBansShowAndLiftBothParts(t *testing.T) {
	clock := fakeclock.New(testClock)
	store := newMemStore()
	h := newTestHub(t, Options{Now: clock.Now, OpKeys: []string{"SHA256:prof"}, Store: store, Exempt: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	op := joinAs(t, h, "prof", "SHA256:prof", "192.0.2.1:1")
	joinAs(t, h, "eve", "SHA256:eve", "192.0.2.7:1")
	joinAs(t, h, "mal", "SHA256:mal", "10.1.2.3:1")
	joinAs(t, h, "tom", "", "[2001:db8:1:2::200]:1")
	for _, line := range []string{"/ban eve", "/ban mal", "/ban tom"} {
		h.Post(op, line)
		clock.Advance(time.Second) // /bans lists them in the order given
	}
	op.Drain(nil)
	h.Post(op, "/bans")
	want := []string{
		"3 ban(s):",
		"  1. eve (SHA256:eve) by prof until lifted",
		"    the ban holds the key and every newcomer without a key from 192.0.2.7",
		"  2. mal (SHA256:mal) by prof until lifted",
		"    the ban holds the key only: 10.1.2.3 is an exempt network (a class behind one address)",
		"  3. tom (2001:db8:1:2::/64) by prof until lifted",
		"    the ban holds every newcomer without a key from 2001:db8:1:2::/64",
		"/unban N lifts ban N of this list; /unban NAME, /unban KEY|ADDRESS too",
	}
	if got := LangEN.Describe(lastOf(t, op, KindBans)); got != strings.Join(want, "\n") {
		t.Errorf("/bans reads\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}

	h.Post(op, "/unban 192.0.2.7")
	if u := lastOf(t, op, KindUnban); u.Text != "192.0.2.7" {
		t.Errorf("unban: %+v", u)
	}
	if _, _, err := h.Join(JoinRequest{Name: "x1", Addr: "192.0.2.7:5"}); err != nil {
		t.Errorf("no key from the address, after its unban: %v", err)
	}
	if _, _, err := h.Join(JoinRequest{Name: "x2", Key: "SHA256:eve", Addr: "192.0.2.9:5"}); err == nil {
		t.Error("the key came back after the unban of its address")
	}
	if b := store.bans["SHA256:eve"]; b.Net != "" {
		t.Errorf("stored %+v, want the key alone", b)
	}
	// An address of a banned IPv6 network lifts the network's ban.
	h.Post(op, "/unban 2001:db8:1:2::abc")
	if _, _, err := h.Join(JoinRequest{Name: "x3", Addr: "[2001:db8:1:2::201]:5"}); err != nil {
		t.Errorf("after the unban of its network: %v", err)
	}
	h.Post(op, "/unban 2001:db8:1:2::abc")
	if e := lastOf(t, op, KindError); e.Err != ErrNoSuchBan {
		t.Errorf("a second unban: %+v", e)
	}
	if _, ok := store.bans["2001:db8:1:2::/64"]; ok || len(store.bans) != 2 {
		t.Errorf("stored bans %v, want eve's and mal's", store.bans)
	}
}

// A ban on an IPv6 address kept by an older palabre (its target the bare
// address) holds its network once loaded.
func TestBanOnAnAddressFromAnOlderStore(t *testing.T) {
	store := newMemStore()
	store.bans["2001:db8:1:2::200"] = Ban{Target: "2001:db8:1:2::200"}
	h := newTestHub(t, Options{Store: store, State: State{Bans: []Ban{{Target: "2001:db8:1:2::200", Name: "tom"}, {Target: "SHA256:eve"}}}})
	if _, _, err := h.Join(JoinRequest{Name: "x1", Addr: "[2001:db8:1:2::201]:5"}); err == nil {
		t.Error("a neighbour of the banned address came in")
	}
	if _, _, err := h.Join(JoinRequest{Name: "x2", Addr: "192.0.2.7:5"}); err != nil {
		t.Errorf("the key's ban holds no address: %v", err)
	}
	if b, ok := store.bans["2001:db8:1:2::/64"]; !ok || b.Net != b.Target || b.Name != "tom" || len(store.bans) != 1 {
		t.Errorf("stored bans %v, want the network's only", store.bans)
	}
}

// /unban takes what /bans shows: the number of a ban in the list this
// operator was last shown, or the banned name; and still a key or an
// address. A number or name that means no ban, or more than one, lifts
// nothing.
func TestUnbanByNumberOrName(t *testing.T) {
	clock := fakeclock.New(testClock)
	store := newMemStore()
	h := newTestHub(t, Options{Now: clock.Now, OpKeys: []string{"SHA256:prof", "SHA256:aide"}, Store: store})
	op := joinAs(t, h, "prof", "SHA256:prof", "192.0.2.1:1")
	aide := joinAs(t, h, "aide", "SHA256:aide", "192.0.2.1:2")
	banned := map[string]bool{}
	comeBack := func(name, key, addr string) bool {
		t.Helper()
		m, _, err := h.Join(JoinRequest{Name: name, Door: DoorSSH, Key: key, Addr: addr})
		if err == nil {
			h.Leave(m, ReasonQuit)
		}
		return err != nil
	}
	for _, who := range []struct{ name, key, addr string }{
		{"ann", "SHA256:ann", "198.51.100.1:1"},
		{"bea", "SHA256:bea", "198.51.100.2:1"},
		{"cid", "", "198.51.100.3:1"},
		{"dan", "SHA256:dan", "198.51.100.4:1"},
	} {
		joinAs(t, h, who.name, who.key, who.addr)
		h.Post(op, "/ban "+who.name)
		banned[who.name] = true
		clock.Advance(time.Second) // /bans lists them in the order given
	}

	// Numbers need a list shown first.
	h.Post(op, "/unban 1")
	if e := lastOf(t, op, KindError); e.Err != ErrNoBanNumbered || e.Text != "1" {
		t.Fatalf("/unban 1 before /bans: %+v", e)
	}
	h.Post(op, "/bans")
	list := lastOf(t, op, KindBans)
	if got := LangEN.Describe(list); !strings.Contains(got, "  2. bea (SHA256:bea) by prof until lifted") {
		t.Fatalf("/bans reads\n%s", got)
	}
	for _, n := range []string{"0", "5", "99999999999999999999"} {
		h.Post(op, "/unban "+n)
		if e := lastOf(t, op, KindError); e.Err != ErrNoBanNumbered {
			t.Errorf("/unban %s: %+v", n, e)
		}
	}

	// Another operator lifts ann's ban meanwhile: the numbers this one was
	// shown still mean what it was shown, never the next ban down.
	h.Post(aide, "/unban ann")
	if u := lastOf(t, aide, KindUnban); u.Text != "SHA256:ann" || u.To != "ann" {
		t.Errorf("/unban ann: %+v", u)
	}
	h.Post(op, "/unban 1")
	if e := lastOf(t, op, KindError); e.Err != ErrNoSuchBan || e.Text != "SHA256:ann" {
		t.Errorf("/unban 1 once ann's ban was lifted: %+v; want a refusal, bea still banned", e)
	}
	h.Post(op, "/unban 2")
	if u := lastOf(t, op, KindUnban); u.Text != "SHA256:bea" || u.To != "bea" {
		t.Errorf("/unban 2: %+v", u)
	}
	if got := LangEN.Describe(Message{Kind: KindUnban, Text: "SHA256:bea", To: "bea"}); got != "the ban on bea (SHA256:bea) is lifted" {
		t.Errorf("the confirmation reads %q", got)
	}
	h.Post(op, "/unban CID") // names in any case
	if u := lastOf(t, op, KindUnban); u.Text != "198.51.100.3" || u.To != "cid" {
		t.Errorf("/unban CID: %+v", u)
	}
	h.Post(op, "/unban SHA256:dan")
	lastOf(t, op, KindUnban)
	h.Post(op, "/unban zed")
	if e := lastOf(t, op, KindError); e.Err != ErrNoSuchBan {
		t.Errorf("/unban zed: %+v", e)
	}
	if len(store.bans) != 0 {
		t.Errorf("stored bans %v; want none", store.bans)
	}
	for _, who := range []struct{ name, key, addr string }{
		{"ann", "SHA256:ann", "198.51.100.1:1"}, {"bea", "SHA256:bea", "198.51.100.2:1"},
		{"cid", "", "198.51.100.3:1"}, {"dan", "SHA256:dan", "198.51.100.4:1"},
	} {
		if comeBack(who.name, who.key, who.addr) {
			t.Errorf("%s is still refused", who.name)
		}
	}

	// Two bans hold one name (a keyless eve, then a keyed one): the name
	// alone lifts neither.
	joinAs(t, h, "eve", "", "203.0.113.1:1")
	h.Post(op, "/ban eve")
	joinAs(t, h, "eve", "SHA256:eve", "203.0.113.2:1")
	h.Post(op, "/ban eve")
	h.Post(op, "/unban eve")
	if e := lastOf(t, op, KindError); e.Err != ErrBanAmbiguous || e.Text != "eve" {
		t.Errorf("/unban eve with two bans: %+v", e)
	}
	if len(store.bans) != 2 {
		t.Errorf("stored bans %v; want both of eve's", store.bans)
	}
}
