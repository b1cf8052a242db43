package jiratest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
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
	if len(ds) != 1 || !ds[0].OK() || ds[0].Attempt != 0 || !ds[0].Final || ds[0].App != "client-1" {
		t.Fatalf("deliveries %+v", ds)
	}
	if rc.count() != 1 {
		t.Fatalf("receiver got %d requests", rc.count())
	}
	r, body := rc.get(0)
	if r.Method != "POST" || r.URL.Path != "/jira/events" {
		t.Errorf("request %s %s", r.Method, r.URL)
	}
	for h, want := range map[string]string{
		"X-Atlassian-Webhook-Identifier": ds[0].ID,
		"X-Atlassian-Webhook-Retry":      "0",
		"X-Atlassian-Webhook-Flow":       "Primary",
		"Content-Type":                   "application/json; charset=utf-8",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	// Independent check of the bearer JWT.
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		t.Fatalf("Authorization %q", auth)
	}
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	if err != nil || !parsed.Valid {
		t.Fatalf("bearer JWT: %v", err)
	}
	if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte("other"), nil }); err == nil {
		t.Error("JWT verifies with the wrong secret")
	}
	var cb callback
	if err := json.Unmarshal(body, &cb); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cb.MatchedWebhookIDs, hid[:2]) {
		t.Errorf("matchedWebhookIds %v, want %v", cb.MatchedWebhookIDs, hid[:2])
	}
	if cb.WebhookEvent != "jira:issue_updated" || cb.IssueEventTypeName != "issue_generic" || cb.Issue.Key != "PRJ-7" ||
		cb.Issue.ID != "10007" || cb.Issue.Self != srv.URL()+"/rest/api/2/issue/10007" || cb.Timestamp != srv.Now().UnixMilli() {
		t.Errorf("callback %+v", cb)
	}
	if cb.Changelog.ID == "" || len(cb.Changelog.Items) != 1 || cb.Changelog.Items[0]["field"] != "summary" || cb.Changelog.Items[0]["toString"] != "new" {
		t.Errorf("changelog %+v", cb.Changelog)
	}
	f := cb.Issue.Fields
	if f["project"].(map[string]any)["key"] != "PRJ" || f["issuetype"].(map[string]any)["name"] != "Bug" ||
		f["status"].(map[string]any)["name"] != "In Progress" || f["assignee"].(map[string]any)["accountId"] != "acc-1" {
		t.Errorf("fields %v", f)
	}
	if _, ok := f["customfield_10029"]; !ok {
		t.Error("no customfield_10029")
	}
	if created, _ := f["created"].(string); !strings.HasSuffix(created, ".000+0000") && !strings.HasSuffix(created, "+0000") {
		t.Errorf("created %q", created)
	}
	// A non-matching event makes no delivery.
	if ds := srv.Emit(jiratest.IssueEvent("jira:issue_updated", jiratest.Issue{Key: "NOPE-1"})); len(ds) != 0 {
		t.Errorf("unmatched event delivered: %+v", ds)
	}
	if got := len(srv.Deliveries()); got != 1 {
		t.Errorf("Deliveries() has %d", got)
	}
}

func TestDeliveryConnect(t *testing.T) {
	srv := jiratest.NewServer()
	defer srv.Close()
	shared := []byte("connect-shared-secret")
	app := srv.AddConnectApp("com.example.connect", shared, jiratest.WithClientKey("client-key-123"))
	rc := newReceiver(t, nil)
	ids(t, register(t, srv, app, rc.srv.URL+"/hooks/jira?tenant=a%20b&x=1", details("issuetype != Bug", "comment_created")))
	ds := srv.Emit(jiratest.CommentEvent("comment_created", jiratest.Issue{Key: "ABC-3", Type: "Story"}, jiratest.Comment{Body: "hello"}))
	if len(ds) != 1 || !ds[0].OK() {
		t.Fatalf("deliveries %+v", ds)
	}
	r, body := rc.get(0)
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "JWT ")
	if !ok {
		t.Fatalf("Authorization %q", r.Header.Get("Authorization"))
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return shared, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithIssuer("client-key-123")); err != nil {
		t.Fatalf("Connect JWT: %v", err)
	}
	want := qsh.Hash("POST", r.URL.EscapedPath(), r.URL.Query())
	if claims["qsh"] != want {
		t.Errorf("qsh %v, want %s (canonical %s)", claims["qsh"], want, qsh.Canonical("POST", r.URL.EscapedPath(), r.URL.Query()))
	}
	if app.ClientKey() != "client-key-123" {
		t.Errorf("ClientKey %q", app.ClientKey())
	}
	var cb map[string]any
	_ = json.Unmarshal(body, &cb)
	c, _ := cb["comment"].(map[string]any)
	is, _ := cb["issue"].(map[string]any)
	if cb["webhookEvent"] != "comment_created" || c["body"] != "hello" || c["id"] == "" || is["key"] != "ABC-3" {
		t.Errorf("comment callback %s", body)
	}
	if a, _ := c["author"].(map[string]any); a["accountId"] == "" {
		t.Errorf("comment author %v", c["author"])
	}

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
	if ctxReq == nil {
		t.Fatal("no delivery under the context path")
	}
	tok, _ = strings.CutPrefix(ctxReq.Header.Get("Authorization"), "JWT ")
	claims = jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return shared, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(ctxApp.ClientKey())); err != nil {
		t.Fatal(err)
	}
	if want := qsh.Hash("POST", "/hook", ctxReq.URL.Query()); claims["qsh"] != want {
		t.Errorf("qsh under a context path: %v, want %s", claims["qsh"], want)
	}
}

