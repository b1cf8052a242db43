package webhooks_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/testclock"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

func e2eClient(t *testing.T, jira *jiratest.Server, hc *http.Client, opts ...webhooks.ClientOption) *webhooks.Client {
	t.Helper()
	c, err := webhooks.NewClient(jira.URL(), append([]webhooks.ClientOption{webhooks.WithHTTPClient(hc)}, opts...)...)
	require.NoError(t, err)
	return c
}

func e2eList(t *testing.T, c *webhooks.Client, opts *webhooks.ListOptions) []webhooks.Webhook {
	t.Helper()
	var all []webhooks.Webhook
	for w, err := range c.List(opts).All(t.Context()) {
		require.NoError(t, err)
		all = append(all, w)
	}
	return all
}

// TestE2EClientLifecycle registers, lists, refreshes and deletes webhooks of
// an OAuth 2.0 app on an in-memory Jira, on both API versions.
func TestE2EClientLifecycle(t *testing.T) {
	t.Parallel()
	for _, version := range []int{2, 3} {
		t.Run(fmt.Sprint("v", version), func(t *testing.T) {
			t.Parallel()
			jira := jiratest.NewServer()
			defer jira.Close()
			app := jira.AddOAuthApp("client-id", []byte("client-secret"))
			c := e2eClient(t, jira, app.HTTPClient(), webhooks.WithAPIVersion(version))
			ctx := t.Context()

			regs, err := c.Register(ctx, "https://app.example.com/hooks",
				webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = PRJ", FieldIDsFilter: []string{"summary"}},
				webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "watchCount > 1"},
				webhooks.Details{Events: []webhooks.EventName{webhooks.SprintStarted}, JQLFilter: "project = PRJ"},
			)
			require.NoError(t, err)
			require.Len(t, regs, 3, "Register")
			require.Equal(t, []bool{true, false, true}, []bool{regs[0].OK(), regs[1].OK(), regs[2].OK()}, "Register = %+v", regs)
			assert.True(t, slices.ContainsFunc(regs[1].Errors, func(s string) bool { return strings.Contains(s, "watchCount") }), "refusal = %q", regs[1].Errors)

			hooks := e2eList(t, c, nil)
			require.Len(t, hooks, 2, "List")
			h := hooks[0]
			assert.Equal(t, regs[0].ID, h.ID)
			assert.Equal(t, "https://app.example.com/hooks", h.URL)
			assert.Equal(t, "project = PRJ", h.JQLFilter)
			assert.Equal(t, []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, h.Events)
			assert.Equal(t, []string{"summary"}, h.FieldIDsFilter)
			want := jira.Now().Add(jiratest.Lifetime)
			assert.True(t, h.ExpirationDate.Equal(want.Truncate(time.Millisecond)), "ExpirationDate = %v, want %v", h.ExpirationDate, want)
			assert.Equal(t, regs[2].ID, hooks[1].ID)
			assert.Equal(t, []webhooks.EventName{webhooks.SprintStarted}, hooks[1].Events)

			jira.Advance(20 * 24 * time.Hour)
			exp, err := c.Refresh(ctx, regs[0].ID, regs[2].ID)
			require.NoError(t, err)
			want = jira.Now().Add(jiratest.Lifetime)
			assert.True(t, exp.Equal(want.Truncate(time.Millisecond)), "Refresh = %v, want %v", exp, want)
			jira.Advance(20 * 24 * time.Hour) // past the first expiry, not the new one
			assert.Len(t, e2eList(t, c, nil), 2, "webhooks after the refresh kept them alive")

			require.NoError(t, c.Delete(ctx, regs[0].ID))
			hooks = e2eList(t, c, nil)
			if assert.Len(t, hooks, 1, "after Delete") {
				assert.Equal(t, regs[2].ID, hooks[0].ID, "after Delete")
			}
			for _, r := range jira.Requests() {
				assert.True(t, strings.HasPrefix(r.Path, fmt.Sprintf("/rest/api/%d/webhook", version)), "request to %s", r.Path)
			}
		})
	}
}

