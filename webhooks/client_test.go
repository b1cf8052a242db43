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
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jirahooks/jirahooks/internal/retry"
	"github.com/jirahooks/jirahooks/pagination"
)

// The example answers of Jira's REST API documentation (seed 001).
const (
	ctSeedRegisterRequest = `{"url":"https://your-app.example.com/webhook-received","webhooks":[
		{"events":["jira:issue_created","jira:issue_updated"],"fieldIdsFilter":["summary","customfield_10029"],"jqlFilter":"project = PROJ"},
		{"events":["jira:issue_deleted"],"jqlFilter":"project IN (PROJ, EXP) AND status = done"},
		{"events":["issue_property_set"],"issuePropertyKeysFilter":["my-issue-property-key"],"jqlFilter":"project = PROJ"}]}`
	ctSeedRegisterResponse = `{ "webhookRegistrationResult": [ { "createdWebhookId": 1000 }, { "errors": [ "The clause watchCount is unsupported" ] }, { "createdWebhookId": 1001 } ] }`
	ctSeedListResponse     = `{ "isLast": true, "maxResults": 3, "startAt": 0, "total": 3, "values": [ { "events": [ "jira:issue_updated", "jira:issue_created" ], "expirationDate": "2019-06-01T12:42:30.000+0000", "fieldIdsFilter": [ "summary", "customfield_10029" ], "id": 10000, "jqlFilter": "project = PRJ" }, { "events": [ "jira:issue_created" ], "expirationDate": "2019-06-01T12:42:30.000+0000", "id": 10001, "jqlFilter": "issuetype = Bug" }, { "events": [ "issue_property_set" ], "expirationDate": "2019-06-01T12:42:30.000+0000", "id": 10002, "issuePropertyKeysFilter": [ "my-issue-property-key" ], "jqlFilter": "project = PRJ" } ] }`
	ctSeedFailedResponse   = `{ "values": [ { "id": "1", "body": "{\"data\":\"webhook data\"}", "url": "https://example.com", "failureTime": 1573118132000 }, { "id": "2", "url": "https://example.com", "failureTime": 1573540473480 } ], "maxResults": 100, "next": "https://your-domain.atlassian.net/rest/api/3/webhook/failed?failedAfter=1573540473480&maxResults=100" }`
	ctSeedRefreshResponse  = `{ "expirationDate": "2019-06-01T12:42:30.000+0000" }`
	ctNotAnApp             = `{"errorMessages":["Only Connect and OAuth 2.0 apps can use this operation."],"errors":{}}`
)

var ctSeedExpiry = time.Date(2019, 6, 1, 12, 42, 30, 0, time.UTC)

// ctRequest is what a test server saw.
type ctRequest struct {
	Method, Path, Query, Body string
	Header                    http.Header
}

// ctJira is an httptest server answering with handle and recording every
// request.
type ctJira struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []ctRequest
}

func ctServe(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *ctJira {
	t.Helper()
	j := &ctJira{}
	j.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		j.mu.Lock()
		j.reqs = append(j.reqs, ctRequest{r.Method, r.URL.Path, r.URL.RawQuery, string(body), r.Header.Clone()})
		n := len(j.reqs)
		j.mu.Unlock()
		handle(w, r, n)
	}))
	t.Cleanup(j.Close)
	return j
}

func (j *ctJira) requests() []ctRequest {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.reqs)
}

// ctReply answers with status and body as JSON.
func ctReply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// ctSleeper records the waits asked for, without waiting.
type ctSleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *ctSleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *ctSleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

// sleepFunc is a Clock that reads the real time and waits with the function.
type sleepFunc func(ctx context.Context, d time.Duration) error

func (f sleepFunc) Now() time.Time                                   { return time.Now() }
func (f sleepFunc) Sleep(ctx context.Context, d time.Duration) error { return f(ctx, d) }

// withSleep replaces the retry wait, for tests, through WithClock.
func withSleep(sleep func(ctx context.Context, d time.Duration) error) ClientOption {
	return WithClock(sleepFunc(sleep))
}

func ctClient(t *testing.T, base string, opts ...ClientOption) *Client {
	t.Helper()
	c, err := NewClient(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctSameJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: sent body is not JSON: %v: %s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: sent body\n%s\nwant\n%s", what, got, want)
	}
}

func ctCheckRequest(t *testing.T, got ctRequest, method, path, query string) {
	t.Helper()
	if got.Method != method || got.Path != path || got.Query != query {
		t.Errorf("request = %s %s?%s, want %s %s?%s", got.Method, got.Path, got.Query, method, path, query)
	}
	if a := got.Header.Get("Accept"); a != "application/json" {
		t.Errorf("Accept = %q", a)
	}
	if got.Body != "" && got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q", got.Header.Get("Content-Type"))
	}
	if got.Header.Get("User-Agent") != DefaultUserAgent {
		t.Errorf("User-Agent = %q", got.Header.Get("User-Agent"))
	}
}

