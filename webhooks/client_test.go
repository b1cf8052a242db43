package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/retry"
	"github.com/jirahooks/jirahooks/internal/testclock"
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

func ctClient(t *testing.T, base string, opts ...ClientOption) *Client {
	t.Helper()
	c, err := NewClient(base, opts...)
	require.NoError(t, err)
	return c
}

func ctSameJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	require.NoError(t, json.Unmarshal([]byte(got), &g), "%s: sent body is not JSON: %s", what, got)
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	assert.Equal(t, w, g, "%s: sent body\n%s\nwant\n%s", what, got, want)
}

func ctCheckRequest(t *testing.T, got ctRequest, method, path, query string) {
	t.Helper()
	assert.Equal(t, [3]string{method, path, query}, [3]string{got.Method, got.Path, got.Query}, "request method, path, query")
	assert.Equal(t, "application/json", got.Header.Get("Accept"), "Accept")
	if got.Body != "" {
		assert.Equal(t, "application/json", got.Header.Get("Content-Type"), "Content-Type")
	}
	assert.Equal(t, DefaultUserAgent, got.Header.Get("User-Agent"), "User-Agent")
}

// TestClientOperations runs every operation on both API versions, with and
// without a path in the base URL, against the documentation's examples.
func TestClientOperations(t *testing.T) {
	t.Parallel()
	for _, version := range []int{2, 3} {
		for _, prefix := range []string{"", "/ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421"} {
			t.Run(fmt.Sprintf("v%d%s", version, prefix), func(t *testing.T) {
				t.Parallel()
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
				ctx := t.Context()

				// Register
				regs, err := c.Register(ctx, "https://your-app.example.com/webhook-received",
					Details{Events: []EventName{IssueCreated, IssueUpdated}, FieldIDsFilter: []string{"summary", "customfield_10029"}, JQLFilter: "project = PROJ"},
					Details{Events: []EventName{IssueDeleted}, JQLFilter: "project IN (PROJ, EXP) AND status = done"},
					Details{Events: []EventName{IssuePropertySet}, IssuePropertyKeysFilter: []string{"my-issue-property-key"}, JQLFilter: "project = PROJ"},
				)
				require.NoError(t, err)
				wantRegs := []Registration{{ID: 1000}, {Errors: []string{"The clause watchCount is unsupported"}}, {ID: 1001}}
				assert.Equal(t, wantRegs, regs, "Register")
				require.Len(t, regs, 3)
				assert.Equal(t, []bool{true, false, true}, []bool{regs[0].OK(), regs[1].OK(), regs[2].OK()}, "Registration.OK")

				// List
				p := c.List(&ListOptions{MaxResults: 3})
				page, err := p.Next(ctx)
				require.NoError(t, err)
				wantHooks := []Webhook{
					{ID: 10000, Events: []EventName{IssueUpdated, IssueCreated}, JQLFilter: "project = PRJ", FieldIDsFilter: []string{"summary", "customfield_10029"}, ExpirationDate: ctSeedExpiry},
					{ID: 10001, Events: []EventName{IssueCreated}, JQLFilter: "issuetype = Bug", ExpirationDate: ctSeedExpiry},
					{ID: 10002, Events: []EventName{IssuePropertySet}, JQLFilter: "project = PRJ", IssuePropertyKeysFilter: []string{"my-issue-property-key"}, ExpirationDate: ctSeedExpiry},
				}
				assert.Equal(t, wantHooks, page, "List")
				assert.False(t, p.More(), "List: More after isLast")

				// ListFailed
				after := time.UnixMilli(1573000000000)
				fp := c.ListFailed(&FailedOptions{After: after, MaxResults: 100})
				failed, err := fp.Next(ctx)
				require.NoError(t, err)
				wantFailed := []FailedWebhook{
					{ID: "1", URL: "https://example.com", Body: `{"data":"webhook data"}`, FailureTime: time.UnixMilli(1573118132000).UTC()},
					{ID: "2", URL: "https://example.com", FailureTime: time.UnixMilli(1573540473480).UTC()},
				}
				assert.Equal(t, wantFailed, failed, "ListFailed")
				// The documented answer is short but has a next link,
				// which is followed; this one names Atlassian's example
				// site, not this server, so it is refused unsent.
				assert.True(t, fp.More(), "ListFailed: the next link is not followed")
				rest, err := fp.Next(ctx)
				assert.ErrorIs(t, err, ErrForeignURL, "ListFailed after the next link")
				assert.Empty(t, rest, "ListFailed after the next link")
				assert.False(t, fp.More(), "ListFailed: More after the refused next link")

				// Refresh
				exp, err := c.Refresh(ctx, 10000, 10001, 10042)
				require.NoError(t, err)
				assert.True(t, exp.Equal(ctSeedExpiry), "Refresh = %v, want %v", exp, ctSeedExpiry)

				// Delete
				require.NoError(t, c.Delete(ctx, 10000, 10001, 10042))

				reqs := j.requests()
				require.Len(t, reqs, 5)
				ctCheckRequest(t, reqs[0], "POST", api, "")
				ctSameJSON(t, "Register", reqs[0].Body, ctSeedRegisterRequest)
				ctCheckRequest(t, reqs[1], "GET", api, "startAt=0&maxResults=3")
				ctCheckRequest(t, reqs[2], "GET", api+"/failed", "after=1573000000000&failedAfter=1573000000000&maxResults=100")
				ctCheckRequest(t, reqs[3], "PUT", api+"/refresh", "")
				ctSameJSON(t, "Refresh", reqs[3].Body, `{"webhookIds":[10000,10001,10042]}`)
				ctCheckRequest(t, reqs[4], "DELETE", api, "")
				ctSameJSON(t, "Delete", reqs[4].Body, `{"webhookIds":[10000,10001,10042]}`)
				for _, r := range reqs[1:3] {
					assert.Empty(t, r.Body, "%s sent a body", r.Method)
				}
			})
		}
	}
}

