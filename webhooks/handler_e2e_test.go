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
			d := e.Delivery
			if d.URL == nil || d.URL.Path != "/hooks/jira" {
				t.Errorf("delivery URL = %v, want /hooks/jira", d.URL)
			}
			d.URL = nil
			want := webhooks.Delivery{ID: deliveries[0].ID, Retry: 1, Flow: "Primary", Tenant: tc.tenant(app)}
			if d != want {
				t.Errorf("delivery = %+v, want %+v", d, want)
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

// TestReceiveJiratestFamilies delivers one event of each family jiratest
// can emit through a Connect app and checks each arrives typed. It doubles
// as the way to capture fixtures: jira.Deliveries()[i].Body is the body Jira
// would send.
func TestReceiveJiratestFamilies(t *testing.T) {
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
	req, _ := http.NewRequest(http.MethodPost, jira.URL()+"/rest/api/3/webhook", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := app.HTTPClient().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("register: %v %v", resp, err)
	}
	resp.Body.Close()

	issue := jiratest.Issue{Key: "PAY-7", Summary: "Checkout times out"}
	jira.Emit(jiratest.IssueEvent("jira:issue_created", issue))
	jira.Emit(jiratest.CommentEvent("comment_created", issue, jiratest.Comment{Body: "Seen on iOS too"}))
	jira.Emit(jiratest.IssuePropertyEvent("issue_property_set", issue, "com.acme.triage", map[string]any{"severity": "sev2"}))
	jira.Emit(jiratest.SprintEvent("sprint_updated", jiratest.Sprint{ID: 37, Goal: "Stabilise"}, jiratest.Sprint{ID: 37}))
	jira.Emit(jiratest.VersionEvent("jira:version_released", jiratest.Version{ID: "10021", Released: true}))
	jira.Emit(jiratest.VersionMergedEvent(jiratest.Version{ID: "10022"}, jiratest.Version{ID: "10021"}))

	for _, d := range jira.Deliveries() {
		if !d.OK() {
			t.Errorf("delivery %s of %s: status %d %s", d.ID, d.Event, d.Status, d.Err)
		}
	}
	checks := map[webhooks.EventName]func(e *webhooks.Event) bool{
		webhooks.IssueCreated: func(e *webhooks.Event) bool {
			return e.Issue != nil && e.Issue.Key == "PAY-7" && e.Issue.Fields.Summary == "Checkout times out"
		},
		webhooks.CommentCreated: func(e *webhooks.Event) bool {
			return e.Comment != nil && e.Comment.Body.String() == "Seen on iOS too" && e.Issue != nil
		},
		webhooks.IssuePropertySet: func(e *webhooks.Event) bool { return e.Property != nil && e.Property.Key == "com.acme.triage" },
		webhooks.SprintUpdated: func(e *webhooks.Event) bool {
			return e.Sprint != nil && e.Sprint.ID == 37 && e.Sprint.Goal == "Stabilise" && e.OldSprint != nil
		},
		webhooks.VersionReleased: func(e *webhooks.Event) bool { return e.Version != nil && e.Version.ID == "10021" && e.Version.Released },
		webhooks.VersionDeleted: func(e *webhooks.Event) bool {
			return e.IsMerge() && e.MergedTo.ID == "10021" && e.Version.ID == "10022"
		},
	}
	for name, check := range checks {
		e := got[name]
		if e == nil {
			t.Errorf("%s not delivered", name)
			continue
		}
		if !check(e) || e.Delivery.Tenant != app.ClientKey() || e.Timestamp.IsZero() {
			t.Errorf("%s decoded as %+v", name, e)
		}
	}
}