func TestAdminWebhooks(t *testing.T) {
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

	if st, _, _ := call(t, srv.Client(), "GET", base, nil); st != 401 {
		t.Errorf("anonymous: %d", st)
	}
	if st, _, _ := call(t, as("dev@example.com", "dev-token"), "GET", base, nil); st != 403 {
		t.Errorf("non-admin: %d", st)
	}
	app := srv.AddOAuthApp("c", []byte("s"))
	if st, _, _ := call(t, app.HTTPClient(), "GET", base, nil); st != 401 && st != 403 {
		t.Errorf("app on admin API: %d", st)
	}
	st, h, b := call(t, admin, "POST", base, map[string]any{
		"name": "signed", "url": rc.srv.URL + "/admin/${issue.key}", "events": []string{"jira:issue_created", "worklog_created"},
		"filters": map[string]string{"issue-related-events-section": "project = PRJ"}, "excludeBody": false,
		"secret": "It's a Secret to Everybody",
	})
	if st != 201 {
		t.Fatalf("create: %d %s", st, b)
	}
	created := decode[map[string]any](t, b)
	self, _ := created["self"].(string)
	if h.Get("Location") != self || !strings.HasPrefix(self, base+"/") || created["name"] != "signed" {
		t.Errorf("created %s", b)
	}
	if _, ok := created["secret"]; ok {
		t.Error("the secret is shown")
	}
	st, _, b = call(t, admin, "POST", base, map[string]any{"name": "plain", "url": rc.srv.URL + "/plain", "events": []string{"jira:issue_created"}, "excludeBody": true})
	if st != 201 {
		t.Fatalf("create 2: %d %s", st, b)
	}
	plainSelf := decode[map[string]any](t, b)["self"].(string)
	for _, bad := range []any{`{"url": "https://x.example.com"}`, `{"name": "n"}`, `{"name": "n", "url": "x"}`, `nope`,
		map[string]any{"name": "n", "url": "https://x.example.com", "filters": map[string]string{"issue-related-events-section": "text ~ x"}}} {
		if st, _, b := call(t, admin, "POST", base, bad); st != 400 {
			t.Errorf("POST %v: %d %s", bad, st, b)
		}
	}
	st, _, b = call(t, admin, "GET", base, nil)
	if list := decode[[]map[string]any](t, b); st != 200 || len(list) != 2 {
		t.Errorf("list %d %s", st, b)
	}
	srv.Advance(400 * 24 * time.Hour) // admin webhooks never expire
	ds := srv.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-9"}))
	if len(ds) != 2 || !ds[0].OK() || !ds[1].OK() {
		t.Fatalf("deliveries %+v", ds)
	}
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
	if signed < 0 || plain < 0 {
		t.Fatalf("paths: signed %d plain %d", signed, plain)
	}
	r, body := rc.get(signed)
	mac := hmac.New(sha256.New, []byte("It's a Secret to Everybody"))
	mac.Write(body)
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); r.Header.Get("X-Hub-Signature") != want || len(body) == 0 {
		t.Errorf("X-Hub-Signature %q, want %q", r.Header.Get("X-Hub-Signature"), want)
	}
	if r.Header.Get("Authorization") != "" {
		t.Error("admin webhook delivery with Authorization")
	}
	r, body = rc.get(plain)
	if r.Header.Get("X-Hub-Signature") != "" || len(body) != 0 {
		t.Errorf("plain webhook: signature %q, body %q", r.Header.Get("X-Hub-Signature"), body)
	}
	// The filter applies.
	if ds := srv.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "OTHER-1"})); len(ds) != 1 || ds[0].URL != rc.srv.URL+"/plain" {
		t.Errorf("filtered deliveries %+v", ds)
	}
	// Update, read, delete.
	st, _, b = call(t, admin, "PUT", self, map[string]any{"name": "renamed", "events": []string{"jira:issue_deleted"}})
	if st != 200 || decode[map[string]any](t, b)["name"] != "renamed" {
		t.Errorf("update %d %s", st, b)
	}
	st, _, b = call(t, admin, "GET", self, nil)
	got := decode[map[string]any](t, b)
	if st != 200 || got["name"] != "renamed" || got["url"] != rc.srv.URL+"/admin/${issue.key}" {
		t.Errorf("get %d %s", st, b)
	}
	if st, _, _ := call(t, admin, "DELETE", plainSelf, nil); st != 204 {
		t.Errorf("delete %d", st)
	}
	if st, _, _ := call(t, admin, "GET", plainSelf, nil); st != 404 {
		t.Errorf("get deleted %d", st)
	}
	if got := srv.AdminWebhooks(); len(got) != 1 || got[0].Name != "renamed" || !got[0].HasSecret {
		t.Errorf("AdminWebhooks %+v", got)
	}
}

