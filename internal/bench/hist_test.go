package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBenchBucketsCoverEveryValueInOrder(t *testing.T) {
	prevHi := int64(-1)
	for b := range nBuckets {
		lo, hi := bucketRange(b)
		if lo != prevHi+1 || hi < lo {
			t.Fatalf("bucket %d holds [%d, %d] after one ending at %d", b, lo, hi, prevHi)
		}
		if bucketOf(lo) != b || bucketOf(hi) != b {
			t.Fatalf("bucket %d [%d, %d]: bucketOf gives %d and %d", b, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		if lo > 2*subCount && float64(hi-lo+1)/float64(lo) > 1.0/subCount+1e-9 {
			t.Fatalf("bucket %d [%d, %d] is too wide", b, lo, hi)
		}
		prevHi = hi
	}
	if bucketOf(math.MaxInt64) != nBuckets-1 || bucketOf(-5) != 0 {
		t.Error("values out of range are not clamped")
	}
}

// exactQuantile is the nearest-rank quantile of sorted values.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func TestBenchQuantilesWithinOnePercent(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dists := map[string]func() time.Duration{
		"uniform 0-20ms": func() time.Duration { return time.Duration(rng.Int64N(int64(20 * time.Millisecond))) },
		"long tail":      func() time.Duration { return time.Duration(math.Exp(rng.NormFloat64()*2+13) + 1) },
		"sub-µs":         func() time.Duration { return time.Duration(rng.Int64N(300)) },
	}
	for name, draw := range dists {
		t.Run(name, func(t *testing.T) {
			var h histogram
			vals := make([]time.Duration, 20000)
			for i := range vals {
				vals[i] = draw()
				h.add(vals[i])
			}
			slices.Sort(vals)
			for _, q := range []float64{0, .5, .9, .99, .999, 1} {
				want, got := exactQuantile(vals, q), h.quantile(q)
				if math.Abs(float64(got-want)) > float64(want)/100+1 {
					t.Errorf("q%v: %v, want %v within 1%%", q, got, want)
				}
			}
			if time.Duration(h.max.Load()) != vals[len(vals)-1] {
				t.Errorf("max %v, want %v", time.Duration(h.max.Load()), vals[len(vals)-1])
			}
		})
	}
}

func TestBenchMergedHistogram(t *testing.T) {
	var a, b, all histogram
	for i := range 100 {
		a.add(time.Duration(i) * time.Millisecond)
		b.add(time.Duration(100+i) * time.Millisecond)
	}
	all.merge(&a)
	all.merge(&b)
	if n := all.n.Load(); n != 200 {
		t.Fatalf("n = %d", n)
	}
	if got := all.quantile(.5); got < 98*time.Millisecond || got > 100*time.Millisecond {
		t.Errorf("median %v, want about 99ms", got)
	}
	var empty histogram
	if empty.quantile(.99) != 0 {
		t.Error("an empty histogram has a quantile")
	}
}
