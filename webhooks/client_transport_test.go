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
			tr := &errTransport{err: tc.err}
			s := &ctSleeper{}
			c := ctClient(t, "https://x.atlassian.net", WithHTTPClient(&http.Client{Transport: tr}), withSleep(s.sleep))
			err := c.Delete(context.Background(), 1)
			if !errors.Is(err, tc.err) {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
			if tr.n != tc.attempts || len(s.got()) != tc.attempts-1 {
				t.Errorf("%d attempts, %d waits; want %d attempts", tr.n, len(s.got()), tc.attempts)
			}
		})
	}
}

// TestClientCanceledWaitKeepsTheCause: when the caller's context ends while
// the Client waits to retry, the error says both: the context's end and the
// answer that made it wait.
func TestClientCanceledWaitKeepsTheCause(t *testing.T) {
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "30")
		ctReply(w, 429, `{"errorMessages":["Rate limit exceeded"]}`)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()), withSleep(sleep))
	_, err := c.Refresh(ctx, 1)
	var e *APIError
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrRateLimited) || !errors.As(err, &e) || e.RetryAfter != 30*time.Second {
		t.Errorf("err = %v, want context.Canceled and the 429 APIError", err)
	}

	// A network failure is kept the same way.
	tr := &errTransport{err: io.ErrUnexpectedEOF}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	c = ctClient(t, "https://x.atlassian.net", WithHTTPClient(&http.Client{Transport: tr}),
		withSleep(func(ctx context.Context, d time.Duration) error { cancel2(); return ctx.Err() }))
	if err := c.Delete(ctx2, 1); !errors.Is(err, context.Canceled) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want context.Canceled and the unexpected EOF", err)
	}
}