func TestClientDefaultQueries(t *testing.T) {
	t.Parallel()
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if strings.HasSuffix(r.URL.Path, "/failed") {
			ctReply(w, 200, `{"values":[],"maxResults":100}`)
			return
		}
		ctReply(w, 200, `{"isLast":true,"values":[]}`)
	})
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	page, err := c.List(nil).Next(t.Context())
	if assert.NoError(t, err, "List(nil)") {
		assert.NotNil(t, page, "List(nil): want an empty page, not nil")
		assert.Empty(t, page, "List(nil)")
	}
	failed, err := c.ListFailed(nil).Next(t.Context())
	if assert.NoError(t, err, "ListFailed(nil)") {
		assert.NotNil(t, failed, "ListFailed(nil): want an empty page, not nil")
		assert.Empty(t, failed, "ListFailed(nil)")
	}
	reqs := j.requests()
	require.Len(t, reqs, 2)
	ctCheckRequest(t, reqs[0], "GET", "/rest/api/3/webhook", "startAt=0")
	ctCheckRequest(t, reqs[1], "GET", "/rest/api/3/webhook/failed", "")
}

func TestClientExpirationDateForms(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"expirationDate":"2019-06-01T12:42:30.000+0000"}`,
		`{"expirationDate":1559392950000}`,
		`{"expirationDate":"2019-06-01T14:42:30.000+0200"}`,
	} {
		j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { ctReply(w, 200, body) })
		exp, err := ctClient(t, j.URL, WithHTTPClient(j.Client())).Refresh(t.Context(), 1)
		if assert.NoError(t, err, body) {
			assert.True(t, exp.Equal(ctSeedExpiry), "%s: Refresh = %v; want %v", body, exp, ctSeedExpiry)
		}
	}
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		ctReply(w, 200, `{"isLast":true,"values":[{"id":1,"events":["jira:issue_created"],"jqlFilter":"x","expirationDate":1559392950000}]}`)
	})
	page, err := ctClient(t, j.URL, WithHTTPClient(j.Client())).List(nil).Next(t.Context())
	require.NoError(t, err, "List with an epoch-ms expirationDate")
	require.Len(t, page, 1, "List with an epoch-ms expirationDate")
	assert.True(t, page[0].ExpirationDate.Equal(ctSeedExpiry), "List with an epoch-ms expirationDate = %+v", page)
}

func TestClientRefreshWithoutExpirationDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		body   string
	}{{200, `{}`}, {200, `{"expirationDate":null}`}, {204, ``}, {200, `<html>login</html>`}} {
		j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { ctReply(w, tc.status, tc.body) })
		exp, err := ctClient(t, j.URL, WithHTTPClient(j.Client())).Refresh(t.Context(), 1)
		assert.ErrorIs(t, err, ErrUnexpectedResponse, "%d %q", tc.status, tc.body)
		assert.True(t, exp.IsZero(), "%d %q: Refresh = %v; want zero time", tc.status, tc.body, exp)
	}
}

func TestClientRegisterPartial(t *testing.T) {
	t.Parallel()
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		ctReply(w, 200, `{"webhookRegistrationResult":[{"createdWebhookId":42},{"errors":["The clause watchCount is unsupported","Invalid JQL"]}]}`)
	})
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	regs, err := c.Register(t.Context(), "https://app.example.com/hook",
		Details{Events: []EventName{IssueCreated}, JQLFilter: "project = A"},
		Details{Events: []EventName{"sprint_started"}, JQLFilter: "watchCount > 1"},
	)
	require.NoError(t, err)
	want := []Registration{{ID: 42}, {Errors: []string{"The clause watchCount is unsupported", "Invalid JQL"}}}
	assert.Equal(t, want, regs, "Register")
	// Unknown and new event names are sent as given.
	reqs := j.requests()
	require.Len(t, reqs, 1)
	ctSameJSON(t, "Register", reqs[0].Body, `{"url":"https://app.example.com/hook","webhooks":[
		{"events":["jira:issue_created"],"jqlFilter":"project = A"},
		{"events":["sprint_started"],"jqlFilter":"watchCount > 1"}]}`)
}

func TestClientRegisterOddAnswers(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { ctReply(w, 200, tc.body) })
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
			hooks := make([]Details, tc.hooks)
			for i := range hooks {
				hooks[i] = Details{Events: []EventName{IssueCreated}, JQLFilter: "project = A"}
			}
			regs, err := c.Register(t.Context(), "https://app.example.com/hook", hooks...)
			if tc.wantErr == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.wantErr)
			}
			assert.Equal(t, tc.want, regs)
			if err == nil {
				assert.NotNil(t, regs, "nil result with nil error")
			}
		})
	}
}

func TestClientRefusesBadCallsWithoutRequest(t *testing.T) {
	t.Parallel()
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { ctReply(w, 500, `{}`) })
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	var nc *Client
	for _, tc := range []struct {
		name string
		call func(t *testing.T, ctx context.Context) error
		want error // nil: any error
	}{
		{"Register()", func(t *testing.T, ctx context.Context) error {
			regs, err := c.Register(ctx, "https://app.example.com/hook")
			assert.Nil(t, regs)
			return err
		}, ErrNoWebhooks},
		{"Register with an empty URL", func(t *testing.T, ctx context.Context) error {
			_, err := c.Register(ctx, " ", Details{Events: []EventName{IssueCreated}})
			return err
		}, nil},
		{"Refresh()", func(t *testing.T, ctx context.Context) error {
			exp, err := c.Refresh(ctx)
			assert.True(t, exp.IsZero(), "Refresh() = %v, want the zero time", exp)
			return err
		}, ErrNoIDs},
		{"Delete()", func(t *testing.T, ctx context.Context) error { return c.Delete(ctx) }, ErrNoIDs},
		{"Refresh(5, 0)", func(t *testing.T, ctx context.Context) error { _, err := c.Refresh(ctx, 5, 0); return err }, ErrInvalidID},
		{"Delete(-1)", func(t *testing.T, ctx context.Context) error { return c.Delete(ctx, -1) }, ErrInvalidID},
		{"List with a negative MaxResults", func(t *testing.T, ctx context.Context) error {
			_, err := c.List(&ListOptions{MaxResults: -1}).Next(ctx)
			return err
		}, nil},
		{"List with a negative StartAt", func(t *testing.T, ctx context.Context) error {
			_, err := c.List(&ListOptions{StartAt: -1}).Next(ctx)
			return err
		}, nil},
		{"ListFailed with a negative MaxResults", func(t *testing.T, ctx context.Context) error {
			_, err := c.ListFailed(&FailedOptions{MaxResults: -1}).Next(ctx)
			return err
		}, nil},
		{"nil Client Register", func(t *testing.T, ctx context.Context) error {
			_, err := nc.Register(ctx, "u", Details{})
			return err
		}, nil},
		{"nil Client Refresh", func(t *testing.T, ctx context.Context) error { _, err := nc.Refresh(ctx, 1); return err }, nil},
		{"nil Client Delete", func(t *testing.T, ctx context.Context) error { return nc.Delete(ctx, 1) }, nil},
		{"nil Client List", func(t *testing.T, ctx context.Context) error { _, err := nc.List(nil).Next(ctx); return err }, nil},
		{"nil Client ListFailed", func(t *testing.T, ctx context.Context) error {
			_, err := nc.ListFailed(nil).Next(ctx)
			return err
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(t, t.Context())
			if tc.want == nil {
				assert.Error(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}
	assert.Empty(t, j.requests(), "requests sent")
}

func TestClientNilContext(t *testing.T) {
	t.Parallel()
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { ctReply(w, 200, ctSeedRefreshResponse) })
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	var ctx context.Context
	_, err := c.Refresh(ctx, 1)
	assert.NoError(t, err, "Refresh(nil ctx)")
}

func TestNewClient(t *testing.T) {
	t.Parallel()
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
			assert.Error(t, err, "NewClient(%q): want an error", tc.base)
			assert.Nil(t, c, "NewClient(%q): want no Client with the error", tc.base)
			continue
		}
		if assert.NoError(t, err, "NewClient(%q)", tc.base) {
			assert.Equal(t, tc.endpoint, c.api.Server+"webhook", "NewClient(%q) endpoint", tc.base)
		}
	}
}

func TestClientUserAgentAndHTTPClientCopy(t *testing.T) {
	t.Parallel()
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { w.WriteHeader(202) })
	hc := j.Client()
	c := ctClient(t, j.URL, WithHTTPClient(hc), WithUserAgent("my-app/1.2"))
	require.NoError(t, c.Delete(t.Context(), 1))
	reqs := j.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "my-app/1.2", reqs[0].Header.Get("User-Agent"), "User-Agent")
	assert.Nil(t, hc.CheckRedirect, "NewClient changed the caller's http.Client")
}

func TestClientAPIErrors(t *testing.T) {
	t.Parallel()
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
				assert.Equal(t, []string{"Invalid request"}, e.ErrorMessages)
				assert.Equal(t, "The URL must start with https", e.Errors["url"])
				assert.Len(t, e.Errors, 2)
			},
			[]string{"400 Bad Request", "Invalid request; url: The URL must start with https; webhooks: At least one webhook is required"}},
		{"403 not an app", 403, http.Header{"X-Arequestid": {"a1b2c3"}}, ctNotAnApp,
			func(t *testing.T, e *APIError) {
				assert.Equal(t, "a1b2c3", e.RequestID)
				assert.ErrorIs(t, e, ErrNotAnApp)
				assert.NotErrorIs(t, e, ErrRateLimited)
			},
			[]string{"403 Forbidden", "Only Connect and OAuth 2.0 apps can use this operation.", "OAuth 2.0 (3LO) or Connect app", "[request id a1b2c3]"}},
		{"403 for another reason", 403, http.Header{"Atl-Traceid": {"t-9"}}, `{"errorMessages":["You do not have permission"]}`,
			func(t *testing.T, e *APIError) {
				assert.NotErrorIs(t, e, ErrNotAnApp)
				assert.Equal(t, "t-9", e.RequestID)
			}, []string{"You do not have permission"}},
		{"gateway 401", 401, nil, `{"code":401,"message":"Unauthorized; scope does not match"}`,
			func(t *testing.T, e *APIError) {
				assert.Equal(t, []string{"Unauthorized; scope does not match"}, e.ErrorMessages)
			}, []string{"401 Unauthorized: Unauthorized; scope does not match"}},
		{"HTML body", 404, nil, "  <html><body>Not here</body></html>\n",
			func(t *testing.T, e *APIError) {
				assert.Equal(t, "<html><body>Not here</body></html>", e.Body)
				assert.Nil(t, e.ErrorMessages)
			}, []string{"404 Not Found: <html>"}},
		{"huge body", 500, nil, long,
			func(t *testing.T, e *APIError) {
				assert.LessOrEqual(t, len(e.Body), clientShownBody+3, "Body bytes")
				assert.True(t, strings.HasPrefix(e.Body, "xxx"), "Body %.20q... does not start with the body", e.Body)
			}, []string{"500 Internal Server Error: xxx"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				ctReply(w, tc.status, tc.body)
			})
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()), WithRetry(0))
			ctx := t.Context()
			_, regErr := c.Register(ctx, "https://a.example/h", Details{Events: []EventName{IssueCreated}, JQLFilter: "project = A"})
			_, listErr := c.List(nil).Next(ctx)
			_, failErr := c.ListFailed(nil).Next(ctx)
			_, refErr := c.Refresh(ctx, 1)
			delErr := c.Delete(ctx, 1)
			for i, err := range []error{regErr, listErr, failErr, refErr, delErr} {
				var e *APIError
				require.ErrorAs(t, err, &e, "call %d", i)
				assert.Equal(t, tc.status, e.StatusCode, "StatusCode")
				tc.check(t, e)
				for _, s := range tc.contains {
					assert.Contains(t, e.Error(), s)
				}
			}
			var e *APIError
			require.ErrorAs(t, regErr, &e)
			assert.Equal(t, "POST", e.Method, "Method")
			assert.Equal(t, "/rest/api/3/webhook", e.Path, "Path")
		})
	}
}

func TestClientRetryAfter(t *testing.T) {
	t.Parallel()
	for _, status := range []int{429, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					ctReply(w, status, `{"errorMessages":["slow down"]}`)
					return
				}
				ctReply(w, 200, ctSeedListResponse)
			})
			s := testclock.New(testEpoch)
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()), WithClock(s))
			page, err := c.List(nil).Next(t.Context())
			require.NoError(t, err, "List")
			require.Len(t, page, 3, "List")
			assert.Equal(t, []time.Duration{time.Second}, s.Waits(), "waits")
			assert.Len(t, j.requests(), 2, "requests")
		})
	}
}

func TestClientRetriesIdempotentCalls(t *testing.T) {
	t.Parallel()
	calls := map[string]func(ctx context.Context, c *Client) error{
		"List": func(ctx context.Context, c *Client) error { _, err := c.List(nil).Next(ctx); return err },
		"ListFailed": func(ctx context.Context, c *Client) error {
			_, err := c.ListFailed(nil).Next(ctx)
			return err
		},
		"Refresh": func(ctx context.Context, c *Client) error { _, err := c.Refresh(ctx, 1); return err },
		"Delete":  func(ctx context.Context, c *Client) error { return c.Delete(ctx, 1) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Always rate limited, without Retry-After: 4 backoff waits, then
			// the last answer.
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
				ctReply(w, 429, `{"errorMessages":["Rate limit exceeded"]}`)
			})
			s := testclock.New(testEpoch)
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()), WithClock(s), WithBackoff(100*time.Millisecond, time.Second))
			err := call(t.Context(), c)
			var e *APIError
			require.ErrorAs(t, err, &e, "want the 429 APIError")
			require.Equal(t, 429, e.StatusCode, "want the 429 APIError")
			require.ErrorIs(t, err, ErrRateLimited)
			assert.Len(t, j.requests(), 5, "requests, want 1 + 4 retries")
			waits := s.Waits()
			bounds := []time.Duration{100, 200, 400, 800}
			require.Len(t, waits, len(bounds), "waits")
			for i, d := range waits {
				hi := bounds[i] * time.Millisecond
				assert.GreaterOrEqual(t, d, hi/2, "wait %d, want jittered in [%v, %v)", i, hi/2, hi)
				assert.Less(t, d, hi, "wait %d, want jittered in [%v, %v)", i, hi/2, hi)
			}
		})
	}
}

func TestClientRetryLimitsAndStatuses(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				ctReply(w, tc.status, `{}`)
			})
			s := testclock.New(testEpoch)
			c := ctClient(t, j.URL, append([]ClientOption{WithHTTPClient(j.Client()), WithClock(s)}, tc.opts...)...)
			_, err := c.Refresh(t.Context(), 1)
			var e *APIError
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.status, e.StatusCode, "err = %v", err)
			assert.Len(t, j.requests(), tc.requests, "requests")
			if tc.header == "3600" {
				assert.Equal(t, time.Hour, e.RetryAfter, "RetryAfter")
			}
		})
	}
}

func TestClientNeverRetriesRegister(t *testing.T) {
	t.Parallel()
	for _, status := range []int{429, 502, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Retry-After", "1")
				ctReply(w, status, `{}`)
			})
			s := testclock.New(testEpoch)
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()), WithClock(s))
			regs, err := c.Register(t.Context(), "https://a.example/h", Details{Events: []EventName{IssueCreated}, JQLFilter: "project = A"})
			var e *APIError
			if assert.ErrorAs(t, err, &e, "Register") {
				assert.Equal(t, status, e.StatusCode, "Register")
			}
			assert.Nil(t, regs, "Register")
			assert.Len(t, j.requests(), 1, "requests")
			assert.Empty(t, s.Waits(), "waits")
		})
	}
	t.Run("dead connection", func(t *testing.T) {
		t.Parallel()
		// The connection dies after Jira read the request: it may have
		// registered the webhooks, so no second try.
		j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		s := testclock.New(testEpoch)
		c := ctClient(t, j.URL, WithHTTPClient(j.Client()), WithClock(s))
		_, err := c.Register(t.Context(), "https://a.example/h", Details{Events: []EventName{IssueCreated}, JQLFilter: "project = A"})
		assert.Error(t, err, "Register over a dead connection")
		assert.Len(t, j.requests(), 1, "requests")
		assert.Empty(t, s.Waits(), "waits")
		// The same failure is retried for an idempotent call.
		j2 := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
				return
			}
			w.WriteHeader(202)
		})
		c = ctClient(t, j2.URL, WithHTTPClient(j2.Client()), WithClock(s))
		assert.NoError(t, c.Delete(t.Context(), 1), "Delete over a dead connection")
		assert.Len(t, j2.requests(), 2, "Delete over a dead connection: want a retry")
	})
}

func TestClientCancelDuringWait(t *testing.T) {
	t.Parallel()
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "30")
		ctReply(w, 429, `{}`)
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var asked time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		asked = d
		go cancel()                // the caller gives up while we wait
		return retry.Sleep(ctx, d) // the real wait: returns when ctx is done
	}
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()), withSleep(sleep))
	_, err := c.Refresh(ctx, 1)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 30*time.Second, asked, "asked to wait")
	assert.Len(t, j.requests(), 1, "requests")

	// Already canceled: nothing is sent.
	j2 := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) { ctReply(w, 200, ctSeedRefreshResponse) })
	c = ctClient(t, j2.URL, WithHTTPClient(j2.Client()))
	_, err = c.Refresh(ctx, 1)
	assert.ErrorIs(t, err, context.Canceled, "canceled Refresh")
	assert.Empty(t, j2.requests(), "canceled Refresh sent requests")
}

func TestClientRedirects(t *testing.T) {
	t.Parallel()
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
	page, err := c.List(nil).Next(t.Context())
	if assert.NoError(t, err, "same-site redirect") {
		assert.Len(t, page, 3, "same-site redirect")
	}
	_, err = c.List(nil).Next(t.Context())
	assert.ErrorIs(t, err, ErrForeignURL, "foreign redirect")
	assert.Empty(t, foreign.requests(), "the foreign host got requests")
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

// ctQueries returns the query strings of the requests j saw.
func ctQueries(j *ctJira) []string {
	var queries []string
	for _, r := range j.requests() {
		queries = append(queries, r.Query)
	}
	return queries
}

func TestClientListPages(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
			j := ctListServer(t, tc.n, tc.cap, tc.noIsLast)
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
			opts := *tc.opts
			p := c.List(&opts)
			require.Empty(t, j.requests(), "List sent a request before Next")
			opts.MaxResults = 1 // later changes do not reach the Pager
			var ids []int64
			for w, err := range p.All(t.Context()) {
				require.NoError(t, err)
				assert.Equal(t, []EventName{IssueCreated, "jira:future_event"}, w.Events, "webhook %d", w.ID)
				assert.True(t, w.ExpirationDate.Equal(ctSeedExpiry), "webhook %+v", w)
				ids = append(ids, w.ID)
			}
			var want []int64
			for i := int(tc.opts.StartAt); i < tc.n; i++ {
				want = append(want, int64(10000+i))
			}
			assert.Equal(t, want, ids, "ids")
			assert.Equal(t, tc.queries, ctQueries(j), "queries")
			// The Pager neither writes to the caller's options nor keeps
			// a reference to them.
			wantOpts := *tc.opts
			wantOpts.MaxResults = 1
			assert.Equal(t, wantOpts, opts, "the options were changed")
		})
	}
}

func TestClientListAllStopsAfterError(t *testing.T) {
	t.Parallel()
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
	for w, err := range c.List(&ListOptions{MaxResults: 1}).All(t.Context()) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, w.ID)
	}
	assert.Equal(t, []int64{1}, ids, "ids")
	require.Len(t, errs, 1, "errors")
	var e *APIError
	require.ErrorAs(t, errs[0], &e)
	assert.Equal(t, 400, e.StatusCode)
	assert.Len(t, j.requests(), 2, "requests")
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
	for f, err := range p.All(t.Context()) {
		if err != nil {
			return ids, err
		}
		ids = append(ids, f.ID)
	}
	return ids, nil
}

func TestClientListFailedPages(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
			j := ctFailedServer(t, tc.times, tc.next)
			c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
			opts := &FailedOptions{MaxResults: tc.max}
			p := c.ListFailed(opts)
			require.Empty(t, j.requests(), "ListFailed sent a request before Next")
			ids, err := ctFailedIDs(t, p)
			require.NoError(t, err)
			assert.Equal(t, tc.want, ids, "ids")
			for _, r := range j.requests() {
				assert.Equal(t, "/rest/api/3/webhook/failed", r.Path, "path")
			}
			assert.Equal(t, tc.queries, ctQueries(j), "queries")
			assert.Equal(t, FailedOptions{MaxResults: tc.max}, *opts, "options changed")
		})
	}
}

func TestClientListFailedResume(t *testing.T) {
	t.Parallel()
	times := []int64{10, 20, 30, 40, 50}
	j := ctFailedServer(t, times[:3], func(base string, after int64, max int) string {
		return fmt.Sprintf("%s/rest/api/3/webhook/failed?failedAfter=%d&maxResults=%d", base, after, max)
	})
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	p := c.ListFailed(&FailedOptions{MaxResults: 2})
	ids, err := ctFailedIDs(t, p)
	require.NoError(t, err, "first walk")
	require.Equal(t, []string{"d0", "d1", "d2"}, ids, "first walk")
	saved := p.Cursor()
	require.Equal(t, j.URL+"/rest/api/3/webhook/failed?failedAfter=30&maxResults=2", saved, "Cursor")
	// Nothing new yet: the saved cursor answers an empty page and stays.
	q := c.ListFailed(&FailedOptions{Cursor: saved})
	ids, err = ctFailedIDs(t, q)
	assert.NoError(t, err, "poll with nothing new")
	assert.Empty(t, ids, "poll with nothing new")
	assert.Equal(t, saved, q.Cursor(), "poll with nothing new: cursor")
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
		assert.NoError(t, err, "resume from %q", cur)
		assert.Equal(t, []string{"d3", "d4"}, ids, "resume from %q", cur)
	}
}

func TestClientListFailedRefusesForeignNext(t *testing.T) {
	t.Parallel()
	foreign := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		ctReply(w, 200, `{"values":[],"maxResults":2}`)
	})
	// The subtests share foreign, which must see no request from any of
	// them, so they run one after the other.
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
			assert.ErrorIs(t, err, ErrForeignURL)
			assert.Equal(t, []string{"d0", "d1"}, ids, "ids before the error")
			assert.Len(t, j.requests(), 1, "requests to the site")
			assert.Empty(t, foreign.requests(), "requests to the foreign host")
		})
	}
	// A saved cursor is checked the same way.
	c := ctClient(t, foreign.URL+"/jira")
	_, err := c.ListFailed(&FailedOptions{Cursor: "https://evil.example/rest/api/3/webhook/failed"}).Next(t.Context())
	assert.ErrorIs(t, err, ErrForeignURL, "foreign saved cursor")
	_, err = c.ListFailed(&FailedOptions{Cursor: "http://[::1"}).Next(t.Context())
	assert.Error(t, err, "malformed cursor")
}

func TestClientListFailedRepeatedCursor(t *testing.T) {
	t.Parallel()
	j := ctServe(t, func(w http.ResponseWriter, r *http.Request, n int) {
		// Always the same full page, pointing at itself.
		ctReply(w, 200, `{"values":[{"id":"a","url":"u","failureTime":1573118132001},{"id":"b","url":"u","failureTime":1573118132002}],"maxResults":2,"next":"?failedAfter=0&maxResults=2"}`)
	})
	c := ctClient(t, j.URL, WithHTTPClient(j.Client()))
	ids, err := ctFailedIDs(t, c.ListFailed(&FailedOptions{MaxResults: 2}))
	require.ErrorIs(t, err, pagination.ErrRepeatedCursor)
	assert.Len(t, ids, 4, "items")
	assert.Len(t, j.requests(), 2, "requests")
}

func TestResolveFailedCursor(t *testing.T) {
	t.Parallel()
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
			assert.ErrorIs(t, err, ErrForeignURL, "%q resolved to %q", tc.cursor, got)
			continue
		}
		if assert.NoError(t, err, "%q", tc.cursor) {
			assert.Equal(t, tc.want, got, "%q", tc.cursor)
		}
	}
}

// TestListEndsOnPermanentErrors checks that a walk ends on an answer no
// retry of the page can mend (a 403), so that a loop on More that skips
// errors stops, while a 503 leaves the page to be asked again.
func TestListEndsOnPermanentErrors(t *testing.T) {
	t.Parallel()
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
				_, err := p.Next(t.Context())
				return p.More(), err
			},
			"ListFailed": func() (bool, error) {
				p := c.ListFailed(nil)
				_, err := p.Next(t.Context())
				return p.More(), err
			},
		} {
			got, err := more()
			var e *APIError
			if assert.ErrorAs(t, err, &e, "%s, %d: want the APIError", name, tc.status) {
				assert.Equal(t, tc.status, e.StatusCode, "%s, %d: StatusCode", name, tc.status)
			}
			assert.Equal(t, tc.wantMore, got, "%s, %d: More after the error", name, tc.status)
		}
	}
}
