package jiratest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/jiratime"
	"github.com/jirahooks/jirahooks/internal/qsh"
	"github.com/jirahooks/jirahooks/jiratest"
)

func wantErrors(t *testing.T, b []byte, msg string) {
	t.Helper()
	var ec struct {
		ErrorMessages []string `json:"errorMessages"`
	}
	require.NoError(t, json.Unmarshal(b, &ec), "body %s, want errorMessages with %q", b, msg)
	require.Contains(t, ec.ErrorMessages, msg, "body %s", b)
}

// status makes req with c and returns the status, closing the body.
func status(t *testing.T, c *http.Client, req *http.Request) int {
	t.Helper()
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer()
	defer srv.Close()
	oauth := srv.AddOAuthApp("oauth-client", []byte("client-secret"))
	conn := srv.AddConnectApp("com.example.app", []byte("shared-secret"))
	srv.AddUser("dev@example.com", "tok")
	srv.AddAdmin("admin@example.com", "admintok")
	plain := srv.Client()
	u := srv.URL() + "/rest/api/3/webhook"
	get := func(target string) *http.Request {
		req, err := http.NewRequestWithContext(t.Context(), "GET", target, nil)
		require.NoError(t, err)
		return req
	}

	st, _, _ := call(t, plain, "GET", u, nil)
	assert.Equal(t, 401, st, "anonymous")
	for _, who := range [][2]string{{"dev@example.com", "tok"}, {"admin@example.com", "admintok"}} {
		req := get(u)
		req.SetBasicAuth(who[0], who[1])
		resp, err := plain.Do(req)
		require.NoError(t, err)
		var ec struct{ ErrorMessages []string }
		_ = json.NewDecoder(resp.Body).Decode(&ec)
		resp.Body.Close()
		assert.Equal(t, 403, resp.StatusCode, "basic auth %s", who[0])
		assert.Equal(t, []string{"Only Connect and OAuth 2.0 apps can use this operation."}, ec.ErrorMessages, "basic auth %s: want Jira's message", who[0])
	}
	req := get(u)
	req.SetBasicAuth("dev@example.com", "wrong")
	assert.Equal(t, 401, status(t, plain, req), "wrong basic password")
	req = get(u)
	req.Header.Set("Authorization", "Bearer not-a-token")
	assert.Equal(t, 401, status(t, plain, req), "unknown bearer token")
	// A hand-made bearer request with the app's token.
	req = get(u)
	req.Header.Set("Authorization", "Bearer "+oauth.Token())
	assert.Equal(t, 200, status(t, plain, req), "bearer token")
	st, _, b := call(t, conn.HTTPClient(), "GET", u+"?startAt=0&maxResults=5", nil)
	assert.Equal(t, 200, st, "Connect app: %s", b)
	// Connect JWTs signed independently: good, wrong qsh, wrong secret, expired.
	sign := func(secret, iss, q string, exp time.Time) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"iss": iss, "iat": time.Now().Unix(), "exp": exp.Unix(), "qsh": q,
		}).SignedString([]byte(secret))
		require.NoError(t, err)
		return tok
	}
	good := qsh.Hash("GET", "/rest/api/2/webhook", url.Values{"maxResults": {"3"}})
	later := time.Now().Add(time.Minute)
	for _, c := range []struct {
		name string
		tok  string
		want int
	}{
		{"good", sign("shared-secret", "com.example.app", good, later), 200},
		{"wrong qsh", sign("shared-secret", "com.example.app", qsh.Hash("GET", "/rest/api/2/webhook", nil), later), 401},
		{"context qsh", sign("shared-secret", "com.example.app", qsh.ContextQSH, later), 401},
		{"wrong secret", sign("other", "com.example.app", good, later), 401},
		{"unknown app", sign("shared-secret", "com.example.other", good, later), 401},
		{"expired", sign("shared-secret", "com.example.app", good, time.Now().Add(-time.Hour)), 401},
	} {
		req := get(srv.URL() + "/rest/api/2/webhook?maxResults=3")
		req.Header.Set("Authorization", "JWT "+c.tok)
		assert.Equal(t, c.want, status(t, plain, req), "Connect JWT %s", c.name)
	}
	// Failed deliveries: Connect apps only.
	st, _, b = call(t, oauth.HTTPClient(), "GET", u+"/failed", nil)
	assert.Equal(t, 403, st, "OAuth app on /webhook/failed")
	wantErrors(t, b, "Only Connect apps can use this operation.")
	st, _, _ = call(t, conn.HTTPClient(), "GET", u+"/failed", nil)
	assert.Equal(t, 200, st, "Connect app on /webhook/failed")
	// The request log knows who called.
	var apps []string
	for _, r := range srv.Requests() {
		if r.App != "" {
			apps = append(apps, r.App)
		}
	}
	assert.Contains(t, apps, "oauth-client", "request log apps")
	assert.Contains(t, apps, "com.example.app", "request log apps")
}

