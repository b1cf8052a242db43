package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

// TestReceiveEndToEnd registers a webhook on the in-memory Jira, lets it
// deliver a signed jira:issue_updated to a Handler on a loopback server, and
// checks that the callback sees the typed event exactly once although the
// first attempt was answered 500 and Jira retried.
func TestReceiveEndToEnd(t *testing.T) {
	t.Parallel()
	secret := []byte("e2e shared secret")
	tests := []struct {
		name     string
		install  func(*jiratest.Server) *jiratest.App
		verifier func(app *jiratest.App) webhooks.Verifier
		tenant   func(app *jiratest.App) string
	}{
		{
			name:    "connect",
			install: func(s *jiratest.Server) *jiratest.App { return s.AddConnectApp("com.acme.jira-bot", secret) },
			verifier: func(app *jiratest.App) webhooks.Verifier {
				return webhooks.ConnectJWT(func(clientKey string) ([]byte, error) {
					if clientKey != app.ClientKey() {
						return nil, webhooks.ErrUnknownTenant
					}
					return app.Secret(), nil
				})
			},
			tenant: func(app *jiratest.App) string { return app.ClientKey() },
		},
		{
			name:     "oauth",
			install:  func(s *jiratest.Server) *jiratest.App { return s.AddOAuthApp("acme-oauth-client", secret) },
			verifier: func(app *jiratest.App) webhooks.Verifier { return webhooks.OAuthJWT(app.Secret()) },
			tenant:   func(*jiratest.App) string { return "" },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Retries happen at once, inside Emit, so the tokens are signed
			// at the real time the verifier checks them against.
			jira := jiratest.NewServer(jiratest.WithSeed(4), jiratest.WithRetries(3, func(int) time.Duration { return 0 }))
			defer jira.Close()
			app := tc.install(jira)

			var (
				mu       sync.Mutex
				attempts int
				seen     []*webhooks.Event
			)
			h := webhooks.NewHandler(tc.verifier(app))
			h.On(webhooks.IssueUpdated, func(ctx context.Context, e *webhooks.Event) error {
				mu.Lock()
				defer mu.Unlock()
				attempts++
				if attempts == 1 {
					return errors.New("database briefly unavailable")
				}
				seen = append(seen, e)
				return nil
			})
			srv := httptest.NewServer(h)
			defer srv.Close()

			register(t, app, jira.URL(), srv.URL+"/hooks/jira")

			issue := jiratest.Issue{Key: "PAY-142", Summary: "EU card payments fail", Status: "In Progress",
				Fields: map[string]any{"customfield_10016": 5}}
			first := jira.Emit(jiratest.IssueEvent("jira:issue_updated", issue).Change("status", "To Do", "In Progress"))
			jira.RunDue()

			deliveries := jira.Deliveries()
			require.Len(t, first, 1, "first attempts")
			require.Len(t, deliveries, 2, "all attempts: %+v", deliveries)
			require.Equal(t, http.StatusInternalServerError, deliveries[0].Status, "first attempt's status")
			require.Equal(t, http.StatusOK, deliveries[1].Status, "retry's status")
			require.Equal(t, deliveries[0].ID, deliveries[1].ID, "the retry's identifier")
			require.Equal(t, 1, deliveries[1].Attempt, "the retry's attempt")
			// Jira delivering the same identifier again is dropped.
			require.Len(t, seen, 1, "times the callback saw the event")
			e := seen[0]
			require.Equal(t, webhooks.IssueUpdated, e.Name, "event name")
			require.NotNil(t, e.Issue, "event's issue")
			require.Equal(t, "PAY-142", e.Issue.Key, "issue key")
			require.Equal(t, "EU card payments fail", e.Issue.Fields.Summary, "summary")
			if assert.NotNil(t, e.Changelog, "changelog") && assert.Len(t, e.Changelog.Items, 1, "changelog items") {
				assert.Equal(t, "In Progress", e.Changelog.Items[0].ToString, "changelog's new status")
			}
			var points float64
			if assert.NoError(t, e.Issue.Fields.Decode("customfield_10016", &points), "custom field") {
				assert.Equal(t, 5.0, points, "custom field")
			}
			assert.Len(t, e.MatchedWebhookIDs, 1, "matched webhooks")
			assert.False(t, e.Timestamp.IsZero(), "timestamp")
			d := e.Delivery
			if assert.NotNil(t, d.URL, "delivery URL") {
				assert.Equal(t, "/hooks/jira", d.URL.Path, "delivery URL")
			}
			d.URL = nil
			want := webhooks.Delivery{ID: deliveries[0].ID, Retry: 1, Flow: "Primary", Tenant: tc.tenant(app)}
			assert.Equal(t, want, d, "delivery")
		})
	}
}

// register registers one dynamic webhook for jira:issue_updated as app.
func register(t *testing.T, app *jiratest.App, base, url string) {
	t.Helper()
	body := fmt.Sprintf(`{"url":%q,"webhooks":[{"events":["jira:issue_updated"],"jqlFilter":"project = PAY"}]}`, url)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/rest/api/3/webhook", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := app.HTTPClient().Do(req)
	require.NoError(t, err, "register")
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "register: %s", resp.Status)
}

