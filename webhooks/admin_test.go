package webhooks

import (
	"context"
	"fmt"
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
	require.NoError(t, err)
	return a, f
}

type adminBasicTransport struct{ user, pass string }

func (b adminBasicTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.user, b.pass)
	return http.DefaultTransport.RoundTrip(r)
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
	t.Parallel()
	a, f := newAdminTest(t, "", cannedAnswer{201, adminHookJSON})
	got, err := a.Create(t.Context(), AdminWebhook{
		Name:      "Issues of TEST",
		URL:       "https://app.example.com/hooks/${project.key}/${issue.key}",
		Events:    []EventName{IssueCreated, IssueUpdated, SprintStarted},
		JQLFilter: "project = TEST",
		Secret:    "It's a Secret to Everybody",
		ID:        999, IsSigned: false, // read-only: not sent
	})
	require.NoError(t, err)
	assert.Equal(t, wantAdminHook(), got, "Create")
	reqs := f.reqs()
	require.Len(t, reqs, 1, "requests")
	r := reqs[0]
	assert.Equal(t, [3]string{"POST", "/rest/webhooks/1.0/webhook", ""}, [3]string{r.Method, r.Path, r.Query}, "request method, path, query")
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"), "Content-Type")
	u, p, ok := (&http.Request{Header: r.Header}).BasicAuth()
	assert.True(t, ok, "basic auth sent")
	assert.Equal(t, "admin@example.com", u, "basic auth user")
	assert.Equal(t, "tok", p, "basic auth password")
	assert.JSONEq(t, `{
	  "name": "Issues of TEST",
	  "url": "https://app.example.com/hooks/${project.key}/${issue.key}",
	  "events": ["jira:issue_created", "jira:issue_updated", "sprint_started"],
	  "filters": {"issue-related-events-section": "project = TEST"},
	  "excludeBody": false,
	  "enabled": true,
	  "secret": "It's a Secret to Everybody"
	}`, string(r.Body), "request body")
}

func TestAdminCreateMinimal(t *testing.T) {
	t.Parallel()
	a, f := newAdminTest(t, "", cannedAnswer{201, `{"self":"http://x/rest/webhooks/1.0/webhook/5","name":"n","url":"https://a.example/h","events":[],"filters":{},"excludeBody":true,"enabled":false}`})
	got, err := a.Create(t.Context(), AdminWebhook{Name: "n", URL: "https://a.example/h", ExcludeBody: true, Disabled: true})
	require.NoError(t, err)
	assert.Equal(t, int64(5), got.ID, "ID from self")
	assert.True(t, got.ExcludeBody, "ExcludeBody")
	assert.True(t, got.Disabled, "Disabled")
	assert.False(t, got.IsSigned, "IsSigned")
	assert.Empty(t, got.Secret, "Secret")
	// No secret: the field is left out; no JQL: an empty filter; no
	// events: an empty list, never null.
	reqs := f.reqs()
	require.Len(t, reqs, 1, "requests")
	assert.JSONEq(t, `{"name":"n","url":"https://a.example/h","events":[],"filters":{},"excludeBody":true,"enabled":false}`, string(reqs[0].Body), "request body")
}

func TestAdminCreateNotRetried(t *testing.T) {
	t.Parallel()
	a, f := newAdminTest(t, "", cannedAnswer{503, `{"errorMessages":["busy"]}`}, cannedAnswer{201, adminHookJSON})
	_, err := a.Create(t.Context(), AdminWebhook{Name: "n", URL: "https://a.example/h"})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr, "Create, want the 503 APIError")
	assert.Equal(t, 503, apiErr.StatusCode, "status")
	assert.Len(t, f.reqs(), 1, "Create must not be retried")
}

func TestAdminCreateInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		w    AdminWebhook
	}{
		{"no name", AdminWebhook{URL: "https://a.example/h"}},
		{"blank name", AdminWebhook{Name: "  ", URL: "https://a.example/h"}},
		{"no URL", AdminWebhook{Name: "n"}},
		{"URL without scheme", AdminWebhook{Name: "n", URL: "a.example/h"}},
		{"ftp URL", AdminWebhook{Name: "n", URL: "ftp://a.example/h"}},
		{"unclosed variable", AdminWebhook{Name: "n", URL: "https://a.example/${issue.key"}},
		{"empty event", AdminWebhook{Name: "n", URL: "https://a.example/h", Events: []EventName{""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, f := newAdminTest(t, "")
			_, err := a.Create(t.Context(), tc.w)
			assert.ErrorIs(t, err, ErrInvalidAdminWebhook, "Create(%+v)", tc.w)
			_, err = a.Update(t.Context(), 1, tc.w)
			assert.ErrorIs(t, err, ErrInvalidAdminWebhook, "Update(%+v)", tc.w)
			assert.Empty(t, f.reqs(), "requests sent for an invalid webhook")
		})
	}
}

