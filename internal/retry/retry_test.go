package retry

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]bool{429: true, 502: true, 503: true, 504: true, 500: false, 400: false, 403: false, 404: false, 200: false} {
		assert.Equal(t, want, Status(code), "Status(%d)", code)
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	p := Policy{Base: 100 * time.Millisecond, Cap: time.Second}
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		for range 200 {
			d := p.Backoff(attempt)
			require.True(t, d >= want/2 && d < want, "Backoff(%d) = %v, want in [%v, %v)", attempt, d, want/2, want)
		}
	}
	// Zero values fall back to the defaults instead of spinning.
	d := (Policy{}).Backoff(0)
	assert.True(t, d >= DefaultBase/2 && d < DefaultBase, "zero policy Backoff(0) = %v", d)
	d = (Policy{Base: time.Second}).Backoff(100)
	assert.True(t, d >= time.Second/2 && d < time.Second, "cap below base: %v", d)
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := Policy{Now: func() time.Time { return now }}
	for v, want := range map[string]time.Duration{
		"1":  time.Second,
		" 7": 7 * time.Second,
		"0":  0,
		now.Add(30 * time.Second).Format(http.TimeFormat): 30 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
		"99999999999999": 24 * time.Hour, // a huge Retry-After is capped
	} {
		d, ok := p.RetryAfter(http.Header{"Retry-After": {v}})
		if assert.True(t, ok, "RetryAfter(%q) not ok", v) {
			assert.Equal(t, want, d, "RetryAfter(%q)", v)
		}
	}
	for _, v := range []string{"", "soon", "-3", "1.5"} {
		d, ok := p.RetryAfter(http.Header{"Retry-After": {v}})
		assert.False(t, ok, "RetryAfter(%q) = %v, true; want not ok", v, d)
	}
}

func TestSleepStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- Sleep(ctx, time.Hour) }()
	cancel()
	assert.Equal(t, context.Canceled, <-done, "Sleep")
	assert.Equal(t, context.Canceled, Sleep(ctx, time.Hour), "Sleep on a done context")
	assert.NoError(t, Sleep(t.Context(), 0), "Sleep(0)")
	assert.NoError(t, Sleep(t.Context(), time.Millisecond), "Sleep(1ms)")
}

// TestBackoffHugeCap: doubling toward a cap near the largest Duration must
// not overflow into a negative (no) wait.
func TestBackoffHugeCap(t *testing.T) {
	t.Parallel()
	p := Policy{Base: time.Second, Cap: time.Duration(1<<63 - 1)}
	for attempt := range 80 {
		require.Positive(t, p.Backoff(attempt), "Backoff(%d)", attempt)
	}
}
