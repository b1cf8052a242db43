package jiratest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jirahooks/jirahooks/internal/jiratime"
	"github.com/jirahooks/jirahooks/internal/qsh"
	"github.com/jirahooks/jirahooks/jiratest"
)

func wantErrors(t *testing.T, b []byte, msg string) {
	t.Helper()
	var ec struct {
		ErrorMessages []string `json:"errorMessages"`
	}
	if err := json.Unmarshal(b, &ec); err != nil || !slices.Contains(ec.ErrorMessages, msg) {
		t.Fatalf("body %s, want errorMessages with %q", b, msg)
	}
}

func TestAuthentication(t *testing.T) {
	srv := jiratest.NewServer()
	defer srv.Close()
	oauth := srv.AddOAuthApp("oauth-client", []byte("client-secret"))
	conn := srv.AddConnectApp("com.example.app", []byte("shared-secret"))
	srv.AddUser("dev@example.com", "tok")
	srv.AddAdmin("admin@example.com", "admintok")
	plain := srv.Client()
	u := srv.URL() + "/rest/api/3/webhook"

	if st, _, _ := call(t, plain, "GET", u, nil); st != 401 {
		t.Errorf("anonymous: %d, want 401", st)
	}
	for _, who := range [][2]string{{"dev@example.com", "tok"}, {"admin@example.com", "admintok"}} {
		req, _ := http.NewRequest("GET", u, nil)
		req.SetBasicAuth(who[0], who[1])
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ec struct{ ErrorMessages []string }
		_ = json.NewDecoder(resp.Body).Decode(&ec)
		resp.Body.Close()
		if resp.StatusCode != 403 || len(ec.ErrorMessages) != 1 || ec.ErrorMessages[0] != "Only Connect and OAuth 2.0 apps can use this operation." {
			t.Errorf("basic auth %s: %d %v, want 403 with Jira's message", who[0], resp.StatusCode, ec.ErrorMessages)
		}
	}
	req, _ := http.NewRequest("GET", u, nil)
	req.SetBasicAuth("dev@example.com", "wrong")
	if resp, err := plain.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("wrong basic password: %v %v, want 401", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	req, _ = http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	if resp, err := plain.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("unknown bearer token: %v %v, want 401", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	// A hand-made bearer request with the app's token.
	req, _ = http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+oauth.Token())
	if resp, err := plain.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("bearer token: %v %v, want 200", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	if st, _, b := call(t, conn.HTTPClient(), "GET", u+"?startAt=0&maxResults=5", nil); st != 200 {
		t.Errorf("Connect app: %d %s", st, b)
	}
	// Connect JWTs signed independently: good, wrong qsh, wrong secret, expired.
	sign := func(secret, iss, q string, exp time.Time) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"iss": iss, "iat": time.Now().Unix(), "exp": exp.Unix(), "qsh": q,
		}).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
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
		req, _ := http.NewRequest("GET", srv.URL()+"/rest/api/2/webhook?maxResults=3", nil)
		req.Header.Set("Authorization", "JWT "+c.tok)
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("Connect JWT %s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	// Failed deliveries: Connect apps only.
	st, _, b := call(t, oauth.HTTPClient(), "GET", u+"/failed", nil)
	if st != 403 {
		t.Errorf("OAuth app on /webhook/failed: %d", st)
	}
	wantErrors(t, b, "Only Connect apps can use this operation.")
	if st, _, _ := call(t, conn.HTTPClient(), "GET", u+"/failed", nil); st != 200 {
		t.Errorf("Connect app on /webhook/failed: %d", st)
	}
	// The request log knows who called.
	var apps []string
	for _, r := range srv.Requests() {
		if r.App != "" {
			apps = append(apps, r.App)
		}
	}
	if !slices.Contains(apps, "oauth-client") || !slices.Contains(apps, "com.example.app") {
		t.Errorf("request log apps = %v", apps)
	}
}

func TestRegisterListShapes(t *testing.T) {
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
	if len(r) != 4 || r[0].CreatedWebhookID == nil || r[1].CreatedWebhookID != nil || r[2].CreatedWebhookID == nil || r[3].CreatedWebhookID == nil {
		t.Fatalf("results = %+v", r)
	}
	if !slices.Equal(r[1].Errors, []string{"The clause watchCount is unsupported"}) {
		t.Errorf("errors = %q", r[1].Errors)
	}
	if !(*r[0].CreatedWebhookID < *r[2].CreatedWebhookID && *r[2].CreatedWebhookID < *r[3].CreatedWebhookID) {
		t.Errorf("ids not increasing: %d %d %d", *r[0].CreatedWebhookID, *r[2].CreatedWebhookID, *r[3].CreatedWebhookID)
	}
	// The raw answer has exactly Jira's shape.
	st, _, raw := call(t, app.HTTPClient(), "POST", srv.URL()+"/rest/api/2/webhook",
		map[string]any{"url": "https://app.example.com/hook", "webhooks": []any{details("text ~ x", "jira:issue_created")}})
	if st != 200 || string(raw) != `{"webhookRegistrationResult":[{"errors":["The clause text is unsupported"]}]}` {
		t.Errorf("raw answer %d %s", st, raw)
	}

	st, _, b := call(t, app.HTTPClient(), "GET", srv.URL()+"/rest/api/3/webhook", nil)
	if st != 200 {
		t.Fatalf("list: %d %s", st, b)
	}
	raws := decode[map[string]json.RawMessage](t, b)
	var vals []map[string]json.RawMessage
	_ = json.Unmarshal(raws["values"], &vals)
	if len(vals) != 3 {
		t.Fatalf("values = %s", raws["values"])
	}
	if got := string(vals[0]["expirationDate"]); got != `"2026-03-31T12:00:00.000+0000"` {
		t.Errorf("expirationDate = %s, want Jira's string 30 days on", got)
	}
	if string(vals[0]["url"]) != `"https://app.example.com/hook"` || string(vals[0]["jqlFilter"]) != `"project = PROJ"` ||
		string(vals[0]["fieldIdsFilter"]) != `["summary","customfield_10029"]` || string(vals[0]["events"]) != `["jira:issue_created","jira:issue_updated"]` {
		t.Errorf("first webhook = %v", vals[0])
	}
	if _, ok := vals[1]["fieldIdsFilter"]; ok {
		t.Errorf("absent filter should be omitted: %v", vals[1])
	}
	if string(vals[2]["issuePropertyKeysFilter"]) != `["my-issue-property-key"]` {
		t.Errorf("third webhook = %v", vals[2])
	}
	p := decode[page](t, b)
	if !p.IsLast || p.Total != 3 || p.StartAt != 0 || p.MaxResults != 100 || p.NextPage != "" || p.Self != srv.URL()+"/rest/api/3/webhook?maxResults=100&startAt=0" {
		t.Errorf("page = %+v", p)
	}
	if got := srv.Webhooks(app); len(got) != 3 || got[0].App != "c1" || !got[0].ExpirationDate.Equal(start.Add(30*24*time.Hour)) {
		t.Errorf("Webhooks = %+v", got)
	}
}

func TestRegistrationErrors(t *testing.T) {
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
	for i, w := range want {
		got := res.WebhookRegistrationResult[i]
		switch {
		case i == 6:
			if len(got.Errors) != 1 || !strings.HasPrefix(got.Errors[0], "Error in the JQL Query") {
				t.Errorf("item %d errors %q", i, got.Errors)
			}
		case w == nil:
			if got.CreatedWebhookID == nil {
				t.Errorf("item %d refused: %q", i, got.Errors)
			}
		default:
			if got.CreatedWebhookID != nil || !slices.Equal(got.Errors, w) {
				t.Errorf("item %d = %v %q, want %q", i, got.CreatedWebhookID, got.Errors, w)
			}
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
		if st != 400 {
			t.Errorf("POST %v: %d %s, want 400", body, st, b)
			continue
		}
		if ec := decode[map[string]any](t, b); ec["errorMessages"] == nil {
			t.Errorf("POST %v: no errorMessages in %s", body, b)
		}
	}
	for _, m := range []string{"PUT", "DELETE"} {
		if st, _, b := call(t, c, m, u+"/refresh", `{}`); m == "PUT" && st != 400 {
			t.Errorf("refresh without ids: %d %s", st, b)
		}
		if st, _, _ := call(t, c, m, u, `{"webhookIds": null}`); m == "DELETE" && st != 400 {
			t.Errorf("delete with null ids: %d", st)
		}
	}
	if st, _, _ := call(t, c, "PATCH", u, `{}`); st != 405 {
		t.Errorf("PATCH: %d", st)
	}
	if got := len(srv.Webhooks(nil)); got != before {
		t.Errorf("bad requests registered webhooks: %d -> %d", before, got)
	}
}

func TestOneURLPerApp(t *testing.T) {
	srv := jiratest.NewServer()
	defer srv.Close()
	app := srv.AddOAuthApp("c1", []byte("s"))
	other := srv.AddOAuthApp("c2", []byte("s"))
	register(t, srv, app, "https://a.example.com/h", details("project = A", "jira:issue_created"))
	st, _, b := call(t, app.HTTPClient(), "POST", srv.URL()+"/rest/api/3/webhook",
		map[string]any{"url": "https://a.example.com/other", "webhooks": []any{details("project = A", "jira:issue_created")}})
	if st != 400 {
		t.Fatalf("second URL: %d %s", st, b)
	}
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
	if st != 400 {
		t.Errorf("foreign base URL: %d %s", st, b)
	}
	ids(t, register(t, srv, conn, "https://conn.example.com/app/hook", details("project = A", "jira:issue_created")))
}

func TestOwnership(t *testing.T) {
	srv := jiratest.NewServer()
	defer srv.Close()
	a := srv.AddOAuthApp("a", []byte("sa"))
	b := srv.AddConnectApp("b", []byte("sb"))
	aIDs := ids(t, register(t, srv, a, "https://a.example.com/h", details("project = A", "jira:issue_created"), details("project = B", "jira:issue_created")))
	bIDs := ids(t, register(t, srv, b, "https://b.example.com/h", details("project = A", "jira:issue_created")))
	list := func(app *jiratest.App) []int64 {
		st, _, body := call(t, app.HTTPClient(), "GET", srv.URL()+"/rest/api/2/webhook", nil)
		if st != 200 {
			t.Fatalf("list: %d", st)
		}
		var out []int64
		for _, v := range decode[page](t, body).Values {
			out = append(out, int64(v["id"].(float64)))
		}
		return out
	}
	if got := list(a); !slices.Equal(got, aIDs) {
		t.Errorf("a sees %v, want %v", got, aIDs)
	}
	if got := list(b); !slices.Equal(got, bIDs) {
		t.Errorf("b sees %v, want %v", got, bIDs)
	}
	// b deletes and refreshes a's ids: ignored.
	srv.Advance(24 * time.Hour)
	before := srv.Webhooks(a)
	if st, _, _ := call(t, b.HTTPClient(), "DELETE", srv.URL()+"/rest/api/3/webhook", map[string]any{"webhookIds": aIDs}); st != 202 {
		t.Errorf("foreign delete: %d, want 202", st)
	}
	st, _, body := call(t, b.HTTPClient(), "PUT", srv.URL()+"/rest/api/3/webhook/refresh", map[string]any{"webhookIds": aIDs})
	if st != 200 {
		t.Errorf("foreign refresh: %d %s", st, body)
	}
	after := srv.Webhooks(a)
	if len(after) != 2 || !after[0].ExpirationDate.Equal(before[0].ExpirationDate) {
		t.Errorf("a's webhooks changed by b: %+v -> %+v", before, after)
	}
	// a deletes its first and an unknown id.
	st, _, body = call(t, a.HTTPClient(), "DELETE", srv.URL()+"/rest/api/3/webhook", map[string]any{"webhookIds": []int64{aIDs[0], 999999, bIDs[0]}})
	if st != 202 || len(body) != 0 {
		t.Errorf("delete: %d %q", st, body)
	}
	if got := list(a); !slices.Equal(got, aIDs[1:]) {
		t.Errorf("after delete a sees %v", got)
	}
	if got := list(b); !slices.Equal(got, bIDs) {
		t.Errorf("after a's delete b sees %v", got)
	}
}

func TestExpiryAndRefresh(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := jiratest.NewServer(jiratest.WithClock(jiratest.NewClock(start)))
	defer srv.Close()
	app := srv.AddOAuthApp("c", []byte("s"))
	rc := newReceiver(t, nil)
	hid := ids(t, register(t, srv, app, rc.srv.URL, details("project = PRJ", "jira:issue_created"), details("project = PRJ", "jira:issue_updated")))

	srv.Advance(29 * 24 * time.Hour)
	st, _, b := call(t, app.HTTPClient(), "PUT", srv.URL()+"/rest/api/3/webhook/refresh", map[string]any{"webhookIds": []int64{hid[0], 424242}})
	if st != 200 {
		t.Fatalf("refresh: %d %s", st, b)
	}
	wantExp := start.Add(59 * 24 * time.Hour)
	if string(b) != `{"expirationDate":"`+wantExp.Format(jiratime.Layout)+`"}` {
		t.Errorf("refresh answer %s", b)
	}
	// Day 30: the unrefreshed webhook is gone from lists and deliveries.
	srv.Advance(24*time.Hour - time.Millisecond)
	if got := srv.Webhooks(app); len(got) != 2 {
		t.Fatalf("1ms before expiry: %d webhooks", len(got))
	}
	srv.Advance(time.Millisecond)
	got := srv.Webhooks(app)
	if len(got) != 1 || got[0].ID != hid[0] || !got[0].ExpirationDate.Equal(wantExp) {
		t.Fatalf("after expiry: %+v", got)
	}
	st, _, b = call(t, app.HTTPClient(), "GET", srv.URL()+"/rest/api/3/webhook", nil)
	if p := decode[page](t, b); st != 200 || p.Total != 1 || len(p.Values) != 1 {
		t.Errorf("list after expiry: %d %+v", st, p)
	}
	if d := srv.Emit(jiratest.IssueEvent("jira:issue_updated", jiratest.Issue{Key: "PRJ-1"})); len(d) != 0 || rc.count() != 0 {
		t.Errorf("expired webhook got a delivery: %+v", d)
	}
	if d := srv.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-1"})); len(d) != 1 || !d[0].OK() {
		t.Errorf("refreshed webhook: %+v", d)
	}
	// Refreshing an expired id does not revive it.
	call(t, app.HTTPClient(), "PUT", srv.URL()+"/rest/api/3/webhook/refresh", map[string]any{"webhookIds": []int64{hid[1]}})
	if got := srv.Webhooks(app); len(got) != 1 {
		t.Errorf("expired webhook revived: %+v", got)
	}
	srv.Advance(30 * 24 * time.Hour)
	if got := srv.Webhooks(nil); len(got) != 0 {
		t.Errorf("all should have expired: %+v", got)
	}
}

func TestOffsetPages(t *testing.T) {
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
		if pages > 10 {
			t.Fatal("too many pages")
		}
		st, _, b := call(t, c, "GET", next, nil)
		if st != 200 {
			t.Fatalf("GET %s: %d %s", next, st, b)
		}
		p := decode[page](t, b)
		if p.MaxResults != 100 || p.Total != 250 || p.StartAt != int64(len(seen)) {
			t.Errorf("page %d: %+v", pages, p)
		}
		if pages == 0 && p.Self != srv.URL()+"/rest/api/3/webhook?maxResults=100&startAt=0" {
			t.Errorf("self %s for %s", p.Self, next)
		}
		for _, v := range p.Values {
			seen = append(seen, int64(v["id"].(float64)))
		}
		sizes = append(sizes, len(p.Values))
		if p.IsLast != (p.NextPage == "") {
			t.Errorf("isLast %v with nextPage %q", p.IsLast, p.NextPage)
		}
		next = p.NextPage
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) || !slices.Equal(seen, all) {
		t.Errorf("sizes %v, %d ids", sizes, len(seen))
	}
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
		if st != c2.status {
			t.Errorf("%s: %d %s", c2.q, st, b)
			continue
		}
		if st != 200 {
			wantErrorsAny(t, b)
			continue
		}
		p := decode[page](t, b)
		if len(p.Values) != c2.n || p.IsLast != c2.last || p.MaxResults != c2.maxResults {
			t.Errorf("%s: %d values, isLast %v, maxResults %d", c2.q, len(p.Values), p.IsLast, p.MaxResults)
		}
		if !strings.HasPrefix(p.Self, srv.URL()+"/rest/api/2/webhook?") {
			t.Errorf("%s: self %s", c2.q, p.Self)
		}
	}
	// An app with no webhooks gets an empty last page.
	other := srv.AddOAuthApp("o", []byte("s"))
	st, _, b := call(t, other.HTTPClient(), "GET", srv.URL()+"/rest/api/3/webhook", nil)
	if p := decode[page](t, b); st != 200 || !p.IsLast || p.Total != 0 || len(p.Values) != 0 {
		t.Errorf("empty: %d %s", st, b)
	}
}

func wantErrorsAny(t *testing.T, b []byte) {
	t.Helper()
	var ec struct{ ErrorMessages []string }
	if json.Unmarshal(b, &ec) != nil || len(ec.ErrorMessages) == 0 {
		t.Errorf("want an ErrorCollection, got %s", b)
	}
}