func TestRegisterListShapes(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv := jiratest.NewServer(jiratest.WithClock(jiratest.NewClock(start)))
	defer srv.Close()
	app := srv.AddOAuthApp("c1", []byte("s"))
	res := register(t, srv, app, "https://app.example.com/hook",
		hookDetails{"events": []string{"jira:issue_created", "jira:issue_updated"}, "jqlFilter": "project = PROJ", "fieldIdsFilter": []string{"summary", "customfield_10029"}},
		details("watchCount > 1", "jira:issue_created"),
		details("project IN (PROJ, EXP) AND status = done", "jira:issue_deleted"),
		hookDetails{"events": []string{"issue_property_set"}, "jqlFilter": "project = PROJ", "issuePropertyKeysFilter": []string{"my-issue-property-key"}},
	)
	r := res.WebhookRegistrationResult
	require.Len(t, r, 4, "results = %+v", r)
	for i, created := range []bool{true, false, true, true} {
		require.Equal(t, created, r[i].CreatedWebhookID != nil, "result %d = %+v", i, r[i])
	}
	assert.Equal(t, []string{"The clause watchCount is unsupported"}, r[1].Errors)
	assert.True(t, *r[0].CreatedWebhookID < *r[2].CreatedWebhookID && *r[2].CreatedWebhookID < *r[3].CreatedWebhookID,
		"ids not increasing: %d %d %d", *r[0].CreatedWebhookID, *r[2].CreatedWebhookID, *r[3].CreatedWebhookID)
	// The raw answer has exactly Jira's shape.
	st, _, raw := call(t, app.HTTPClient(), "POST", srv.URL()+"/rest/api/2/webhook",
		map[string]any{"url": "https://app.example.com/hook", "webhooks": []any{details("text ~ x", "jira:issue_created")}})
	assert.Equal(t, 200, st, "raw answer %s", raw)
	assert.Equal(t, `{"webhookRegistrationResult":[{"errors":["The clause text is unsupported"]}]}`, string(raw), "raw answer")

	st, _, b := call(t, app.HTTPClient(), "GET", srv.URL()+"/rest/api/3/webhook", nil)
	require.Equal(t, 200, st, "list: %s", b)
	raws := decode[map[string]json.RawMessage](t, b)
	var vals []map[string]json.RawMessage
	_ = json.Unmarshal(raws["values"], &vals)
	require.Len(t, vals, 3, "values = %s", raws["values"])
	assert.Equal(t, `"2026-03-31T12:00:00.000+0000"`, string(vals[0]["expirationDate"]), "expirationDate: want Jira's string 30 days on")
	for field, want := range map[string]string{
		"url":            `"https://app.example.com/hook"`,
		"jqlFilter":      `"project = PROJ"`,
		"fieldIdsFilter": `["summary","customfield_10029"]`,
		"events":         `["jira:issue_created","jira:issue_updated"]`,
	} {
		assert.Equal(t, want, string(vals[0][field]), "first webhook's %s", field)
	}
	assert.NotContains(t, vals[1], "fieldIdsFilter", "absent filter should be omitted")
	assert.Equal(t, `["my-issue-property-key"]`, string(vals[2]["issuePropertyKeysFilter"]), "third webhook")
	p := decode[page](t, b)
	assert.True(t, p.IsLast, "page = %+v", p)
	assert.Equal(t, int64(3), p.Total, "page = %+v", p)
	assert.Zero(t, p.StartAt, "page = %+v", p)
	assert.Equal(t, 100, p.MaxResults, "page = %+v", p)
	assert.Empty(t, p.NextPage, "page = %+v", p)
	assert.Equal(t, srv.URL()+"/rest/api/3/webhook?maxResults=100&startAt=0", p.Self, "page's self")
	got := srv.Webhooks(app)
	if assert.Len(t, got, 3, "Webhooks = %+v", got) {
		assert.Equal(t, "c1", got[0].App, "Webhooks = %+v", got)
		assert.True(t, got[0].ExpirationDate.Equal(start.Add(30*24*time.Hour)), "Webhooks = %+v", got)
	}
}

