package webhooks

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

// trickle is a request body that sends one byte per interval, counting what
// it sent.
type trickle struct {
	data     []byte
	interval time.Duration
	sent     *atomic.Int64
}

func (tr *trickle) Read(p []byte) (int, error) {
	if len(tr.data) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	time.Sleep(tr.interval)
	p[0], tr.data = tr.data[0], tr.data[1:]
	tr.sent.Add(1)
	return 1, nil
}

// sendTrickled sends a signed 40-byte delivery to srv over a raw
// connection, one body byte per 100 ms (4 s in all), and returns the
// response and how many body bytes were sent when it arrived.
func sendTrickled(t *testing.T, srv *httptest.Server) (*http.Response, int64) {
	t.Helper()
	body := []byte(`{"webhookEvent":"jira:issue_updated"}   `)
	require.Len(t, body, 40)
	req, err := webhookstest.NewClientRequest(srv.URL+"/hooks", body, webhookstest.Hub{Secret: testSecret})
	require.NoError(t, err)
	var sent atomic.Int64
	req.Body = io.NopCloser(&trickle{data: body, interval: 100 * time.Millisecond, sent: &sent})
	req.ContentLength = int64(len(body))

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	go func() { _ = req.Write(conn) }() // fails once the server hangs up
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	require.NoError(t, err)
	n := sent.Load()
	resp.Body.Close()
	return resp, n
}

// post sends a signed issue_updated delivery to srv and returns the status.
func post(t *testing.T, srv *httptest.Server) int {
	t.Helper()
	req, err := webhookstest.NewClientRequest(srv.URL+"/hooks", webhookstest.Payload("issue_updated"), webhookstest.Hub{Secret: testSecret})
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestHandlerRefusesATrickledBody(t *testing.T) {
	t.Parallel()
	rec := newRecorder(HubSignature(testSecret), WithBodyReadTimeout(500*time.Millisecond))
	srv := httptest.NewServer(rec.h) // no ReadTimeout: the handler's own bound is all there is
	t.Cleanup(srv.Close)

	resp, sent := sendTrickled(t, srv)
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	assert.Less(t, sent, int64(20), "the handler waited for half the trickled body or more")
	assert.ErrorIs(t, rec.lastErr(), ErrBodyTimeout)
	assert.Zero(t, rec.calls.Load(), "a callback ran for a body that never arrived")
	t.Logf("refused with %d of 40 bytes sent: %v", sent, rec.lastErr())
}

func TestHandlerBodyReadTimeoutDefault(t *testing.T) {
	t.Parallel()
	assert.Equal(t, DefaultBodyReadTimeout, NewHandler(nil).readTimeout)
	assert.Equal(t, DefaultBodyReadTimeout, NewHandler(nil, WithBodyReadTimeout(-1)).readTimeout, "d <= 0 keeps the default")
	assert.Equal(t, time.Second, NewHandler(nil, WithBodyReadTimeout(time.Second)).readTimeout)
}

func TestHandlerBodyReadTimeoutDoesNotBoundCallbacks(t *testing.T) {
	t.Parallel()
	const timeout = 500 * time.Millisecond
	h := NewHandler(HubSignature(testSecret), WithBodyReadTimeout(timeout))
	var ctxErr atomic.Value
	h.OnAny(func(ctx context.Context, _ *Event) error {
		// Outlive the body's deadline: the request goes on.
		select {
		case <-ctx.Done():
			ctxErr.Store(ctx.Err())
		case <-time.After(timeout + timeout/2):
		}
		return nil
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	for range 2 { // the second request reuses the connection
		assert.Equal(t, http.StatusOK, post(t, srv))
	}
	assert.Nil(t, ctxErr.Load(), "the request's context ended while the callback ran")
}

// plainWriter hides the server's ResponseWriter behind one that supports
// no deadlines (no Unwrap), as some middleware does.
type plainWriter struct{ w http.ResponseWriter }

func (p plainWriter) Header() http.Header         { return p.w.Header() }
func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p plainWriter) WriteHeader(code int)        { p.w.WriteHeader(code) }

func TestHandlerWithoutReadDeadlineSupport(t *testing.T) {
	t.Parallel()
	rec := newRecorder(HubSignature(testSecret), WithBodyReadTimeout(time.Millisecond))

	w := rec.serve(webhookstest.NewRequest("/hooks", webhookstest.Payload("issue_updated"), webhookstest.Hub{Secret: testSecret}))
	assert.Equal(t, http.StatusOK, w.Code, "httptest.ResponseRecorder supports no deadline")

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.h.ServeHTTP(plainWriter{w}, r)
	}))
	t.Cleanup(srv.Close)
	assert.Equal(t, http.StatusOK, post(t, srv))
	assert.Equal(t, int32(2), rec.calls.Load())
}

func TestHandlerLeavesAStricterServerReadTimeout(t *testing.T) {
	t.Parallel()
	rec := newRecorder(HubSignature(testSecret), WithBodyReadTimeout(time.Minute))
	srv := httptest.NewUnstartedServer(rec.h)
	srv.Config.ReadTimeout = 500 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)

	resp, sent := sendTrickled(t, srv)
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode, "the server's ReadTimeout was replaced by the handler's longer one")
	assert.Less(t, sent, int64(20))
}