// TestClientOperations runs every operation on both API versions, with and
// without a path in the base URL, against the documentation's examples.
func TestClientOperations(t *testing.T) {
	for _, version := range []int{2, 3} {
		for _, prefix := range []string{"", "/ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421"} {
			t.Run(fmt.Sprintf("v%d%s", version, prefix), func(t *testing.T) {
				api := prefix + "/rest/api/" + strconv.Itoa(version) + "/webhook"
				j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
					switch r.Method + " " + strings.TrimPrefix(r.URL.Path, api) {
					case "POST ":
						ctReply(w, 200, ctSeedRegisterResponse)
					case "GET ":
						ctReply(w, 200, ctSeedListResponse)
					case "GET /failed":
						ctReply(w, 200, ctSeedFailedResponse)
					case "PUT /refresh":
						ctReply(w, 200, ctSeedRefreshResponse)
					case "DELETE ":
						w.WriteHeader(http.StatusAccepted)
					default:
						ctReply(w, 404, `{"errorMessages":["no such endpoint"]}`)
					}
				})
				opts := []ClientOption{WithHTTPClient(j.Client())}
				if version == 2 {
					opts = append(opts, WithAPIVersion(2))
				}
				c := ctClient(t, j.URL+prefix+"/", opts...)
				ctx := context.Background()

				// Register
				regs, err := c.Register(ctx, "https://your-app.example.com/webhook-received",
					Details{Events: []EventName{IssueCreated, IssueUpdated}, FieldIDsFilter: []string{"summary", "customfield_10029"}, JQLFilter: "project = PROJ"},
					Details{Events: []EventName{IssueDeleted}, JQLFilter: "project IN (PROJ, EXP) AND status = done"},
					Details{Events: []EventName{IssuePropertySet}, IssuePropertyKeysFilter: []string{"my-issue-property-key"}, JQLFilter: "project = PROJ"},
				)
				if err != nil {
					t.Fatal(err)
				}
				wantRegs := []Registration{{ID: 1000}, {Errors: []string{"The clause watchCount is unsupported"}}, {ID: 1001}}
				if !reflect.DeepEqual(regs, wantRegs) {
					t.Errorf("Register = %+v, want %+v", regs, wantRegs)
				}
				if !regs[0].OK() || regs[1].OK() || !regs[2].OK() {
					t.Error("Registration.OK is wrong")
				}

				// List
				p := c.List(&ListOptions{MaxResults: 3})
				page, err := p.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				wantHooks := []Webhook{
					{ID: 10000, Events: []EventName{IssueUpdated, IssueCreated}, JQLFilter: "project = PRJ", FieldIDsFilter: []string{"summary", "customfield_10029"}, ExpirationDate: ctSeedExpiry},
					{ID: 10001, Events: []EventName{IssueCreated}, JQLFilter: "issuetype = Bug", ExpirationDate: ctSeedExpiry},
					{ID: 10002, Events: []EventName{IssuePropertySet}, JQLFilter: "project = PRJ", IssuePropertyKeysFilter: []string{"my-issue-property-key"}, ExpirationDate: ctSeedExpiry},
				}
				if !reflect.DeepEqual(page, wantHooks) {
					t.Errorf("List = %+v\nwant %+v", page, wantHooks)
				}
				if p.More() {
					t.Error("List: More after isLast")
				}

				// ListFailed
				after := time.UnixMilli(1573000000000)
				fp := c.ListFailed(&FailedOptions{After: after, MaxResults: 100})
				failed, err := fp.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				wantFailed := []FailedWebhook{
					{ID: "1", URL: "https://example.com", Body: `{"data":"webhook data"}`, FailureTime: time.UnixMilli(1573118132000).UTC()},
					{ID: "2", URL: "https://example.com", FailureTime: time.UnixMilli(1573540473480).UTC()},
				}
				if !reflect.DeepEqual(failed, wantFailed) {
					t.Errorf("ListFailed = %+v\nwant %+v", failed, wantFailed)
				}
				// The documented answer is short but has a next link,
				// which is followed; this one names Atlassian's example
				// site, not this server, so it is refused unsent.
				if !fp.More() {
					t.Error("ListFailed: the next link is not followed")
				}
				if rest, err := fp.Next(ctx); !errors.Is(err, ErrForeignURL) || len(rest) != 0 || fp.More() {
					t.Errorf("ListFailed after the next link: %v, %v, More %t; want ErrForeignURL", rest, err, fp.More())
				}

				// Refresh
				exp, err := c.Refresh(ctx, 10000, 10001, 10042)
				if err != nil {
					t.Fatal(err)
				}
				if !exp.Equal(ctSeedExpiry) {
					t.Errorf("Refresh = %v, want %v", exp, ctSeedExpiry)
				}

				// Delete
				if err := c.Delete(ctx, 10000, 10001, 10042); err != nil {
					t.Fatal(err)
				}

				reqs := j.requests()
				if len(reqs) != 5 {
					t.Fatalf("%d requests, want 5", len(reqs))
				}
				ctCheckRequest(t, reqs[0], "POST", api, "")
				ctSameJSON(t, "Register", reqs[0].Body, ctSeedRegisterRequest)
				ctCheckRequest(t, reqs[1], "GET", api, "startAt=0&maxResults=3")
				ctCheckRequest(t, reqs[2], "GET", api+"/failed", "after=1573000000000&failedAfter=1573000000000&maxResults=100")
				ctCheckRequest(t, reqs[3], "PUT", api+"/refresh", "")
				ctSameJSON(t, "Refresh", reqs[3].Body, `{"webhookIds":[10000,10001,10042]}`)
				ctCheckRequest(t, reqs[4], "DELETE", api, "")
				ctSameJSON(t, "Delete", reqs[4].Body, `{"webhookIds":[10000,10001,10042]}`)
				for _, r := range reqs[1:3] {
					if r.Body != "" {
						t.Errorf("%s sent a body: %q", r.Method, r.Body)
					}
				}
			})
		}
	}
}

func TestClientDefaultQueries(t *testing.T) {
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if strings.HasSuffix(r.URL.Path, "/failed") {
			ctReply(w, 200, `{"values":[],"maxResults":100}`)
			return
		}
		ctReply(w, 200, `{"isLast":true,"values":[]}`)
	})
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	if page, err := c.List(nil).Next(context.Background()); err != nil || page == nil || len(page) != 0 {
		t.Errorf("List(nil) = %v, %v; want an empty page", page, err)
	}
	if page, err := c.ListFailed(nil).Next(context.Background()); err != nil || page == nil || len(page) != 0 {
		t.Errorf("ListFailed(nil) = %v, %v; want an empty page", page, err)
	}
	reqs := j.requests()
	ctCheckRequest(t, reqs[0], "GET", "/rest/api/3/webhook", "startAt=0")
	ctCheckRequest(t, reqs[1], "GET", "/rest/api/3/webhook/failed", "")
}

func TestClientExpirationDateForms(t *testing.T) {
	for _, body := range []string{
		`{"expirationDate":"2019-06-01T12:42:30.000+0000"}`,
		`{"expirationDate":1559392950000}`,
		`{"expirationDate":"2019-06-01T14:42:30.000+0200"}`,
	} {
		j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { ctReply(w, 200, body) })
		exp, err := ctClient(t, j.URL, WithHTTPClient(j.Client())).Refresh(context.Background(), 1)
		if err != nil || !exp.Equal(ctSeedExpiry) {
			t.Errorf("%s: Refresh = %v, %v; want %v", body, exp, err, ctSeedExpiry)
		}
	}
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		ctReply(w, 200, `{"isLast":true,"values":[{"id":1,"events":["jira:issue_created"],"jqlFilter":"x","expirationDate":1559392950000}]}`)
	})
	page, err := ctClient(t, j.URL, WithHTTPClient(j.Client())).List(nil).Next(context.Background())
	if err != nil || len(page) != 1 || !page[0].ExpirationDate.Equal(ctSeedExpiry) {
		t.Errorf("List with an epoch-ms expirationDate = %+v, %v", page, err)
	}
}