func TestRegistrationErrors(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer(jiratest.WithKnownEvents("jira:issue_created", "jira:issue_updated"))
	defer srv.Close()
	app := srv.AddOAuthApp("c1", []byte("s"))
	c := app.HTTPClient()
	u := srv.URL() + "/rest/api/3/webhook"
	res := register(t, srv, app, "https://a.example.com/h",
		details("", "jira:issue_created"),
		hookDetails{"events": []string{"jira:issue_created"}},
		details("project = A", "sprint_started"),
		details("project = A"),
		details("project = A ORDER BY created", "jira:issue_created"),
		details("assignee = currentUser()", "jira:issue_created"),
		details("project = \"A", "jira:issue_created"),
		details("project = A OR issuetype = Bug", "jira:issue_updated"),
	)
	want := [][]string{
		{"The JQL filter is required."},
		{"The JQL filter is required."},
		{"The event sprint_started is not supported."},
		{"At least one event is required."},
		{"The ORDER BY clause is unsupported"},
		{"The function currentUser is unsupported"},
		nil,
		nil,
	}
	require.Len(t, res.WebhookRegistrationResult, len(want))
	for i, w := range want {
		got := res.WebhookRegistrationResult[i]
		switch {
		case i == 6:
			if assert.Len(t, got.Errors, 1, "item %d errors %q", i, got.Errors) {
				assert.True(t, strings.HasPrefix(got.Errors[0], "Error in the JQL Query"), "item %d errors %q", i, got.Errors)
			}
		case w == nil:
			assert.NotNil(t, got.CreatedWebhookID, "item %d refused: %q", i, got.Errors)
		default:
			assert.Nil(t, got.CreatedWebhookID, "item %d created", i)
			assert.Equal(t, w, got.Errors, "item %d errors", i)
		}
	}
	// Whole-request errors: 400 with an ErrorCollection, nothing registered.
	before := len(srv.Webhooks(nil))
	for _, body := range []any{
		"{not json",
		"",
		`{"url": "https://a.example.com/h"}`,
		`{"webhooks": []}`,
		`{"url": 7, "webhooks": []}`,
		`{"url": "ftp://a.example.com/h", "webhooks": []}`,
		`{"url": "https://a.example.com/h", "webhooks": [{"events": "jira:issue_created", "jqlFilter": "project = A"}]}`,
		`[1,2]`,
	} {
		st, _, b := call(t, c, "POST", u, body)
		if !assert.Equal(t, 400, st, "POST %v: %s", body, b) {
			continue
		}
		assert.NotNil(t, decode[map[string]any](t, b)["errorMessages"], "POST %v: no errorMessages in %s", body, b)
	}
	// Each method on each endpoint; only these two have a status to check,
	// and none may register anything (counted below).
	for _, m := range []string{"PUT", "DELETE"} {
		st, _, b := call(t, c, m, u+"/refresh", `{}`)
		if m == "PUT" {
			assert.Equal(t, 400, st, "refresh without ids: %s", b)
		}
		st, _, _ = call(t, c, m, u, `{"webhookIds": null}`)
		if m == "DELETE" {
			assert.Equal(t, 400, st, "delete with null ids")
		}
	}
	st, _, _ := call(t, c, "PATCH", u, `{}`)
	assert.Equal(t, 405, st, "PATCH")
	assert.Len(t, srv.Webhooks(nil), before, "bad requests registered webhooks")
}

