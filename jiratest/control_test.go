package jiratest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

// recorder is a receiver that keeps the delivery identifiers it saw and
// answers with the statuses queued in answers (then 200).
type recorderSrv struct {
	mu      sync.Mutex
	ids     []string
	answers []int
}

func (rs *recorderSrv) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.ids = append(rs.ids, r.Header.Get("X-Atlassian-Webhook-Identifier"))
	if len(rs.answers) > 0 {
		http.Error(w, "busy", rs.answers[0])
		rs.answers = rs.answers[1:]
	}
}

func (rs *recorderSrv) seen() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.ids...)
}

// registerOne registers one webhook for events on app, delivering to url.
func registerOne(t *testing.T, s *jiratest.Server, app *jiratest.App, url string, events ...string) {
	t.Helper()
	body := map[string]any{"url": url, "webhooks": []any{map[string]any{"events": events, "jqlFilter": "project != null"}}}
	status, _, b := call(t, app.HTTPClient(), http.MethodPost, s.URL()+"/rest/api/3/webhook", body)
	require.Equal(t, http.StatusOK, status, "%s", b)
	require.NotContains(t, string(b), "errors", "%s", b)
}

func TestDeliveryIdentifiersDifferAcrossServers(t *testing.T) {
	t.Parallel()
	rs := &recorderSrv{}
	recv := httptest.NewServer(rs)
	defer recv.Close()
	emitOnNewSite := func(opts ...jiratest.Option) {
		s := jiratest.NewServer(opts...)
		defer s.Close()
		registerOne(t, s, s.AddOAuthApp("app", []byte("secret")), recv.URL, "jira:issue_created")
		require.Len(t, s.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{})), 1)
	}

	emitOnNewSite()
	emitOnNewSite()
	ids := rs.seen()
	require.Len(t, ids, 2)
	assert.NotEqual(t, ids[0], ids[1], "two unseeded sites sent the same identifier: a receiver drops the second as a duplicate")

	emitOnNewSite(jiratest.WithSeed(42))
	emitOnNewSite(jiratest.WithSeed(42))
	ids = rs.seen()
	require.Len(t, ids, 4)
	assert.Equal(t, ids[2], ids[3], "the same seed must reproduce the identifiers")
}

func TestEmptyWebhookPageHasValues(t *testing.T) {
	t.Parallel()
	s := jiratest.NewServer()
	defer s.Close()
	app := s.AddOAuthApp("app", []byte("secret"))
	status, _, b := call(t, app.HTTPClient(), http.MethodGet, s.URL()+"/rest/api/3/webhook", nil)
	require.Equal(t, http.StatusOK, status)
	page := decode[map[string]json.RawMessage](t, b)
	require.Contains(t, page, "values", "Jira sends \"values\": [] for an empty page: %s", b)
	assert.JSONEq(t, `[]`, string(page["values"]))
	assert.JSONEq(t, `true`, string(page["isLast"]))
}

func TestSampleEventsRenderAsTheirName(t *testing.T) {
	t.Parallel()
	for _, name := range jiratest.SampleEvents() {
		ev, err := jiratest.SampleEvent(name, jiratest.Issue{Key: "ABC-12"})
		require.NoError(t, err, name)
		body, err := ev.Payload("https://example.atlassian.net/", time.UnixMilli(1700000000000), 10001)
		require.NoError(t, err, name)
		parsed, err := webhooks.ParseEvent(body)
		require.NoError(t, err, "%s: %s", name, body)
		assert.Equal(t, webhooks.EventName(name), parsed.Name)
		assert.Equal(t, []int64{10001}, parsed.MatchedWebhookIDs, name)
		assert.Equal(t, int64(1700000000000), parsed.Timestamp.UnixMilli(), name)
		if parsed.Issue != nil {
			assert.Equal(t, "ABC-12", parsed.Issue.Key, name)
			assert.Contains(t, parsed.Issue.Self, "https://example.atlassian.net/rest/api/", name)
		}
	}
	_, err := jiratest.SampleEvent("jira:issue_create", jiratest.Issue{})
	assert.ErrorIs(t, err, jiratest.ErrUnknownEvent)
}

func TestSampleIssueUpdatedChangesStatus(t *testing.T) {
	t.Parallel()
	ev, err := jiratest.SampleEvent("jira:issue_updated", jiratest.Issue{Key: "ABC-1", Status: "Done"})
	require.NoError(t, err)
	body, err := ev.Payload("https://example.atlassian.net", time.Now())
	require.NoError(t, err)
	parsed, err := webhooks.ParseEvent(body)
	require.NoError(t, err)
	require.NotNil(t, parsed.Changelog)
	require.Len(t, parsed.Changelog.Items, 1)
	assert.Equal(t, "status", parsed.Changelog.Items[0].Field)
	assert.Equal(t, "Done", parsed.Changelog.Items[0].ToString)
	assert.NotContains(t, string(body), "matchedWebhookIds", "no ids given, none sent (admin webhooks)")
}