func TestClientRefreshWithoutExpirationDate(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
	}{{200, `{}`}, {200, `{"expirationDate":null}`}, {204, ``}, {200, `<html>login</html>`}} {
		j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { ctReply(w, tc.status, tc.body) })
		exp, err := ctClient(t, j.URL, WithHTTPClient(j.Client())).Refresh(context.Background(), 1)
		if !errors.Is(err, ErrUnexpectedResponse) || !exp.IsZero() {
			t.Errorf("%d %q: Refresh = %v, %v; want zero time and ErrUnexpectedResponse", tc.status, tc.body, exp, err)
		}
	}
}

func TestClientRegisterPartial(t *testing.T) {
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		ctReply(w, 200, `{"webhookRegistrationResult":[{"createdWebhookId":42},{"errors":["The clause watchCount is unsupported","Invalid JQL"]}]}`)
	})
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	regs, err := c.Register(context.Background(), "https://app.example.com/hook",
		Details{Events: []EventName{IssueCreated}, JQLFilter: "project = A"},
		Details{Events: []EventName{"sprint_started"}, JQLFilter: "watchCount > 1"},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []Registration{{ID: 42}, {Errors: []string{"The clause watchCount is unsupported", "Invalid JQL"}}}
	if !reflect.DeepEqual(regs, want) {
		t.Errorf("Register = %+v, want %+v", regs, want)
	}
	// Unknown and new event names are sent as given.
	ctSameJSON(t, "Register", j.requests()[0].Body, `{"url":"https://app.example.com/hook","webhooks":[
		{"events":["jira:issue_created"],"jqlFilter":"project = A"},
		{"events":["sprint_started"],"jqlFilter":"watchCount > 1"}]}`)
}

func TestClientRegisterOddAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		hooks      int
		want       []Registration
		wantErr    error
	}{
		{"fewer results", `{"webhookRegistrationResult":[{"createdWebhookId":7}]}`, 2, []Registration{{ID: 7}}, ErrUnexpectedResponse},
		{"more results", `{"webhookRegistrationResult":[{"createdWebhookId":7},{"createdWebhookId":8}]}`, 1, []Registration{{ID: 7}, {ID: 8}}, ErrUnexpectedResponse},
		{"no results", `{}`, 1, []Registration{}, ErrUnexpectedResponse},
		{"not JSON", `OK`, 1, nil, ErrUnexpectedResponse},
		{"neither ID nor errors", `{"webhookRegistrationResult":[{}]}`, 1, []Registration{{Errors: []string{"Jira returned neither a webhook ID nor errors"}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { ctReply(w, 200, tc.body) })
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
			hooks := make([]Details, tc.hooks)
			for i := range hooks {
				hooks[i] = Details{Events: []EventName{IssueCreated}, JQLFilter: "project = A"}
			}
			regs, err := c.Register(context.Background(), "https://app.example.com/hook", hooks...)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(regs, tc.want) {
				t.Errorf("regs = %#v, want %#v", regs, tc.want)
			}
			if err == nil && regs == nil {
				t.Error("nil result with nil error")
			}
		})
	}
}

func TestClientRefusesBadCallsWithoutRequest(t *testing.T) {
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { ctReply(w, 500, `{}`) })
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	ctx := context.Background()
	if regs, err := c.Register(ctx, "https://app.example.com/hook"); !errors.Is(err, ErrNoWebhooks) || regs != nil {
		t.Errorf("Register() = %v, %v", regs, err)
	}
	if _, err := c.Register(ctx, " ", Details{Events: []EventName{IssueCreated}}); err == nil {
		t.Error("Register with an empty URL: no error")
	}
	if exp, err := c.Refresh(ctx); !errors.Is(err, ErrNoIDs) || !exp.IsZero() {
		t.Errorf("Refresh() = %v, %v", exp, err)
	}
	if err := c.Delete(ctx); !errors.Is(err, ErrNoIDs) {
		t.Errorf("Delete() = %v", err)
	}
	if _, err := c.Refresh(ctx, 5, 0); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Refresh(5, 0) = %v", err)
	}
	if err := c.Delete(ctx, -1); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Delete(-1) = %v", err)
	}
	for _, p := range []*pagination.Pager[Webhook]{c.List(&ListOptions{MaxResults: -1}), c.List(&ListOptions{StartAt: -1})} {
		if _, err := p.Next(ctx); err == nil {
			t.Error("List with a negative option: no error")
		}
	}
	if _, err := c.ListFailed(&FailedOptions{MaxResults: -1}).Next(ctx); err == nil {
		t.Error("ListFailed with a negative MaxResults: no error")
	}
	if n := len(j.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}

	var nc *Client
	if _, err := nc.Register(ctx, "u", Details{}); err == nil {
		t.Error("nil Client Register: no error")
	}
	if _, err := nc.Refresh(ctx, 1); err == nil {
		t.Error("nil Client Refresh: no error")
	}
	if err := nc.Delete(ctx, 1); err == nil {
		t.Error("nil Client Delete: no error")
	}
	if _, err := nc.List(nil).Next(ctx); err == nil {
		t.Error("nil Client List: no error")
	}
	if _, err := nc.ListFailed(nil).Next(ctx); err == nil {
		t.Error("nil Client ListFailed: no error")
	}
}

func TestClientNilContext(t *testing.T) {
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { ctReply(w, 200, ctSeedRefreshResponse) })
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	var ctx context.Context
	if _, err := c.Refresh(ctx, 1); err != nil {
		t.Errorf("Refresh(nil ctx) = %v", err)
	}
}