func TestOneURLPerApp(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer()
	defer srv.Close()
	app := srv.AddOAuthApp("c1", []byte("s"))
	other := srv.AddOAuthApp("c2", []byte("s"))
	register(t, srv, app, "https://a.example.com/h", details("project = A", "jira:issue_created"))
	st, _, b := call(t, app.HTTPClient(), "POST", srv.URL()+"/rest/api/3/webhook",
		map[string]any{"url": "https://a.example.com/other", "webhooks": []any{details("project = A", "jira:issue_created")}})
	require.Equal(t, 400, st, "second URL: %s", b)
	wantErrors(t, b, "Only a single URL per app is allowed to be registered.")
	// Another app may use any URL, the same app the same URL.
	ids(t, register(t, srv, other, "https://a.example.com/other", details("project = A", "jira:issue_created")))
	ids(t, register(t, srv, app, "https://a.example.com/h", details("project = B", "jira:issue_created")))
	// Once the app's webhooks are gone (expired), a new URL is fine.
	srv.Advance(jiratest.Lifetime)
	ids(t, register(t, srv, app, "https://a.example.com/new", details("project = A", "jira:issue_created")))

	// A Connect app with a base URL may only register under it.
	conn := srv.AddConnectApp("k", []byte("x"), jiratest.WithBaseURL("https://conn.example.com/app"))
	st, _, b = call(t, conn.HTTPClient(), "POST", srv.URL()+"/rest/api/3/webhook",
		map[string]any{"url": "https://evil.example.com/app/h", "webhooks": []any{details("project = A", "jira:issue_created")}})
	assert.Equal(t, 400, st, "foreign base URL: %s", b)
	ids(t, register(t, srv, conn, "https://conn.example.com/app/hook", details("project = A", "jira:issue_created")))
}

func TestOwnership(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer()
	defer srv.Close()
	a := srv.AddOAuthApp("a", []byte("sa"))
	b := srv.AddConnectApp("b", []byte("sb"))
	aIDs := ids(t, register(t, srv, a, "https://a.example.com/h", details("project = A", "jira:issue_created"), details("project = B", "jira:issue_created")))
	bIDs := ids(t, register(t, srv, b, "https://b.example.com/h", details("project = A", "jira:issue_created")))
	list := func(app *jiratest.App) []int64 {
		st, _, body := call(t, app.HTTPClient(), "GET", srv.URL()+"/rest/api/2/webhook", nil)
		require.Equal(t, 200, st, "list")
		var out []int64
		for _, v := range decode[page](t, body).Values {
			out = append(out, int64(v["id"].(float64)))
		}
		return out
	}
	assert.Equal(t, aIDs, list(a), "a sees")
	assert.Equal(t, bIDs, list(b), "b sees")
	// b deletes and refreshes a's ids: ignored.
	srv.Advance(24 * time.Hour)
	before := srv.Webhooks(a)
	require.Len(t, before, 2)
	st, _, _ := call(t, b.HTTPClient(), "DELETE", srv.URL()+"/rest/api/3/webhook", map[string]any{"webhookIds": aIDs})
	assert.Equal(t, 202, st, "foreign delete")
	st, _, body := call(t, b.HTTPClient(), "PUT", srv.URL()+"/rest/api/3/webhook/refresh", map[string]any{"webhookIds": aIDs})
	assert.Equal(t, 200, st, "foreign refresh: %s", body)
	after := srv.Webhooks(a)
	if assert.Len(t, after, 2, "a's webhooks changed by b: %+v -> %+v", before, after) {
		assert.True(t, after[0].ExpirationDate.Equal(before[0].ExpirationDate), "a's webhooks changed by b: %+v -> %+v", before, after)
	}
	// a deletes its first and an unknown id.
	st, _, body = call(t, a.HTTPClient(), "DELETE", srv.URL()+"/rest/api/3/webhook", map[string]any{"webhookIds": []int64{aIDs[0], 999999, bIDs[0]}})
	assert.Equal(t, 202, st, "delete")
	assert.Empty(t, body, "delete's answer")
	assert.Equal(t, aIDs[1:], list(a), "after delete a sees")
	assert.Equal(t, bIDs, list(b), "after a's delete b sees")
}

