package keepalive

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// rfParkClock is a clock whose Sleep parks until ctx ends: a Run that
// misses a wake-up sleeps for ever.
type rfParkClock struct{ rfClock }

func (c *rfParkClock) Sleep(ctx context.Context, d time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

// A site added while Run is between finding nothing due and going to sleep
// still wakes it. Without the wake installed in the same critical section
// as the due check, one of a few hundred tries loses the site.
func TestAddSiteRacingRunsSleepIsNotLost(t *testing.T) {
	for i := range 3000 {
		c := &rfParkClock{rfClock: *newRFClock()}
		f := newRFJira(&c.rfClock)
		r := &Refresher{Clock: c, Logger: rfQuiet}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(ctx) }()
		for range i % 7 { // vary the interleaving
			runtime.Gosched()
		}
		if err := r.AddSite("s", f); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Second)
		for f.count("list") == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Microsecond)
		}
		cancel()
		wg.Wait()
		if f.count("list") == 0 {
			t.Fatalf("iteration %d: the site added as Run went to sleep was not synced", i)
		}
	}
}