func TestNewClient(t *testing.T) {
	for _, tc := range []struct {
		base     string
		opts     []ClientOption
		endpoint string // "" for an error
	}{
		{"https://x.atlassian.net", nil, "https://x.atlassian.net/rest/api/3/webhook"},
		{"https://x.atlassian.net/", nil, "https://x.atlassian.net/rest/api/3/webhook"},
		{" https://x.atlassian.net ", nil, "https://x.atlassian.net/rest/api/3/webhook"},
		{"https://api.atlassian.com/ex/jira/abc-123/", []ClientOption{WithAPIVersion(2)}, "https://api.atlassian.com/ex/jira/abc-123/rest/api/2/webhook"},
		{"http://localhost:8080/jira", []ClientOption{nil}, "http://localhost:8080/jira/rest/api/3/webhook"},
		{"", nil, ""},
		{"x.atlassian.net", nil, ""},
		{"ftp://x.atlassian.net", nil, ""},
		// Atlassian's hosts answer only https: plain http would send the
		// credentials in clear before any redirect.
		{"http://x.atlassian.net", nil, ""},
		{"HTTP://X.Atlassian.NET.", nil, ""},
		{"http://api.atlassian.com/ex/jira/abc-123", nil, ""},
		{"http://x.atlassian.net:80/", nil, ""},
		{"https://", nil, ""},
		{"https://user:token@x.atlassian.net", nil, ""},
		{"https://x.atlassian.net?a=b", nil, ""},
		{"https://x.atlassian.net#frag", nil, ""},
		{"https://x.atlassian.net/rest/api/3", nil, ""},
		{"https://x.atlassian.net/%zz", nil, ""},
		{"https://x.atlassian.net", []ClientOption{WithAPIVersion(1)}, ""},
		{"https://x.atlassian.net", []ClientOption{WithAPIVersion(4)}, ""},
		{"https://x.atlassian.net", []ClientOption{WithHTTPClient(nil)}, ""},
		{"https://x.atlassian.net", []ClientOption{WithRetry(-1)}, ""},
		{"https://x.atlassian.net", []ClientOption{WithBackoff(0, time.Second)}, ""},
		{"https://x.atlassian.net", []ClientOption{WithBackoff(time.Second, time.Millisecond)}, ""},
	} {
		c, err := NewClient(tc.base, tc.opts...)
		if tc.endpoint == "" {
			if err == nil || c != nil {
				t.Errorf("NewClient(%q) = %v, %v; want an error", tc.base, c, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewClient(%q): %v", tc.base, err)
			continue
		}
		if got := c.api.Server + "webhook"; got != tc.endpoint {
			t.Errorf("NewClient(%q) endpoint %q, want %q", tc.base, got, tc.endpoint)
		}
	}
}

func TestClientUserAgentAndHTTPClientCopy(t *testing.T) {
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { w.WriteHeader(202) })
	hc := j.Client()
	c := ctClient(t, j.URL, WithHTTPClient(hc), WithUserAgent("my-app/1.2"))
	if err := c.Delete(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if ua := j.requests()[0].Header.Get("User-Agent"); ua != "my-app/1.2" {
		t.Errorf("User-Agent = %q", ua)
	}
	if hc.CheckRedirect != nil {
		t.Error("NewClient changed the caller's http.Client")
	}
}

func TestClientAPIErrors(t *testing.T) {
	long := strings.Repeat("x", 10000)
	for _, tc := range []struct {
		name     string
		status   int
		header   http.Header
		body     string
		check    func(*testing.T, *APIError)
		contains []string
	}{
		{"400 with field errors", 400, nil,
			`{"errorMessages":["Invalid request"],"errors":{"url":"The URL must start with https","webhooks":"At least one webhook is required"}}`,
			func(t *testing.T, e *APIError) {
				if !slices.Equal(e.ErrorMessages, []string{"Invalid request"}) || e.Errors["url"] != "The URL must start with https" || len(e.Errors) != 2 {
					t.Errorf("decoded %+v", e)
				}
			},
			[]string{"400 Bad Request", "Invalid request; url: The URL must start with https; webhooks: At least one webhook is required"}},
		{"403 not an app", 403, http.Header{"X-Arequestid": {"a1b2c3"}}, ctNotAnApp,
			func(t *testing.T, e *APIError) {
				if e.RequestID != "a1b2c3" || !errors.Is(e, ErrNotAnApp) || errors.Is(e, ErrRateLimited) {
					t.Errorf("decoded %+v", e)
				}
			},
			[]string{"403 Forbidden", "Only Connect and OAuth 2.0 apps can use this operation.", "OAuth 2.0 (3LO) or Connect app", "[request id a1b2c3]"}},
		{"403 for another reason", 403, http.Header{"Atl-Traceid": {"t-9"}}, `{"errorMessages":["You do not have permission"]}`,
			func(t *testing.T, e *APIError) {
				if errors.Is(e, ErrNotAnApp) || e.RequestID != "t-9" {
					t.Errorf("decoded %+v", e)
				}
			}, []string{"You do not have permission"}},
		{"gateway 401", 401, nil, `{"code":401,"message":"Unauthorized; scope does not match"}`,
			func(t *testing.T, e *APIError) {
				if !slices.Equal(e.ErrorMessages, []string{"Unauthorized; scope does not match"}) {
					t.Errorf("decoded %+v", e)
				}
			}, []string{"401 Unauthorized: Unauthorized; scope does not match"}},
		{"HTML body", 404, nil, "  <html><body>Not here</body></html>\n",
			func(t *testing.T, e *APIError) {
				if e.Body != "<html><body>Not here</body></html>" || e.ErrorMessages != nil {
					t.Errorf("decoded %+v", e)
				}
			}, []string{"404 Not Found: <html>"}},
		{"huge body", 500, nil, long,
			func(t *testing.T, e *APIError) {
				if len(e.Body) > clientShownBody+3 || !strings.HasPrefix(e.Body, "xxx") {
					t.Errorf("Body has %d bytes", len(e.Body))
				}
			}, []string{"500 Internal Server Error: xxx"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				ctReply(w, tc.status, tc.body)
			})
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()), WithRetry(0))
			ctx := context.Background()
			_, regErr := c.Register(ctx, "https://a.example/h", Details{Events: []EventName{IssueCreated}, JQLFilter: "project = A"})
			_, listErr := c.List(nil).Next(ctx)
			_, failErr := c.ListFailed(nil).Next(ctx)
			_, refErr := c.Refresh(ctx, 1)
			delErr := c.Delete(ctx, 1)
			for i, err := range []error{regErr, listErr, failErr, refErr, delErr} {
				var e *APIError
				if !errors.As(err, &e) {
					t.Fatalf("call %d: %v (%T) is not an *APIError", i, err, err)
				}
				if e.StatusCode != tc.status {
					t.Errorf("StatusCode = %d", e.StatusCode)
				}
				tc.check(t, e)
				for _, s := range tc.contains {
					if !strings.Contains(e.Error(), s) {
						t.Errorf("Error() = %q, want it to contain %q", e.Error(), s)
					}
				}
			}
			var e *APIError
			errors.As(regErr, &e)
			if e.Method != "POST" || e.Path != "/rest/api/3/webhook" {
				t.Errorf("Method, Path = %q, %q", e.Method, e.Path)
			}
		})
	}
}

