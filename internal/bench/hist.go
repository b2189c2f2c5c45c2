package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// The latency histogram has fixed buckets, so that its memory does not
// grow with the deliveries: below 2^subBits ns one bucket per nanosecond,
// above it 2^subBits buckets per power of two, so that a bucket is less
// than 1% wide relative to its values (4 µs wide around 1 ms).
const (
	subBits  = 7
	subCount = 1 << subBits
	maxShift = 40 - subBits - 1 // values up to 2^40 ns, 18 minutes
	nBuckets = (maxShift + 2) << subBits
)

// histogram counts durations; add is safe from many goroutines at once.
type histogram struct {
	counts [nBuckets]atomic.Uint64
	n      atomic.Uint64
	max    atomic.Int64
}

func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	u := uint64(v)
	if u < 2*subCount {
		return int(u)
	}
	shift := bits.Len64(u) - (subBits + 1)
	if shift > maxShift {
		return nBuckets - 1
	}
	return (shift+1)<<subBits + int(u>>shift) - subCount
}

// bucketRange is the smallest and largest value bucket b holds.
func bucketRange(b int) (lo, hi int64) {
	if b < 2*subCount {
		return int64(b), int64(b)
	}
	shift := b>>subBits - 1
	mant := int64(b - (shift+1)<<subBits + subCount)
	return mant << shift, (mant+1)<<shift - 1
}

func (h *histogram) add(d time.Duration) {
	h.counts[bucketOf(int64(d))].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// merge adds o's counts to h; neither may be added to meanwhile.
func (h *histogram) merge(o *histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	if m := o.max.Load(); m > h.max.Load() {
		h.max.Store(m)
	}
}

// quantile returns the duration below which a fraction q (0 to 1) of the
// counted ones lie: the middle of the bucket that holds it, never more
// than the largest seen. Zero when nothing was counted.
func (h *histogram) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n))) // the nearest rank
	rank = min(max(rank, 1), n)
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		if cum >= rank {
			lo, hi := bucketRange(i)
			return min(time.Duration(lo+(hi-lo)/2), time.Duration(h.max.Load()))
		}
	}
	return time.Duration(h.max.Load())
}
