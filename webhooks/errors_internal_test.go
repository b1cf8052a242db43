package webhooks

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestErrRateLimitedMatches(t *testing.T) {
	t.Parallel()
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
		t.Run(fmt.Sprintf("%d retry-after %v", tc.e.StatusCode, tc.e.RetryAfter), func(t *testing.T) {
			t.Parallel()
			if tc.want {
				assert.ErrorIs(t, tc.e, ErrRateLimited, "errors.Is(ErrRateLimited)")
			} else {
				assert.NotErrorIs(t, tc.e, ErrRateLimited, "errors.Is(ErrRateLimited)")
			}
		})
	}
}
