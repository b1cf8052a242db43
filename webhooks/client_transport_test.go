package webhooks

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/jirahooks/jirahooks/internal/testclock"
)

// errTransport fails every request with err and counts them.
type errTransport struct {
	mu  sync.Mutex
	n   int
	err error
}

func (e *errTransport) RoundTrip(*http.Request) (*http.Response, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	return nil, e.err
}

// TestClientRetriesOnlyTransientTransportErrors: a network failure is worth
// another try; an error of the transport's own making (an auth transport
// whose refresh token is dead, a refused host) is not, and retrying it only
// delays the answer and hammers the token endpoint.
func TestClientRetriesOnlyTransientTransportErrors(t *testing.T) {
	t.Parallel()
	errConsent := errors.New("auth: user consent required")
	for _, tc := range []struct {
		name     string
		err      error
		attempts int
	}{
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, 5},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, 5},
		{"DNS", &net.DNSError{Err: "no such host", Name: "x.atlassian.net", IsTemporary: true}, 5},
		{"EOF", io.EOF, 5},
		{"unexpected EOF", io.ErrUnexpectedEOF, 5},
		{"auth transport error", errConsent, 1},
		{"wrapped auth transport error", errors.Join(errors.New("token source"), errConsent), 1},
		{"foreign URL", ErrForeignURL, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := &errTransport{err: tc.err}
			s := testclock.New(testEpoch)
			c := ctClient(t, "https://x.atlassian.net", WithHTTPClient(&http.Client{Transport: tr}), WithClock(s))
			err := c.Delete(t.Context(), 1)
			assert.ErrorIs(t, err, tc.err)
			assert.Equal(t, tc.attempts, tr.n, "attempts")
			assert.Len(t, s.Waits(), tc.attempts-1, "waits")
		})
	}
}

// TestClientCanceledWaitKeepsTheCause: when the caller's context ends while
// the Client waits to retry, the error says both: the context's end and the
// answer that made it wait.
func TestClientCanceledWaitKeepsTheCause(t *testing.T) {
	t.Parallel()
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "30")
		ctReply(w, 429, `{"errorMessages":["Rate limit exceeded"]}`)
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()), withSleep(sleep))
	_, err := c.Refresh(ctx, 1)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, ErrRateLimited)
	var e *APIError
	if assert.ErrorAs(t, err, &e, "want the 429 APIError") {
		assert.Equal(t, 30*time.Second, e.RetryAfter, "RetryAfter")
	}

	// A network failure is kept the same way.
	tr := &errTransport{err: io.ErrUnexpectedEOF}
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	c = ctClient(t, "https://x.atlassian.net", WithHTTPClient(&http.Client{Transport: tr}),
		withSleep(func(ctx context.Context, d time.Duration) error { cancel2(); return ctx.Err() }))
	err = c.Delete(ctx2, 1)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}