func TestE2EClientListPages(t *testing.T) {
	t.Parallel()
	jira := jiratest.NewServer(jiratest.WithMaxResults(3)) // the site caps pages at 3
	defer jira.Close()
	app := jira.AddOAuthApp("client-id", []byte("client-secret"))
	c := e2eClient(t, jira, app.HTTPClient())
	details := make([]webhooks.Details, 8)
	for i := range details {
		details[i] = webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: fmt.Sprintf("project = P%d", i)}
	}
	regs, err := c.Register(t.Context(), "https://app.example.com/hooks", details...)
	require.NoError(t, err)
	var want []int64
	for _, r := range regs {
		want = append(want, r.ID)
	}
	for _, size := range []int{0, 2, 3, 100} {
		var got []int64
		for _, w := range e2eList(t, c, &webhooks.ListOptions{MaxResults: size}) {
			got = append(got, w.ID)
		}
		assert.Equal(t, want, got, "MaxResults %d", size)
	}
	// An app sees only its own webhooks.
	other := jira.AddOAuthApp("other", []byte("s"))
	assert.Empty(t, e2eList(t, e2eClient(t, jira, other.HTTPClient()), nil), "another app lists webhooks")
}

// e2eCounter counts the requests sent through it.
type e2eCounter struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    int
}

