package web_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"palabre/internal/connlimit"
	"palabre/room"
	"palabre/web"
)

// joinVia joins as a browser behind a proxy that says it is xff.
func (d *door) joinVia(t *testing.T, xff, hello string) *wsClient {
	t.Helper()
	w, err := d.dial(t, &websocket.DialOptions{HTTPHeader: http.Header{"X-Forwarded-For": {xff}}})
	if err != nil {
		t.Fatal(err)
	}
	w.send(hello)
	w.readOn()
	return w
}

// Behind a trusted proxy (the loopback here), X-Forwarded-For is the
// address the per-address limit counts: two browsers behind the proxy are
// two addresses. From a peer that is not trusted it is ignored: the same
// two are one address, and the second is refused.
func TestTrustedProxyAddressCountsForTheLimit(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		second  string // "": let in
	}{
		{"trusted", loopback, ""},
		{"not trusted", nil, room.LangEN.Refusal(room.RefusedTooMany)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := open(t, room.Options{}, web.MemberDoor{TrustedProxies: tc.trusted, Limits: &connlimit.Limiter{MaxPerIP: 1}})
			d.joinVia(t, "203.0.113.7", hello("ana", "", "")).welcome()
			second := d.joinVia(t, "203.0.113.8", hello("bea", "", ""))
			if tc.second == "" {
				second.welcome()
				// The same browser again is over its limit.
				refusedWith(t, d.joinVia(t, "203.0.113.7", hello("ana2", "", "")), room.LangEN.Refusal(room.RefusedTooMany))
				return
			}
			refusedWith(t, second, tc.second)
		})
	}
}

// A ban on a member behind the proxy holds its address, not the proxy's:
// it comes back refused, and another browser behind the same proxy comes in.
func TestTrustedProxyBanHoldsTheBrowser(t *testing.T) {
	d := open(t, room.Options{OpPassword: "teach"}, web.MemberDoor{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	op := d.join(t, hello("prof", "", "")) // no header: the loopback itself
	op.welcome()
	op.say("/op teach")
	op.expect("op", func(f frame) bool { return f.Kind == "op" })
	pest := d.joinVia(t, "203.0.113.66", hello("pest", "", ""))
	pest.welcome()
	op.expect("pest's join", func(f frame) bool { return f.Kind == "join" && f.From == "pest" })
	op.say("/ban pest 10m")
	op.expect("the ban", func(f frame) bool { return f.Kind == "ban" })
	got, _ := d.joinVia(t, "203.0.113.66", hello("pest2", "", "")).ended()
	if len(got) != 1 || got[0].Type != "bye" || !strings.Contains(got[0].Reason, "banned") {
		t.Errorf("the banned browser: read %+v, want one bye saying banned", got)
	}
	d.joinVia(t, "203.0.113.67", hello("classmate", "", "")).welcome()
	if m := d.hub.Members(); len(m) != 2 {
		t.Errorf("members %+v, want prof and classmate", m)
	}
}
