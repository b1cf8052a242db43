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

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

// TestReceiveEndToEnd registers a webhook on the in-memory Jira, lets it
// deliver a signed jira:issue_updated to a Handler on a loopback server, and
// checks that the callback sees the typed event exactly once although the
// first attempt was answered 500 and Jira retried.
func TestReceiveEndToEnd(t *testing.T) {
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
			if len(first) != 1 || len(deliveries) != 2 {
				t.Fatalf("first attempts %d, all attempts %d: %+v", len(first), len(deliveries), deliveries)
			}
			if deliveries[0].Status != 500 || deliveries[1].Status != 200 || deliveries[0].ID != deliveries[1].ID || deliveries[1].Attempt != 1 {
				t.Fatalf("attempts: %+v", deliveries)
			}
			// Jira delivering the same identifier again is dropped.
			if len(seen) != 1 {
				t.Fatalf("callback saw the event %d times", len(seen))
			}
			e := seen[0]
			if e.Name != webhooks.IssueUpdated || e.Issue == nil || e.Issue.Key != "PAY-142" || e.Issue.Fields.Summary != "EU card payments fail" {
				t.Fatalf("event = %+v", e)
			}
			if e.Changelog == nil || len(e.Changelog.Items) != 1 || e.Changelog.Items[0].ToString != "In Progress" {
				t.Errorf("changelog = %+v", e.Changelog)
			}
			var points float64
			if err := e.Issue.Fields.Decode("customfield_10016", &points); err != nil || points != 5 {
				t.Errorf("custom field: %v %v", points, err)
			}
			if len(e.MatchedWebhookIDs) != 1 || e.Timestamp.IsZero() {
				t.Errorf("matched %v, timestamp %v", e.MatchedWebhookIDs, e.Timestamp)
			}
			want := webhooks.Delivery{ID: deliveries[0].ID, Retry: 1, Flow: "Primary", Tenant: tc.tenant(app)}
			if e.Delivery != want {
				t.Errorf("delivery = %+v, want %+v", e.Delivery, want)
			}
		})
	}
}

// register registers one dynamic webhook for jira:issue_updated as app.
func register(t *testing.T, app *jiratest.App, base, url string) {
	t.Helper()
	body := fmt.Sprintf(`{"url":%q,"webhooks":[{"events":["jira:issue_updated"],"jqlFilter":"project = PAY"}]}`, url)
	req, err := http.NewRequest(http.MethodPost, base+"/rest/api/3/webhook", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := app.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("register: %s", resp.Status)
	}
}
