// Package retry holds the retry rules of the webhooks client: which answers
// are worth another try, how long to wait (Retry-After, else jittered
// exponential backoff), and a wait that ends the moment its context does.
//
// Atlassian's advice for Jira Cloud rate limits: at most 4 retries, honour
// Retry-After (seconds), jittered exponential backoff otherwise, and never
// retry a call that is not idempotent.
package retry

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults, following Atlassian's rate-limiting advice.
const (
	DefaultMax  = 4
	DefaultBase = 500 * time.Millisecond
	DefaultCap  = 10 * time.Second
	// MaxRetryAfter is the longest Retry-After a call waits out by itself;
	// a longer one ends the call with the error, so that the caller can
	// decide.
	MaxRetryAfter = time.Minute
)

// Policy says how often and how long to retry.
type Policy struct {
	// Max is the number of retries after the first attempt; 0 disables
	// retrying.
	Max int
	// Base is the first backoff, before jitter.
	Base time.Duration
	// Cap is the longest backoff, before jitter.
	Cap time.Duration

	// Sleep waits for d or until ctx is done, whichever is first, and
	// then returns ctx.Err(). Nil means [Sleep]. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used to read an HTTP-date Retry-After. Nil means
	// time.Now.
	Now func() time.Time
}

// Default returns the default policy.
func Default() Policy {
	return Policy{Max: DefaultMax, Base: DefaultBase, Cap: DefaultCap}
}

// Status reports whether an HTTP status is worth retrying: 429 (rate
// limited), 502, 503 and 504 (the gateway or Jira is briefly away).
func Status(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Backoff returns the wait before retry number attempt (0 for the first
// retry): Base doubled attempt times, at most Cap, with "equal jitter" (a
// uniformly random wait in [d/2, d)), so that clients that failed together
// do not retry together.
func (p Policy) Backoff(attempt int) time.Duration {
	base, limit := p.Base, p.Cap
	if base <= 0 {
		base = DefaultBase
	}
	if limit < base {
		limit = base
	}
	d := base
	for i := 0; i < attempt && d < limit; i++ {
		if d > limit/2 {
			d = limit // doubling would pass the cap, or overflow
			break
		}
		d *= 2
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(d-half)
}

// RetryAfter reads a Retry-After header: delay seconds, or an HTTP date.
// ok is false when the header is missing or unreadable. A date in the past
// gives 0.
func (p Policy) RetryAfter(h http.Header) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	return max(t.Sub(now()), 0), true
}

// Wait sleeps for d with p.Sleep, or [Sleep].
func (p Policy) Wait(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return Sleep(ctx, d)
}

// Sleep waits for d, or until ctx is done, and returns ctx.Err() in the
// second case (at once, without waiting out d).
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
