package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// adminRecorder is a fake Jira that records each request and answers with
// the next canned response.
type adminRecorder struct {
	mu       sync.Mutex
	requests []recordedRequest
	answers  []cannedAnswer
}

type recordedRequest struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
}

type cannedAnswer struct {
	status int
	body   string
}

func (f *adminRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, recordedRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
	a := cannedAnswer{status: 500, body: `{"errorMessages":["no canned answer"]}`}
	if len(f.answers) > 0 {
		a, f.answers = f.answers[0], f.answers[1:]
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func (f *adminRecorder) reqs() []recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedRequest(nil), f.requests...)
}

// newAdminTest starts a fake Jira with the given answers and returns an
// AdminClient for it that authenticates with basic auth, retries quickly,
// and the recorder.
func newAdminTest(t *testing.T, basePath string, answers ...cannedAnswer) (*AdminClient, *adminRecorder) {
	t.Helper()
	f := &adminRecorder{answers: answers}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: adminBasicTransport{"admin@example.com", "tok"}}
	a, err := NewAdminClient(srv.URL+basePath, WithHTTPClient(hc), WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return a, f
}

type adminBasicTransport struct{ user, pass string }

func (b adminBasicTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.user, b.pass)
	return http.DefaultTransport.RoundTrip(r)
}

// adminJSONEqual compares two JSON texts as values.
func adminJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("request body is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("request body\n got %s\nwant %s", got, want)
	}
}

const adminHookJSON = `{
  "self": "https://example.atlassian.net/rest/webhooks/1.0/webhook/72",
  "name": "Issues of TEST",
  "url": "https://app.example.com/hooks/${project.key}/${issue.key}",
  "events": ["jira:issue_created", "jira:issue_updated", "sprint_started"],
  "filters": {"issue-related-events-section": "project = TEST"},
  "excludeBody": false,
  "enabled": true,
  "isSigned": true,
  "lastUpdated": 1764115200000,
  "lastUpdatedUser": "5b10a2844c20165700ede21g",
  "lastUpdatedDisplayName": "Jane Admin",
  "someFutureField": {"x": 1}
}`

func wantAdminHook() *AdminWebhook {
	return &AdminWebhook{
		ID:                     72,
		Self:                   "https://example.atlassian.net/rest/webhooks/1.0/webhook/72",
		Name:                   "Issues of TEST",
		URL:                    "https://app.example.com/hooks/${project.key}/${issue.key}",
		Events:                 []EventName{IssueCreated, IssueUpdated, SprintStarted},
		JQLFilter:              "project = TEST",
		IsSigned:               true,
		LastUpdated:            time.UnixMilli(1764115200000).UTC(),
		LastUpdatedUser:        "5b10a2844c20165700ede21g",
		LastUpdatedDisplayName: "Jane Admin",
	}
}

