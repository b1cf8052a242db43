package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

// recordingClock is a fake webhooks.Clock that records the waits asked of it.
type recordingClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *recordingClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *recordingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

// got returns the waits asked for so far.
func (c *recordingClock) got() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

func TestWithClockWaitsOnTheGivenClock(t *testing.T) {
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"expirationDate":"2026-12-26T00:00:00.000+0000"}`))
	}))
	defer srv.Close()
	clk := &recordingClock{now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}
	c, err := webhooks.NewClient(srv.URL, webhooks.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := c.Refresh(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || len(clk.sleeps) != 1 || clk.sleeps[0] != 30*time.Second {
		t.Fatalf("calls %d, sleeps %v; want 2 calls and one 30s wait on the fake clock", calls, clk.sleeps)
	}
	if !exp.Equal(time.Date(2026, 12, 26, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("expiry %v", exp)
	}
	if _, err := webhooks.NewClient(srv.URL, webhooks.WithClock(nil)); err == nil {
		t.Fatal("WithClock(nil) accepted")
	}
}

func TestJiratestClockIsAWebhooksClock(t *testing.T) {
	var clk webhooks.Clock = jiratest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	before := clk.Now()
	if err := clk.Sleep(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := clk.Now().Sub(before); got != time.Hour {
		t.Fatalf("Sleep(1h) moved the clock by %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := clk.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep on a cancelled context = %v", err)
	}
	if got := clk.Now().Sub(before); got != time.Hour {
		t.Fatalf("a cancelled Sleep moved the clock to +%v", got)
	}
}
