package jiratest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/qsh"
	"github.com/jirahooks/jirahooks/jiratest"
)

type callback struct {
	Timestamp          int64   `json:"timestamp"`
	WebhookEvent       string  `json:"webhookEvent"`
	IssueEventTypeName string  `json:"issue_event_type_name"`
	MatchedWebhookIDs  []int64 `json:"matchedWebhookIds"`
	User               struct {
		AccountID string `json:"accountId"`
	} `json:"user"`
	Issue struct {
		ID, Key, Self string
		Fields        map[string]any `json:"fields"`
	} `json:"issue"`
	Changelog struct {
		ID    string           `json:"id"`
		Items []map[string]any `json:"items"`
	} `json:"changelog"`
}

func TestDeliveryOAuth(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer()
	defer srv.Close()
	secret := []byte("oauth-client-secret")
	app := srv.AddOAuthApp("client-1", secret)
	rc := newReceiver(t, nil)
	hid := ids(t, register(t, srv, app, rc.srv.URL+"/jira/events",
		details("project = PRJ", "jira:issue_updated"),
		details("project IN (OTHER, PRJ) AND issuetype = Bug", "jira:issue_updated", "jira:issue_created"),
		details("project = OTHER", "jira:issue_updated"),
		details("project = PRJ", "jira:issue_deleted"),
	))
	ev := jiratest.IssueEvent("jira:issue_updated", jiratest.Issue{Key: "PRJ-7", Type: "Bug", Status: "In Progress",
		Assignee: &jiratest.User{AccountID: "acc-1"}}).Change("summary", "old", "new")
	ds := srv.Emit(ev)
	require.Len(t, ds, 1, "deliveries %+v", ds)
	require.True(t, ds[0].OK(), "deliveries %+v", ds)
	require.Zero(t, ds[0].Attempt, "deliveries %+v", ds)
	require.True(t, ds[0].Final, "deliveries %+v", ds)
	require.Equal(t, "client-1", ds[0].App, "deliveries %+v", ds)
	require.Equal(t, 1, rc.count(), "receiver's requests")
	r, body := rc.get(0)
	assert.Equal(t, "POST", r.Method, "request %s %s", r.Method, r.URL)
	assert.Equal(t, "/jira/events", r.URL.Path, "request %s %s", r.Method, r.URL)
	for h, want := range map[string]string{
		"X-Atlassian-Webhook-Identifier": ds[0].ID,
		"X-Atlassian-Webhook-Retry":      "0",
		"X-Atlassian-Webhook-Flow":       "Primary",
		"Content-Type":                   "application/json; charset=utf-8",
	} {
		assert.Equal(t, want, r.Header.Get(h), h)
	}
	// Independent check of the bearer JWT.
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	require.True(t, ok, "Authorization %q", auth)
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	require.NoError(t, err, "bearer JWT")
	require.True(t, parsed.Valid, "bearer JWT")
	_, err = jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte("other"), nil })
	assert.Error(t, err, "JWT verifies with the wrong secret")
	var cb callback
	require.NoError(t, json.Unmarshal(body, &cb))
	assert.Equal(t, hid[:2], cb.MatchedWebhookIDs, "matchedWebhookIds")
	assert.Equal(t, "jira:issue_updated", cb.WebhookEvent, "callback %+v", cb)
	assert.Equal(t, "issue_generic", cb.IssueEventTypeName, "callback %+v", cb)
	assert.Equal(t, "PRJ-7", cb.Issue.Key, "callback %+v", cb)
	assert.Equal(t, "10007", cb.Issue.ID, "callback %+v", cb)
	assert.Equal(t, srv.URL()+"/rest/api/2/issue/10007", cb.Issue.Self, "callback %+v", cb)
	assert.Equal(t, srv.Now().UnixMilli(), cb.Timestamp, "callback %+v", cb)
	assert.NotEmpty(t, cb.Changelog.ID, "changelog %+v", cb.Changelog)
	if assert.Len(t, cb.Changelog.Items, 1, "changelog %+v", cb.Changelog) {
		assert.Equal(t, "summary", cb.Changelog.Items[0]["field"], "changelog %+v", cb.Changelog)
		assert.Equal(t, "new", cb.Changelog.Items[0]["toString"], "changelog %+v", cb.Changelog)
	}
	f := cb.Issue.Fields
	for _, c := range []struct{ field, key, want string }{
		{"project", "key", "PRJ"},
		{"issuetype", "name", "Bug"},
		{"status", "name", "In Progress"},
		{"assignee", "accountId", "acc-1"},
	} {
		obj, _ := f[c.field].(map[string]any)
		assert.Equal(t, c.want, obj[c.key], "fields.%s.%s in %v", c.field, c.key, f)
	}
	assert.Contains(t, f, "customfield_10029")
	created, _ := f["created"].(string)
	assert.True(t, strings.HasSuffix(created, "+0000"), "created %q", created)
	// A non-matching event makes no delivery.
	assert.Empty(t, srv.Emit(jiratest.IssueEvent("jira:issue_updated", jiratest.Issue{Key: "NOPE-1"})), "unmatched event delivered")
	assert.Len(t, srv.Deliveries(), 1, "Deliveries()")
}

