package main

import (
	"fmt"
	"net"
	"testing"
)

// twoNodes is two nodes of a cluster behind a test load balancer (link),
// a page entered as ana through it, on node 1, and a TCP member of node 2
// in the page's room.
type twoNodes struct {
	stop1  func()
	a2     map[string]net.Addr
	link   *flakyLink
	origin string
	tb     *tab
	tcpM   *member
}

// pageOnNodeOne starts twoNodes, the page and the TCP member in room ("":
// the default), and waits until the page lists the TCP member.
func pageOnNodeOne(t *testing.T, room string) twoNodes {
	t.Helper()
	url := natsApart(t)
	a1, stop1 := serveAt(t, natsNode(t, url, "node1", "127.0.0.1:0"))
	a2, _ := serveAt(t, natsNode(t, url, "node2", "127.0.0.1:0"))
	link := newFlakyLink(t, a1["http"].String())
	c := twoNodes{stop1: stop1, a2: a2, link: link, origin: "http://" + link.ln.Addr().String(), tb: openTab(t)}
	page := c.origin + "/?name=ana"
	if room != "" {
		page += "&room=" + room
	}
	c.tb.enter(page)
	c.tcpM = joinTCP(t, a2["tcp"].String())
	if room != "" {
		c.tcpM.send(t, "/join "+room)
	}
	c.tb.waitFor("the TCP member of node 2 listed", `[...document.querySelectorAll("#members li")].some(li => li.firstChild.textContent === `+js(c.tcpM.name)+`)`)
	return c
}

// A web member whose node goes away comes back by itself on another node
// of the cluster, through the same address (the link is the load
// balancer): under its own name, in its room, shown once what was said
// while it was away and nothing twice. The stream's numbers, the same on
// every node, are what tells the page what it missed.
func TestBrowserMovesToAnotherNode(t *testing.T) {
	c := pageOnNodeOne(t, "tp1")
	stop1, a2, link, origin, tb, tcpM := c.stop1, c.a2, c.link, c.origin, c.tb, c.tcpM
	tcpM.send(t, "before the drop")
	tb.waitLine("before the drop")
	tb.say("hi from node 1")
	tcpM.waitFor(t, "ana> hi from node 1")
	tb.waitLine("hi from node 1") // its own line back: the page has seen it before the drop

	stop1()
	link.cut()
	tb.waitFor("the drop shown", `document.getElementById("state").dataset.state === "offline"`)
	tcpM.send(t, "said while away 1", "said while away 2")
	// A member joining node 2 that reads both lines in its history on
	// arrival: they are in node 2's history before the page comes back
	// (else it could be owed one, and read the other live). It leaves
	// first, so that the page lists ana and the TCP member alone.
	watcher := joinTCP(t, a2["tcp"].String())
	watcher.send(t, "/join tp1")
	waitContaining(t, watcher, tcpM.name+"> said while away 2") // from its history on arrival
	watcher.send(t, "/quit")
	tcpM.waitFor(t, fmt.Sprintf("*** %s left (quit)", watcher.name))
	link.restore(a2["http"].String())

	tb.waitFor("connected again, to node 2", `document.getElementById("state").dataset.state === "online"`)
	tb.waitLine("While you were away (2)")
	tb.waitFor("ana and the TCP member listed, in #tp1", `(() => {
		const names = [...document.querySelectorAll("#members li")].map(li => li.firstChild.textContent);
		return document.getElementById("roomname").textContent === "#tp1" && names.length === 2 &&
			names.includes("ana") && names.includes(`+js(tcpM.name)+`) && document.getElementById("count").textContent === "(2)";
	})()`)
	if got := eval[[]string](tb, `(() => {
		const d = [...document.querySelectorAll("#log li.divider")].pop();
		return [d.nextElementSibling, d.nextElementSibling?.nextElementSibling].map(li => li ? li.querySelector(".text")?.textContent : null);
	})()`); len(got) != 2 || got[0] != "said while away 1" || got[1] != "said while away 2" {
		t.Errorf("after the divider: %q, want the two lines in order", got)
	}
	for _, line := range []string{"said while away 1", "said while away 2", "before the drop", "hi from node 1", "While you were away"} {
		if n := eval[int](tb, `[...document.querySelectorAll("#log li")].filter(li => li.textContent.includes(`+js(line)+`)).length`); n != 1 {
			t.Errorf("%q shown %d times, want once; the log: %q", line, n, tb.logLines())
		}
	}
	tb.say("back")
	tcpM.waitFor(t, "ana> back")
	// The browser says so of each try while the link is down.
	tb.clean(origin, "WebSocket connection to 'ws://"+link.ln.Addr().String()+"/ws' failed")
}

// A page whose network drops while the server's side of its socket stays
// open (node 1 still holds ana, and has not noticed) comes back through
// the load balancer on node 2: as ana, not ana-2, for its resume token
// lets node 2 take the name from its ghost; node 1 lets the ghost go, and
// the room reads it leave once ("reconnected") and come back.
func TestBrowserBackOnAnotherNodeBesideItsGhost(t *testing.T) {
	c := pageOnNodeOne(t, "")
	a2, link, origin, tb, tcpM := c.a2, c.link, c.origin, c.tb, c.tcpM

	link.cut() // the browser's side only: the ghost stays on node 1
	tb.waitFor("the drop shown", `document.getElementById("state").dataset.state === "offline"`)
	link.restore(a2["http"].String())
	tb.waitFor("connected again, to node 2", `document.getElementById("state").dataset.state === "online"`)
	tcpM.waitFor(t, "*** ana left (reconnected)")
	tcpM.waitFor(t, "*** ana joined (web)")
	tb.waitFor("ana again, beside the TCP member alone", `(() => {
		const names = [...document.querySelectorAll("#members li")].map(li => li.firstChild.textContent);
		return names.length === 2 && names.includes("ana") && names.includes(`+js(tcpM.name)+`) && document.getElementById("count").textContent === "(2)";
	})()`)
	tb.say("back")
	tcpM.waitFor(t, "ana> back")
	tb.clean(origin, "WebSocket connection to 'ws://"+link.ln.Addr().String()+"/ws' failed")
}
