package cluster

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"palabre/room"
)

// joinPage joins name through the web door, as a page: with this session's
// token, and the token of the session it comes back from ("": none).
func joinPage(t *testing.T, n *testNode, name, token, resume string) *reader {
	t.Helper()
	m, _, err := n.hub.Join(room.JoinRequest{Name: name, Door: room.DoorWeb, Addr: "127.0.0.1:1", Echo: true, Token: token, Resume: resume})
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	return read(m)
}

// leavesOf are the reasons of name's leaves r read.
func leavesOf(r *reader, name string) []room.Reason {
	var out []room.Reason
	for _, m := range r.kinds(room.KindLeave) {
		if m.From == name {
			out = append(out, m.Reason)
		}
	}
	return out
}

func joinsOf(r *reader, name string) int {
	n := 0
	for _, m := range r.kinds(room.KindJoin) {
		if m.From == name {
			n++
		}
	}
	return n
}

// TestPageBackOnAnotherNodeTakesItsName: a page whose socket died unnoticed
// on node 1 comes back on node 2 (a load balancer's choice) with its
// resume token: it is ana again, not ana-2; node 1 lets its ghost go; the
// room reads one leave and one join. A wrong token takes nothing.
func TestPageBackOnAnotherNodeTakesItsName(t *testing.T) {
	nodes := classNodes(t, 3)
	ana := joinPage(t, nodes[0], "ana", "token-1", "")
	carl := join(t, nodes[2], "carl")
	everyoneIn(t, 2, nodes...)
	settled(t, nodes...)
	joined := joinsOf(carl, "ana") // her first join may reach carl after his own arrival

	back := joinPage(t, nodes[1], "ana", "token-2", "token-1")
	if back.m.Name() != "ana" {
		t.Fatalf("ana's page back on node 2 is %s", back.m.Name())
	}
	select {
	case <-ana.done:
	case <-time.After(5 * time.Second):
		t.Fatal("node 1 kept ana's ghost")
	}
	if ana.m.Reason() != room.ReasonReplaced {
		t.Fatalf("the ghost left for %v", ana.m.Reason())
	}
	settled(t, nodes...)
	for i, n := range nodes {
		if c := n.hub.DefaultRoom().Count(); c != 2 {
			t.Fatalf("node %d counts %d members; want ana and carl", i+1, c)
		}
	}
	if l, j := leavesOf(carl, "ana"), joinsOf(carl, "ana")-joined; len(l) != 1 || l[0] != room.ReasonReplaced || j != 1 {
		t.Fatalf("carl read ana leave %v and join %d times; want one leave (reconnected), one join", l, j)
	}

	// Someone else naming a token it does not have gets a suffix.
	imp := joinPage(t, nodes[2], "ana", "token-x", "token-0")
	if imp.m.Name() == "ana" {
		t.Fatal("a page with a wrong token took ana's name")
	}
	// The token moves with the page: back on node 1 with node 2's.
	again := joinPage(t, nodes[0], "ana", "token-3", "token-2")
	if again.m.Name() != "ana" {
		t.Fatalf("ana's page back on node 1 is %s", again.m.Name())
	}
	<-back.done
	settled(t, nodes...)
	if n := nodes[2].hub.DefaultRoom().Count(); n != 3 {
		t.Fatalf("node 3 counts %d; want ana, carl and %s", n, imp.m.Name())
	}
}

// TestPageBackAfterItsNodeDied: the page's node is killed; the page comes
// back on node 2 at once, before the others count node 1 gone, as ana. The
// room reads ana's leave once, though every node announces node 1's
// members gone later.
func TestPageBackAfterItsNodeDied(t *testing.T) {
	_, nodes := startThree(t)
	joinPage(t, nodes[0], "ana", "token-1", "")
	join(t, nodes[0], "zed") // a member of the dead node with no page to come back
	carl := join(t, nodes[2], "carl")
	everyoneIn(t, 3, nodes...)
	nodes[0].crash()
	back := joinPage(t, nodes[1], "ana", "token-2", "token-1")
	if back.m.Name() != "ana" {
		t.Fatalf("ana's page back on node 2 is %s", back.m.Name())
	}
	waitFor(t, 10*time.Second, func() bool { return len(leavesOf(carl, "zed")) == 1 }, func() string { return "zed's leave never came" })
	settled(t, nodes[1:]...)
	if l := leavesOf(carl, "ana"); len(l) != 1 {
		t.Fatalf("carl read ana leave %v; want once", l)
	}
	if c := nodes[2].hub.DefaultRoom().Count(); c != 2 {
		t.Fatalf("node 3 counts %d; want ana and carl", c)
	}
}

// TestWrongTokensInParallel: fifty pages naming tokens they do not have,
// all at once on two other nodes, take nothing: ana stays ana on node 1,
// and each of them gets a name of its own.
func TestWrongTokensInParallel(t *testing.T) {
	nodes := classNodes(t, 3)
	ana := joinPage(t, nodes[0], "ana", "token-1", "")
	everyoneIn(t, 1, nodes...)
	names := make(chan string, 50)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			m, _, err := nodes[1+i%2].hub.Join(room.JoinRequest{Name: "ana", Door: room.DoorWeb, Addr: "127.0.0.1:1",
				Token: fmt.Sprintf("mine-%d", i), Resume: fmt.Sprintf("guess-%d", i)})
			if err != nil {
				t.Error(err)
				return
			}
			names <- m.Name()
		})
	}
	wg.Wait()
	close(names)
	seen := map[string]bool{}
	for n := range names {
		if n == "ana" || seen[n] {
			t.Fatalf("a page with a wrong token is %s", n)
		}
		seen[n] = true
	}
	settled(t, nodes...)
	select {
	case <-ana.done:
		t.Fatalf("ana left: %v", ana.m.Reason())
	default:
	}
	if n := nodes[2].hub.DefaultRoom().Count(); n != 51 {
		t.Fatalf("node 3 counts %d; want 51", n)
	}
}