func TestDeliveryConnect(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer()
	defer srv.Close()
	shared := []byte("connect-shared-secret")
	app := srv.AddConnectApp("com.example.connect", shared, jiratest.WithClientKey("client-key-123"))
	rc := newReceiver(t, nil)
	ids(t, register(t, srv, app, rc.srv.URL+"/hooks/jira?tenant=a%20b&x=1", details("issuetype != Bug", "comment_created")))
	ds := srv.Emit(jiratest.CommentEvent("comment_created", jiratest.Issue{Key: "ABC-3", Type: "Story"}, jiratest.Comment{Body: "hello"}))
	require.Len(t, ds, 1, "deliveries %+v", ds)
	require.True(t, ds[0].OK(), "deliveries %+v", ds)
	r, body := rc.get(0)
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "JWT ")
	require.True(t, ok, "Authorization %q", r.Header.Get("Authorization"))
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return shared, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithIssuer("client-key-123"))
	require.NoError(t, err, "Connect JWT")
	want := qsh.Hash("POST", r.URL.EscapedPath(), r.URL.Query())
	assert.Equal(t, want, claims["qsh"], "qsh (canonical %s)", qsh.Canonical("POST", r.URL.EscapedPath(), r.URL.Query()))
	assert.Equal(t, "client-key-123", app.ClientKey(), "ClientKey")
	var cb map[string]any
	_ = json.Unmarshal(body, &cb)
	c, _ := cb["comment"].(map[string]any)
	is, _ := cb["issue"].(map[string]any)
	assert.Equal(t, "comment_created", cb["webhookEvent"], "comment callback %s", body)
	assert.Equal(t, "hello", c["body"], "comment callback %s", body)
	assert.NotEqual(t, "", c["id"], "comment callback %s", body)
	assert.Equal(t, "ABC-3", is["key"], "comment callback %s", body)
	a, _ := c["author"].(map[string]any)
	assert.NotEqual(t, "", a["accountId"], "comment author %v", c["author"])

	// With a base URL that has a path, the qsh covers the path relative to it.
	ctxApp := srv.AddConnectApp("com.example.ctx", shared, jiratest.WithBaseURL(rc.srv.URL+"/ctx"))
	ids(t, register(t, srv, ctxApp, rc.srv.URL+"/ctx/hook?x=1", details("project = ABC", "comment_created")))
	before := rc.count()
	srv.Emit(jiratest.CommentEvent("comment_created", jiratest.Issue{Key: "ABC-4"}, jiratest.Comment{Body: "again"}))
	var ctxReq *http.Request
	for i := before; i < rc.count(); i++ {
		if r, _ := rc.get(i); r.URL.Path == "/ctx/hook" {
			ctxReq = r
		}
	}
	require.NotNil(t, ctxReq, "no delivery under the context path")
	tok, _ = strings.CutPrefix(ctxReq.Header.Get("Authorization"), "JWT ")
	claims = jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return shared, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(ctxApp.ClientKey()))
	require.NoError(t, err)
	assert.Equal(t, qsh.Hash("POST", "/hook", ctxReq.URL.Query()), claims["qsh"], "qsh under a context path")
}

