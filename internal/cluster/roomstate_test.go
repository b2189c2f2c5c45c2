package cluster

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"palabre/room"
)

// classNodes is n nodes on one NATS server, each knowing the teacher's key.
func classNodes(t *testing.T, n int) []*testNode {
	t.Helper()
	nc := startNATS(t, 1)
	ops := func(o *room.Options) { o.OpKeys = []string{"SHA256:teacher", "SHA256:assistant"} }
	var nodes []*testNode
	for range n {
		nodes = append(nodes, startNode(t, nodeOptions{url: nc.url(0), hub: ops}))
	}
	return nodes
}

// joinKey joins name with an SSH key on n.
func joinKey(t *testing.T, n *testNode, name, key string) *reader {
	t.Helper()
	m, _, err := n.hub.Join(room.JoinRequest{Name: name, Door: room.DoorSSH, Key: key, Addr: "127.0.0.1:1", Echo: true})
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	return read(m)
}

// everyoneIn waits until every node counts n members in its default room.
func everyoneIn(t *testing.T, n int, nodes ...*testNode) {
	t.Helper()
	waitFor(t, 10*time.Second, func() bool {
		for _, x := range nodes {
			if x.hub.DefaultRoom().Count() != n {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprintf("not every node counts %d members", n) })
}

// allRead waits until each reader has read one message of kind k.
func allRead(t *testing.T, readers []*reader, k room.Kind, what string) {
	t.Helper()
	waitFor(t, 5*time.Second, func() bool {
		for _, r := range readers {
			if len(r.kinds(k)) != 1 {
				return false
			}
		}
		return true
	}, func() string { return "not everyone read " + what })
}

// profAnnBob is three nodes with an operator on node 1, ann on node 2 and
// bob on node 3, every node counting the three.
func profAnnBob(t *testing.T) (nodes []*testNode, prof, ann, bob *reader) {
	t.Helper()
	nodes = classNodes(t, 3)
	prof = joinKey(t, nodes[0], "prof", "SHA256:teacher")
	ann = join(t, nodes[1], "ann")
	bob = join(t, nodes[2], "bob")
	everyoneIn(t, 3, nodes...)
	return nodes, prof, ann, bob
}

// errorsOf are the refusals r read.
func errorsOf(r *reader) []room.ErrorCode {
	var out []room.ErrorCode
	for _, m := range r.kinds(room.KindError) {
		out = append(out, m.Err)
	}
	return out
}

// TestPollCountsEveryNode: a poll opened on node 1 takes the votes of
// members of every node, a key's sessions on two nodes count once, and its
// result reads the same on every node.
func TestPollCountsEveryNode(t *testing.T) {
	nodes := classNodes(t, 3)
	prof := joinKey(t, nodes[0], "prof", "SHA256:teacher")
	ann := join(t, nodes[1], "ann")
	bob := join(t, nodes[2], "bob")
	kim := joinKey(t, nodes[1], "kim", "SHA256:kim")
	kim2 := joinKey(t, nodes[2], "kim", "SHA256:kim") // the same person, a second session elsewhere
	everyoneIn(t, 5, nodes...)
	readers := []*reader{prof, ann, bob, kim, kim2}

	nodes[0].hub.Post(prof.m, "/poll Lunch? | pizza | salad")
	allRead(t, readers, room.KindPoll, "the poll")
	nodes[1].hub.Post(ann.m, "/vote 1")
	nodes[2].hub.Post(bob.m, "/vote 2")
	nodes[1].hub.Post(kim.m, "/vote 1")
	nodes[2].hub.Post(kim2.m, "/vote 2") // the key's vote moves
	settled(t, nodes...)
	for i, n := range nodes {
		v := n.hub.DefaultRoom().Poll()
		if v == nil || !slices.Equal(v.Counts, []int{1, 2}) || v.Total != 3 {
			t.Fatalf("node %d's tally: %+v; want [1 2], 3 votes", i+1, v)
		}
	}
	for _, r := range readers {
		if errs := errorsOf(r); len(errs) > 0 {
			t.Fatalf("%s was refused %v", r.m.Name(), errs)
		}
	}

	nodes[0].hub.Post(prof.m, "/endpoll")
	allRead(t, readers, room.KindPollResult, "the result")
	for _, r := range readers {
		res := r.kinds(room.KindPollResult)[0]
		if got := []int{res.Rooms[0].Members, res.Rooms[1].Members}; !slices.Equal(got, []int{1, 2}) || res.Others != 3 {
			t.Fatalf("%s read the result %v, %d votes; want [1 2], 3", r.m.Name(), got, res.Others)
		}
	}
	// Closed everywhere: a late vote on node 3 is refused there.
	nodes[2].hub.Post(bob.m, "/vote 1")
	waitFor(t, 5*time.Second, func() bool { return slices.Contains(errorsOf(bob), room.ErrPollClosed) }, func() string { return "bob's late vote was not refused" })
}

// TestPollsOpenedAtOnce: two operators on two nodes open a poll at the
// same moment: every member, on every node, reads one and the same poll.
func TestPollsOpenedAtOnce(t *testing.T) {
	nodes := classNodes(t, 2)
	prof := joinKey(t, nodes[0], "prof", "SHA256:teacher")
	asst := joinKey(t, nodes[1], "asst", "SHA256:assistant")
	ann := join(t, nodes[1], "ann")
	everyoneIn(t, 3, nodes...)
	for round := range 5 {
		var wg sync.WaitGroup
		wg.Go(func() { nodes[0].hub.Post(prof.m, fmt.Sprintf("/poll prof's %d? | a | b", round)) })
		wg.Go(func() { nodes[1].hub.Post(asst.m, fmt.Sprintf("/poll asst's %d? | a | b", round)) })
		wg.Wait()
		settled(t, nodes...)
		var seen []string
		for _, r := range []*reader{prof, asst, ann} {
			polls := r.kinds(room.KindPoll)
			if len(polls) != round+1 {
				t.Fatalf("round %d: %s read %d polls; want %d", round, r.m.Name(), len(polls), round+1)
			}
			seen = append(seen, polls[round].Text)
		}
		if seen[0] != seen[1] || seen[1] != seen[2] {
			t.Fatalf("round %d: they read different polls: %q", round, seen)
		}
		if a, b := nodes[0].hub.DefaultRoom().Poll(), nodes[1].hub.DefaultRoom().Poll(); a == nil || b == nil || a.Question != seen[0] || b.Question != seen[0] {
			t.Fatalf("round %d: the nodes hold the polls %+v and %+v; want %q", round, a, b, seen[0])
		}
		by := prof
		if seen[0] != fmt.Sprintf("prof's %d?", round) {
			by = asst
		}
		nodes[slices.Index([]*reader{prof, asst}, by)].hub.Post(by.m, "/endpoll")
		settled(t, nodes...)
	}
}

// TestHandsAcrossNodes: hands raised on nodes 2 and 3 queue in one order
// for the operator on node 1; /next gives the floor to the first
// everywhere, and a member's leave takes its hand down on every node.
func TestHandsAcrossNodes(t *testing.T) {
	nodes, prof, ann, bob := profAnnBob(t)
	nodes[1].hub.Post(ann.m, "/hand")
	settled(t, nodes...)
	nodes[2].hub.Post(bob.m, "/hand")
	settled(t, nodes...)
	if n := nodes[0].hub.RaisedHands(prof.m); n != 2 {
		t.Fatalf("the operator counts %d hands; want 2", n)
	}
	nodes[0].hub.Post(prof.m, "/hands")
	waitFor(t, 5*time.Second, func() bool { return len(prof.kinds(room.KindHands)) == 1 }, func() string { return "no /hands reply" })
	var names []string
	for _, mi := range prof.kinds(room.KindHands)[0].Members {
		names = append(names, mi.Name)
	}
	if !slices.Equal(names, []string{"ann", "bob"}) {
		t.Fatalf("/hands on node 1: %v; want [ann bob]", names)
	}
	nodes[0].hub.Post(prof.m, "/next")
	waitFor(t, 5*time.Second, func() bool { return len(bob.kinds(room.KindFloor)) == 1 && len(ann.kinds(room.KindFloor)) == 1 },
		func() string { return "the floor was not read on nodes 2 and 3" })
	if f := bob.kinds(room.KindFloor)[0]; f.To != "ann" || f.Others != 1 {
		t.Fatalf("bob read the floor given to %q, %d hands left; want ann, 1", f.To, f.Others)
	}
	nodes[2].hub.Leave(bob.m, room.ReasonQuit)
	settled(t, nodes...)
	if n := nodes[0].hub.RaisedHands(prof.m); n != 0 {
		t.Fatalf("the operator counts %d hands after ann's floor and bob's leave; want 0", n)
	}
}

// TestModesAndQuestionsAcrossNodes: slow and quiet modes set on node 1
// hold on node 2; questions asked on nodes 2 and 3 are numbered alike
// everywhere, an upvote on node 3 counts on node 1, an answer on node 1
// takes the question off node 2's list, and an anonymous question hides
// its author from another node's members.
func TestModesAndQuestionsAcrossNodes(t *testing.T) {
	nodes, prof, ann, bob := profAnnBob(t)

	nodes[0].hub.Post(prof.m, "/slow 30s")
	settled(t, nodes...)
	if d := nodes[1].hub.DefaultRoom().Slow(); d != 30*time.Second {
		t.Fatalf("node 2's slow mode: %v; want 30s", d)
	}
	nodes[0].hub.Post(prof.m, "/slow off")
	nodes[0].hub.Post(prof.m, "/quiet")
	settled(t, nodes...)
	nodes[1].hub.Post(ann.m, "may I?")
	waitFor(t, 5*time.Second, func() bool { return slices.Contains(errorsOf(ann), room.ErrQuiet) }, func() string { return "ann's line in a quiet room was not refused on node 2" })
	nodes[0].hub.Post(prof.m, "/open")
	settled(t, nodes...)
	if nodes[2].hub.DefaultRoom().Quiet() || nodes[2].hub.DefaultRoom().Slow() != 0 {
		t.Fatal("node 3's room is still quiet or slow")
	}

	nodes[1].hub.Post(ann.m, "/ask why?")
	settled(t, nodes...)
	nodes[2].hub.Post(bob.m, "/ask how?")
	settled(t, nodes...)
	nodes[2].hub.Post(bob.m, "/up 1")
	nodes[1].hub.Post(ann.m, "/up 1") // her own: refused
	settled(t, nodes...)
	qs, n := nodes[0].hub.OpenQuestions(prof.m, 5)
	if n != 2 || qs[0].N != 1 || qs[0].Text != "why?" || qs[0].Votes != 1 || qs[1].N != 2 || qs[1].Text != "how?" {
		t.Fatalf("node 1's questions: %+v; want 1 why? (1 vote), 2 how?", qs)
	}
	if !slices.Contains(errorsOf(ann), room.ErrOwnQuestion) {
		t.Fatalf("ann's upvote of her own question was not refused: %v", errorsOf(ann))
	}
	nodes[0].hub.Post(prof.m, "/answer 1 because")
	settled(t, nodes...)
	if qs, n := nodes[1].hub.OpenQuestions(ann.m, 5); n != 1 || qs[0].N != 2 {
		t.Fatalf("node 2's questions after the answer: %+v; want 2 alone", qs)
	}

	nodes[0].hub.Post(prof.m, "/anonymous on")
	settled(t, nodes...)
	nodes[1].hub.Post(ann.m, "/ask who am I?")
	settled(t, nodes...)
	for _, c := range []struct {
		r    *reader
		from string
	}{{prof, "ann"}, {ann, "ann"}, {bob, ""}} {
		q := c.r.kinds(room.KindQuestion)
		if last := q[len(q)-1]; last.Text != "who am I?" || last.From != c.from || last.Others != 3 {
			t.Fatalf("%s read question %d %q from %q; want 3 from %q", c.r.m.Name(), last.Others, last.Text, last.From, c.from)
		}
	}
}

// TestMuteFollowsTheKey: a keyed member muted by an operator on node 1
// stays muted when it comes back on node 3.
func TestMuteFollowsTheKey(t *testing.T) {
	nodes := classNodes(t, 3)
	prof := joinKey(t, nodes[0], "prof", "SHA256:teacher")
	kim := joinKey(t, nodes[1], "kim", "SHA256:kim")
	everyoneIn(t, 2, nodes...)
	nodes[0].hub.Post(prof.m, "/mute kim")
	settled(t, nodes...)
	nodes[1].hub.Leave(kim.m, room.ReasonQuit)
	// Back once every node has seen her go: a node that had not would
	// still count her in, and name the new session kim-2.
	settled(t, nodes...)
	kim = joinKey(t, nodes[2], "kim", "SHA256:kim")
	settled(t, nodes...)
	nodes[2].hub.Post(kim.m, "let me speak")
	waitFor(t, 5*time.Second, func() bool { return slices.Contains(errorsOf(kim), room.ErrMuted) }, func() string { return "kim back on node 3 was not muted" })
	nodes[0].hub.Post(prof.m, "/unmute kim")
	settled(t, nodes...)
	nodes[2].hub.Post(kim.m, "thanks")
	waitFor(t, 5*time.Second, func() bool {
		for _, m := range prof.kinds(room.KindChat) {
			if m.Text == "thanks" {
				return true
			}
		}
		return false
	}, func() string {
		h1, _ := nodes[0].hub.MembersHead(prof.m, 10)
		h3, _ := nodes[2].hub.MembersHead(kim.m, 10)
		return fmt.Sprintf("kim's line after the unmute did not reach node 1; kim was told %v, prof %v; the nodes applied up to %d, %d, %d; node 1 lists %+v; node 3 %+v; prof read %+v",
			errorsOf(kim), errorsOf(prof), nodes[0].hub.Seq(), nodes[1].hub.Seq(), nodes[2].hub.Seq(), h1, h3, prof.all())
	})
	for _, m := range prof.kinds(room.KindChat) {
		if m.Text == "let me speak" {
			t.Fatal("the muted line reached node 1")
		}
	}
}

// TestRoomStateOutlivesTheStream: a node started after the stream let the
// events go still has an operator's empty room, its modes (the latest,
// set on another node than the first ones) and a keyed member's mute, from
// the rooms bucket.
func TestRoomStateOutlivesTheStream(t *testing.T) {
	nc := startNATS(t, 1)
	ops := func(o *room.Options) { o.OpKeys = []string{"SHA256:teacher", "SHA256:assistant"} }
	a := startNode(t, nodeOptions{url: nc.url(0), hub: ops, age: time.Second})
	b := startNode(t, nodeOptions{url: nc.url(0), hub: ops, age: time.Second})
	enter := func(n *testNode, name, key string) *room.Member {
		m, _, err := n.hub.Join(room.JoinRequest{Name: name, Door: room.DoorSSH, Key: key, Room: "tp1"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	prof := enter(a, "prof", "SHA256:teacher")
	kim := enter(a, "kim", "SHA256:kim")
	for _, line := range []string{"/slow 30s", "/quiet", "/anonymous on", "/mute kim"} {
		a.hub.Post(prof, line)
	}
	settled(t, a, b)
	asst := enter(b, "asst", "SHA256:assistant")
	b.hub.Post(asst, "/slow 45s") // later, from another node: this one stands
	settled(t, a, b)
	for _, m := range []*room.Member{prof, kim} {
		a.hub.Leave(m, room.ReasonQuit)
	}
	b.hub.Leave(asst, room.ReasonQuit)
	waitFor(t, 10*time.Second, func() bool {
		info, err := a.node.streamInfo(t.Context())
		return err == nil && info.State.Msgs == 0
	}, func() string { return "the stream still holds events" })

	c := startNode(t, nodeOptions{url: nc.url(0), hub: ops, age: time.Second})
	var rooms []string
	for _, r := range c.hub.Activity() {
		rooms = append(rooms, r.Name)
	}
	if !slices.Contains(rooms, "tp1") {
		t.Fatalf("the new node's rooms: %v; want the operator's tp1, empty", rooms)
	}
	kim = enter(c, "kim", "SHA256:kim")
	kr := read(kim)
	if r := kim.Room(); r.Slow() != 45*time.Second || !r.Quiet() {
		t.Fatalf("tp1 on the new node: slow %v, quiet %v; want 45s, quiet", r.Slow(), r.Quiet())
	}
	c.hub.Post(kim, "/ask is it anonymous?")
	stu := read(enter(c, "stu", ""))
	c.hub.Post(stu.m, "/ask and this one?")
	waitFor(t, 5*time.Second, func() bool { return len(kr.kinds(room.KindQuestion)) == 1 }, func() string { return "kim read no question" })
	if q := kr.kinds(room.KindQuestion)[0]; q.From != "" {
		t.Fatalf("kim read stu's question from %q: the room's questions are no longer anonymous", q.From)
	}
	if !slices.Contains(errorsOf(kr), room.ErrMuted) {
		t.Fatalf("kim, muted in tp1, asked: %v", errorsOf(kr))
	}
}

// TestVoteBurstAcrossNodes: a class of 150 on three nodes votes at once,
// each member twice (its second vote moves it): every node counts the same
// tally, one vote each, as the members last chose.
func TestVoteBurstAcrossNodes(t *testing.T) {
	nodes := classNodes(t, 3)
	prof := joinKey(t, nodes[0], "prof", "SHA256:teacher")
	const perNode = 50
	type voter struct {
		n *testNode
		m *room.Member
	}
	var class []voter
	for i := range 3 * perNode {
		n := nodes[i%3]
		m, _, err := n.hub.Join(room.JoinRequest{Name: fmt.Sprintf("s%d", i), Door: room.DoorTCP, Addr: "127.0.0.1:1"})
		if err != nil {
			t.Fatal(err)
		}
		go func() { // a reader that keeps up
			for {
				if _, left := m.Next(nil); left {
					return
				}
			}
		}()
		class = append(class, voter{n, m})
	}
	everyoneIn(t, 3*perNode+1, nodes...)
	nodes[0].hub.Post(prof.m, "/poll Which? | a | b | c")
	settled(t, nodes...)
	began := time.Now()
	var wg sync.WaitGroup
	want := make([]int, 3)
	for i, v := range class {
		last := 1 + (i/3)%3 // the last choice, whatever the node
		want[last-1]++
		wg.Go(func() {
			v.n.hub.Post(v.m, "/vote 1")
			v.n.hub.Post(v.m, fmt.Sprintf("/vote %d", last))
		})
	}
	wg.Wait()
	settled(t, nodes...)
	t.Logf("%d votes on three nodes counted everywhere in %v", 2*len(class), time.Since(began).Round(time.Millisecond))
	for i, n := range nodes {
		if v := n.hub.DefaultRoom().Poll(); v == nil || !slices.Equal(v.Counts, want) || v.Total != 3*perNode {
			t.Fatalf("node %d's tally: %+v; want %v", i+1, v, want)
		}
	}
}
