package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

func e2eClient(t *testing.T, jira *jiratest.Server, hc *http.Client, opts ...webhooks.ClientOption) *webhooks.Client {
	t.Helper()
	c, err := webhooks.NewClient(jira.URL(), append([]webhooks.ClientOption{webhooks.WithHTTPClient(hc)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func e2eList(t *testing.T, c *webhooks.Client, opts *webhooks.ListOptions) []webhooks.Webhook {
	t.Helper()
	var all []webhooks.Webhook
	for w, err := range c.List(opts).All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, w)
	}
	return all
}

// TestE2EClientLifecycle registers, lists, refreshes and deletes webhooks of
// an OAuth 2.0 app on an in-memory Jira, on both API versions.
func TestE2EClientLifecycle(t *testing.T) {
	for _, version := range []int{2, 3} {
		t.Run(fmt.Sprint("v", version), func(t *testing.T) {
			jira := jiratest.NewServer()
			defer jira.Close()
			app := jira.AddOAuthApp("client-id", []byte("client-secret"))
			c := e2eClient(t, jira, app.HTTPClient(), webhooks.WithAPIVersion(version))
			ctx := context.Background()

			regs, err := c.Register(ctx, "https://app.example.com/hooks",
				webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = PRJ", FieldIDsFilter: []string{"summary"}},
				webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "watchCount > 1"},
				webhooks.Details{Events: []webhooks.EventName{webhooks.SprintStarted}, JQLFilter: "project = PRJ"},
			)
			if err != nil {
				t.Fatal(err)
			}
			if len(regs) != 3 || !regs[0].OK() || regs[1].OK() || !regs[2].OK() {
				t.Fatalf("Register = %+v", regs)
			}
			if !slices.ContainsFunc(regs[1].Errors, func(s string) bool { return strings.Contains(s, "watchCount") }) {
				t.Errorf("refusal = %q", regs[1].Errors)
			}

			hooks := e2eList(t, c, nil)
			if len(hooks) != 2 {
				t.Fatalf("List = %+v", hooks)
			}
			h := hooks[0]
			if h.ID != regs[0].ID || h.URL != "https://app.example.com/hooks" || h.JQLFilter != "project = PRJ" ||
				!slices.Equal(h.Events, []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}) ||
				!slices.Equal(h.FieldIDsFilter, []string{"summary"}) {
				t.Errorf("listed %+v", h)
			}
			if want := jira.Now().Add(jiratest.Lifetime); !h.ExpirationDate.Equal(want.Truncate(time.Millisecond)) {
				t.Errorf("ExpirationDate = %v, want %v", h.ExpirationDate, want)
			}
			if hooks[1].ID != regs[2].ID || !slices.Equal(hooks[1].Events, []webhooks.EventName{webhooks.SprintStarted}) {
				t.Errorf("listed %+v", hooks[1])
			}

			jira.Advance(20 * 24 * time.Hour)
			exp, err := c.Refresh(ctx, regs[0].ID, regs[2].ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := jira.Now().Add(jiratest.Lifetime); !exp.Equal(want.Truncate(time.Millisecond)) {
				t.Errorf("Refresh = %v, want %v", exp, want)
			}
			jira.Advance(20 * 24 * time.Hour) // past the first expiry, not the new one
			if n := len(e2eList(t, c, nil)); n != 2 {
				t.Errorf("%d webhooks after the refresh kept them alive, want 2", n)
			}

			if err := c.Delete(ctx, regs[0].ID); err != nil {
				t.Fatal(err)
			}
			hooks = e2eList(t, c, nil)
			if len(hooks) != 1 || hooks[0].ID != regs[2].ID {
				t.Errorf("after Delete: %+v", hooks)
			}
			for _, r := range jira.Requests() {
				if !strings.HasPrefix(r.Path, fmt.Sprintf("/rest/api/%d/webhook", version)) {
					t.Errorf("request to %s", r.Path)
				}
			}
		})
	}
}

func TestE2EClientListPages(t *testing.T) {
	jira := jiratest.NewServer(jiratest.WithMaxResults(3)) // the site caps pages at 3
	defer jira.Close()
	app := jira.AddOAuthApp("client-id", []byte("client-secret"))
	c := e2eClient(t, jira, app.HTTPClient())
	details := make([]webhooks.Details, 8)
	for i := range details {
		details[i] = webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: fmt.Sprintf("project = P%d", i)}
	}
	regs, err := c.Register(context.Background(), "https://app.example.com/hooks", details...)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, r := range regs {
		want = append(want, r.ID)
	}
	for _, size := range []int{0, 2, 3, 100} {
		var got []int64
		for _, w := range e2eList(t, c, &webhooks.ListOptions{MaxResults: size}) {
			got = append(got, w.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("MaxResults %d: %v, want %v", size, got, want)
		}
	}
	// An app sees only its own webhooks.
	other := jira.AddOAuthApp("other", []byte("s"))
	if n := len(e2eList(t, e2eClient(t, jira, other.HTTPClient()), nil)); n != 0 {
		t.Errorf("another app lists %d webhooks", n)
	}
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
	jira := jiratest.NewServer()
	defer jira.Close()
	jira.AddUser("me@example.com", "api-token")
	c := e2eClient(t, jira, &http.Client{Transport: e2eBasicAuth{"me@example.com", "api-token"}})
	ctx := context.Background()
	_, regErr := c.Register(ctx, "https://app.example.com/h", webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = A"})
	_, listErr := c.List(nil).Next(ctx)
	_, refErr := c.Refresh(ctx, 1)
	delErr := c.Delete(ctx, 1)
	for _, err := range []error{regErr, listErr, refErr, delErr} {
		var e *webhooks.APIError
		if !errors.As(err, &e) || e.StatusCode != 403 || !errors.Is(err, webhooks.ErrNotAnApp) {
			t.Errorf("err = %v, want a 403 APIError matching ErrNotAnApp", err)
		}
	}
	// Failed deliveries are for Connect apps only.
	app := jira.AddOAuthApp("client-id", []byte("client-secret"))
	_, err := e2eClient(t, jira, app.HTTPClient()).ListFailed(nil).Next(ctx)
	var e *webhooks.APIError
	if !errors.As(err, &e) || e.StatusCode != 403 || !errors.Is(err, webhooks.ErrConnectOnly) || errors.Is(err, webhooks.ErrNotAnApp) {
		t.Errorf("ListFailed as an OAuth app: %v, want a 403 APIError matching ErrConnectOnly only", err)
	}
	for _, err := range []error{regErr, listErr, refErr, delErr} {
		if errors.Is(err, webhooks.ErrConnectOnly) {
			t.Errorf("%v matches ErrConnectOnly", err)
		}
	}
}

func TestE2EClientFaults(t *testing.T) {
	jira := jiratest.NewServer()
	defer jira.Close()
	app := jira.AddOAuthApp("client-id", []byte("client-secret"))
	s := &recordingClock{now: time.Now()} // retry waits pass at once, recorded
	counter := &e2eCounter{next: app.HTTPClient().Transport}
	c := e2eClient(t, jira, &http.Client{Transport: counter}, webhooks.WithClock(s))
	ctx := context.Background()
	hook := webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = A"}

	// Register is never retried, whatever the failure.
	for _, f := range []jiratest.Fault{jiratest.Fault429, jiratest.Fault503, jiratest.FaultDrop} {
		before := counter.get()
		jira.ScriptFaults(jiratest.EndpointRegister, f)
		if _, err := c.Register(ctx, "https://app.example.com/h", hook); err == nil {
			t.Errorf("%v: Register succeeded", f.Kind)
		}
		if n := counter.get() - before; n != 1 {
			t.Errorf("%v: %d register requests, want 1", f.Kind, n)
		}
	}
	if len(s.got()) != 0 || len(jira.Webhooks(app)) != 0 {
		t.Fatalf("waits %v, webhooks %v", s.got(), jira.Webhooks(app))
	}
	regs, err := c.Register(ctx, "https://app.example.com/h", hook)
	if err != nil || !regs[0].OK() {
		t.Fatal(regs, err)
	}

	// Idempotent calls ride out 429 (Retry-After: 1), 503 and dropped
	// connections; a 500 is final.
	jira.ScriptFaults(jiratest.EndpointRefresh, jiratest.Fault429, jiratest.Fault503, jiratest.FaultDrop)
	if _, err := c.Refresh(ctx, regs[0].ID); err != nil {
		t.Errorf("Refresh through faults: %v", err)
	}
	waits := s.got()
	if len(waits) != 3 || waits[0] != time.Second {
		t.Errorf("waits = %v, want 1s then two backoffs", waits)
	}
	jira.ScriptFaults(jiratest.EndpointList, jiratest.Fault429, jiratest.Fault429)
	if hooks := e2eList(t, c, nil); len(hooks) != 1 {
		t.Errorf("List through faults: %v", hooks)
	}
	jira.ScriptFaults(jiratest.EndpointDelete, jiratest.Fault500)
	var e *webhooks.APIError
	if err := c.Delete(ctx, regs[0].ID); !errors.As(err, &e) || e.StatusCode != 500 {
		t.Errorf("Delete after a 500: %v, want the 500 (not retried)", err)
	}
	jira.ScriptFaults(jiratest.EndpointDelete, jiratest.Fault429, jiratest.Fault429, jiratest.Fault429, jiratest.Fault429, jiratest.Fault429)
	if err := c.Delete(ctx, regs[0].ID); !errors.Is(err, webhooks.ErrRateLimited) {
		t.Errorf("Delete after 5 × 429: %v, want ErrRateLimited", err)
	}
	if err := c.Delete(ctx, regs[0].ID); err != nil || len(jira.Webhooks(app)) != 0 {
		t.Errorf("Delete: %v, %v left", err, jira.Webhooks(app))
	}
}

// TestE2EClientListFailed lets deliveries to a Connect app fail and reads
// them back in cursor pages, then resumes from a saved cursor.
func TestE2EClientListFailed(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadRequest) // final: no retries
	}))
	defer receiver.Close()
	jira := jiratest.NewServer()
	defer jira.Close()
	app := jira.AddConnectApp("my-connect-app", []byte("shared-secret"), jiratest.WithBaseURL(receiver.URL))
	c := e2eClient(t, jira, app.HTTPClient())
	ctx := context.Background()
	if _, err := c.Register(ctx, receiver.URL+"/hooks", webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = PRJ"}); err != nil {
		t.Fatal(err)
	}
	start := jira.Now()
	emit := func(n int) {
		for i := 0; i < n; i++ {
			jira.Advance(time.Minute)
			jira.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: fmt.Sprintf("PRJ-%d", i+1)}))
		}
	}
	emit(5)
	want := jira.Failed(app)
	if len(want) != 5 {
		t.Fatalf("%d failed deliveries on the server", len(want))
	}

	p := c.ListFailed(&webhooks.FailedOptions{MaxResults: 2})
	var got []webhooks.FailedWebhook
	for f, err := range p.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d failures, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].URL != want[i].URL || got[i].Body != want[i].Body || !got[i].FailureTime.Equal(want[i].FailureTime) {
			t.Errorf("failure %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	saved := p.Cursor()

	// Only failures after a time.
	var after []string
	for f, err := range c.ListFailed(&webhooks.FailedOptions{After: start.Add(3 * time.Minute)}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		after = append(after, f.ID)
	}
	if !slices.Equal(after, []string{want[3].ID, want[4].ID}) {
		t.Errorf("After: %v", after)
	}

	// More failures later: the saved cursor yields only the new ones.
	emit(3)
	var newer []string
	for f, err := range c.ListFailed(&webhooks.FailedOptions{Cursor: saved}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		newer = append(newer, f.ID)
	}
	all := jira.Failed(app)
	if len(all) != 8 || !slices.Equal(newer, []string{all[5].ID, all[6].ID, all[7].ID}) {
		t.Errorf("resumed: %v, want the 3 newest of %d", newer, len(all))
	}
}
