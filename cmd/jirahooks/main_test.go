package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

const (
	oauthSecret   = "oauth-client-secret-do-not-print"
	connectSecret = "connect-shared-secret-do-not-print"
)

// site is an in-memory Jira with one OAuth app and one Connect app.
type site struct {
	jira    *jiratest.Server
	oauth   *jiratest.App
	connect *jiratest.App
}

func newSite(t *testing.T, opts ...jiratest.Option) *site {
	t.Helper()
	j := jiratest.NewServer(opts...)
	t.Cleanup(j.Close)
	return &site{
		jira:    j,
		oauth:   j.AddOAuthApp("cli-oauth", []byte(oauthSecret)),
		connect: j.AddConnectApp("cli-connect", []byte(connectSecret)),
	}
}

// oauthEnv is the environment of a user of the OAuth app.
func (s *site) oauthEnv() map[string]string {
	return map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_ACCESS_TOKEN": s.oauth.Token()}
}

// connectEnv is the environment of the Connect app.
func (s *site) connectEnv() map[string]string {
	return map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_APP_KEY": "cli-connect", "JIRA_SHARED_SECRET": connectSecret}
}

// result is what one run of the CLI left behind.
type result struct {
	code           int
	stdout, stderr string
}

// jh runs the CLI in-process with env and stdin.
func jh(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	return jhClock(t, nil, env, stdin, args...)
}

// jhClock is jh with the Refresher on clock (nil: the real one).
func jhClock(t *testing.T, clock webhooks.Clock, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return env[k] }, clock: clock}
	code := c.run(args)
	r := result{code, out.String(), errb.String()}
	for _, secret := range []string{oauthSecret, connectSecret, env["JIRA_ACCESS_TOKEN"], env["JIRA_API_TOKEN"], env["JIRA_SHARED_SECRET"], env["JIRA_WEBHOOK_SECRET"]} {
		if secret != "" && strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("jirahooks %s printed a secret:\n%s%s", strings.Join(args, " "), r.stdout, r.stderr)
		}
	}
	return r
}

func (r result) want(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not the JSON expected: %v\n%s", err, s)
	}
	return v
}

const twoHooks = `{
  "url": "https://app.example.com/hooks",
  "webhooks": [
    {"events": ["jira:issue_created", "jira:issue_updated"], "jqlFilter": "project = ABC"},
    {"events": ["comment_created"], "jqlFilter": "project = ABC AND status = Done"}
  ]
}`