func TestClientRetryAfter(t *testing.T) {
	for _, status := range []int{429, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					ctReply(w, status, `{"errorMessages":["slow down"]}`)
					return
				}
				ctReply(w, 200, ctSeedListResponse)
			})
			s := &ctSleeper{}
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()), withSleep(s.sleep))
			page, err := c.List(nil).Next(context.Background())
			if err != nil || len(page) != 3 {
				t.Fatalf("List = %d webhooks, %v", len(page), err)
			}
			if got := s.got(); !slices.Equal(got, []time.Duration{time.Second}) {
				t.Errorf("waits = %v, want [1s]", got)
			}
			if n := len(j.requests()); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

func TestClientRetriesIdempotentCalls(t *testing.T) {
	calls := map[string]func(c *Client) error{
		"List": func(c *Client) error { _, err := c.List(nil).Next(context.Background()); return err },
		"ListFailed": func(c *Client) error {
			_, err := c.ListFailed(nil).Next(context.Background())
			return err
		},
		"Refresh": func(c *Client) error { _, err := c.Refresh(context.Background(), 1); return err },
		"Delete":  func(c *Client) error { return c.Delete(context.Background(), 1) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			// Always rate limited, without Retry-After: 4 backoff waits, then
			// the last answer.
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
				ctReply(w, 429, `{"errorMessages":["Rate limit exceeded"]}`)
			})
			s := &ctSleeper{}
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()), withSleep(s.sleep), WithBackoff(100*time.Millisecond, time.Second))
			err := call(c)
			var e *APIError
			if !errors.As(err, &e) || e.StatusCode != 429 || !errors.Is(err, ErrRateLimited) {
				t.Fatalf("err = %v, want the 429 APIError", err)
			}
			if n := len(j.requests()); n != 5 {
				t.Errorf("%d requests, want 1 + 4 retries", n)
			}
			waits := s.got()
			bounds := []time.Duration{100, 200, 400, 800}
			if len(waits) != len(bounds) {
				t.Fatalf("waits = %v", waits)
			}
			for i, d := range waits {
				hi := bounds[i] * time.Millisecond
				if d < hi/2 || d >= hi {
					t.Errorf("wait %d = %v, want jittered in [%v, %v)", i, d, hi/2, hi)
				}
			}
		})
	}
}

func TestClientRetryLimitsAndStatuses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		header   string
		opts     []ClientOption
		requests int
	}{
		{"WithRetry(0)", 503, "", []ClientOption{WithRetry(0)}, 1},
		{"WithRetry(2)", 503, "", []ClientOption{WithRetry(2)}, 3},
		{"502", 502, "", nil, 5},
		{"504", 504, "", nil, 5},
		{"500 is final", 500, "", nil, 1},
		{"400 is final", 400, "", nil, 1},
		{"Retry-After too long", 429, "3600", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				ctReply(w, tc.status, `{}`)
			})
			s := &ctSleeper{}
			c := ctClient(t, j.URL, append([]ClientOption{WithHTTPClient(j.Client()), withSleep(s.sleep)}, tc.opts...)...)
			_, err := c.Refresh(context.Background(), 1)
			var e *APIError
			if !errors.As(err, &e) || e.StatusCode != tc.status {
				t.Fatalf("err = %v", err)
			}
			if n := len(j.requests()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if tc.header == "3600" && e.RetryAfter != time.Hour {
				t.Errorf("RetryAfter = %v, want 1h", e.RetryAfter)
			}
		})
	}
}

func TestClientNeverRetriesRegister(t *testing.T) {
	for _, status := range []int{429, 502, 503} {
		j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Retry-After", "1")
			ctReply(w, status, `{}`)
		})
		s := &ctSleeper{}
		c := ctClient(t, j.URL, WithHTTPClient(j.Client()), withSleep(s.sleep))
		regs, err := c.Register(context.Background(), "https://a.example/h", Details{Events: []EventName{IssueCreated}, JQLFilter: "project = A"})
		var e *APIError
		if !errors.As(err, &e) || e.StatusCode != status || regs != nil {
			t.Errorf("%d: Register = %v, %v", status, regs, err)
		}
		if n := len(j.requests()); n != 1 || len(s.got()) != 0 {
			t.Errorf("%d: %d requests and waits %v, want 1 request, no wait", status, n, s.got())
		}
	}
	// The connection dies after Jira read the request: it may have
	// registered the webhooks, so no second try.
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	s := &ctSleeper{}
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()), withSleep(s.sleep))
	if _, err := c.Register(context.Background(), "https://a.example/h", Details{Events: []EventName{IssueCreated}, JQLFilter: "project = A"}); err == nil {
		t.Error("Register over a dead connection: no error")
	}
	if n := len(j.requests()); n != 1 || len(s.got()) != 0 {
		t.Errorf("dead connection: %d requests, waits %v; want 1, none", n, s.got())
	}
	// The same failure is retried for an idempotent call.
	j2 := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		w.WriteHeader(202)
	})
	c = ctClient(t, j2.URL, WithHTTPClient(j2.Client()), withSleep(s.sleep))
	if err := c.Delete(context.Background(), 1); err != nil || len(j2.requests()) != 2 {
		t.Errorf("Delete over a dead connection: %v after %d requests; want a retry", err, len(j2.requests()))
	}
}

func TestClientCancelDuringWait(t *testing.T) {
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "30")
		ctReply(w, 429, `{}`)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var asked time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		asked = d
		go cancel()                // the caller gives up while we wait
		return retry.Sleep(ctx, d) // the real wait: returns when ctx is done
	}
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()), withSleep(sleep))
	_, err := c.Refresh(ctx, 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if asked != 30*time.Second || len(j.requests()) != 1 {
		t.Errorf("asked to wait %v after %d requests", asked, len(j.requests()))
	}

	// Already canceled: nothing is sent.
	j2 := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) { ctReply(w, 200, ctSeedRefreshResponse) })
	c = ctClient(t, j2.URL, WithHTTPClient(j2.Client()))
	if _, err := c.Refresh(ctx, 1); !errors.Is(err, context.Canceled) || len(j2.requests()) != 0 {
		t.Errorf("canceled Refresh = %v with %d requests", err, len(j2.requests()))
	}
}

