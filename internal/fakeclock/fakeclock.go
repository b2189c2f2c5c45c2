// Package fakeclock is a clock for tests of what runs on time (flood
// control, durations of bans and names): room.Options' Now and Sleep
// without real time.
package fakeclock

import (
	"sync"
	"time"
)

// Clock's Sleep passes at once, moving Now on and adding up what it was
// asked to wait.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
}

// New returns a clock that reads now.
func New(now time.Time) *Clock { return &Clock{now: now} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep is room.Options.Sleep: false, without moving, if cancel is closed.
func (c *Clock) Sleep(d time.Duration, cancel <-chan struct{}) bool {
	select {
	case <-cancel:
		return false
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept += d
	return true
}

// Advance moves Now on by d, as time passing while nobody sleeps.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Slept is the time all Sleeps asked for.
func (c *Clock) Slept() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept
}
