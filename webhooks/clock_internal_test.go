package webhooks

import (
	"context"
	"time"

	"github.com/jirahooks/jirahooks/internal/testclock"
)

// testEpoch is where the tests' fake clocks start.
var testEpoch = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// withSleep gives a Client a fake clock that waits with sleep.
func withSleep(sleep func(ctx context.Context, d time.Duration) error) ClientOption {
	clk := testclock.New(testEpoch)
	clk.Wait = sleep
	return WithClock(clk)
}
