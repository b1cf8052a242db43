package webhooks

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
)

// RecordingClock is the one fake clock of this package's tests, internal
// and external (it is exported to the test binary only, for webhooks_test):
// a *jiratest.Clock that also records the waits asked of it. When Wait is
// set, a Sleep is recorded and then waits with Wait instead of advancing the
// clock: the hook for tests that end a context during the wait or wait for
// real.
type RecordingClock struct {
	*jiratest.Clock
	// Wait, if not nil, does the waiting instead of the fake clock.
	Wait func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	waits []time.Duration
}

// testEpoch is where the tests' fake clocks start.
var testEpoch = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// NewRecordingClock returns a RecordingClock that reads start until a Sleep
// or an Advance moves it.
func NewRecordingClock(start time.Time) *RecordingClock {
	return &RecordingClock{Clock: jiratest.NewClock(start)}
}

// Sleep records d, then waits with Wait or, without it, advances the clock
// by d (jiratest.Clock.Sleep).
func (c *RecordingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	if c.Wait != nil {
		return c.Wait(ctx, d)
	}
	return c.Clock.Sleep(ctx, d)
}

// Waits returns the waits asked for so far, in order.
func (c *RecordingClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// withSleep gives a Client a RecordingClock that waits with sleep.
func withSleep(sleep func(ctx context.Context, d time.Duration) error) ClientOption {
	clk := NewRecordingClock(testEpoch)
	clk.Wait = sleep
	return WithClock(clk)
}