func TestAdminWebhooks(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer()
	defer srv.Close()
	srv.AddAdmin("admin@example.com", "admin-token")
	srv.AddUser("dev@example.com", "dev-token")
	base := srv.URL() + "/rest/webhooks/1.0/webhook"
	as := func(email, tok string) *http.Client {
		return &http.Client{Transport: basicRT{email, tok}}
	}
	admin := as("admin@example.com", "admin-token")
	rc := newReceiver(t, nil)

	st, _, _ := call(t, srv.Client(), "GET", base, nil)
	assert.Equal(t, 401, st, "anonymous")
	st, _, _ = call(t, as("dev@example.com", "dev-token"), "GET", base, nil)
	assert.Equal(t, 403, st, "non-admin")
	app := srv.AddOAuthApp("c", []byte("s"))
	st, _, _ = call(t, app.HTTPClient(), "GET", base, nil)
	assert.Contains(t, []int{401, 403}, st, "app on admin API")
	st, h, b := call(t, admin, "POST", base, map[string]any{
		"name": "signed", "url": rc.srv.URL + "/admin/${issue.key}", "events": []string{"jira:issue_created", "worklog_created"},
		"filters": map[string]string{"issue-related-events-section": "project = PRJ"}, "excludeBody": false,
		"secret": "It's a Secret to Everybody",
	})
	require.Equal(t, 201, st, "create: %s", b)
	created := decode[map[string]any](t, b)
	self, _ := created["self"].(string)
	assert.Equal(t, self, h.Get("Location"), "created %s", b)
	assert.True(t, strings.HasPrefix(self, base+"/"), "created %s", b)
	assert.Equal(t, "signed", created["name"], "created %s", b)
	assert.NotContains(t, created, "secret", "the secret is shown")
	st, _, b = call(t, admin, "POST", base, map[string]any{"name": "plain", "url": rc.srv.URL + "/plain", "events": []string{"jira:issue_created"}, "excludeBody": true})
	require.Equal(t, 201, st, "create 2: %s", b)
	plainSelf, ok := decode[map[string]any](t, b)["self"].(string)
	require.True(t, ok, "create 2: no self in %s", b)
	for _, bad := range []any{`{"url": "https://x.example.com"}`, `{"name": "n"}`, `{"name": "n", "url": "x"}`, `nope`,
		map[string]any{"name": "n", "url": "https://x.example.com", "filters": map[string]string{"issue-related-events-section": "text ~ x"}}} {
		st, _, b := call(t, admin, "POST", base, bad)
		assert.Equal(t, 400, st, "POST %v: %s", bad, b)
	}
	st, _, b = call(t, admin, "GET", base, nil)
	assert.Equal(t, 200, st, "list %s", b)
	assert.Len(t, decode[[]map[string]any](t, b), 2, "list %s", b)
	srv.Advance(400 * 24 * time.Hour) // admin webhooks never expire
	ds := srv.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-9"}))
	require.Len(t, ds, 2, "deliveries %+v", ds)
	require.True(t, ds[0].OK() && ds[1].OK(), "deliveries %+v", ds)
	var signed, plain int = -1, -1
	for i := range rc.count() {
		r, _ := rc.get(i)
		switch r.URL.Path {
		case "/admin/PRJ-9":
			signed = i
		case "/plain":
			plain = i
		}
	}
	require.True(t, signed >= 0 && plain >= 0, "paths: signed %d plain %d", signed, plain)
	r, body := rc.get(signed)
	mac := hmac.New(sha256.New, []byte("It's a Secret to Everybody"))
	mac.Write(body)
	assert.NotEmpty(t, body, "signed webhook's body")
	assert.Equal(t, "sha256="+hex.EncodeToString(mac.Sum(nil)), r.Header.Get("X-Hub-Signature"), "X-Hub-Signature")
	assert.Empty(t, r.Header.Get("Authorization"), "admin webhook delivery with Authorization")
	r, body = rc.get(plain)
	assert.Empty(t, r.Header.Get("X-Hub-Signature"), "plain webhook's signature")
	assert.Empty(t, body, "plain webhook's body")
	// The filter applies.
	ds = srv.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "OTHER-1"}))
	if assert.Len(t, ds, 1, "filtered deliveries %+v", ds) {
		assert.Equal(t, rc.srv.URL+"/plain", ds[0].URL, "filtered deliveries %+v", ds)
	}
	// Update, read, delete.
	st, _, b = call(t, admin, "PUT", self, map[string]any{"name": "renamed", "events": []string{"jira:issue_deleted"}})
	assert.Equal(t, 200, st, "update %s", b)
	assert.Equal(t, "renamed", decode[map[string]any](t, b)["name"], "update %s", b)
	st, _, b = call(t, admin, "GET", self, nil)
	got := decode[map[string]any](t, b)
	assert.Equal(t, 200, st, "get %s", b)
	assert.Equal(t, "renamed", got["name"], "get %s", b)
	assert.Equal(t, rc.srv.URL+"/admin/${issue.key}", got["url"], "get %s", b)
	st, _, _ = call(t, admin, "DELETE", plainSelf, nil)
	assert.Equal(t, 204, st, "delete")
	st, _, _ = call(t, admin, "GET", plainSelf, nil)
	assert.Equal(t, 404, st, "get deleted")
	hooks := srv.AdminWebhooks()
	if assert.Len(t, hooks, 1, "AdminWebhooks %+v", hooks) {
		assert.Equal(t, "renamed", hooks[0].Name, "AdminWebhooks %+v", hooks)
		assert.True(t, hooks[0].HasSecret, "AdminWebhooks %+v", hooks)
	}
}

