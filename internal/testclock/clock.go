// Package testclock holds the one fake clock of jirahooks' own tests: a
// [*jiratest.Clock] that also records the waits asked of it and can hand
// them to a test's function instead of advancing the fake time.
//
// Only test files import it; being internal, it is never part of users'
// programs. Users' tests use [jiratest.Clock] directly.
package testclock

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
)

// Clock is a [*jiratest.Clock] that records its Sleeps. It satisfies
// webhooks.Clock, so a Client or a keepalive.Refresher can run on it, and
// it shares its time with any jiratest.Server given the same jiratest.Clock.
//
// Without Wait, Sleep records the wait and advances the fake time
// (jiratest.Clock.Sleep), so waits pass at once and deliveries, expiry and
// retries happen on the way. With Wait, Sleep hands the wait to Wait
// instead, unrecorded: the hook for a test that blocks until its context
// ends, ends a context during the wait, or scripts what happens while the
// clock moves (Wait may call c.Clock.Sleep or c.Advance itself). A
// simulation of months that sleeps millions of times then keeps no list.
type Clock struct {
	*jiratest.Clock

	// Wait, if not nil, does the waiting instead of the fake clock. Set it
	// before the clock is used.
	Wait func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	waits []time.Duration
}

// New returns a Clock on a new jiratest.Clock that reads start until a
// Sleep or an Advance moves it.
func New(start time.Time) *Clock {
	return Of(jiratest.NewClock(start))
}

// Of returns a Clock on c, for example a jiratest.Server's Clock(), so that
// the test's waits move the fake Jira's time.
func Of(c *jiratest.Clock) *Clock {
	return &Clock{Clock: c}
}

// Sleep waits with Wait or, without it, records d and advances the fake
// time by d. Like jiratest.Clock.Sleep, it then returns ctx.Err() without
// advancing when ctx has ended.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if c.Wait != nil {
		return c.Wait(ctx, d)
	}
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return c.Clock.Sleep(ctx, d)
}

// Waits returns the waits recorded so far, in order: those of the Sleeps
// made without Wait.
func (c *Clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// Park is a Wait that blocks until ctx ends and returns ctx.Err(): a loop
// that sleeps on it stays asleep unless something wakes it.
func Park(ctx context.Context, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}