func (c *e2eCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *e2eCounter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

type e2eBasicAuth struct{ user, token string }

func (b e2eBasicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.user, b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestE2EClientNotAnApp(t *testing.T) {
	t.Parallel()
	jira := jiratest.NewServer()
	defer jira.Close()
	jira.AddUser("me@example.com", "api-token")
	c := e2eClient(t, jira, &http.Client{Transport: e2eBasicAuth{"me@example.com", "api-token"}})
	ctx := t.Context()
	_, regErr := c.Register(ctx, "https://app.example.com/h", webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = A"})
	_, listErr := c.List(nil).Next(ctx)
	_, refErr := c.Refresh(ctx, 1)
	delErr := c.Delete(ctx, 1)
	for _, err := range []error{regErr, listErr, refErr, delErr} {
		var e *webhooks.APIError
		if assert.ErrorAs(t, err, &e, "want a 403 APIError") {
			assert.Equal(t, 403, e.StatusCode, "err = %v", err)
		}
		assert.ErrorIs(t, err, webhooks.ErrNotAnApp)
	}
	// Failed deliveries are for Connect apps only.
	app := jira.AddOAuthApp("client-id", []byte("client-secret"))
	_, err := e2eClient(t, jira, app.HTTPClient()).ListFailed(nil).Next(ctx)
	var e *webhooks.APIError
	if assert.ErrorAs(t, err, &e, "ListFailed as an OAuth app: want a 403 APIError") {
		assert.Equal(t, 403, e.StatusCode, "ListFailed as an OAuth app: %v", err)
	}
	assert.ErrorIs(t, err, webhooks.ErrConnectOnly, "ListFailed as an OAuth app")
	assert.NotErrorIs(t, err, webhooks.ErrNotAnApp, "ListFailed as an OAuth app: want ErrConnectOnly only")
	for _, err := range []error{regErr, listErr, refErr, delErr} {
		assert.NotErrorIs(t, err, webhooks.ErrConnectOnly)
	}
}

func TestE2EClientFaults(t *testing.T) {
	t.Parallel()
	jira := jiratest.NewServer()
	defer jira.Close()
	app := jira.AddOAuthApp("client-id", []byte("client-secret"))
	s := testclock.New(jira.Now()) // retry waits pass at once, recorded
	counter := &e2eCounter{next: app.HTTPClient().Transport}
	c := e2eClient(t, jira, &http.Client{Transport: counter}, webhooks.WithClock(s))
	ctx := t.Context()
	hook := webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = A"}

	// Register is never retried, whatever the failure.
	for _, f := range []jiratest.Fault{jiratest.Fault429, jiratest.Fault503, jiratest.FaultDrop} {
		before := counter.get()
		jira.ScriptFaults(jiratest.EndpointRegister, f)
		_, err := c.Register(ctx, "https://app.example.com/h", hook)
		assert.Error(t, err, "%v: Register succeeded", f.Kind)
		assert.Equal(t, 1, counter.get()-before, "%v: register requests", f.Kind)
	}
	require.Empty(t, s.Waits(), "waits")
	require.Empty(t, jira.Webhooks(app), "webhooks")
	regs, err := c.Register(ctx, "https://app.example.com/h", hook)
	require.NoError(t, err)
	require.NotEmpty(t, regs)
	require.True(t, regs[0].OK(), "Register = %+v", regs)

	// Idempotent calls ride out 429 (Retry-After: 1), 503 and dropped
	// connections; a 500 is final.
	jira.ScriptFaults(jiratest.EndpointRefresh, jiratest.Fault429, jiratest.Fault503, jiratest.FaultDrop)
	_, err = c.Refresh(ctx, regs[0].ID)
	assert.NoError(t, err, "Refresh through faults")
	waits := s.Waits()
	if assert.Len(t, waits, 3, "waits: want 1s then two backoffs") {
		assert.Equal(t, time.Second, waits[0], "waits: want 1s then two backoffs")
	}
	jira.ScriptFaults(jiratest.EndpointList, jiratest.Fault429, jiratest.Fault429)
	assert.Len(t, e2eList(t, c, nil), 1, "List through faults")
	jira.ScriptFaults(jiratest.EndpointDelete, jiratest.Fault500)
	var e *webhooks.APIError
	if err := c.Delete(ctx, regs[0].ID); assert.ErrorAs(t, err, &e, "Delete after a 500") {
		assert.Equal(t, 500, e.StatusCode, "Delete after a 500: want the 500 (not retried)")
	}
	jira.ScriptFaults(jiratest.EndpointDelete, jiratest.Fault429, jiratest.Fault429, jiratest.Fault429, jiratest.Fault429, jiratest.Fault429)
	assert.ErrorIs(t, c.Delete(ctx, regs[0].ID), webhooks.ErrRateLimited, "Delete after 5 × 429")
	assert.NoError(t, c.Delete(ctx, regs[0].ID), "Delete")
	assert.Empty(t, jira.Webhooks(app), "webhooks left after Delete")
}

// TestE2EClientListFailed lets deliveries to a Connect app fail and reads
// them back in cursor pages, then resumes from a saved cursor.
func TestE2EClientListFailed(t *testing.T) {
	t.Parallel()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadRequest) // final: no retries
	}))
	defer receiver.Close()
	jira := jiratest.NewServer()
	defer jira.Close()
	app := jira.AddConnectApp("my-connect-app", []byte("shared-secret"), jiratest.WithBaseURL(receiver.URL))
	c := e2eClient(t, jira, app.HTTPClient())
	ctx := t.Context()
	_, err := c.Register(ctx, receiver.URL+"/hooks", webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = PRJ"})
	require.NoError(t, err)
	start := jira.Now()
	emit := func(n int) {
		for i := 0; i < n; i++ {
			jira.Advance(time.Minute)
			jira.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: fmt.Sprintf("PRJ-%d", i+1)}))
		}
	}
	emit(5)
	want := jira.Failed(app)
	require.Len(t, want, 5, "failed deliveries on the server")

	p := c.ListFailed(&webhooks.FailedOptions{MaxResults: 2})
	var got []webhooks.FailedWebhook
	for f, err := range p.All(ctx) {
		require.NoError(t, err)
		got = append(got, f)
	}
	require.Len(t, got, len(want), "listed failures")
	for i := range got {
		assert.Equal(t, want[i].ID, got[i].ID, "failure %d ID", i)
		assert.Equal(t, want[i].URL, got[i].URL, "failure %d URL", i)
		assert.Equal(t, want[i].Body, got[i].Body, "failure %d Body", i)
		assert.True(t, got[i].FailureTime.Equal(want[i].FailureTime), "failure %d = %+v, want %+v", i, got[i], want[i])
	}
	saved := p.Cursor()

	// Only failures after a time.
	var after []string
	for f, err := range c.ListFailed(&webhooks.FailedOptions{After: start.Add(3 * time.Minute)}).All(ctx) {
		require.NoError(t, err)
		after = append(after, f.ID)
	}
	assert.Equal(t, []string{want[3].ID, want[4].ID}, after, "After")

	// More failures later: the saved cursor yields only the new ones.
	emit(3)
	var newer []string
	for f, err := range c.ListFailed(&webhooks.FailedOptions{Cursor: saved}).All(ctx) {
		require.NoError(t, err)
		newer = append(newer, f.ID)
	}
	all := jira.Failed(app)
	require.Len(t, all, 8, "failed deliveries on the server")
	assert.Equal(t, []string{all[5].ID, all[6].ID, all[7].ID}, newer, "resumed: want the 3 newest")
}
