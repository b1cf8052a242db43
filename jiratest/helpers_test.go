package jiratest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jirahooks/jirahooks/jiratest"
)

// call makes one request with plain net/http and returns status, headers
// and body. body may be nil, a string (sent as is) or a value (sent as JSON).
func call(t *testing.T, c *http.Client, method, url string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// decode unmarshals b into a generic JSON value.
func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
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
	if st != 200 {
		t.Fatalf("register: %d %s", st, b)
	}
	return decode[regResult](t, b)
}

func ids(t *testing.T, r regResult) []int64 {
	t.Helper()
	var out []int64
	for _, x := range r.WebhookRegistrationResult {
		if x.CreatedWebhookID == nil {
			t.Fatalf("item refused: %v", x.Errors)
		}
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