func TestAdminList(t *testing.T) {
	t.Parallel()
	a, f := newAdminTest(t, "/ex/jira/cloud-1",
		cannedAnswer{503, `{"errorMessages":["busy"]}`}, // retried: List is idempotent
		cannedAnswer{200, `[` + adminHookJSON + `,
		  {"id": "73", "name": "Old style", "url": "http://b.example/h", "events": ["jira:issue_deleted"],
		   "jqlFilter": "project = OLD", "excludeIssueDetails": true, "enabled": "false", "lastUpdated": "2026-01-02T03:04:05.000+0000"}]`})
	got, err := a.List(t.Context())
	require.NoError(t, err)
	want := []AdminWebhook{*wantAdminHook(), {
		ID: 73, Name: "Old style", URL: "http://b.example/h", Events: []EventName{IssueDeleted},
		JQLFilter: "project = OLD", ExcludeBody: true, Disabled: true,
		LastUpdated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}}
	require.Len(t, got, 2, "List = %+v", got)
	assert.True(t, got[1].LastUpdated.Equal(want[1].LastUpdated), "LastUpdated = %v, want %v", got[1].LastUpdated, want[1].LastUpdated)
	got[1].LastUpdated = want[1].LastUpdated
	assert.Equal(t, want, got, "List")
	reqs := f.reqs()
	require.Len(t, reqs, 2, "requests (one retry)")
	for i, r := range reqs {
		assert.Equal(t, "GET", r.Method, "request %d method", i)
		assert.Equal(t, "/ex/jira/cloud-1/rest/webhooks/1.0/webhook", r.Path, "request %d path", i)
		assert.Empty(t, r.Body, "request %d body", i)
	}
}

func TestAdminListEmptyAndPaged(t *testing.T) {
	t.Parallel()
	a, _ := newAdminTest(t, "", cannedAnswer{200, `[]`}, cannedAnswer{200, `{"values":[{"self":"/rest/webhooks/1.0/webhook/9","name":"p"}]}`},
		cannedAnswer{200, `"nope"`})
	got, err := a.List(t.Context())
	require.NoError(t, err, "List of []")
	assert.Empty(t, got, "List of []")

	got, err = a.List(t.Context())
	require.NoError(t, err, "List of a page")
	require.Len(t, got, 1, "List of a page")
	assert.Equal(t, int64(9), got[0].ID, "ID from self")
	assert.Equal(t, "p", got[0].Name, "Name")

	_, err = a.List(t.Context())
	assert.ErrorIs(t, err, ErrUnexpectedResponse, "List of a string")
}

func TestAdminGet(t *testing.T) {
	t.Parallel()
	a, f := newAdminTest(t, "", cannedAnswer{200, adminHookJSON})
	got, err := a.Get(t.Context(), 72)
	require.NoError(t, err)
	assert.Equal(t, wantAdminHook(), got, "Get")
	reqs := f.reqs()
	require.Len(t, reqs, 1, "requests")
	assert.Equal(t, "GET", reqs[0].Method, "method")
	assert.Equal(t, "/rest/webhooks/1.0/webhook/72", reqs[0].Path, "path")
}

func TestAdminGetNoIDInAnswer(t *testing.T) {
	t.Parallel()
	a, _ := newAdminTest(t, "", cannedAnswer{200, `{"name":"n","url":"https://a.example/h","isSigned":"true"}`})
	got, err := a.Get(t.Context(), 12)
	require.NoError(t, err)
	assert.Equal(t, int64(12), got.ID, "ID: the one asked for")
	assert.True(t, got.IsSigned, `IsSigned from "true"`)
	assert.False(t, got.Disabled, "Disabled")
}

func TestAdminUpdate(t *testing.T) {
	t.Parallel()
	a, f := newAdminTest(t, "", cannedAnswer{200, adminHookJSON})
	w := *wantAdminHook()
	w.ExcludeBody = true
	w.Events = append(w.Events, BoardCreated)
	got, err := a.Update(t.Context(), 72, w)
	require.NoError(t, err)
	assert.Equal(t, int64(72), got.ID, "Update ID")
	reqs := f.reqs()
	require.Len(t, reqs, 1, "requests")
	r := reqs[0]
	assert.Equal(t, "PUT", r.Method, "method")
	assert.Equal(t, "/rest/webhooks/1.0/webhook/72", r.Path, "path")
	// Read-only fields (self, isSigned, lastUpdated...) are not sent; an
	// empty Secret is left out so that Jira keeps the one it has.
	assert.JSONEq(t, `{
	  "name": "Issues of TEST",
	  "url": "https://app.example.com/hooks/${project.key}/${issue.key}",
	  "events": ["jira:issue_created", "jira:issue_updated", "sprint_started", "board_created"],
	  "filters": {"issue-related-events-section": "project = TEST"},
	  "excludeBody": true,
	  "enabled": true
	}`, string(r.Body), "request body")
}