type basicRT [2]string

func (b basicRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b[0], b[1])
	return http.DefaultTransport.RoundTrip(r)
}

func TestRetries(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	srv := jiratest.NewServer(jiratest.WithClock(jiratest.NewClock(start)),
		jiratest.WithRetries(3, func(n int) time.Duration { return time.Duration(n) * time.Minute }))
	defer srv.Close()
	app := srv.AddConnectApp("k", []byte("s"))
	// 503, 429, then 200.
	rc := newReceiver(t, func(n int) int { return []int{503, 429, 200, 200}[min(n, 3)] })
	ids(t, register(t, srv, app, rc.srv.URL, details("project = PRJ", "jira:issue_created")))
	ds := srv.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-1"}))
	require.Len(t, ds, 1, "first attempt %+v", ds)
	require.Equal(t, 503, ds[0].Status, "first attempt %+v", ds)
	require.False(t, ds[0].Final, "first attempt %+v", ds)
	require.Equal(t, 1, srv.Pending(), "pending after the first attempt")
	srv.Advance(59 * time.Second)
	require.Equal(t, 1, rc.count(), "retried early")
	srv.Advance(10 * time.Minute) // retry 1 at +1m, retry 2 at +3m
	require.Equal(t, 3, rc.count(), "requests after advance")
	require.Zero(t, srv.Pending(), "pending after advance")
	all := srv.Deliveries()
	require.Len(t, all, 3)
	_, b0 := rc.get(0)
	for i, d := range all {
		r, b := rc.get(i)
		assert.Equal(t, ds[0].ID, d.ID, "attempt %d: %+v", i, d)
		assert.Equal(t, ds[0].ID, r.Header.Get("X-Atlassian-Webhook-Identifier"), "attempt %d", i)
		assert.Equal(t, fmt.Sprint(i), r.Header.Get("X-Atlassian-Webhook-Retry"), "attempt %d: retry header", i)
		assert.Equal(t, i, d.Attempt, "attempt %d: %+v", i, d)
		assert.Equal(t, string(b0), string(b), "attempt %d: body", i)
	}
	assert.True(t, all[1].Time.Equal(start.Add(time.Minute)), "attempt times %v %v", all[1].Time, all[2].Time)
	assert.True(t, all[2].Time.Equal(start.Add(3*time.Minute)), "attempt times %v %v", all[1].Time, all[2].Time)
	assert.True(t, all[2].OK(), "last attempt %+v", all[2])
	assert.True(t, all[2].Final, "last attempt %+v", all[2])
	assert.Empty(t, srv.Failed(nil), "failures")

	// Out of retries: recorded at the time of the last retry.
	srv2 := jiratest.NewServer(jiratest.WithClock(jiratest.NewClock(start)),
		jiratest.WithRetries(2, func(n int) time.Duration { return 5 * time.Minute }))
	defer srv2.Close()
	app2 := srv2.AddConnectApp("k", []byte("s"))
	down := newReceiver(t, func(int) int { return 500 })
	ids(t, register(t, srv2, app2, down.srv.URL, details("project = PRJ", "jira:issue_created")))
	first := srv2.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-1"}))
	require.Len(t, first, 1)
	srv2.Advance(time.Hour)
	f := srv2.Failed(app2)
	require.Equal(t, 3, down.count(), "attempts")
	require.Len(t, f, 1, "failures %+v", f)
	require.Equal(t, first[0].ID, f[0].ID, "failures %+v", f)
	require.True(t, f[0].FailureTime.Equal(start.Add(10*time.Minute)), "failures %+v", f)
	require.Equal(t, down.srv.URL, f[0].URL, "failures %+v", f)
	// Final statuses are not retried; connection errors are.
	final := newReceiver(t, func(int) int { return 404 })
	app3 := srv2.AddConnectApp("k3", []byte("s"))
	ids(t, register(t, srv2, app3, final.srv.URL, details("project = PRJ", "jira:issue_created")))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadURL := "http://" + l.Addr().String() + "/gone"
	l.Close()
	app4 := srv2.AddConnectApp("k4", []byte("s"))
	ids(t, register(t, srv2, app4, deadURL, details("project = PRJ", "jira:issue_created")))
	ds = srv2.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-2"}))
	var to404, toDead jiratest.Delivery
	for _, d := range ds {
		switch d.App {
		case "k3":
			to404 = d
		case "k4":
			toDead = d
		}
	}
	assert.Equal(t, 404, to404.Status, "404 delivery %+v", to404)
	assert.True(t, to404.Final, "404 delivery %+v", to404)
	assert.Zero(t, toDead.Status, "dead delivery %+v", toDead)
	assert.NotEmpty(t, toDead.Err, "dead delivery %+v", toDead)
	assert.False(t, toDead.Final, "dead delivery %+v", toDead)
	assert.Len(t, srv2.Failed(app3), 1, "404 not recorded as failed")
	srv2.Advance(time.Hour)
	assert.Len(t, srv2.Failed(app4), 1, "connection failures not recorded after retries")
	n := 0
	for _, d := range srv2.Deliveries() {
		if d.App == "k4" {
			n++
		}
	}
	assert.Equal(t, 3, n, "dead URL attempts")
}