func TestClientRedirects(t *testing.T) {
	foreign := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) { ctReply(w, 200, ctSeedListResponse) })
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path == "/rest/api/3/webhook" && n == 1 {
			http.Redirect(w, r, "/moved"+r.URL.Path+"?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/moved") {
			ctReply(w, 200, ctSeedListResponse)
			return
		}
		http.Redirect(w, r, foreign.URL+r.URL.Path, http.StatusFound)
	})
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	if page, err := c.List(nil).Next(context.Background()); err != nil || len(page) != 3 {
		t.Errorf("same-site redirect: %d webhooks, %v", len(page), err)
	}
	_, err := c.List(nil).Next(context.Background())
	if !errors.Is(err, ErrForeignURL) {
		t.Errorf("foreign redirect: %v, want ErrForeignURL", err)
	}
	if n := len(foreign.requests()); n != 0 {
		t.Errorf("the foreign host got %d requests", n)
	}
}

// ctListServer serves n webhooks in offset pages, like Jira.
func ctListServer(t *testing.T, n, capSize int, noIsLast bool) *ctJira {
	return ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		q := r.URL.Query()
		start, _ := strconv.Atoi(q.Get("startAt"))
		size, err := strconv.Atoi(q.Get("maxResults"))
		if err != nil {
			size = 50
		}
		if capSize > 0 && size > capSize {
			size = capSize
		}
		lo := min(start, n)
		hi := min(lo+size, n)
		var vals []string
		for i := lo; i < hi; i++ {
			vals = append(vals, fmt.Sprintf(`{"id":%d,"events":["jira:issue_created","jira:future_event"],"jqlFilter":"project = P","expirationDate":"2019-06-01T12:42:30.000+0000"}`, 10000+i))
		}
		isLast := ""
		if !noIsLast {
			isLast = fmt.Sprintf(`"isLast":%v,`, hi == n)
		}
		ctReply(w, 200, fmt.Sprintf(`{%s"startAt":%d,"maxResults":%d,"total":%d,"values":[%s]}`, isLast, start, size, n, strings.Join(vals, ",")))
	})
}

func TestClientListPages(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n, cap   int
		noIsLast bool
		opts     *ListOptions
		queries  []string
	}{
		{"zero", 0, 0, false, &ListOptions{MaxResults: 2}, []string{"startAt=0&maxResults=2"}},
		{"one page", 2, 0, false, &ListOptions{MaxResults: 5}, []string{"startAt=0&maxResults=5"}},
		{"many pages", 5, 0, false, &ListOptions{MaxResults: 2}, []string{"startAt=0&maxResults=2", "startAt=2&maxResults=2", "startAt=4&maxResults=2"}},
		{"server caps maxResults", 5, 2, false, &ListOptions{MaxResults: 100}, []string{"startAt=0&maxResults=100", "startAt=2&maxResults=100", "startAt=4&maxResults=100"}},
		{"isLast missing", 4, 0, true, &ListOptions{MaxResults: 3}, []string{"startAt=0&maxResults=3", "startAt=3&maxResults=3"}},
		{"resume at an offset", 5, 0, false, &ListOptions{MaxResults: 2, StartAt: 3}, []string{"startAt=3&maxResults=2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := ctListServer(t, tc.n, tc.cap, tc.noIsLast)
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
			opts := *tc.opts
			p := c.List(&opts)
			if len(j.requests()) != 0 {
				t.Fatal("List sent a request before Next")
			}
			opts.MaxResults = 1 // later changes do not reach the Pager
			var ids []int64
			for w, err := range p.All(context.Background()) {
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(w.Events, []EventName{IssueCreated, "jira:future_event"}) || !w.ExpirationDate.Equal(ctSeedExpiry) {
					t.Errorf("webhook %+v", w)
				}
				ids = append(ids, w.ID)
			}
			var want []int64
			for i := int(tc.opts.StartAt); i < tc.n; i++ {
				want = append(want, int64(10000+i))
			}
			if !slices.Equal(ids, want) {
				t.Errorf("ids = %v, want %v", ids, want)
			}
			var queries []string
			for _, r := range j.requests() {
				queries = append(queries, r.Query)
			}
			if !slices.Equal(queries, tc.queries) {
				t.Errorf("queries = %q, want %q", queries, tc.queries)
			}
			// The Pager neither writes to the caller's options nor keeps
			// a reference to them.
			wantOpts := *tc.opts
			wantOpts.MaxResults = 1
			if opts != wantOpts {
				t.Errorf("the options were changed: %+v, want %+v", opts, wantOpts)
			}
		})
	}
}

func TestClientListAllStopsAfterError(t *testing.T) {
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			ctReply(w, 200, `{"isLast":false,"startAt":0,"maxResults":1,"values":[{"id":1,"events":[],"jqlFilter":"x"}]}`)
			return
		}
		ctReply(w, 400, `{"errorMessages":["startAt is bad"]}`)
	})
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	var ids []int64
	var errs []error
	for w, err := range c.List(&ListOptions{MaxResults: 1}).All(context.Background()) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, w.ID)
	}
	var e *APIError
	if !slices.Equal(ids, []int64{1}) || len(errs) != 1 || !errors.As(errs[0], &e) || e.StatusCode != 400 {
		t.Errorf("ids %v, errors %v", ids, errs)
	}
	if n := len(j.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// ctFailedServer serves failures by failure time, after= or failedAfter=,
// never splitting a failure-time group, with next URLs shaped by mkNext.
// Times are small numbers in the queries and next URLs; the failureTime in
// the answers is ctFailedEpoch later, a real 2019 time.
func ctFailedServer(t *testing.T, times []int64, mkNext func(base string, after int64, max int) string) *ctJira {
	var j *ctJira
	j = ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		q := r.URL.Query()
		after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
		if fa := q.Get("failedAfter"); fa != "" {
			after, _ = strconv.ParseInt(fa, 10, 64)
		}
		size, err := strconv.Atoi(q.Get("maxResults"))
		if err != nil {
			size = 100
		}
		var vals []string
		last := int64(0)
		for i, ft := range times {
			if ft <= after {
				continue
			}
			if len(vals) >= size && ft != last {
				break
			}
			vals = append(vals, fmt.Sprintf(`{"id":"d%d","url":"https://app.example/h","failureTime":%d}`, i, ctFailedEpoch+ft))
			last = ft
		}
		next := ""
		if len(vals) > 0 && mkNext != nil {
			next = fmt.Sprintf(`,"next":%q`, mkNext(j.URL, last, size))
		}
		ctReply(w, 200, fmt.Sprintf(`{"values":[%s],"maxResults":%d%s}`, strings.Join(vals, ","), size, next))
	})
	return j
}