func TestExpiryAndRefresh(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := jiratest.NewServer(jiratest.WithClock(jiratest.NewClock(start)))
	defer srv.Close()
	app := srv.AddOAuthApp("c", []byte("s"))
	rc := newReceiver(t, nil)
	hid := ids(t, register(t, srv, app, rc.srv.URL, details("project = PRJ", "jira:issue_created"), details("project = PRJ", "jira:issue_updated")))

	srv.Advance(29 * 24 * time.Hour)
	st, _, b := call(t, app.HTTPClient(), "PUT", srv.URL()+"/rest/api/3/webhook/refresh", map[string]any{"webhookIds": []int64{hid[0], 424242}})
	require.Equal(t, 200, st, "refresh: %s", b)
	wantExp := start.Add(59 * 24 * time.Hour)
	assert.Equal(t, `{"expirationDate":"`+wantExp.Format(jiratime.Layout)+`"}`, string(b), "refresh answer")
	// Day 30: the unrefreshed webhook is gone from lists and deliveries.
	srv.Advance(24*time.Hour - time.Millisecond)
	require.Len(t, srv.Webhooks(app), 2, "1ms before expiry")
	srv.Advance(time.Millisecond)
	got := srv.Webhooks(app)
	require.Len(t, got, 1, "after expiry: %+v", got)
	require.Equal(t, hid[0], got[0].ID, "after expiry: %+v", got)
	require.True(t, got[0].ExpirationDate.Equal(wantExp), "after expiry: %+v", got)
	st, _, b = call(t, app.HTTPClient(), "GET", srv.URL()+"/rest/api/3/webhook", nil)
	p := decode[page](t, b)
	assert.Equal(t, 200, st, "list after expiry")
	assert.Equal(t, int64(1), p.Total, "list after expiry: %+v", p)
	assert.Len(t, p.Values, 1, "list after expiry: %+v", p)
	d := srv.Emit(jiratest.IssueEvent("jira:issue_updated", jiratest.Issue{Key: "PRJ-1"}))
	assert.Empty(t, d, "expired webhook got a delivery")
	assert.Zero(t, rc.count(), "expired webhook got a delivery")
	d = srv.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-1"}))
	if assert.Len(t, d, 1, "refreshed webhook: %+v", d) {
		assert.True(t, d[0].OK(), "refreshed webhook: %+v", d)
	}
	// Refreshing an expired id does not revive it.
	call(t, app.HTTPClient(), "PUT", srv.URL()+"/rest/api/3/webhook/refresh", map[string]any{"webhookIds": []int64{hid[1]}})
	assert.Len(t, srv.Webhooks(app), 1, "expired webhook revived")
	srv.Advance(30 * 24 * time.Hour)
	assert.Empty(t, srv.Webhooks(nil), "all should have expired")
}