type failedPage struct {
	Values []struct {
		ID          string  `json:"id"`
		URL         string  `json:"url"`
		Body        *string `json:"body"`
		FailureTime int64   `json:"failureTime"`
	} `json:"values"`
	MaxResults int    `json:"maxResults"`
	Next       string `json:"next"`
}

func TestFailedPages(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	srv := jiratest.NewServer(jiratest.WithClock(jiratest.NewClock(start)), jiratest.WithRetries(0, nil))
	defer srv.Close()
	app := srv.AddConnectApp("k", []byte("s"))
	other := srv.AddConnectApp("o", []byte("s"))
	down := newReceiver(t, func(int) int { return 400 })
	ids(t, register(t, srv, app, down.srv.URL+"/a", details("project = PRJ", "jira:issue_created")))
	ids(t, register(t, srv, other, down.srv.URL+"/o", details("project = PRJ", "jira:issue_created")))
	// Groups of failures sharing a failure time: 3 at t1, 2 at t2, 4 at t3.
	var times []int64
	for _, n := range []int{3, 2, 4} {
		srv.Advance(time.Minute)
		times = append(times, srv.Now().UnixMilli())
		for range n {
			srv.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-1"}))
		}
	}
	c := app.HTTPClient()
	next := srv.URL() + "/rest/api/3/webhook/failed?maxResults=2"
	var sizes []int
	var seen []string
	for i := 0; next != ""; i++ {
		require.LessOrEqual(t, i, 5, "too many pages")
		st, _, b := call(t, c, "GET", next, nil)
		require.Equal(t, 200, st, "GET %s: %s", next, b)
		p := decode[failedPage](t, b)
		assert.Equal(t, 2, p.MaxResults, "maxResults")
		sizes = append(sizes, len(p.Values))
		for j, v := range p.Values {
			seen = append(seen, v.ID)
			assert.Equal(t, down.srv.URL+"/a", v.URL, "value %+v", v)
			if assert.NotNil(t, v.Body, "value %+v", v) {
				assert.Contains(t, *v.Body, `"matchedWebhookIds"`, "value %+v", v)
			}
			if j > 0 {
				assert.GreaterOrEqual(t, v.FailureTime, p.Values[j-1].FailureTime, "not oldest first")
			}
		}
		if len(p.Values) > 0 {
			last := p.Values[len(p.Values)-1].FailureTime
			assert.Equal(t, fmt.Sprintf("%s/rest/api/3/webhook/failed?failedAfter=%d&maxResults=2", srv.URL(), last), p.Next, "next")
		} else {
			assert.Empty(t, p.Next, "empty page with next")
		}
		next = p.Next
	}
	// Pages: the whole t1 group (3 > 2), t2 (2), the whole t3 group (4), then empty.
	assert.Equal(t, []int{3, 2, 4, 0}, sizes, "page sizes")
	assert.Len(t, seen, 9, "failures seen")
	// "after" is accepted as well as failedAfter.
	st, _, b := call(t, c, "GET", fmt.Sprintf("%s/rest/api/2/webhook/failed?after=%d", srv.URL(), times[0]), nil)
	p := decode[failedPage](t, b)
	assert.Equal(t, 200, st, "after=: %s", b)
	assert.Len(t, p.Values, 6, "after=: %s", b)
	assert.Equal(t, 100, p.MaxResults, "after=: %s", b)
	assert.True(t, strings.HasPrefix(p.Next, srv.URL()+"/rest/api/2/webhook/failed?failedAfter="), "after=: %s", b)
	st, _, _ = call(t, c, "GET", srv.URL()+"/rest/api/2/webhook/failed?failedAfter=x", nil)
	assert.Equal(t, 400, st, "bad failedAfter")
	// The other app sees only its own.
	_, _, b = call(t, other.HTTPClient(), "GET", srv.URL()+"/rest/api/3/webhook/failed", nil)
	p = decode[failedPage](t, b)
	if assert.Len(t, p.Values, 9, "other app: %s", b) {
		assert.Equal(t, down.srv.URL+"/o", p.Values[0].URL, "other app: %s", b)
	}
	// Forgotten after 72 hours.
	srv.Advance(72*time.Hour - 2*time.Minute) // t1 (start+1m) is now exactly 72h old
	_, _, b = call(t, c, "GET", srv.URL()+"/rest/api/3/webhook/failed", nil)
	assert.Len(t, decode[failedPage](t, b).Values, 6, "after 72h of t1")
	srv.Advance(time.Hour)
	_, _, b = call(t, c, "GET", srv.URL()+"/rest/api/3/webhook/failed", nil)
	assert.Equal(t, `{"maxResults":100,"values":[]}`, string(b), "after 73h")
}