// ctFailedEpoch is the failure time of Jira's documented example.
const ctFailedEpoch = 1573118132000

func ctFailedIDs(t *testing.T, p *pagination.Pager[FailedWebhook]) ([]string, error) {
	t.Helper()
	var ids []string
	for f, err := range p.All(context.Background()) {
		if err != nil {
			return ids, err
		}
		ids = append(ids, f.ID)
	}
	return ids, nil
}

func TestClientListFailedPages(t *testing.T) {
	absolute := func(base string, after int64, max int) string {
		return fmt.Sprintf("%s/rest/api/3/webhook/failed?failedAfter=%d&maxResults=%d", base, after, max)
	}
	relative := func(_ string, after int64, max int) string {
		return fmt.Sprintf("/rest/api/3/webhook/failed?failedAfter=%d&maxResults=%d", after, max)
	}
	queryOnly := func(_ string, after int64, max int) string {
		return fmt.Sprintf("?failedAfter=%d&maxResults=%d", after, max)
	}
	for _, tc := range []struct {
		name    string
		times   []int64
		next    func(string, int64, int) string
		max     int
		want    []string
		queries []string
	}{
		{"zero", nil, absolute, 2, nil, []string{"maxResults=2"}},
		{"a short page with next is followed", []int64{10}, absolute, 2, []string{"d0"},
			[]string{"maxResults=2", "failedAfter=10&maxResults=2"}},
		{"many pages, absolute next", []int64{10, 20, 30, 40, 50}, absolute, 2, []string{"d0", "d1", "d2", "d3", "d4"},
			[]string{"maxResults=2", "failedAfter=20&maxResults=2", "failedAfter=40&maxResults=2", "failedAfter=50&maxResults=2"}},
		{"relative next", []int64{10, 20, 30}, relative, 2, []string{"d0", "d1", "d2"},
			[]string{"maxResults=2", "failedAfter=20&maxResults=2", "failedAfter=30&maxResults=2"}},
		{"query-only next", []int64{10, 20, 30}, queryOnly, 2, []string{"d0", "d1", "d2"},
			[]string{"maxResults=2", "failedAfter=20&maxResults=2", "failedAfter=30&maxResults=2"}},
		{"no next: the walk ends", []int64{10, 20, 30}, nil, 2, []string{"d0", "d1"},
			[]string{"maxResults=2"}},
		{"full last page, then empty", []int64{10, 20}, absolute, 2, []string{"d0", "d1"},
			[]string{"maxResults=2", "failedAfter=20&maxResults=2"}},
		{"same-failure-time group larger than maxResults", []int64{10, 20, 20, 20, 20, 30, 40}, absolute, 2,
			[]string{"d0", "d1", "d2", "d3", "d4", "d5", "d6"},
			[]string{"maxResults=2", "failedAfter=20&maxResults=2", "failedAfter=40&maxResults=2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := ctFailedServer(t, tc.times, tc.next)
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
			opts := &FailedOptions{MaxResults: tc.max}
			p := c.ListFailed(opts)
			if len(j.requests()) != 0 {
				t.Fatal("ListFailed sent a request before Next")
			}
			ids, err := ctFailedIDs(t, p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("ids = %v, want %v", ids, tc.want)
			}
			var queries []string
			for _, r := range j.requests() {
				queries = append(queries, r.Query)
				if r.Path != "/rest/api/3/webhook/failed" {
					t.Errorf("path %q", r.Path)
				}
			}
			if !slices.Equal(queries, tc.queries) {
				t.Errorf("queries = %q, want %q", queries, tc.queries)
			}
			if *opts != (FailedOptions{MaxResults: tc.max}) {
				t.Error("options changed")
			}
		})
	}
}

func TestClientListFailedResume(t *testing.T) {
	times := []int64{10, 20, 30, 40, 50}
	j := ctFailedServer(t, times[:3], func(base string, after int64, max int) string {
		return fmt.Sprintf("%s/rest/api/3/webhook/failed?failedAfter=%d&maxResults=%d", base, after, max)
	})
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	p := c.ListFailed(&FailedOptions{MaxResults: 2})
	ids, err := ctFailedIDs(t, p)
	if err != nil || !slices.Equal(ids, []string{"d0", "d1", "d2"}) {
		t.Fatalf("first walk: %v, %v", ids, err)
	}
	saved := p.Cursor()
	if want := j.URL + "/rest/api/3/webhook/failed?failedAfter=30&maxResults=2"; saved != want {
		t.Fatalf("Cursor = %q, want %q", saved, want)
	}
	// Nothing new yet: the saved cursor answers an empty page and stays.
	q := c.ListFailed(&FailedOptions{Cursor: saved})
	if ids, err := ctFailedIDs(t, q); err != nil || len(ids) != 0 || q.Cursor() != saved {
		t.Errorf("poll with nothing new: %v, %v, cursor %q", ids, err, q.Cursor())
	}
	// Later failures arrive; resume from the saved cursor, and from a
	// relative form of it.
	j2 := ctFailedServer(t, times, func(base string, after int64, max int) string {
		return fmt.Sprintf("%s/rest/api/3/webhook/failed?failedAfter=%d&maxResults=%d", base, after, max)
	})
	c2 := ctClient(t, j2.URL, WithHTTPClient(j2.Client()))
	for _, cur := range []string{
		strings.Replace(saved, j.URL, j2.URL, 1),
		"?failedAfter=30&maxResults=2",
		"/rest/api/3/webhook/failed?failedAfter=30&maxResults=2",
	} {
		ids, err := ctFailedIDs(t, c2.ListFailed(&FailedOptions{Cursor: cur, MaxResults: 99, After: time.Unix(1, 0)}))
		if err != nil || !slices.Equal(ids, []string{"d3", "d4"}) {
			t.Errorf("resume from %q: %v, %v", cur, ids, err)
		}
	}
}

