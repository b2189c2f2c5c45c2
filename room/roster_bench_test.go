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
