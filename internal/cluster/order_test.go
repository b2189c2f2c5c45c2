package cluster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/room"
)

// startThree starts three NATS servers and three hubs, one on each.
func startThree(t *testing.T) (*natsCluster, []*testNode) {
	t.Helper()
	nc := startNATS(t, 3)
	var nodes []*testNode
	for i := range 3 {
		nodes = append(nodes, startNode(t, nodeOptions{url: nc.url(i), name: fmt.Sprintf("node%d", i+1)}))
	}
	// Each hears the other two beat: none takes another for gone.
	waitFor(t, 5*time.Second, func() bool {
		for _, n := range nodes {
			if len(n.node.Alive()) != 2 {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprintf("node 1 hears %v", nodes[0].node.Alive()) })
	return nc, nodes
}

// TestOneOrderOnEveryNode posts at random from members of three nodes, all
// at once, and checks that every member read the same messages, in the
// same order, numbered by the stream, none missing.
func TestOneOrderOnEveryNode(t *testing.T) {
	_, nodes := startThree(t)
	var readers []*reader
	for i, n := range nodes {
		for j := range 3 {
			readers = append(readers, join(t, n, fmt.Sprintf("m%d%d", i+1, j+1)))
		}
	}
	// Everyone sees everyone arrive before anyone speaks.
	waitFor(t, 10*time.Second, func() bool {
		for _, n := range nodes {
			if n.hub.DefaultRoom().Count() != len(readers) {
				return false
			}
		}
		return true
	}, func() string { return "not every node counts 9 members" })

	const each = 30
	var wg sync.WaitGroup
	for i, r := range readers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for k := range each {
				nodes[i/3].hub.Post(r.m, fmt.Sprintf("%s says %d", r.m.Name(), k))
				if rng.IntN(4) == 0 {
					runtimeYield()
				}
			}
		})
	}
	wg.Wait()
	total := each * len(readers)
	waitFor(t, 20*time.Second, func() bool {
		for _, r := range readers {
			if len(r.kinds(room.KindChat)) < total {
				return false
			}
		}
		return true
	}, func() string {
		return fmt.Sprintf("%s read %d of %d", readers[0].m.Name(), len(readers[0].kinds(room.KindChat)), total)
	})

	first := chats(readers[0])
	if len(first) != total {
		t.Fatalf("%d messages read, want %d", len(first), total)
	}
	seen := map[string]bool{}
	for i, line := range first {
		if seen[line] {
			t.Fatalf("message %d read twice: %s", i, line)
		}
		seen[line] = true
	}
	for _, r := range readers[1:] {
		if got := chats(r); !slices.Equal(got, first) {
			t.Fatalf("%s read another order than %s:\n%s\nvs\n%s", r.m.Name(), readers[0].m.Name(), strings.Join(got[:5], "\n"), strings.Join(first[:5], "\n"))
		}
	}
	// A member's own messages are the ones with its ID: on three nodes
	// that number their members alike, no one else's pass for its own.
	for _, r := range readers {
		for _, m := range r.kinds(room.KindChat) {
			if own := m.From == r.m.Name(); own != (m.SenderID == r.m.ID()) {
				t.Fatalf("%s (ID %d) read %q from %s with ID %d", r.m.Name(), r.m.ID(), m.Text, m.From, m.SenderID)
			}
		}
	}
	// Each sender's own messages in the order it sent them.
	for _, r := range readers {
		k := 0
		for _, line := range first {
			if strings.Contains(line, " "+r.m.Name()+" says ") {
				if want := fmt.Sprintf(" %s says %d", r.m.Name(), k); !strings.HasSuffix(line, want) {
					t.Fatalf("%s's messages out of order: %q, want %q", r.m.Name(), line, want)
				}
				k++
			}
		}
	}
	// The numbers are the stream's, and every node's transcript is the same.
	for _, n := range nodes[1:] {
		if a, b := n.rec.seqs(), nodes[0].rec.seqs(); !slices.Equal(a, b) {
			t.Fatalf("the transcripts differ: %d events against %d", len(a), len(b))
		}
	}
	seqs := nodes[0].rec.seqs()
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("transcript event %d numbered %d: the stream's numbers have a gap", i, s)
		}
	}
}

// chats is "seq from text" of every chat message r read.
func chats(r *reader) []string {
	var out []string
	for _, m := range r.kinds(room.KindChat) {
		out = append(out, fmt.Sprintf("%d %s %s", m.Seq, m.From, m.Text))
	}
	return out
}

func runtimeYield() { time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond) } // spreads the posts; not a synchronisation