func TestRegisterBodyInlineFileAndStdin(t *testing.T) {
	s := newSite(t)
	env := s.oauthEnv()

	// Inline JSON.
	r := jh(t, env, "", "register", "--body", twoHooks).want(t, exitOK)
	if !strings.Contains(r.stdout, "registered") || !strings.Contains(r.stdout, "project = ABC AND status = Done") {
		t.Errorf("register output:\n%s", r.stdout)
	}
	if n := len(s.jira.Webhooks(s.oauth)); n != 2 {
		t.Fatalf("%d webhooks on the site after inline register, want 2", n)
	}

	// @file, with --url replacing the body's URL is refused by Jira (one
	// URL per app), so keep the URL and register another webhook.
	file := filepath.Join(t.TempDir(), "hooks.json")
	if err := os.WriteFile(file, []byte(`{"url": "https://app.example.com/hooks", "webhooks": [{"events": ["jira:issue_deleted"], "jqlFilter": "project = XYZ"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r = jh(t, env, "", "register", "--json", "--body", "@"+file).want(t, exitOK)
	regs := decodeJSON[[]registrationJSON](t, r.stdout)
	if len(regs) != 1 || !regs[0].OK || regs[0].ID == 0 {
		t.Fatalf("register @file --json: %+v", regs)
	}

	// Standard input.
	r = jh(t, env, `{"url": "https://app.example.com/hooks", "webhooks": [{"events": ["comment_deleted"], "jqlFilter": "project = XYZ"}]}`,
		"register", "--body", "-", "--json").want(t, exitOK)
	regs = decodeJSON[[]registrationJSON](t, r.stdout)
	if len(regs) != 1 || !regs[0].OK {
		t.Fatalf("register - --json: %+v", regs)
	}
	if n := len(s.jira.Webhooks(s.oauth)); n != 4 {
		t.Fatalf("%d webhooks on the site, want 4", n)
	}
}

func TestRegisterWithFlags(t *testing.T) {
	s := newSite(t)
	jh(t, s.oauthEnv(), "", "register", "--url", "https://app.example.com/hooks",
		"--events", "jira:issue_updated", "--jql", "project = ABC", "--field-ids", "summary,status").want(t, exitOK)
	hooks := s.jira.Webhooks(s.oauth)
	if len(hooks) != 1 || hooks[0].JQLFilter != "project = ABC" || strings.Join(hooks[0].FieldIDsFilter, ",") != "summary,status" {
		t.Fatalf("registered %+v", hooks)
	}
}

func TestRegisterRefusedItemExits3(t *testing.T) {
	s := newSite(t)
	body := `{"url": "https://app.example.com/hooks", "webhooks": [
		{"events": ["jira:issue_created"], "jqlFilter": "project = ABC"},
		{"events": ["jira:issue_created"], "jqlFilter": "watchCount > 1"}]}`
	r := jh(t, s.oauthEnv(), "", "register", "--body", body).want(t, exitRefused)
	if !strings.Contains(r.stdout, "REFUSED") || !strings.Contains(r.stdout, "watchCount is unsupported") {
		t.Errorf("refusal not shown:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "refused 1 of 2") {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = jh(t, s.oauthEnv(), "", "register", "--json", "--body", body).want(t, exitRefused)
	regs := decodeJSON[[]registrationJSON](t, r.stdout)
	if len(regs) != 2 || !regs[0].OK || regs[1].OK || len(regs[1].Errors) == 0 || regs[1].JQLFilter != "watchCount > 1" {
		t.Fatalf("--json: %+v", regs)
	}
}

func TestRegisterBadBody(t *testing.T) {
	s := newSite(t)
	file := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(file, []byte("{\n  \"url\": \"https://app.example.com\",\n  \"webhooks\": [\n    {\"events\": [\"jira:issue_created\"],, }\n  ]\n}"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  []string
	}{
		{"syntax inline", []string{"--body", `{"url": "x", "webhooks": [`}, "", []string{"ends too early"}},
		{"syntax in file", []string{"--body", "@" + file}, "", []string{"not valid JSON", "line 4, column"}},
		{"syntax on stdin", []string{"--body", "-"}, "not json", []string{"not valid JSON", "line 1, column 2"}},
		{"wrong type", []string{"--body", `{"url": "x", "webhooks": [{"events": "jira:issue_created"}]}`}, "", []string{"webhooks.events should be an array"}},
		{"unknown field", []string{"--body", `{"url": "x", "webhooks": [{"events": ["e"], "jql": "project = A"}]}`}, "", []string{`unknown field "jql"`}},
		{"no webhooks", []string{"--body", `{"url": "x"}`}, "", []string{"has no webhooks"}},
		{"no url", []string{"--body", `{"webhooks": [{"events": ["e"], "jqlFilter": "project = A"}]}`}, "", []string{"--url"}},
		{"missing file", []string{"--body", "@/nonexistent/hooks.json"}, "", []string{"no such file"}},
		{"empty stdin", []string{"--body", "-"}, "", []string{"is empty"}},
		{"both body and flags", []string{"--body", twoHooks, "--jql", "project = A"}, "", []string{"not both"}},
		{"nothing", nil, "", []string{"nothing to register"}},
		{"unknown flag", []string{"--bdy", "{}"}, "", []string{"flag provided but not defined"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := jh(t, s.oauthEnv(), tc.stdin, append([]string{"register"}, tc.args...)...).want(t, exitUsage)
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if !strings.Contains(r.stderr, "jirahooks register --help") {
				t.Errorf("stderr does not point to help:\n%s", r.stderr)
			}
		})
	}
	if n := len(s.jira.Requests()); n != 0 {
		t.Errorf("%d requests reached Jira; usage errors must send nothing", n)
	}
}

func TestListPagesAndJSON(t *testing.T) {
	s := newSite(t, jiratest.WithMaxResults(2))
	env := s.oauthEnv()
	var hooks []string
	for _, p := range []string{"A", "B", "C", "D", "E"} {
		hooks = append(hooks, `{"events": ["jira:issue_created"], "jqlFilter": "project = `+p+`"}`)
	}
	jh(t, env, "", "register", "--body", `{"url": "https://app.example.com/hooks", "webhooks": [`+strings.Join(hooks, ",")+`]}`).want(t, exitOK)

	r := jh(t, env, "", "list", "--json").want(t, exitOK)
	got := decodeJSON[[]webhookJSON](t, r.stdout)
	if len(got) != 5 {
		t.Fatalf("list --json gave %d webhooks, want 5 (over 3 pages)", len(got))
	}
	want := s.jira.Webhooks(s.oauth)
	for i, w := range got {
		if w.ID != want[i].ID || w.JQLFilter != want[i].JQLFilter || !w.ExpirationDate.Equal(want[i].ExpirationDate) {
			t.Errorf("webhook %d: got %+v, want %+v", i, w, want[i])
		}
	}
	pages := 0
	for _, req := range s.jira.Requests() {
		if req.Method == "GET" && strings.HasSuffix(req.Path, "/webhook") {
			pages++
		}
	}
	if pages != 3 {
		t.Errorf("%d list requests, want 3 pages of 2", pages)
	}

	r = jh(t, env, "", "list", "--limit", "3", "--maxResults", "1").want(t, exitOK)
	if !strings.Contains(r.stdout, "3 webhooks") || !strings.Contains(r.stdout, "project = C") || strings.Contains(r.stdout, "project = D") {
		t.Errorf("list --limit 3:\n%s", r.stdout)
	}

	// The jr operation name works too.
	jh(t, env, "", "get-dynamic-webhooks-for-app", "--startAt", "4", "--json").want(t, exitOK)
}

func TestListEmpty(t *testing.T) {
	s := newSite(t)
	r := jh(t, s.oauthEnv(), "", "list", "--json").want(t, exitOK)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty list --json = %q, want []", r.stdout)
	}
	r = jh(t, s.oauthEnv(), "", "list").want(t, exitOK)
	if !strings.Contains(r.stdout, "no webhooks") {
		t.Errorf("empty list: %q", r.stdout)
	}
}

func TestDeleteAndRefresh(t *testing.T) {
	s := newSite(t)
	env := s.oauthEnv()
	r := jh(t, env, "", "register", "--json", "--body", twoHooks).want(t, exitOK)
	regs := decodeJSON[[]registrationJSON](t, r.stdout)
	id1, id2 := regs[0].ID, regs[1].ID

	s.jira.Advance(20 * 24 * 60 * 60 * 1e9) // 20 days
	r = jh(t, env, "", "refresh", "--json", "--body", `{"webhookIds": [`+itoa(id1)+`]}`).want(t, exitOK)
	ref := decodeJSON[refreshJSON](t, r.stdout)
	if len(ref.WebhookIDs) != 1 || !ref.ExpirationDate.Equal(s.jira.Now().Add(jiratest.Lifetime)) {
		t.Errorf("refresh --json = %+v, want expiry %v", ref, s.jira.Now().Add(jiratest.Lifetime))
	}
	r = jh(t, env, "", "refresh", "--all").want(t, exitOK)
	if !strings.Contains(r.stdout, "refreshed webhooks "+itoa(id1)+", "+itoa(id2)) {
		t.Errorf("refresh --all:\n%s", r.stdout)
	}
	for _, w := range s.jira.Webhooks(s.oauth) {
		if !w.ExpirationDate.Equal(s.jira.Now().Add(jiratest.Lifetime)) {
			t.Errorf("webhook %d expires %v after refresh --all", w.ID, w.ExpirationDate)
		}
	}

	// Delete by ID from the command line, then through stdin.
	r = jh(t, env, "", "delete", itoa(id1), "--json").want(t, exitOK)
	del := decodeJSON[idsBody](t, r.stdout)
	if len(del.WebhookIDs) != 1 || del.WebhookIDs[0] != id1 {
		t.Errorf("delete --json = %+v", del)
	}
	jh(t, env, `{"webhookIds": [`+itoa(id2)+`]}`, "delete-by-id", "--body", "-").want(t, exitOK)
	if n := len(s.jira.Webhooks(s.oauth)); n != 0 {
		t.Errorf("%d webhooks left after deleting both", n)
	}

	// Mistakes are usage errors.
	for _, args := range [][]string{
		{"delete"}, {"delete", "abc"}, {"delete", "0"}, {"refresh"}, {"refresh", "--all", "1"},
		{"delete", "--body", `{"webhookIds": "1"}`},
	} {
		r := jh(t, env, "", args...)
		if r.code != exitUsage {
			t.Errorf("jirahooks %v: exit %d, want %d\n%s", args, r.code, exitUsage, r.stderr)
		}
	}
}

func TestFailedWithCursor(t *testing.T) {
	s := newSite(t)
	env := s.connectEnv()
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusGone) // final: Jira does not retry other 4xx
	}))
	defer gone.Close()
	jh(t, env, "", "register", "--url", gone.URL, "--events", "jira:issue_created", "--jql", "project = ABC").want(t, exitOK)
	s.jira.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "ABC-1"}))
	s.jira.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "ABC-2"}))

	r := jh(t, env, "", "failed", "--json", "--max-results", "1").want(t, exitOK)
	f := decodeJSON[failedJSON](t, r.stdout)
	want := s.jira.Failed(s.connect)
	if len(f.Failures) != 2 || len(want) != 2 {
		t.Fatalf("failed --json listed %d failures, the site has %d", len(f.Failures), len(want))
	}
	for i := range want {
		if f.Failures[i].ID != want[i].ID || f.Failures[i].Event != "jira:issue_created" || f.Failures[i].Body != want[i].Body {
			t.Errorf("failure %d = %+v, want %+v", i, f.Failures[i], want[i])
		}
	}
	if f.Cursor == "" {
		t.Fatal("no cursor to resume from")
	}

	// Resuming from the cursor shows only what failed since.
	r = jh(t, env, "", "failed", "--cursor", f.Cursor).want(t, exitOK)
	if !strings.Contains(r.stdout, "no failed deliveries") {
		t.Errorf("failed --cursor before anything new:\n%s", r.stdout)
	}
	s.jira.Advance(60 * 1e9)
	s.jira.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "ABC-3"}))
	r = jh(t, env, "", "failed", "--json", "--cursor", f.Cursor).want(t, exitOK)
	f2 := decodeJSON[failedJSON](t, r.stdout)
	if len(f2.Failures) != 1 || !strings.Contains(f2.Failures[0].Body, "ABC-3") {
		t.Errorf("failed --cursor after one more failure: %+v", f2.Failures)
	}

	// Human output names the event and tells how to resume.
	r = jh(t, env, "", "get-failed").want(t, exitOK)
	if !strings.Contains(r.stdout, "3 failed deliveries") || !strings.Contains(r.stdout, "--cursor") {
		t.Errorf("failed:\n%s", r.stdout)
	}

	// An OAuth app may not list failures; the hint says why.
	r = jh(t, s.oauthEnv(), "", "failed").want(t, exitFailure)
	if !strings.Contains(r.stderr, "hint: only Connect apps") {
		t.Errorf("failed as an OAuth app:\n%s", r.stderr)
	}
	jh(t, env, "", "failed", "--after", "yesterday").want(t, exitUsage)
	jh(t, env, "", "failed", "--after", "24h", "--json").want(t, exitOK)
}

func TestAuthErrors(t *testing.T) {
	s := newSite(t)
	s.jira.AddAdmin("admin@example.com", "admin-api-token")
	for _, tc := range []struct {
		name string
		env  map[string]string
		code int
		want string
	}{
		{"no site", map[string]string{"JIRA_ACCESS_TOKEN": "some-access-token"}, exitUsage, "set JIRA_BASE_URL"},
		{"no credentials", map[string]string{"JIRA_BASE_URL": s.jira.URL()}, exitUsage, "no credentials"},
		{"half a Connect app", map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_APP_KEY": "k"}, exitUsage, "JIRA_SHARED_SECRET"},
		{"two app kinds", map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_ACCESS_TOKEN": "some-access-token", "JIRA_APP_KEY": "k", "JIRA_SHARED_SECRET": "some-shared-secret"}, exitUsage, "choose one with --auth"},
		{"unknown auth", map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_ACCESS_TOKEN": "some-access-token", "JIRA_AUTH": "jwt"}, exitUsage, "use oauth, connect or basic"},
		{"auth not set", map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_ACCESS_TOKEN": "some-access-token", "JIRA_AUTH": "connect"}, exitUsage, "is not set"},
		{"bad version", map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_ACCESS_TOKEN": "some-access-token", "JIRA_API_VERSION": "4"}, exitUsage, "use 3 or 2"},
		{"basic auth", map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_EMAIL": "admin@example.com", "JIRA_API_TOKEN": "admin-api-token"}, exitFailure, "hint: the webhook API only accepts apps"},
		{"wrong token", map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_ACCESS_TOKEN": "not-a-token"}, exitFailure, "hint: Jira did not accept the credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := jh(t, tc.env, "", "list")
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant %q", r.code, tc.code, r.stderr, tc.want)
			}
		})
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	s := newSite(t)
	env := map[string]string{"JIRA_BASE_URL": "http://127.0.0.1:1", "JIRA_ACCESS_TOKEN": "wrong"}
	jh(t, env, "", "list", "--base-url", s.jira.URL(), "--access-token", s.oauth.Token(), "--api-version", "2").want(t, exitOK)
	reqs := s.jira.Requests()
	if len(reqs) != 1 || !strings.HasPrefix(reqs[0].Path, "/rest/api/2/") || reqs[0].App != "cli-oauth" {
		t.Errorf("requests: %+v", reqs)
	}
}

func TestHelpAndUnknownCommand(t *testing.T) {
	r := jh(t, nil, "", "help").want(t, exitOK)
	for _, w := range []string{"register", "keepalive", "Exit codes", "JIRA_SHARED_SECRET"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("help lacks %q", w)
		}
	}
	r = jh(t, nil, "", "register", "--help").want(t, exitOK)
	if !strings.Contains(r.stdout, "@file") || !strings.Contains(r.stdout, "--events") {
		t.Errorf("register --help:\n%s", r.stdout)
	}
	jh(t, nil, "", "help", "list").want(t, exitOK)
	jh(t, nil, "").want(t, exitUsage)
	r = jh(t, nil, "", "regster").want(t, exitUsage)
	if !strings.Contains(r.stderr, `unknown command "regster"`) {
		t.Errorf("stderr: %s", r.stderr)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
