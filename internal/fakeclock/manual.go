package fakeclock

import (
	"slices"
	"sync"
	"time"
)

// Manual is a clock whose time moves only by Advance: its Sleep blocks
// until Advance has taken Now past the sleep's end, or its cancel is
// closed. A test of what is held back (slow mode) sees the hold, then its
// end, without real waiting; Clock's Sleep, which passes at once, would
// show no hold at all.
type Manual struct {
	mu       sync.Mutex
	now      time.Time
	sleepers []*sleeper
}

type sleeper struct {
	until time.Time
	wake  chan struct{}
}

// NewManual returns a manual clock that reads now.
func NewManual(now time.Time) *Manual { return &Manual{now: now} }

func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep is room.Options.Sleep: true once Advance has passed d from now,
// false as soon as cancel is closed.
func (c *Manual) Sleep(d time.Duration, cancel <-chan struct{}) bool {
	c.mu.Lock()
	if d <= 0 {
		c.mu.Unlock()
		return true
	}
	s := &sleeper{until: c.now.Add(d), wake: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.mu.Unlock()
	select {
	case <-s.wake:
		return true
	case <-cancel:
		c.mu.Lock()
		c.sleepers = slices.DeleteFunc(c.sleepers, func(x *sleeper) bool { return x == s })
		c.mu.Unlock()
		return false
	}
}

// Advance moves Now on by d and wakes the sleeps it ends.
func (c *Manual) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleepers = slices.DeleteFunc(c.sleepers, func(s *sleeper) bool {
		if s.until.After(c.now) {
			return false
		}
		close(s.wake)
		return true
	})
}

// Sleeping is how many sleeps wait for Advance.
func (c *Manual) Sleeping() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}
