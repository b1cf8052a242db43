package jiratest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
)

// do makes one request with plain net/http and returns status, headers and
// body. body may be nil, a string (sent as is) or a value (sent as JSON).
// It reports failures as an error, so that goroutines can use it; tests
// use call.
func do(ctx context.Context, c *http.Client, method, url string, body any) (int, http.Header, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, b, nil
}

// call is do for the test's own goroutine: a failed request ends the test.
func call(t *testing.T, c *http.Client, method, url string, body any) (int, http.Header, []byte) {
	t.Helper()
	st, h, b, err := do(t.Context(), c, method, url, body)
	require.NoError(t, err)
	return st, h, b
}

// decode unmarshals b into a generic JSON value.
func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), "decode %s", b)
	return v
}

type regResult struct {
	WebhookRegistrationResult []struct {
		CreatedWebhookID *int64   `json:"createdWebhookId"`
		Errors           []string `json:"errors"`
	} `json:"webhookRegistrationResult"`
}

type hookDetails = map[string]any

func details(jqlFilter string, events ...string) hookDetails {
	return hookDetails{"jqlFilter": jqlFilter, "events": events}
}

// register registers hooks for app at url and returns the result.
func register(t *testing.T, srv *jiratest.Server, app *jiratest.App, url string, hooks ...hookDetails) regResult {
	t.Helper()
	st, _, b := call(t, app.HTTPClient(), "POST", srv.URL()+"/rest/api/3/webhook", map[string]any{"url": url, "webhooks": hooks})
	require.Equal(t, 200, st, "register: %s", b)
	return decode[regResult](t, b)
}

func ids(t *testing.T, r regResult) []int64 {
	t.Helper()
	var out []int64
	for _, x := range r.WebhookRegistrationResult {
		require.NotNil(t, x.CreatedWebhookID, "item refused: %v", x.Errors)
		out = append(out, *x.CreatedWebhookID)
	}
	return out
}

type page struct {
	StartAt    int64            `json:"startAt"`
	MaxResults int              `json:"maxResults"`
	Total      int64            `json:"total"`
	IsLast     bool             `json:"isLast"`
	NextPage   string           `json:"nextPage"`
	Self       string           `json:"self"`
	Values     []map[string]any `json:"values"`
}

// received is a webhook receiver that records what arrives.
type received struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []*http.Request
	bodies [][]byte
	answer func(n int) int // status for the n-th request (0-based)
}

func newReceiver(t *testing.T, answer func(n int) int) *received {
	rc := &received{answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.reqs)
		rc.reqs = append(rc.reqs, r)
		rc.bodies = append(rc.bodies, b)
		rc.mu.Unlock()
		st := 200
		if rc.answer != nil {
			st = rc.answer(n)
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *received) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

func (rc *received) get(i int) (*http.Request, []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.reqs[i], rc.bodies[i]
}
