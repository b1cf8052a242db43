package keepalive

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/testclock"
)

// A site added while Run is between finding nothing due and going to sleep
// still wakes it. Without the wake installed in the same critical section
// as the due check, one of a few hundred tries loses the site.
func TestAddSiteRacingRunsSleepIsNotLost(t *testing.T) {
	t.Parallel()
	for i := range 3000 {
		c := testclock.New(rfStart)
		c.Wait = testclock.Park // a Run that misses a wake-up sleeps for ever
		f := newRFJira(c.Clock)
		r := &Refresher{Clock: c, Logger: rfQuiet}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { r.Run(ctx) })
		for range i % 7 { // vary the interleaving
			runtime.Gosched()
		}
		require.NoError(t, r.AddSite("s", f))
		deadline := time.Now().Add(time.Second)
		for f.count("list") == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Microsecond)
		}
		cancel()
		wg.Wait()
		require.NotZero(t, f.count("list"), "iteration %d: the site added as Run went to sleep was not synced", i)
	}
}