func TestControlAPIIsOffByDefault(t *testing.T) {
	t.Parallel()
	s := jiratest.NewServer()
	defer s.Close()
	status, _, _ := call(t, s.Client(), http.MethodGet, s.URL()+jiratest.ControlPrefix+"/clock", nil)
	assert.Equal(t, http.StatusNotFound, status)
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	rs := &recorderSrv{answers: []int{http.StatusServiceUnavailable}}
	recv := httptest.NewServer(rs)
	defer recv.Close()
	s := jiratest.NewServer(jiratest.WithControlAPI(), jiratest.WithRetries(1, func(int) time.Duration { return time.Hour }))
	defer s.Close()
	app := s.AddOAuthApp("app", []byte("secret"))
	registerOne(t, s, app, recv.URL+"/hooks", "jira:issue_updated")
	ctl := s.URL() + jiratest.ControlPrefix
	c := s.Client()

	// Emit: the first attempt is answered 503 and a retry waits an hour.
	status, _, b := call(t, c, http.MethodPost, ctl+"/events", map[string]any{
		"event": "jira:issue_updated", "issueKey": "ABC-7", "summary": "Fix login",
		"changes": []any{map[string]any{"field": "summary", "from": "Login", "to": "Fix login"}},
	})
	require.Equal(t, http.StatusOK, status, "%s", b)
	var out struct {
		Deliveries []struct {
			ID         string          `json:"id"`
			URL        string          `json:"url"`
			Event      string          `json:"event"`
			App        string          `json:"app"`
			WebhookIDs []int64         `json:"webhookIds"`
			Attempt    int             `json:"attempt"`
			Status     int             `json:"status"`
			Answer     string          `json:"answer"`
			Final      bool            `json:"final"`
			Body       json.RawMessage `json:"body"`
		} `json:"deliveries"`
	}
	require.NoError(t, json.Unmarshal(b, &out))
	require.Len(t, out.Deliveries, 1)
	d := out.Deliveries[0]
	assert.Equal(t, recv.URL+"/hooks", d.URL)
	assert.Equal(t, "jira:issue_updated", d.Event)
	assert.Equal(t, "app", d.App)
	assert.Equal(t, http.StatusServiceUnavailable, d.Status)
	assert.Equal(t, "busy\n", d.Answer)
	assert.False(t, d.Final)
	ev, err := webhooks.ParseEvent(d.Body)
	require.NoError(t, err)
	require.NotNil(t, ev.Issue)
	assert.Equal(t, "ABC-7", ev.Issue.Key)
	require.NotNil(t, ev.Changelog)
	assert.Len(t, ev.Changelog.Items, 2, "the sample's status change and the one asked for")

	// Advance the clock: the retry is made and succeeds.
	status, _, b = call(t, c, http.MethodGet, ctl+"/clock", nil)
	require.Equal(t, http.StatusOK, status)
	before := decode[struct{ Now time.Time }](t, b).Now
	status, _, b = call(t, c, http.MethodPost, ctl+"/clock/advance", map[string]any{"duration": "61m"})
	require.Equal(t, http.StatusOK, status, "%s", b)
	assert.Equal(t, 61*time.Minute, decode[struct{ Now time.Time }](t, b).Now.Sub(before))

	status, _, b = call(t, c, http.MethodGet, ctl+"/deliveries", nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(b, &out))
	require.Len(t, out.Deliveries, 2)
	assert.Equal(t, d.ID, out.Deliveries[1].ID, "a retry keeps the identifier")
	assert.Equal(t, 1, out.Deliveries[1].Attempt)
	assert.Equal(t, http.StatusOK, out.Deliveries[1].Status)
	assert.True(t, out.Deliveries[1].Final)
	assert.Equal(t, []string{d.ID, d.ID}, rs.seen())

	// Faults: the next list call is rate limited, then all is well again.
	status, _, b = call(t, c, http.MethodPost, ctl+"/faults", map[string]any{
		"endpoint": "GET /webhook", "faults": []any{map[string]any{"kind": "429", "retryAfter": "3s"}},
	})
	require.Equal(t, http.StatusNoContent, status, "%s", b)
	status, h, _ := call(t, app.HTTPClient(), http.MethodGet, s.URL()+"/rest/api/3/webhook", nil)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "3", h.Get("Retry-After"))
	status, _, _ = call(t, app.HTTPClient(), http.MethodGet, s.URL()+"/rest/api/3/webhook", nil)
	assert.Equal(t, http.StatusOK, status)

	status, _, _ = call(t, c, http.MethodPost, ctl+"/faults", map[string]any{"endpoint": "*", "rate": 1})
	require.Equal(t, http.StatusNoContent, status)
	status, _, _ = call(t, app.HTTPClient(), http.MethodGet, s.URL()+"/rest/api/3/webhook", nil)
	assert.GreaterOrEqual(t, status, 429)
	status, _, _ = call(t, c, http.MethodDelete, ctl+"/faults", nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _, _ = call(t, app.HTTPClient(), http.MethodGet, s.URL()+"/rest/api/3/webhook", nil)
	assert.Equal(t, http.StatusOK, status)

	// Control calls are not Jira API requests.
	for _, r := range s.Requests() {
		assert.NotContains(t, r.Path, jiratest.ControlPrefix)
	}
}

