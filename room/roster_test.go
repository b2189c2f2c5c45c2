package room

import (
	"fmt"
	"testing"
)

// quietCluster is a cluster that takes every event and every name: the
// benchmark brings the events itself, through Apply.
type quietCluster struct{}

func (quietCluster) Publish([]Message) error    { return nil }
func (quietCluster) Claim(string, string) error { return nil }
func (quietCluster) Take(_, _, _ string) error  { return ErrNameHeld }
func (quietCluster) Release(...string)          {}
func (quietCluster) KeepRoom(KeptRoom)          {}

// TestSecondLeaveIsNotShown: another node's member's leave, when it comes
// twice (its node announced it, and so did the node that took its name
// back, or the nodes that counted its node gone, under other IDs), is
// shown and kept once.
func TestSecondLeaveIsNotShown(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{Cluster: quietCluster{}, Node: "here", Store: store})
	h.Apply(Message{Seq: 1, Kind: KindJoin, Node: "there", SenderID: 7, From: "ana", Room: "main", Door: DoorWeb})
	bob, _, err := h.Join(JoinRequest{Name: "bob", Door: DoorTCP})
	if err != nil {
		t.Fatal(err)
	}
	bob.Drain(nil)
	leave := Message{Seq: 2, Kind: KindLeave, Node: "there", SenderID: 7, From: "ana", Room: "main", Door: DoorWeb, Reason: ReasonReplaced}
	h.Apply(leave)
	leave.Seq, leave.Reason = 3, ReasonLost
	h.Apply(leave)
	var leaves int
	for _, m := range bob.Drain(nil) {
		if m.Kind == KindLeave {
			leaves++
		}
	}
	if leaves != 1 {
		t.Fatalf("bob read ana leave %d times", leaves)
	}
	kept := 0
	store.mu.Lock()
	defer store.mu.Unlock()
	for _, m := range store.events {
		if m.Kind == KindLeave && m.From == "ana" {
			kept++
		}
	}
	if kept != 1 {
		t.Fatalf("the store kept %d leaves of ana", kept)
	}
}

// TestLateLeaveKeepsTheNewSession: a member back on another node (its key
// takes its name there) whose earlier session's leave comes after its new
// join — its old node's leave was slow, or the nodes counted that node
// gone late — is still known by its name: an operator can mute it, a
// member can write to it.
func TestLateLeaveKeepsTheNewSession(t *testing.T) {
	h := newTestHub(t, Options{Cluster: quietCluster{}, Node: "here"})
	h.Apply(Message{Seq: 1, Kind: KindJoin, Node: "two", SenderID: 7, From: "kim", Key: "SHA256:kim", Room: "main", Door: DoorSSH})
	h.Apply(Message{Seq: 2, Kind: KindJoin, Node: "three", SenderID: 9, From: "kim", Key: "SHA256:kim", Room: "main", Door: DoorSSH})
	h.Apply(Message{Seq: 3, Kind: KindLeave, Node: "two", SenderID: 7, From: "kim", Key: "SHA256:kim", Room: "main", Door: DoorSSH, Reason: ReasonLost})
	h.mu.Lock()
	x := h.remoteLocked("kim")
	h.mu.Unlock()
	if x == nil || x.node != "three" || x.id != 9 {
		t.Fatalf("kim is %+v; want the member of node three", x)
	}
	if n := h.DefaultRoom().Count(); n != 1 {
		t.Fatalf("the room counts %d members; want kim once", n)
	}
}

// BenchmarkRemoteLeaveStorm: a node that died with n members, in rooms of
// 30, has their leaves applied by a node that followed them: the cost per
// leave as the roster it searches is large.
func BenchmarkRemoteLeaveStorm(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				h := newTestHub(b, Options{Cluster: quietCluster{}, Node: "here", MaxMembers: 2 * n, MaxRooms: n})
				seq := uint64(0)
				for i := range n {
					seq++
					h.Apply(Message{Seq: seq, Kind: KindJoin, Node: "gone", SenderID: uint64(i + 1), From: fmt.Sprintf("m%d", i), Room: fmt.Sprintf("tp%d", i/30), Door: DoorTCP})
				}
				leaves := h.Gone("gone")
				b.StartTimer()
				for _, l := range leaves {
					seq++
					l.Seq = seq
					h.Apply(l)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/leave")
		})
	}
}