func TestClientListFailedRefusesForeignNext(t *testing.T) {
	foreign := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		ctReply(w, 200, `{"values":[],"maxResults":2}`)
	})
	for name, next := range map[string]string{
		"other host":             foreign.URL + "/rest/api/3/webhook/failed?failedAfter=20&maxResults=2",
		"protocol-relative":      "//" + strings.TrimPrefix(foreign.URL, "http://") + "/rest/api/3/webhook/failed?failedAfter=20",
		"other path on the site": "/rest/api/3/issue?jql=x",
		"credentials":            "http://u:p@" + strings.TrimPrefix(foreign.URL, "http://") + "/rest/api/3/webhook/failed",
	} {
		t.Run(name, func(t *testing.T) {
			j := ctFailedServer(t, []int64{10, 20, 30}, func(string, int64, int) string { return next })
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
			ids, err := ctFailedIDs(t, c.ListFailed(&FailedOptions{MaxResults: 2}))
			if !errors.Is(err, ErrForeignURL) {
				t.Errorf("err = %v, want ErrForeignURL", err)
			}
			if !slices.Equal(ids, []string{"d0", "d1"}) {
				t.Errorf("ids before the error = %v", ids)
			}
			if len(j.requests()) != 1 || len(foreign.requests()) != 0 {
				t.Errorf("requests: site %d, foreign %d", len(j.requests()), len(foreign.requests()))
			}
		})
	}
	// A saved cursor is checked the same way.
	c := ctClient(t, foreign.URL+"/jira")
	if _, err := c.ListFailed(&FailedOptions{Cursor: "https://evil.example/rest/api/3/webhook/failed"}).Next(context.Background()); !errors.Is(err, ErrForeignURL) {
		t.Errorf("foreign saved cursor: %v", err)
	}
	if _, err := c.ListFailed(&FailedOptions{Cursor: "http://[::1"}).Next(context.Background()); err == nil {
		t.Error("malformed cursor: no error")
	}
}

func TestClientListFailedRepeatedCursor(t *testing.T) {
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		// Always the same full page, pointing at itself.
		ctReply(w, 200, `{"values":[{"id":"a","url":"u","failureTime":1573118132001},{"id":"b","url":"u","failureTime":1573118132002}],"maxResults":2,"next":"?failedAfter=0&maxResults=2"}`)
	})
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	ids, err := ctFailedIDs(t, c.ListFailed(&FailedOptions{MaxResults: 2}))
	if !errors.Is(err, pagination.ErrRepeatedCursor) {
		t.Fatalf("err = %v, want ErrRepeatedCursor", err)
	}
	if len(ids) != 4 || len(j.requests()) != 2 {
		t.Errorf("%d items over %d requests, want 4 over 2", len(ids), len(j.requests()))
	}
}

func TestResolveFailedCursor(t *testing.T) {
	gw := ctClient(t, "https://api.atlassian.com/ex/jira/abc")
	site := ctClient(t, "https://x.atlassian.net", WithAPIVersion(2))
	for _, tc := range []struct {
		c      *Client
		cursor string
		want   string // "" for refused
	}{
		{gw, "https://x.atlassian.net/rest/api/3/webhook/failed?failedAfter=5&maxResults=100", "https://api.atlassian.com/ex/jira/abc/rest/api/3/webhook/failed?failedAfter=5&maxResults=100"},
		{gw, "https://api.atlassian.com/ex/jira/abc/rest/api/3/webhook/failed?failedAfter=5", "https://api.atlassian.com/ex/jira/abc/rest/api/3/webhook/failed?failedAfter=5"},
		{gw, "/rest/api/3/webhook/failed?failedAfter=5", "https://api.atlassian.com/ex/jira/abc/rest/api/3/webhook/failed?failedAfter=5"},
		{gw, "?failedAfter=5", "https://api.atlassian.com/ex/jira/abc/rest/api/3/webhook/failed?failedAfter=5"},
		{gw, "https://api.atlassian.com/ex/jira/other/rest/api/3/webhook/failed", ""},
		{gw, "http://x.atlassian.net/rest/api/3/webhook/failed", ""},
		{gw, "https://x.atlassian.net.evil.example/rest/api/3/webhook/failed", ""},
		{gw, "https://x.atlassian.net/rest/api/3/issue", ""},
		{gw, "https://x.atlassian.net/rest/api/2/webhook/failed", ""}, // another API version
		{gw, "../../../other/rest/api/3/webhook/failed", ""},
		{site, "https://X.Atlassian.NET:443/rest/api/2/webhook/failed?failedAfter=1", "https://X.Atlassian.NET:443/rest/api/2/webhook/failed?failedAfter=1"},
		{site, "https://y.atlassian.net/rest/api/2/webhook/failed", ""},
		{site, "https://x.atlassian.net/rest/api/2/webhook/failed/", "https://x.atlassian.net/rest/api/2/webhook/failed/"},
		{site, "https://x.atlassian.net/rest/api/2/webhook/failed/../../issue", ""},
		{site, "http://x.atlassian.net/rest/api/2/webhook/failed", ""},
		{site, "https://x.atlassian.net/rest/api/2/webhook/failed#frag", "https://x.atlassian.net/rest/api/2/webhook/failed"},
	} {
		got, err := tc.c.resolveFailedCursor(tc.cursor)
		if tc.want == "" {
			if !errors.Is(err, ErrForeignURL) {
				t.Errorf("%q: %q, %v; want ErrForeignURL", tc.cursor, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.cursor, got, err, tc.want)
		}
	}
}

// TestListEndsOnPermanentErrors checks that a walk ends on an answer no
// retry of the page can mend (a 403), so that a loop on More that skips
// errors stops, while a 503 leaves the page to be asked again.
func TestListEndsOnPermanentErrors(t *testing.T) {
	for _, tc := range []struct {
		status   int
		wantMore bool
	}{
		{http.StatusForbidden, false},
		{http.StatusBadRequest, false},
		{http.StatusServiceUnavailable, true},
	} {
		j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
			ctReply(w, tc.status, `{"errorMessages":["no"]}`)
		})
		c := ctClient(t, j.URL, WithHTTPClient(j.Client()), WithRetry(0))
		for name, more := range map[string]func() (bool, error){
			"List": func() (bool, error) {
				p := c.List(nil)
				_, err := p.Next(context.Background())
				return p.More(), err
			},
			"ListFailed": func() (bool, error) {
				p := c.ListFailed(nil)
				_, err := p.Next(context.Background())
				return p.More(), err
			},
		} {
			got, err := more()
			var e *APIError
			if !errors.As(err, &e) || e.StatusCode != tc.status {
				t.Errorf("%s, %d: err = %v, want the APIError", name, tc.status, err)
			}
			if got != tc.wantMore {
				t.Errorf("%s, %d: More = %v after the error, want %v", name, tc.status, got, tc.wantMore)
			}
		}
	}
}
