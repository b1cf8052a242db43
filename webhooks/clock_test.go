package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/testclock"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

func TestWithClockWaitsOnTheGivenClock(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"expirationDate":"2026-12-26T00:00:00.000+0000"}`))
	}))
	defer srv.Close()
	start := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	clk := testclock.New(start)
	c, err := webhooks.NewClient(srv.URL, webhooks.WithClock(clk))
	require.NoError(t, err)
	exp, err := c.Refresh(t.Context(), 1)
	require.NoError(t, err)
	assert.Equal(t, int32(2), calls.Load(), "calls")
	assert.Equal(t, []time.Duration{30 * time.Second}, clk.Waits(), "want one 30s wait on the fake clock")
	assert.Equal(t, start.Add(30*time.Second), clk.Now(), "the wait passed on the fake clock")
	assert.True(t, exp.Equal(time.Date(2026, 12, 26, 0, 0, 0, 0, time.UTC)), "expiry %v", exp)
	_, err = webhooks.NewClient(srv.URL, webhooks.WithClock(nil))
	assert.Error(t, err, "WithClock(nil) accepted")
}

func TestJiratestClockIsAWebhooksClock(t *testing.T) {
	t.Parallel()
	var clk webhooks.Clock = jiratest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	before := clk.Now()
	require.NoError(t, clk.Sleep(t.Context(), time.Hour))
	assert.Equal(t, time.Hour, clk.Now().Sub(before), "Sleep(1h) moved the clock by")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.Same(t, context.Canceled, clk.Sleep(ctx, time.Hour), "Sleep on a cancelled context")
	assert.Equal(t, time.Hour, clk.Now().Sub(before), "a cancelled Sleep moved the clock")
}
