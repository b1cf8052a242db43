package retry

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestStatus(t *testing.T) {
	for code, want := range map[int]bool{429: true, 502: true, 503: true, 504: true, 500: false, 400: false, 403: false, 404: false, 200: false} {
		if got := Status(code); got != want {
			t.Errorf("Status(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Cap: time.Second}
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		for range 200 {
			d := p.Backoff(attempt)
			if d < want/2 || d >= want {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v)", attempt, d, want/2, want)
			}
		}
	}
	// Zero values fall back to the defaults instead of spinning.
	if d := (Policy{}).Backoff(0); d < DefaultBase/2 || d >= DefaultBase {
		t.Errorf("zero policy Backoff(0) = %v", d)
	}
	if d := (Policy{Base: time.Second}).Backoff(100); d < time.Second/2 || d >= time.Second {
		t.Errorf("cap below base: %v", d)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := Policy{Now: func() time.Time { return now }}
	for v, want := range map[string]time.Duration{
		"1":  time.Second,
		" 7": 7 * time.Second,
		"0":  0,
		now.Add(30 * time.Second).Format(http.TimeFormat): 30 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		d, ok := p.RetryAfter(http.Header{"Retry-After": {v}})
		if !ok || d != want {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v", v, d, ok, want)
		}
	}
	for _, v := range []string{"", "soon", "-3", "1.5"} {
		if d, ok := p.RetryAfter(http.Header{"Retry-After": {v}}); ok {
			t.Errorf("RetryAfter(%q) = %v, true; want not ok", v, d)
		}
	}
	if d, ok := p.RetryAfter(http.Header{"Retry-After": {"99999999999999"}}); !ok || d != 24*time.Hour {
		t.Errorf("huge Retry-After = %v, %v", d, ok)
	}
}

func TestSleepStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- Sleep(ctx, time.Hour) }()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep on a done context = %v", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep(1ms) = %v", err)
	}
}

// TestBackoffHugeCap: doubling toward a cap near the largest Duration must
// not overflow into a negative (no) wait.
func TestBackoffHugeCap(t *testing.T) {
	p := Policy{Base: time.Second, Cap: time.Duration(1<<63 - 1)}
	for attempt := range 80 {
		if d := p.Backoff(attempt); d <= 0 {
			t.Fatalf("Backoff(%d) = %v, want > 0", attempt, d)
		}
	}
}
