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