func TestAdminDelete(t *testing.T) {
	t.Parallel()
	a, f := newAdminTest(t, "", cannedAnswer{204, ``})
	require.NoError(t, a.Delete(t.Context(), 70))
	reqs := f.reqs()
	require.Len(t, reqs, 1, "requests")
	r := reqs[0]
	assert.Equal(t, "DELETE", r.Method, "method")
	assert.Equal(t, "/rest/webhooks/1.0/webhook/70", r.Path, "path")
	assert.Empty(t, r.Body, "body")
}

// Calls with an ID that cannot be a webhook's, and calls on a nil or zero
// AdminClient, are refused without a request.
func TestAdminInvalidID(t *testing.T) {
	t.Parallel()
	var zero *AdminClient
	for _, tc := range []struct {
		name string
		call func(context.Context, *AdminClient) error
		want error // nil: any error
	}{
		{"Get(0)", func(ctx context.Context, a *AdminClient) error { _, err := a.Get(ctx, 0); return err }, ErrInvalidID},
		{"Update(-1)", func(ctx context.Context, a *AdminClient) error {
			_, err := a.Update(ctx, -1, AdminWebhook{Name: "n", URL: "https://a.example/"})
			return err
		}, ErrInvalidID},
		{"Delete(0)", func(ctx context.Context, a *AdminClient) error { return a.Delete(ctx, 0) }, ErrInvalidID},
		{"nil AdminClient", func(ctx context.Context, _ *AdminClient) error { _, err := zero.List(ctx); return err }, nil},
		{"zero AdminClient", func(ctx context.Context, _ *AdminClient) error { _, err := (&AdminClient{}).Get(ctx, 1); return err }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, f := newAdminTest(t, "")
			err := tc.call(t.Context(), a)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			} else {
				assert.Error(t, err)
			}
			assert.Empty(t, f.reqs(), "requests sent")
		})
	}
}

func TestAdminErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		call   func(context.Context, *AdminClient) error
		want   error
		words  string
	}{
		{"401 list", 401, `{"message":"Client must be authenticated to access this resource."}`,
			func(ctx context.Context, a *AdminClient) error { _, err := a.List(ctx); return err },
			ErrAdminUnauthorized, "Client must be authenticated"},
		{"403 create", 403, `{"errorMessages":["You do not have the permission to see the specified webhook."]}`,
			func(ctx context.Context, a *AdminClient) error {
				_, err := a.Create(ctx, AdminWebhook{Name: "n", URL: "https://a.example/"})
				return err
			},
			ErrAdminRightsNeeded, "admin rights needed"},
		{"403 delete", 403, ``,
			func(ctx context.Context, a *AdminClient) error { return a.Delete(ctx, 3) },
			ErrAdminRightsNeeded, "403"},
		{"404 get", 404, `{"errorMessages":["Webhook not found"]}`,
			func(ctx context.Context, a *AdminClient) error { _, err := a.Get(ctx, 3); return err },
			ErrAdminWebhookNotFound, "Webhook not found"},
		{"404 update", 404, ``,
			func(ctx context.Context, a *AdminClient) error {
				_, err := a.Update(ctx, 3, AdminWebhook{Name: "n", URL: "https://a.example/"})
				return err
			},
			ErrAdminWebhookNotFound, "not found"},
		{"404 delete", 404, ``,
			func(ctx context.Context, a *AdminClient) error { return a.Delete(ctx, 3) },
			ErrAdminWebhookNotFound, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, _ := newAdminTest(t, "", cannedAnswer{tt.status, tt.body})
			err := tt.call(t.Context(), a)
			require.ErrorIs(t, err, tt.want)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.status, apiErr.StatusCode, "APIError status")
			assert.ErrorContains(t, err, tt.words)
			for _, other := range []error{ErrAdminUnauthorized, ErrAdminRightsNeeded, ErrAdminWebhookNotFound} {
				if other != tt.want {
					assert.NotErrorIs(t, err, other, "err also matches another admin error")
				}
			}
		})
	}
	// A 404 from List is not "webhook not found", and a 400 is a plain
	// *APIError with Jira's field errors.
	t.Run("404 list, 400 create", func(t *testing.T) {
		t.Parallel()
		a, _ := newAdminTest(t, "", cannedAnswer{404, ``}, cannedAnswer{400, `{"errors":{"url":"Invalid URL"}}`})
		_, err := a.List(t.Context())
		if assert.Error(t, err, "List 404") {
			assert.NotErrorIs(t, err, ErrAdminWebhookNotFound, "List 404: a listing has no webhook to miss")
		}
		_, err = a.Create(t.Context(), AdminWebhook{Name: "n", URL: "https://a.example/"})
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr, "Create 400")
		assert.Equal(t, "Invalid URL", apiErr.Errors["url"], "Create 400: field error")
	})
}

func TestClientAdminEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base, want string // want "": NewClient refuses base
	}{
		{"https://example.atlassian.net", "https://example.atlassian.net/rest/webhooks/1.0/webhook"},
		{"https://example.atlassian.net/", "https://example.atlassian.net/rest/webhooks/1.0/webhook"},
		{"https://jira.example.com/jira", "https://jira.example.com/jira/rest/webhooks/1.0/webhook"},
		{"https://api.atlassian.com/ex/jira/abc-123", "https://api.atlassian.com/ex/jira/abc-123/rest/webhooks/1.0/webhook"},
		{"https://api.atlassian.com/ex/jira/abc-123/?", ""},
		{"https://example.atlassian.net/rest/api/3", ""},
		{"https://example.atlassian.net/rest/webhooks/1.0", ""},
	} {
		t.Run(tc.base, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tc.base, WithAPIVersion(2))
			if tc.want == "" {
				assert.Error(t, err, "NewClient(%q)", tc.base)
				return
			}
			require.NoError(t, err, "NewClient(%q)", tc.base)
			assert.Equal(t, tc.want, strings.TrimSuffix(c.Admin().c.admin.Server, "/")+AdminPath, "Admin endpoint for %q", tc.base)
		})
	}
	t.Run("NewAdminClient(bad)", func(t *testing.T) {
		t.Parallel()
		_, err := NewAdminClient("not a url")
		assert.Error(t, err)
	})
}

func TestAdminWebhookStringHidesSecret(t *testing.T) {
	t.Parallel()
	w := AdminWebhook{ID: 3, Name: "n", URL: "https://a.example/h", Secret: "s3cr3t-value", Events: []EventName{IssueCreated}}
	for _, tc := range []struct{ name, s string }{
		{"String", w.String()},
		{"%v", fmt.Sprintf("%v", w)},
		{"%+v of a pointer", fmt.Sprintf("%+v", &w)},
		{"%#v", fmt.Sprintf("%#v", w)},
		{"in a slice", fmt.Sprint([]AdminWebhook{w})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.NotContains(t, tc.s, "s3cr3t", "secret printed")
			assert.Contains(t, tc.s, "[redacted]")
			assert.Contains(t, tc.s, `Name:"n"`)
			assert.Contains(t, tc.s, "jira:issue_created")
		})
	}
	t.Run("no secret", func(t *testing.T) {
		t.Parallel()
		assert.NotContains(t, (AdminWebhook{Name: "n"}).String(), "redacted")
	})
}

func TestAdminEventsComplete(t *testing.T) {
	t.Parallel()
	ev := AdminEvents()
	require.NotEmpty(t, ev)
	seen := map[EventName]bool{}
	for _, e := range ev {
		assert.False(t, seen[e], "duplicate %q", e)
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
		assert.True(t, seen[EventName(e)], "AdminEvents lacks %q", e)
	}
	ev[0] = "changed"
	assert.Equal(t, IssueCreated, AdminEvents()[0], "AdminEvents shares its slice")
}

func TestDecodeAdminWebhookLenient(t *testing.T) {
	t.Parallel()
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
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := decodeAdminWebhook([]byte(tt.in))
			require.NoError(t, err, "decode %s", tt.in)
			assert.Equal(t, tt.want, got, "decode %s", tt.in)
		})
	}
	for _, bad := range []string{``, `[]`, `"x"`, `null`, `{`} {
		t.Run("bad/"+bad, func(t *testing.T) {
			t.Parallel()
			_, err := decodeAdminWebhook([]byte(bad))
			assert.ErrorIs(t, err, ErrUnexpectedResponse, "decode %q", bad)
		})
	}
}

func FuzzDecodeAdminWebhooks(f *testing.F) {
	f.Add([]byte(`[` + adminHookJSON + `]`))
	f.Add([]byte(`{"values":[{"id":"1","self":"/x/2","enabled":"no"}]}`))
	f.Add([]byte(`[{"lastUpdatedUser":{"key":"k"},"lastUpdated":-1e30}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ws, err := decodeAdminWebhooks(b)
		if err != nil {
			require.ErrorIs(t, err, ErrUnexpectedResponse, "an error that does not match ErrUnexpectedResponse")
			return
		}
		for _, w := range ws {
			require.GreaterOrEqual(t, w.ID, int64(0), "negative ID")
			require.Empty(t, w.Secret, "secret decoded from an answer")
		}
	})
}