func TestControlAPIRefusesBadInput(t *testing.T) {
	t.Parallel()
	s := jiratest.NewServer(jiratest.WithControlAPI())
	defer s.Close()
	ctl := s.URL() + jiratest.ControlPrefix
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		says         string
	}{
		{http.MethodPost, "/events", map[string]any{"event": "jira:issue_create"}, 400, "jira:issue_created"},
		{http.MethodPost, "/events", "{", 400, "not valid JSON"},
		{http.MethodPost, "/events", "", 400, "No content"},
		{http.MethodPost, "/clock/advance", map[string]any{"duration": "-1h"}, 400, "non-negative"},
		{http.MethodPost, "/clock/advance", map[string]any{"duration": "soon"}, 400, "duration"},
		{http.MethodPost, "/faults", map[string]any{"endpoint": "GET /nope", "faults": []any{map[string]any{"kind": "500"}}}, 400, "PUT /webhook/refresh"},
		{http.MethodPost, "/faults", map[string]any{"endpoint": "*", "faults": []any{map[string]any{"kind": "418"}}}, 400, "slow"},
		{http.MethodPost, "/faults", map[string]any{"endpoint": "*", "faults": []any{map[string]any{"kind": "429", "retryAfter": "x"}}}, 400, "retryAfter"},
		{http.MethodPost, "/faults", map[string]any{"endpoint": "*", "rate": 2}, 400, "rate"},
		{http.MethodPost, "/faults", map[string]any{"endpoint": "*"}, 400, "rate"},
		{http.MethodPut, "/clock", nil, 405, "not allowed"},
		{http.MethodGet, "/nothing", nil, 404, "jiratest-control.yaml"},
	} {
		status, h, b := call(t, s.Client(), tc.method, ctl+tc.path, tc.body)
		assert.Equal(t, tc.status, status, "%s %s: %s", tc.method, tc.path, b)
		assert.Contains(t, string(b), tc.says, "%s %s", tc.method, tc.path)
		if status == 405 {
			assert.Equal(t, "GET", h.Get("Allow"))
		}
	}
	assert.Empty(t, s.Deliveries())
}

// TestControlRoutesMatchTheDocument checks that the operations the control
// API serves are exactly those openapi/jiratest-control.yaml documents.
func TestControlRoutesMatchTheDocument(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "openapi", "jiratest-control.yaml"))
	require.NoError(t, err)
	var documented []string
	path := ""
	for _, line := range strings.Split(string(doc), "\n") {
		switch {
		case strings.HasPrefix(line, "  /") && strings.HasSuffix(line, ":"):
			path = strings.TrimSuffix(strings.TrimSpace(line), ":")
		case strings.HasPrefix(line, "components:"):
			path = ""
		case path != "" && len(line) > 4 && line[:4] == "    " && line[4] != ' ' && strings.HasSuffix(line, ":"):
			documented = append(documented, strings.ToUpper(strings.TrimSuffix(strings.TrimSpace(line), ":"))+" "+path)
		}
	}
	assert.ElementsMatch(t, jiratest.ControlRoutes(), documented)

	// And each of them is served (not 404) by a server with the control API.
	s := jiratest.NewServer(jiratest.WithControlAPI())
	defer s.Close()
	for _, rt := range documented {
		method, p, _ := strings.Cut(rt, " ")
		status, _, b := call(t, s.Client(), method, s.URL()+p, "{}")
		assert.NotContains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, status, "%s: %s", rt, b)
	}
}