func TestAdminCreate(t *testing.T) {
	a, f := newAdminTest(t, "", cannedAnswer{201, adminHookJSON})
	got, err := a.Create(context.Background(), AdminWebhook{
		Name:      "Issues of TEST",
		URL:       "https://app.example.com/hooks/${project.key}/${issue.key}",
		Events:    []EventName{IssueCreated, IssueUpdated, SprintStarted},
		JQLFilter: "project = TEST",
		Secret:    "It's a Secret to Everybody",
		ID:        999, IsSigned: false, // read-only: not sent
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantAdminHook()) {
		t.Fatalf("Create = %+v\nwant %+v", got, wantAdminHook())
	}
	reqs := f.reqs()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/rest/webhooks/1.0/webhook" || r.Query != "" {
		t.Fatalf("request %s %s?%s", r.Method, r.Path, r.Query)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if u, p, ok := (&http.Request{Header: r.Header}).BasicAuth(); !ok || u != "admin@example.com" || p != "tok" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	adminJSONEqual(t, r.Body, `{
	  "name": "Issues of TEST",
	  "url": "https://app.example.com/hooks/${project.key}/${issue.key}",
	  "events": ["jira:issue_created", "jira:issue_updated", "sprint_started"],
	  "filters": {"issue-related-events-section": "project = TEST"},
	  "excludeBody": false,
	  "enabled": true,
	  "secret": "It's a Secret to Everybody"
	}`)
}

func TestAdminCreateMinimal(t *testing.T) {
	a, f := newAdminTest(t, "", cannedAnswer{201, `{"self":"http://x/rest/webhooks/1.0/webhook/5","name":"n","url":"https://a.example/h","events":[],"filters":{},"excludeBody":true,"enabled":false}`})
	got, err := a.Create(context.Background(), AdminWebhook{Name: "n", URL: "https://a.example/h", ExcludeBody: true, Disabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 5 || !got.ExcludeBody || !got.Disabled || got.IsSigned || got.Secret != "" {
		t.Fatalf("Create = %+v", got)
	}
	// No secret: the field is left out; no JQL: an empty filter; no
	// events: an empty list, never null.
	adminJSONEqual(t, f.reqs()[0].Body, `{"name":"n","url":"https://a.example/h","events":[],"filters":{},"excludeBody":true,"enabled":false}`)
}

func TestAdminCreateNotRetried(t *testing.T) {
	a, f := newAdminTest(t, "", cannedAnswer{503, `{"errorMessages":["busy"]}`}, cannedAnswer{201, adminHookJSON})
	_, err := a.Create(context.Background(), AdminWebhook{Name: "n", URL: "https://a.example/h"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("Create = %v, want the 503 APIError", err)
	}
	if n := len(f.reqs()); n != 1 {
		t.Fatalf("%d requests: Create must not be retried", n)
	}
}

func TestAdminCreateInvalid(t *testing.T) {
	a, f := newAdminTest(t, "")
	for _, w := range []AdminWebhook{
		{URL: "https://a.example/h"},
		{Name: "  ", URL: "https://a.example/h"},
		{Name: "n"},
		{Name: "n", URL: "a.example/h"},
		{Name: "n", URL: "ftp://a.example/h"},
		{Name: "n", URL: "https://a.example/${issue.key"},
		{Name: "n", URL: "https://a.example/h", Events: []EventName{""}},
	} {
		if _, err := a.Create(context.Background(), w); !errors.Is(err, ErrInvalidAdminWebhook) {
			t.Errorf("Create(%+v) = %v, want ErrInvalidAdminWebhook", w, err)
		}
		if _, err := a.Update(context.Background(), 1, w); !errors.Is(err, ErrInvalidAdminWebhook) {
			t.Errorf("Update(%+v) = %v, want ErrInvalidAdminWebhook", w, err)
		}
	}
	if n := len(f.reqs()); n != 0 {
		t.Fatalf("%d requests sent for invalid webhooks", n)
	}
}

func TestAdminList(t *testing.T) {
	a, f := newAdminTest(t, "/ex/jira/cloud-1",
		cannedAnswer{503, `{"errorMessages":["busy"]}`}, // retried: List is idempotent
		cannedAnswer{200, `[` + adminHookJSON + `,
		  {"id": "73", "name": "Old style", "url": "http://b.example/h", "events": ["jira:issue_deleted"],
		   "jqlFilter": "project = OLD", "excludeIssueDetails": true, "enabled": "false", "lastUpdated": "2026-01-02T03:04:05.000+0000"}]`})
	got, err := a.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []AdminWebhook{*wantAdminHook(), {
		ID: 73, Name: "Old style", URL: "http://b.example/h", Events: []EventName{IssueDeleted},
		JQLFilter: "project = OLD", ExcludeBody: true, Disabled: true,
		LastUpdated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}}
	if len(got) != 2 || !got[1].LastUpdated.Equal(want[1].LastUpdated) {
		t.Fatalf("List = %+v", got)
	}
	got[1].LastUpdated = want[1].LastUpdated
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("List = %+v\nwant %+v", got, want)
	}
	reqs := f.reqs()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (one retry)", len(reqs))
	}
	for _, r := range reqs {
		if r.Method != "GET" || r.Path != "/ex/jira/cloud-1/rest/webhooks/1.0/webhook" || len(r.Body) != 0 {
			t.Fatalf("request %s %s body %q", r.Method, r.Path, r.Body)
		}
	}
}

func TestAdminListEmptyAndPaged(t *testing.T) {
	a, _ := newAdminTest(t, "", cannedAnswer{200, `[]`}, cannedAnswer{200, `{"values":[{"self":"/rest/webhooks/1.0/webhook/9","name":"p"}]}`},
		cannedAnswer{200, `"nope"`})
	got, err := a.List(context.Background())
	if err != nil || len(got) != 0 {
		t.Fatalf("List = %v, %v", got, err)
	}
	got, err = a.List(context.Background())
	if err != nil || len(got) != 1 || got[0].ID != 9 || got[0].Name != "p" {
		t.Fatalf("List = %+v, %v", got, err)
	}
	if _, err := a.List(context.Background()); !errors.Is(err, ErrUnexpectedResponse) {
		t.Fatalf("List of a string = %v, want ErrUnexpectedResponse", err)
	}
}

func TestAdminGet(t *testing.T) {
	a, f := newAdminTest(t, "", cannedAnswer{200, adminHookJSON})
	got, err := a.Get(context.Background(), 72)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantAdminHook()) {
		t.Fatalf("Get = %+v", got)
	}
	r := f.reqs()[0]
	if r.Method != "GET" || r.Path != "/rest/webhooks/1.0/webhook/72" {
		t.Fatalf("request %s %s", r.Method, r.Path)
	}
}

func TestAdminGetNoIDInAnswer(t *testing.T) {
	a, _ := newAdminTest(t, "", cannedAnswer{200, `{"name":"n","url":"https://a.example/h","isSigned":"true"}`})
	got, err := a.Get(context.Background(), 12)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 12 || !got.IsSigned || got.Disabled {
		t.Fatalf("Get = %+v", got)
	}
}

func TestAdminUpdate(t *testing.T) {
	a, f := newAdminTest(t, "", cannedAnswer{200, adminHookJSON})
	w := *wantAdminHook()
	w.ExcludeBody = true
	w.Events = append(w.Events, BoardCreated)
	got, err := a.Update(context.Background(), 72, w)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 72 {
		t.Fatalf("Update = %+v", got)
	}
	r := f.reqs()[0]
	if r.Method != "PUT" || r.Path != "/rest/webhooks/1.0/webhook/72" {
		t.Fatalf("request %s %s", r.Method, r.Path)
	}
	// Read-only fields (self, isSigned, lastUpdated...) are not sent; an
	// empty Secret is left out so that Jira keeps the one it has.
	adminJSONEqual(t, r.Body, `{
	  "name": "Issues of TEST",
	  "url": "https://app.example.com/hooks/${project.key}/${issue.key}",
	  "events": ["jira:issue_created", "jira:issue_updated", "sprint_started", "board_created"],
	  "filters": {"issue-related-events-section": "project = TEST"},
	  "excludeBody": true,
	  "enabled": true
	}`)
}

func TestAdminDelete(t *testing.T) {
	a, f := newAdminTest(t, "", cannedAnswer{204, ``})
	if err := a.Delete(context.Background(), 70); err != nil {
		t.Fatal(err)
	}
	r := f.reqs()[0]
	if r.Method != "DELETE" || r.Path != "/rest/webhooks/1.0/webhook/70" || len(r.Body) != 0 {
		t.Fatalf("request %s %s %q", r.Method, r.Path, r.Body)
	}
}

func TestAdminInvalidID(t *testing.T) {
	a, f := newAdminTest(t, "")
	ctx := context.Background()
	if _, err := a.Get(ctx, 0); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Get(0) = %v", err)
	}
	if _, err := a.Update(ctx, -1, AdminWebhook{Name: "n", URL: "https://a.example/"}); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Update(-1) = %v", err)
	}
	if err := a.Delete(ctx, 0); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Delete(0) = %v", err)
	}
	if n := len(f.reqs()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	var zero *AdminClient
	if _, err := zero.List(ctx); err == nil {
		t.Error("nil AdminClient: no error")
	}
	if _, err := (&AdminClient{}).Get(ctx, 1); err == nil {
		t.Error("zero AdminClient: no error")
	}
}

func TestAdminErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		call   func(*AdminClient) error
		want   error
		words  string
	}{
		{"401 list", 401, `{"message":"Client must be authenticated to access this resource."}`,
			func(a *AdminClient) error { _, err := a.List(context.Background()); return err },
			ErrAdminUnauthorized, "Client must be authenticated"},
		{"403 create", 403, `{"errorMessages":["You do not have the permission to see the specified webhook."]}`,
			func(a *AdminClient) error {
				_, err := a.Create(context.Background(), AdminWebhook{Name: "n", URL: "https://a.example/"})
				return err
			},
			ErrAdminRightsNeeded, "admin rights needed"},
		{"403 delete", 403, ``,
			func(a *AdminClient) error { return a.Delete(context.Background(), 3) },
			ErrAdminRightsNeeded, "403"},
		{"404 get", 404, `{"errorMessages":["Webhook not found"]}`,
			func(a *AdminClient) error { _, err := a.Get(context.Background(), 3); return err },
			ErrAdminWebhookNotFound, "Webhook not found"},
		{"404 update", 404, ``,
			func(a *AdminClient) error {
				_, err := a.Update(context.Background(), 3, AdminWebhook{Name: "n", URL: "https://a.example/"})
				return err
			},
			ErrAdminWebhookNotFound, "not found"},
		{"404 delete", 404, ``,
			func(a *AdminClient) error { return a.Delete(context.Background(), 3) },
			ErrAdminWebhookNotFound, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newAdminTest(t, "", cannedAnswer{tt.status, tt.body})
			err := tt.call(a)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("err = %v: no *APIError with status %d", err, tt.status)
			}
			if !strings.Contains(err.Error(), tt.words) {
				t.Fatalf("err = %q, want it to say %q", err, tt.words)
			}
			for _, other := range []error{ErrAdminUnauthorized, ErrAdminRightsNeeded, ErrAdminWebhookNotFound} {
				if other != tt.want && errors.Is(err, other) {
					t.Fatalf("err also matches %v", other)
				}
			}
		})
	}
	// A 404 from List is not "webhook not found", and a 400 is a plain
	// *APIError with Jira's field errors.
	a, _ := newAdminTest(t, "", cannedAnswer{404, ``}, cannedAnswer{400, `{"errors":{"url":"Invalid URL"}}`})
	if _, err := a.List(context.Background()); errors.Is(err, ErrAdminWebhookNotFound) {
		t.Fatalf("List 404 = %v", err)
	}
	_, err := a.Create(context.Background(), AdminWebhook{Name: "n", URL: "https://a.example/"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Errors["url"] != "Invalid URL" {
		t.Fatalf("Create 400 = %v", err)
	}
}

func TestClientAdminEndpoint(t *testing.T) {
	for base, want := range map[string]string{
		"https://example.atlassian.net":                   "https://example.atlassian.net/rest/webhooks/1.0/webhook",
		"https://example.atlassian.net/":                  "https://example.atlassian.net/rest/webhooks/1.0/webhook",
		"https://jira.example.com/jira":                   "https://jira.example.com/jira/rest/webhooks/1.0/webhook",
		"https://api.atlassian.com/ex/jira/abc-123":       "https://api.atlassian.com/ex/jira/abc-123/rest/webhooks/1.0/webhook",
		"https://api.atlassian.com/ex/jira/abc-123/?":     "",
		"https://example.atlassian.net/rest/api/3":        "",
		"https://example.atlassian.net/rest/webhooks/1.0": "",
	} {
		c, err := NewClient(base, WithAPIVersion(2))
		if want == "" {
			if err == nil {
				t.Errorf("NewClient(%q): no error", base)
			}
			continue
		}
		if err != nil {
			t.Fatalf("NewClient(%q): %v", base, err)
		}
		if got := strings.TrimSuffix(c.Admin().c.admin.Server, "/") + AdminPath; got != want {
			t.Errorf("Admin endpoint for %q = %q, want %q", base, got, want)
		}
	}
	if _, err := NewAdminClient("not a url"); err == nil {
		t.Error("NewAdminClient(bad): no error")
	}
}

func TestAdminWebhookStringHidesSecret(t *testing.T) {
	w := AdminWebhook{ID: 3, Name: "n", URL: "https://a.example/h", Secret: "s3cr3t-value", Events: []EventName{IssueCreated}}
	for _, s := range []string{w.String(), fmt.Sprintf("%v", w), fmt.Sprintf("%+v", &w), fmt.Sprintf("%#v", w), fmt.Sprint([]AdminWebhook{w})} {
		if strings.Contains(s, "s3cr3t") {
			t.Fatalf("secret printed: %s", s)
		}
		if !strings.Contains(s, "[redacted]") || !strings.Contains(s, `Name:"n"`) || !strings.Contains(s, "jira:issue_created") {
			t.Fatalf("String = %s", s)
		}
	}
	if s := (AdminWebhook{Name: "n"}).String(); strings.Contains(s, "redacted") {
		t.Fatalf("no secret, yet %s", s)
	}
}

func TestAdminEventsComplete(t *testing.T) {
	ev := AdminEvents()
	seen := map[EventName]bool{}
	for _, e := range ev {
		if seen[e] {
			t.Errorf("duplicate %q", e)
		}
		seen[e] = true
	}
	// Every event of the Jira webhooks guide, in its words.
	for _, e := range strings.Fields(`jira:issue_created jira:issue_updated jira:issue_deleted
		jira:worklog_updated issuelink_created issuelink_deleted worklog_created worklog_updated
		worklog_deleted comment_created comment_updated comment_deleted project_created
		project_updated project_deleted jira:version_released jira:version_unreleased
		jira:version_created jira:version_moved jira:version_updated jira:version_deleted
		user_created user_updated user_deleted option_voting_changed option_watching_changed
		option_unassigned_issues_changed option_subtasks_changed option_attachments_changed
		option_issuelinks_changed option_timetracking_changed sprint_created sprint_deleted
		sprint_updated sprint_started sprint_closed board_created board_updated board_deleted
		board_configuration_changed`) {
		if !seen[EventName(e)] {
			t.Errorf("AdminEvents lacks %q", e)
		}
	}
	ev[0] = "changed"
	if AdminEvents()[0] != IssueCreated {
		t.Error("AdminEvents shares its slice")
	}
}

func TestDecodeAdminWebhookLenient(t *testing.T) {
	tests := []struct {
		in   string
		want AdminWebhook
	}{
		{`{"id": 7, "self": "x/rest/webhooks/1.0/webhook/8"}`, AdminWebhook{ID: 7, Self: "x/rest/webhooks/1.0/webhook/8"}},
		{`{"id": "11"}`, AdminWebhook{ID: 11}},
		{`{"self": "https://s/rest/webhooks/1.0/webhook/12/"}`, AdminWebhook{ID: 12, Self: "https://s/rest/webhooks/1.0/webhook/12/"}},
		{`{"self": "https://s/rest/webhooks/1.0/webhook/abc"}`, AdminWebhook{Self: "https://s/rest/webhooks/1.0/webhook/abc"}},
		// Wrong types do not fail the whole object.
		{`{"id": true, "name": "n", "events": ["a", 3], "enabled": 1, "lastUpdated": "soon", "filters": {"issue-related-events-section": 5}}`,
			AdminWebhook{Name: "n", Events: []EventName{"a"}}},
		{`{"lastUpdatedUser": {"accountId": "acc", "displayName": "Ann"}}`,
			AdminWebhook{LastUpdatedUser: "acc", LastUpdatedDisplayName: "Ann"}},
		{`{"secret": "******"}`, AdminWebhook{IsSigned: true}},
		{`{"signed": true, "enabled": null}`, AdminWebhook{IsSigned: true}},
	}
	for _, tt := range tests {
		got, err := decodeAdminWebhook([]byte(tt.in))
		if err != nil {
			t.Errorf("decode %s: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("decode %s\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{``, `[]`, `"x"`, `null`, `{`} {
		if _, err := decodeAdminWebhook([]byte(bad)); !errors.Is(err, ErrUnexpectedResponse) {
			t.Errorf("decode %q: %v, want ErrUnexpectedResponse", bad, err)
		}
	}
}

func FuzzDecodeAdminWebhooks(f *testing.F) {
	f.Add([]byte(`[` + adminHookJSON + `]`))
	f.Add([]byte(`{"values":[{"id":"1","self":"/x/2","enabled":"no"}]}`))
	f.Add([]byte(`[{"lastUpdatedUser":{"key":"k"},"lastUpdated":-1e30}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ws, err := decodeAdminWebhooks(b)
		if err != nil {
			if !errors.Is(err, ErrUnexpectedResponse) {
				t.Fatalf("error %v does not match ErrUnexpectedResponse", err)
			}
			return
		}
		for _, w := range ws {
			if w.ID < 0 {
				t.Fatalf("negative ID %d", w.ID)
			}
			if w.Secret != "" {
				t.Fatal("secret decoded from an answer")
			}
		}
	})
}