type basicRT [2]string

func (b basicRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b[0], b[1])
	return http.DefaultTransport.RoundTrip(r)
}

func TestRetries(t *testing.T) {
	start := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	srv := jiratest.NewServer(jiratest.WithClock(jiratest.NewClock(start)),
		jiratest.WithRetries(3, func(n int) time.Duration { return time.Duration(n) * time.Minute }))
	defer srv.Close()
	app := srv.AddConnectApp("k", []byte("s"))
	// 503, 429, then 200.
	rc := newReceiver(t, func(n int) int { return []int{503, 429, 200, 200}[min(n, 3)] })
	ids(t, register(t, srv, app, rc.srv.URL, details("project = PRJ", "jira:issue_created")))
	ds := srv.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-1"}))
	if len(ds) != 1 || ds[0].Status != 503 || ds[0].Final || srv.Pending() != 1 {
		t.Fatalf("first attempt %+v, pending %d", ds, srv.Pending())
	}
	srv.Advance(59 * time.Second)
	if rc.count() != 1 {
		t.Fatalf("retried early: %d", rc.count())
	}
	srv.Advance(10 * time.Minute) // retry 1 at +1m, retry 2 at +3m
	if rc.count() != 3 || srv.Pending() != 0 {
		t.Fatalf("after advance: %d requests, %d pending", rc.count(), srv.Pending())
	}
	all := srv.Deliveries()
	for i, d := range all {
		r, b := rc.get(i)
		_, b0 := rc.get(0)
		if d.ID != ds[0].ID || r.Header.Get("X-Atlassian-Webhook-Identifier") != ds[0].ID ||
			r.Header.Get("X-Atlassian-Webhook-Retry") != fmt.Sprint(i) || d.Attempt != i || string(b) != string(b0) {
			t.Errorf("attempt %d: %+v, retry header %q", i, d, r.Header.Get("X-Atlassian-Webhook-Retry"))
		}
	}
	if !all[1].Time.Equal(start.Add(time.Minute)) || !all[2].Time.Equal(start.Add(3*time.Minute)) || !all[2].OK() || !all[2].Final {
		t.Errorf("attempt times %v %v", all[1].Time, all[2].Time)
	}
	if f := srv.Failed(nil); len(f) != 0 {
		t.Errorf("failures %+v", f)
	}

	// Out of retries: recorded at the time of the last retry.
	srv2 := jiratest.NewServer(jiratest.WithClock(jiratest.NewClock(start)),
		jiratest.WithRetries(2, func(n int) time.Duration { return 5 * time.Minute }))
	defer srv2.Close()
	app2 := srv2.AddConnectApp("k", []byte("s"))
	down := newReceiver(t, func(int) int { return 500 })
	ids(t, register(t, srv2, app2, down.srv.URL, details("project = PRJ", "jira:issue_created")))
	first := srv2.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-1"}))
	srv2.Advance(time.Hour)
	f := srv2.Failed(app2)
	if down.count() != 3 || len(f) != 1 || f[0].ID != first[0].ID || !f[0].FailureTime.Equal(start.Add(10*time.Minute)) || f[0].URL != down.srv.URL {
		t.Fatalf("%d attempts, failures %+v", down.count(), f)
	}
	// Final statuses are not retried; connection errors are.
	final := newReceiver(t, func(int) int { return 404 })
	app3 := srv2.AddConnectApp("k3", []byte("s"))
	ids(t, register(t, srv2, app3, final.srv.URL, details("project = PRJ", "jira:issue_created")))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
	if to404.Status != 404 || !to404.Final || toDead.Status != 0 || toDead.Err == "" || toDead.Final {
		t.Errorf("404 delivery %+v, dead delivery %+v", to404, toDead)
	}
	if f := srv2.Failed(app3); len(f) != 1 {
		t.Errorf("404 not recorded as failed: %+v", f)
	}
	srv2.Advance(time.Hour)
	if f := srv2.Failed(app4); len(f) != 1 {
		t.Errorf("connection failures not recorded after retries: %+v", f)
	}
	n := 0
	for _, d := range srv2.Deliveries() {
		if d.App == "k4" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("dead URL attempts %d, want 3", n)
	}
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
		if i > 5 {
			t.Fatal("too many pages")
		}
		st, _, b := call(t, c, "GET", next, nil)
		if st != 200 {
			t.Fatalf("GET %s: %d %s", next, st, b)
		}
		p := decode[failedPage](t, b)
		if p.MaxResults != 2 {
			t.Errorf("maxResults %d", p.MaxResults)
		}
		sizes = append(sizes, len(p.Values))
		for j, v := range p.Values {
			seen = append(seen, v.ID)
			if v.URL != down.srv.URL+"/a" || v.Body == nil || !strings.Contains(*v.Body, `"matchedWebhookIds"`) {
				t.Errorf("value %+v", v)
			}
			if j > 0 && v.FailureTime < p.Values[j-1].FailureTime {
				t.Error("not oldest first")
			}
		}
		if len(p.Values) > 0 {
			last := p.Values[len(p.Values)-1].FailureTime
			want := fmt.Sprintf("%s/rest/api/3/webhook/failed?failedAfter=%d&maxResults=2", srv.URL(), last)
			if p.Next != want {
				t.Errorf("next %q, want %q", p.Next, want)
			}
		} else if p.Next != "" {
			t.Errorf("empty page with next %q", p.Next)
		}
		next = p.Next
	}
	// Pages: the whole t1 group (3 > 2), t2 (2), the whole t3 group (4), then empty.
	if !slices.Equal(sizes, []int{3, 2, 4, 0}) || len(seen) != 9 {
		t.Errorf("page sizes %v", sizes)
	}
	// "after" is accepted as well as failedAfter.
	st, _, b := call(t, c, "GET", fmt.Sprintf("%s/rest/api/2/webhook/failed?after=%d", srv.URL(), times[0]), nil)
	if p := decode[failedPage](t, b); st != 200 || len(p.Values) != 6 || p.MaxResults != 100 ||
		!strings.HasPrefix(p.Next, srv.URL()+"/rest/api/2/webhook/failed?failedAfter=") {
		t.Errorf("after=: %d %s", st, b)
	}
	if st, _, _ := call(t, c, "GET", srv.URL()+"/rest/api/2/webhook/failed?failedAfter=x", nil); st != 400 {
		t.Errorf("bad failedAfter: %d", st)
	}
	// The other app sees only its own.
	_, _, b = call(t, other.HTTPClient(), "GET", srv.URL()+"/rest/api/3/webhook/failed", nil)
	if p := decode[failedPage](t, b); len(p.Values) != 9 || p.Values[0].URL != down.srv.URL+"/o" {
		t.Errorf("other app: %s", b)
	}
	// Forgotten after 72 hours.
	srv.Advance(72*time.Hour - 2*time.Minute) // t1 (start+1m) is now exactly 72h old
	_, _, b = call(t, c, "GET", srv.URL()+"/rest/api/3/webhook/failed", nil)
	if p := decode[failedPage](t, b); len(p.Values) != 6 {
		t.Errorf("after 72h of t1: %d values", len(p.Values))
	}
	srv.Advance(time.Hour)
	_, _, b = call(t, c, "GET", srv.URL()+"/rest/api/3/webhook/failed", nil)
	if p := decode[failedPage](t, b); len(p.Values) != 0 || p.Next != "" || string(b) != `{"maxResults":100,"values":[]}` {
		t.Errorf("after 73h: %s", b)
	}
}
