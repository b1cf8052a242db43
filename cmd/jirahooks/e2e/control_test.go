package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var client = &http.Client{Timeout: wait}

// do makes one request with plain net/http and returns the status and body.
func do(t *testing.T, method, url, body string, header map[string]string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	require.NoError(t, err, "%s %s", method, url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func post(t *testing.T, url, body string, header map[string]string) (int, []byte) {
	t.Helper()
	return do(t, http.MethodPost, url, body, header)
}

// deliveries is the control API's list of delivery attempts.
type deliveries struct {
	Deliveries []struct {
		ID         string          `json:"id"`
		URL        string          `json:"url"`
		Event      string          `json:"event"`
		WebhookIDs []int64         `json:"webhookIds"`
		Attempt    int             `json:"attempt"`
		Status     int             `json:"status"`
		Answer     string          `json:"answer"`
		Final      bool            `json:"final"`
		Body       json.RawMessage `json:"body"`
	} `json:"deliveries"`
}

// TestControlAPIOverPlainHTTP drives jirahooks fake the way a TypeScript or
// Python suite would: Jira's API with the printed token, the control API
// for events, time and faults, and a receiver of its own.
func TestControlAPIOverPlainHTTP(t *testing.T) {
	t.Parallel()
	_, env := fake(t, "--seed", "7")
	base, ctl := env["JIRA_BASE_URL"], env["JIRA_BASE_URL"]+"/_jiratest"
	bearer := map[string]string{"Authorization": "Bearer " + env["JIRA_ACCESS_TOKEN"]}

	var mu sync.Mutex
	var got []http.Header
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Header.Clone())
		if len(got) == 1 {
			http.Error(w, "try again later", http.StatusServiceUnavailable) // Jira retries this
		}
	}))
	defer recv.Close()

	// An empty list is a page with "values": [].
	status, b := do(t, http.MethodGet, base+"/rest/api/3/webhook", "", bearer)
	require.Equal(t, 200, status, "%s", b)
	assert.Contains(t, string(b), `"values":[]`)

	// A scripted fault hits the next register call only.
	status, b = post(t, ctl+"/faults", `{"endpoint": "POST /webhook", "faults": [{"kind": "429", "retryAfter": "2s"}]}`, nil)
	require.Equal(t, 204, status, "%s", b)
	reg := `{"url": "` + recv.URL + `/hooks", "webhooks": [{"events": ["jira:issue_updated"], "jqlFilter": "project = ABC"}]}`
	status, _ = post(t, base+"/rest/api/3/webhook", reg, bearer)
	assert.Equal(t, 429, status)
	status, b = post(t, base+"/rest/api/3/webhook", reg, bearer)
	require.Equal(t, 200, status, "%s", b)
	var regs struct {
		Results []struct {
			ID int64 `json:"createdWebhookId"`
		} `json:"webhookRegistrationResult"`
	}
	require.NoError(t, json.Unmarshal(b, &regs), "%s", b)
	require.Len(t, regs.Results, 1)
	require.NotZero(t, regs.Results[0].ID, "%s", b)

	// An event outside the filter reaches nobody; one inside is delivered,
	// answered 503, and retried when the clock moves.
	status, b = post(t, ctl+"/events", `{"event": "jira:issue_updated", "issueKey": "XYZ-1"}`, nil)
	require.Equal(t, 200, status, "%s", b)
	assert.JSONEq(t, `{"deliveries": []}`, string(b))
	status, b = post(t, ctl+"/events", `{"event": "jira:issue_updated", "issueKey": "ABC-3", "fields": {"customfield_10029": 5}}`, nil)
	require.Equal(t, 200, status, "%s", b)
	var first deliveries
	require.NoError(t, json.Unmarshal(b, &first))
	require.Len(t, first.Deliveries, 1)
	d := first.Deliveries[0]
	assert.Equal(t, 503, d.Status)
	assert.Equal(t, "try again later\n", d.Answer)
	assert.False(t, d.Final)
	assert.Equal(t, []int64{regs.Results[0].ID}, d.WebhookIDs)
	assert.Contains(t, string(d.Body), `"customfield_10029":5`)

	status, b = do(t, http.MethodGet, ctl+"/clock", "", nil)
	require.Equal(t, 200, status)
	var before, after struct{ Now time.Time }
	require.NoError(t, json.Unmarshal(b, &before))
	status, b = post(t, ctl+"/clock/advance", `{"duration": "20m"}`, nil)
	require.Equal(t, 200, status, "%s", b)
	require.NoError(t, json.Unmarshal(b, &after))
	assert.Equal(t, 20*time.Minute, after.Now.Sub(before.Now))

	status, b = do(t, http.MethodGet, ctl+"/deliveries", "", nil)
	require.Equal(t, 200, status)
	var all deliveries
	require.NoError(t, json.Unmarshal(b, &all))
	require.Len(t, all.Deliveries, 2, "the retry was made within 20 minutes: %s", b)
	assert.Equal(t, d.ID, all.Deliveries[1].ID)
	assert.Equal(t, 1, all.Deliveries[1].Attempt)
	assert.Equal(t, 200, all.Deliveries[1].Status)

	mu.Lock()
	require.Len(t, got, 2)
	for i, h := range got {
		assert.Equal(t, d.ID, h.Get("X-Atlassian-Webhook-Identifier"))
		assert.Equal(t, []string{"0", "1"}[i], h.Get("X-Atlassian-Webhook-Retry"))
		assert.Equal(t, "Primary", h.Get("X-Atlassian-Webhook-Flow"))
		assert.True(t, strings.HasPrefix(h.Get("Authorization"), "Bearer "), "signed for the OAuth app")
	}
	mu.Unlock()

	// 31 days on, the unrefreshed webhook has expired: nothing is delivered.
	status, _ = post(t, ctl+"/clock/advance", `{"duration": "744h"}`, nil)
	require.Equal(t, 200, status)
	status, b = post(t, ctl+"/events", `{"event": "jira:issue_updated", "issueKey": "ABC-4"}`, nil)
	require.Equal(t, 200, status)
	assert.JSONEq(t, `{"deliveries": []}`, string(b))

	// Bad input is refused with Jira's error shape and a hint.
	status, b = post(t, ctl+"/events", `{"event": "jira:issue_create"}`, nil)
	assert.Equal(t, 400, status)
	assert.Contains(t, string(b), `"errorMessages"`)
	assert.Contains(t, string(b), "jira:issue_created")
	status, _ = do(t, http.MethodDelete, ctl+"/faults", "", nil)
	assert.Equal(t, 204, status)
}
