package room

import (
	"slices"
	"strconv"
	"testing"
)

// texts returns the Text of each message.
func texts(msgs []Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

func TestRing(t *testing.T) {
	tests := []struct {
		size    int
		appends int
		want    []string
	}{
		{size: -1, appends: 3, want: []string{}},
		{size: 0, appends: 0, want: []string{}},
		{size: 0, appends: 5, want: []string{}},
		{size: 1, appends: 0, want: []string{}},
		{size: 1, appends: 1, want: []string{"m1"}},
		{size: 1, appends: 4, want: []string{"m4"}},
		{size: 3, appends: 0, want: []string{}},
		{size: 3, appends: 2, want: []string{"m1", "m2"}},
		{size: 3, appends: 3, want: []string{"m1", "m2", "m3"}},
		{size: 3, appends: 4, want: []string{"m2", "m3", "m4"}},
		{size: 3, appends: 7, want: []string{"m5", "m6", "m7"}},
		{size: 3, appends: 9, want: []string{"m7", "m8", "m9"}},
	}
	for _, tt := range tests {
		t.Run("size="+strconv.Itoa(tt.size)+"/appends="+strconv.Itoa(tt.appends), func(t *testing.T) {
			r := NewRing(tt.size)
			for i := 1; i <= tt.appends; i++ {
				r.Append(Message{Seq: uint64(i), Text: "m" + strconv.Itoa(i)})
			}
			got := r.Recent()
			if got == nil {
				t.Fatal("Recent() = nil; want a non-nil slice")
			}
			if !slices.Equal(texts(got), tt.want) {
				t.Fatalf("Recent() = %q; want %q", texts(got), tt.want)
			}
			for i := 1; i < len(got); i++ {
				if got[i-1].Seq >= got[i].Seq {
					t.Fatalf("Recent() not oldest first: Seq %d before %d", got[i-1].Seq, got[i].Seq)
				}
			}
		})
	}
}

func TestRingRecentIsACopy(t *testing.T) {
	for _, size := range []int{1, 3} {
		r := NewRing(size)
		for i := 1; i <= size+1; i++ {
			r.Append(Message{Text: "m" + strconv.Itoa(i)})
		}
		before := texts(r.Recent())

		got := r.Recent()
		for i := range got {
			got[i].Text = "changed"
		}
		_ = append(got[:0], Message{Text: "appended"})

		if after := texts(r.Recent()); !slices.Equal(after, before) {
			t.Errorf("size %d: changing Recent()'s result changed the ring: %q, then %q", size, before, after)
		}
	}
}

// TestRingIsHistory is a compile-time check as much as a test.
func TestRingIsHistory(t *testing.T) {
	var h History = NewRing(2)
	h.Append(Message{Text: "x"})
	if got := h.Recent(); len(got) != 1 || got[0].Text != "x" {
		t.Fatalf("Recent() = %+v; want one message x", got)
	}
}
