package webhooks

import (
	"errors"
	"testing"
	"time"
)

func TestErrRateLimitedMatches(t *testing.T) {
	tests := []struct {
		e    *APIError
		want bool
	}{
		{&APIError{StatusCode: 429}, true},
		{&APIError{StatusCode: 429, RetryAfter: time.Second}, true},
		{&APIError{StatusCode: 503, RetryAfter: 2 * time.Second}, true}, // Jira shedding load
		{&APIError{StatusCode: 503}, false},                             // an outage, not a rate limit
		{&APIError{StatusCode: 500, RetryAfter: time.Second}, false},
		{&APIError{StatusCode: 403}, false},
	}
	for _, tc := range tests {
		if got := errors.Is(tc.e, ErrRateLimited); got != tc.want {
			t.Errorf("%d with Retry-After %v: errors.Is(ErrRateLimited) = %v, want %v", tc.e.StatusCode, tc.e.RetryAfter, got, tc.want)
		}
	}
}