// TestReceiveJiratestFamilies delivers one event of each family jiratest
// can emit through a Connect app and checks each arrives typed. It doubles
// as the way to capture fixtures: jira.Deliveries()[i].Body is the body Jira
// would send.
func TestReceiveJiratestFamilies(t *testing.T) {
	t.Parallel()
	secret := []byte("families")
	jira := jiratest.NewServer(jiratest.WithSeed(9))
	defer jira.Close()
	app := jira.AddConnectApp("com.acme.families", secret)

	got := map[webhooks.EventName]*webhooks.Event{}
	var mu sync.Mutex
	h := webhooks.NewHandler(webhooks.ConnectJWT(func(string) ([]byte, error) { return secret, nil }))
	h.OnAny(func(_ context.Context, e *webhooks.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got[e.Name] = e
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	events := []string{"jira:issue_created", "comment_created", "issue_property_set", "sprint_updated", "jira:version_released", "jira:version_deleted"}
	var list strings.Builder
	for i, e := range events {
		if i > 0 {
			list.WriteByte(',')
		}
		fmt.Fprintf(&list, "%q", e)
	}
	body := fmt.Sprintf(`{"url":%q,"webhooks":[{"events":[%s],"jqlFilter":"project = PAY"}]}`, srv.URL+"/hooks", list.String())
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, jira.URL()+"/rest/api/3/webhook", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := app.HTTPClient().Do(req)
	require.NoError(t, err, "register")
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "register: %s", resp.Status)

	issue := jiratest.Issue{Key: "PAY-7", Summary: "Checkout times out"}
	jira.Emit(jiratest.IssueEvent("jira:issue_created", issue))
	jira.Emit(jiratest.CommentEvent("comment_created", issue, jiratest.Comment{Body: "Seen on iOS too"}))
	jira.Emit(jiratest.IssuePropertyEvent("issue_property_set", issue, "com.acme.triage", map[string]any{"severity": "sev2"}))
	jira.Emit(jiratest.SprintEvent("sprint_updated", jiratest.Sprint{ID: 37, Goal: "Stabilise"}, jiratest.Sprint{ID: 37}))
	jira.Emit(jiratest.VersionEvent("jira:version_released", jiratest.Version{ID: "10021", Released: true}))
	jira.Emit(jiratest.VersionMergedEvent(jiratest.Version{ID: "10022"}, jiratest.Version{ID: "10021"}))

	for _, d := range jira.Deliveries() {
		assert.True(t, d.OK(), "delivery %s of %s: status %d %s", d.ID, d.Event, d.Status, d.Err)
	}
	checks := map[webhooks.EventName]func(t *testing.T, e *webhooks.Event){
		webhooks.IssueCreated: func(t *testing.T, e *webhooks.Event) {
			require.NotNil(t, e.Issue, "issue")
			assert.Equal(t, "PAY-7", e.Issue.Key, "issue key")
			assert.Equal(t, "Checkout times out", e.Issue.Fields.Summary, "summary")
		},
		webhooks.CommentCreated: func(t *testing.T, e *webhooks.Event) {
			require.NotNil(t, e.Comment, "comment")
			assert.Equal(t, "Seen on iOS too", e.Comment.Body.String(), "comment body")
			assert.NotNil(t, e.Issue, "the comment's issue")
		},
		webhooks.IssuePropertySet: func(t *testing.T, e *webhooks.Event) {
			require.NotNil(t, e.Property, "property")
			assert.Equal(t, "com.acme.triage", e.Property.Key, "property key")
		},
		webhooks.SprintUpdated: func(t *testing.T, e *webhooks.Event) {
			require.NotNil(t, e.Sprint, "sprint")
			assert.Equal(t, 37, int(e.Sprint.ID), "sprint ID")
			assert.Equal(t, "Stabilise", e.Sprint.Goal, "sprint goal")
			assert.NotNil(t, e.OldSprint, "the sprint before the update")
		},
		webhooks.VersionReleased: func(t *testing.T, e *webhooks.Event) {
			require.NotNil(t, e.Version, "version")
			assert.Equal(t, "10021", e.Version.ID, "version ID")
			assert.True(t, e.Version.Released, "version released")
		},
		webhooks.VersionDeleted: func(t *testing.T, e *webhooks.Event) {
			require.True(t, e.IsMerge(), "a merge")
			require.NotNil(t, e.Version, "version")
			assert.Equal(t, "10021", e.MergedTo.ID, "merged into")
			assert.Equal(t, "10022", e.Version.ID, "version ID")
		},
	}
	for name, check := range checks {
		t.Run(string(name), func(t *testing.T) {
			e := got[name]
			require.NotNil(t, e, "%s not delivered", name)
			check(t, e)
			assert.Equal(t, app.ClientKey(), e.Delivery.Tenant, "tenant")
			assert.False(t, e.Timestamp.IsZero(), "timestamp")
		})
	}
}
