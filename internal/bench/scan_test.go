package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

type sighting struct{ sender, seq int }

// feedPieces feeds data to a scanner cut at the given offsets, and returns
// what it found.
func feedPieces(run string, data []byte, cuts []int) []sighting {
	var got []sighting
	sc := newScanner(run, func(s, q int) { got = append(got, sighting{s, q}) })
	prev := 0
	for _, c := range append(cuts, len(data)) {
		sc.feed(data[prev:c])
		prev = c
	}
	return got
}

func TestBenchScannerFindsTokensCutAnywhere(t *testing.T) {
	const run = "a1b2c3"
	var data []byte
	var want []sighting
	for i := range 40 {
		data = fmt.Appendf(data, "Thread-%d> ", i)
		data = appendToken(data, run, i%7, i*13)
		data = append(data, '\n')
		want = append(want, sighting{i % 7, i * 13})
	}
	// Every single cut, then random sets of cuts.
	for c := range len(data) {
		if got := feedPieces(run, data, []int{c}); !slices.Equal(got, want) {
			t.Fatalf("cut at %d: got %v, want %v", c, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var cuts []int
		for c := 0; c < len(data); c += 1 + rng.IntN(12) {
			cuts = append(cuts, c)
		}
		if got := feedPieces(run, data, cuts); !slices.Equal(got, want) {
			t.Fatalf("cuts %v: got %v, want %v", cuts, got, want)
		}
	}
}

func TestBenchScannerIgnoresWhatIsNotAToken(t *testing.T) {
	const run = "a1b2c3"
	tests := []struct {
		name string
		in   string
		want []sighting
	}{
		{"another run", "bench-ffffff-1-2# bench-a1b2c3-3-4#", []sighting{{3, 4}}},
		{"no end mark", "bench-a1b2c3-1-2 bench-a1b2c3-5-6#", []sighting{{5, 6}}},
		{"a digit short", "bench-a1b2c3--2# bench-a1b2c3-1-#", nil},
		{"too many digits", "bench-a1b2c3-1-12345678901#", nil},
		{"prefix in a prefix", "bench-bench-a1b2c3-7-8#", []sighting{{7, 8}}},
		{"unfinished at the end", "bench-a1b2c3-7-8", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := feedPieces(run, []byte(tt.in), nil); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// A frame as bubbletea draws it: cursor moves, colours around the name,
// colours inside the text, an OSC title, and UTF-8.
func screenFrame(run string, seqs ...int) []byte {
	var b []byte
	b = append(b, "\x1b[H\x1b]2;palabre\x07\x1b[7;1m palabre — 12 membres — vous : é \x1b[0m\x1b[K\r\n"...)
	for _, q := range seqs {
		b = fmt.Appendf(b, "\x1b[2m12:34\x1b[0m \x1b[38;5;12mThread-%d\x1b[0m  \x1b[1m", q)
		tok := appendToken(nil, run, 2, q)
		b = append(b, tok[:9]...)
		b = append(b, "\x1b[22m\x1b[1m"...) // a style change inside the token
		b = append(b, tok[9:]...)
		b = append(b, "\x1b[0m\x1b[K\r\n"...)
	}
	return append(b, "\x1b[31;1H> \x1b[7m \x1b[0m"...)
}

func TestBenchStripperMatchesAnsiStripCutAnywhere(t *testing.T) {
	frame := screenFrame("a1b2c3", 1, 2, 3)
	want := ansi.Strip(string(frame))
	for c := range len(frame) + 1 {
		var s stripper
		got := s.strip(nil, frame[:c])
		got = s.strip(got, frame[c:])
		if string(got) != want {
			t.Fatalf("cut at %d:\n got %q\nwant %q", c, got, want)
		}
	}
}

// The whole path of a screen: bytes cut anywhere, escape codes inside the
// token, the same rows drawn again in the next frames.
func TestBenchScreenTokensCountedOncePerReceiver(t *testing.T) {
	const run = "a1b2c3"
	var stream []byte
	stream = append(stream, screenFrame(run, 1, 2)...)
	stream = append(stream, screenFrame(run, 1, 2, 3)...)
	stream = append(stream, screenFrame(run, 2, 3, 4)...)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		r := &runner{run: run, senders: 3, slots: 10, sendTimes: make([]atomic.Int64, 30), cfg: Config{Rate: 1}}
		for i := range r.sendTimes {
			r.sendTimes[i].Store(1)
		}
		m := newMember(doorSSH, "x")
		m.seen = make([]uint64, 1)
		var st stripper
		sc := newScanner(run, func(s, q int) { r.deliver(m, s, q, 5) })
		for c := 0; c < len(stream); {
			n := min(1+rng.IntN(40), len(stream)-c)
			sc.feed(st.strip(nil, stream[c:c+n]))
			c += n
		}
		if got := r.seen[doorSSH].Load(); got != 4 {
			t.Fatalf("seen %d deliveries, want 4 (seqs 1 to 4, once each)", got)
		}
	}
}

func TestBenchOwnWordsAndWarmupAreNotCounted(t *testing.T) {
	r := &runner{run: "r", senders: 2, slots: 4, sendTimes: make([]atomic.Int64, 8), cfg: Config{Rate: 1}}
	r.t0, r.measureStart = 0, 2*time.Second // seqs 0 and 1 are the warm-up
	for i := range r.sendTimes {
		r.sendTimes[i].Store(1)
	}
	m := newMember(doorTCP, "")
	m.sender = 0
	m.seen = make([]uint64, 1)
	r.deliver(m, 0, 3, 10) // its own
	r.deliver(m, 1, 0, 10) // warm-up
	r.deliver(m, 1, 3, 10)
	r.deliver(m, 1, 3, 10) // again
	r.deliver(m, 5, 3, 10) // no such sender
	if got := r.seen[doorTCP].Load(); got != 1 {
		t.Errorf("seen %d, want 1", got)
	}
}