func TestOffsetPages(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer(jiratest.WithMaxResults(100))
	defer srv.Close()
	app := srv.AddConnectApp("k", []byte("s"))
	var hooks []hookDetails
	for i := range 250 {
		hooks = append(hooks, details(fmt.Sprintf("issueKey = PRJ-%d", i), "jira:issue_created"))
	}
	all := ids(t, register(t, srv, app, "https://a.example.com/h", hooks...))
	c := app.HTTPClient()

	var seen []int64
	next := srv.URL() + "/rest/api/3/webhook?maxResults=1000"
	var sizes []int
	for pages := 0; next != ""; pages++ {
		require.LessOrEqual(t, pages, 10, "too many pages")
		st, _, b := call(t, c, "GET", next, nil)
		require.Equal(t, 200, st, "GET %s: %s", next, b)
		p := decode[page](t, b)
		assert.Equal(t, 100, p.MaxResults, "page %d: %+v", pages, p)
		assert.Equal(t, int64(250), p.Total, "page %d: %+v", pages, p)
		assert.Equal(t, int64(len(seen)), p.StartAt, "page %d: %+v", pages, p)
		if pages == 0 {
			assert.Equal(t, srv.URL()+"/rest/api/3/webhook?maxResults=100&startAt=0", p.Self, "self for %s", next)
		}
		for _, v := range p.Values {
			seen = append(seen, int64(v["id"].(float64)))
		}
		sizes = append(sizes, len(p.Values))
		assert.Equal(t, p.NextPage == "", p.IsLast, "isLast %v with nextPage %q", p.IsLast, p.NextPage)
		next = p.NextPage
	}
	assert.Equal(t, []int{100, 100, 50}, sizes, "page sizes")
	assert.Equal(t, all, seen, "ids over the pages")
	// Edge cases.
	for _, c2 := range []struct {
		q          string
		status     int
		n          int
		last       bool
		maxResults int
	}{
		{"startAt=250", 200, 0, true, 100},
		{"startAt=1000", 200, 0, true, 100},
		{"startAt=249&maxResults=5", 200, 1, true, 5},
		{"startAt=0&maxResults=250", 200, 100, false, 100},
		{"maxResults=0", 200, 0, false, 0},
		{"startAt=-1", 400, 0, false, 0},
		{"maxResults=abc", 400, 0, false, 0},
		{"maxResults=-3", 400, 0, false, 0},
	} {
		st, _, b := call(t, c, "GET", srv.URL()+"/rest/api/2/webhook?"+c2.q, nil)
		if !assert.Equal(t, c2.status, st, "%s: %s", c2.q, b) {
			continue
		}
		if st != 200 {
			wantErrorsAny(t, b)
			continue
		}
		p := decode[page](t, b)
		assert.Len(t, p.Values, c2.n, "%s: values", c2.q)
		assert.Equal(t, c2.last, p.IsLast, "%s: isLast", c2.q)
		assert.Equal(t, c2.maxResults, p.MaxResults, "%s: maxResults", c2.q)
		assert.True(t, strings.HasPrefix(p.Self, srv.URL()+"/rest/api/2/webhook?"), "%s: self %s", c2.q, p.Self)
	}
	// An app with no webhooks gets an empty last page.
	other := srv.AddOAuthApp("o", []byte("s"))
	st, _, b := call(t, other.HTTPClient(), "GET", srv.URL()+"/rest/api/3/webhook", nil)
	p := decode[page](t, b)
	assert.Equal(t, 200, st, "empty: %s", b)
	assert.True(t, p.IsLast, "empty: %s", b)
	assert.Zero(t, p.Total, "empty: %s", b)
	assert.Empty(t, p.Values, "empty: %s", b)
}

func wantErrorsAny(t *testing.T, b []byte) {
	t.Helper()
	var ec struct{ ErrorMessages []string }
	if assert.NoError(t, json.Unmarshal(b, &ec), "want an ErrorCollection, got %s", b) {
		assert.NotEmpty(t, ec.ErrorMessages, "want an ErrorCollection, got %s", b)
	}
}
