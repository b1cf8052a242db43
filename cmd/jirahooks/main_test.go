package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	c := &cli{ctx: t.Context(), stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return env[k] }, clock: clock}
	code := c.run(args)
	r := result{code, out.String(), errb.String()}
	for _, secret := range []string{oauthSecret, connectSecret, env["JIRA_ACCESS_TOKEN"], env["JIRA_API_TOKEN"], env["JIRA_SHARED_SECRET"], env["JIRA_WEBHOOK_SECRET"]} {
		if secret != "" {
			assert.False(t, strings.Contains(r.stdout+r.stderr, secret), "jirahooks %s printed a secret:\n%s%s", strings.Join(args, " "), r.stdout, r.stderr)
		}
	}
	return r
}

func (r result) want(t *testing.T, code int) result {
	t.Helper()
	require.Equal(t, code, r.code, "exit code\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	return r
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(s), &v), "output is not the JSON expected:\n%s", s)
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
	t.Parallel()
	s := newSite(t)
	env := s.oauthEnv()

	// Inline JSON.
	r := jh(t, env, "", "register", "--body", twoHooks).want(t, exitOK)
	assert.Contains(t, r.stdout, "registered", "register output")
	assert.Contains(t, r.stdout, "project = ABC AND status = Done", "register output")
	require.Len(t, s.jira.Webhooks(s.oauth), 2, "webhooks on the site after inline register")

	// @file, with --url replacing the body's URL is refused by Jira (one
	// URL per app), so keep the URL and register another webhook.
	file := filepath.Join(t.TempDir(), "hooks.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"url": "https://app.example.com/hooks", "webhooks": [{"events": ["jira:issue_deleted"], "jqlFilter": "project = XYZ"}]}`), 0o600))
	r = jh(t, env, "", "register", "--json", "--body", "@"+file).want(t, exitOK)
	regs := decodeJSON[[]registrationJSON](t, r.stdout)
	require.Len(t, regs, 1, "register @file --json: %+v", regs)
	require.True(t, regs[0].OK, "register @file --json: %+v", regs)
	require.NotZero(t, regs[0].ID, "register @file --json: %+v", regs)

	// Standard input.
	r = jh(t, env, `{"url": "https://app.example.com/hooks", "webhooks": [{"events": ["comment_deleted"], "jqlFilter": "project = XYZ"}]}`,
		"register", "--body", "-", "--json").want(t, exitOK)
	regs = decodeJSON[[]registrationJSON](t, r.stdout)
	require.Len(t, regs, 1, "register - --json: %+v", regs)
	require.True(t, regs[0].OK, "register - --json: %+v", regs)
	assert.Len(t, s.jira.Webhooks(s.oauth), 4, "webhooks on the site")
}

func TestRegisterWithFlags(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	jh(t, s.oauthEnv(), "", "register", "--url", "https://app.example.com/hooks",
		"--events", "jira:issue_updated", "--jql", "project = ABC", "--field-ids", "summary,status").want(t, exitOK)
	hooks := s.jira.Webhooks(s.oauth)
	require.Len(t, hooks, 1, "registered %+v", hooks)
	assert.Equal(t, "project = ABC", hooks[0].JQLFilter, "registered %+v", hooks)
	assert.Equal(t, []string{"summary", "status"}, hooks[0].FieldIDsFilter, "registered %+v", hooks)
}

func TestRegisterRefusedItemExits3(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	body := `{"url": "https://app.example.com/hooks", "webhooks": [
		{"events": ["jira:issue_created"], "jqlFilter": "project = ABC"},
		{"events": ["jira:issue_created"], "jqlFilter": "watchCount > 1"}]}`
	r := jh(t, s.oauthEnv(), "", "register", "--body", body).want(t, exitRefused)
	assert.Contains(t, r.stdout, "REFUSED", "refusal not shown")
	assert.Contains(t, r.stdout, "watchCount is unsupported", "refusal not shown")
	assert.Contains(t, r.stderr, "refused 1 of 2")
	r = jh(t, s.oauthEnv(), "", "register", "--json", "--body", body).want(t, exitRefused)
	regs := decodeJSON[[]registrationJSON](t, r.stdout)
	require.Len(t, regs, 2, "--json: %+v", regs)
	assert.True(t, regs[0].OK, "--json: %+v", regs)
	assert.False(t, regs[1].OK, "--json: %+v", regs)
	assert.NotEmpty(t, regs[1].Errors, "--json: %+v", regs)
	assert.Equal(t, "watchCount > 1", regs[1].JQLFilter, "--json: %+v", regs)
}

func TestRegisterBadBody(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	file := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(file, []byte("{\n  \"url\": \"https://app.example.com\",\n  \"webhooks\": [\n    {\"events\": [\"jira:issue_created\"],, }\n  ]\n}"), 0o600))
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
		t.Run(tc.name, func(t *testing.T) { // serial: the check after the loop counts their requests
			r := jh(t, s.oauthEnv(), tc.stdin, append([]string{"register"}, tc.args...)...).want(t, exitUsage)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Contains(t, r.stderr, "jirahooks register --help", "stderr does not point to help")
		})
	}
	assert.Empty(t, s.jira.Requests(), "requests reached Jira; usage errors must send nothing")
}

func TestListPagesAndJSON(t *testing.T) {
	t.Parallel()
	s := newSite(t, jiratest.WithMaxResults(2))
	env := s.oauthEnv()
	var hooks []string
	for _, p := range []string{"A", "B", "C", "D", "E"} {
		hooks = append(hooks, `{"events": ["jira:issue_created"], "jqlFilter": "project = `+p+`"}`)
	}
	jh(t, env, "", "register", "--body", `{"url": "https://app.example.com/hooks", "webhooks": [`+strings.Join(hooks, ",")+`]}`).want(t, exitOK)

	r := jh(t, env, "", "list", "--json").want(t, exitOK)
	got := decodeJSON[[]webhookJSON](t, r.stdout)
	require.Len(t, got, 5, "list --json: want 5 webhooks (over 3 pages)")
	want := s.jira.Webhooks(s.oauth)
	require.Len(t, want, 5, "webhooks on the site")
	for i, w := range got {
		assert.Equal(t, want[i].ID, w.ID, "webhook %d: got %+v, want %+v", i, w, want[i])
		assert.Equal(t, want[i].JQLFilter, w.JQLFilter, "webhook %d: got %+v, want %+v", i, w, want[i])
		assert.True(t, w.ExpirationDate.Equal(want[i].ExpirationDate), "webhook %d: got %+v, want %+v", i, w, want[i])
	}
	pages := 0
	for _, req := range s.jira.Requests() {
		if req.Method == "GET" && strings.HasSuffix(req.Path, "/webhook") {
			pages++
		}
	}
	assert.Equal(t, 3, pages, "list requests: want 3 pages of 2")

	r = jh(t, env, "", "list", "--limit", "3", "--maxResults", "1").want(t, exitOK)
	assert.Contains(t, r.stdout, "3 webhooks", "list --limit 3")
	assert.Contains(t, r.stdout, "project = C", "list --limit 3")
	assert.NotContains(t, r.stdout, "project = D", "list --limit 3")

	// The jr operation name works too.
	jh(t, env, "", "get-dynamic-webhooks-for-app", "--startAt", "4", "--json").want(t, exitOK)
}

func TestListEmpty(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	r := jh(t, s.oauthEnv(), "", "list", "--json").want(t, exitOK)
	assert.Equal(t, "[]", strings.TrimSpace(r.stdout), "empty list --json")
	r = jh(t, s.oauthEnv(), "", "list").want(t, exitOK)
	assert.Contains(t, r.stdout, "no webhooks", "empty list")
}

func TestDeleteAndRefresh(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	env := s.oauthEnv()
	r := jh(t, env, "", "register", "--json", "--body", twoHooks).want(t, exitOK)
	regs := decodeJSON[[]registrationJSON](t, r.stdout)
	require.Len(t, regs, 2)
	id1, id2 := regs[0].ID, regs[1].ID

	s.jira.Advance(20 * 24 * 60 * 60 * 1e9) // 20 days
	r = jh(t, env, "", "refresh", "--json", "--body", `{"webhookIds": [`+itoa(id1)+`]}`).want(t, exitOK)
	ref := decodeJSON[refreshJSON](t, r.stdout)
	assert.Len(t, ref.WebhookIDs, 1, "refresh --json = %+v", ref)
	assert.True(t, ref.ExpirationDate.Equal(s.jira.Now().Add(jiratest.Lifetime)), "refresh --json = %+v, want expiry %v", ref, s.jira.Now().Add(jiratest.Lifetime))
	r = jh(t, env, "", "refresh", "--all").want(t, exitOK)
	assert.Contains(t, r.stdout, "refreshed webhooks "+itoa(id1)+", "+itoa(id2), "refresh --all")
	for _, w := range s.jira.Webhooks(s.oauth) {
		assert.True(t, w.ExpirationDate.Equal(s.jira.Now().Add(jiratest.Lifetime)), "webhook %d expires %v after refresh --all", w.ID, w.ExpirationDate)
	}

	// Delete by ID from the command line, then through stdin.
	r = jh(t, env, "", "delete", itoa(id1), "--json").want(t, exitOK)
	del := decodeJSON[idsBody](t, r.stdout)
	assert.Equal(t, []int64{id1}, del.WebhookIDs, "delete --json")
	jh(t, env, `{"webhookIds": [`+itoa(id2)+`]}`, "delete-by-id", "--body", "-").want(t, exitOK)
	assert.Empty(t, s.jira.Webhooks(s.oauth), "webhooks left after deleting both")

	// Mistakes are usage errors.
	for _, args := range [][]string{
		{"delete"}, {"delete", "abc"}, {"delete", "0"}, {"refresh"}, {"refresh", "--all", "1"},
		{"delete", "--body", `{"webhookIds": "1"}`},
	} {
		r := jh(t, env, "", args...)
		assert.Equal(t, exitUsage, r.code, "jirahooks %v: exit\n%s", args, r.stderr)
	}
}

func TestFailedWithCursor(t *testing.T) {
	t.Parallel()
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
	require.Len(t, want, 2, "failures on the site")
	require.Len(t, f.Failures, 2, "failed --json listed")
	for i := range want {
		assert.Equal(t, want[i].ID, f.Failures[i].ID, "failure %d = %+v, want %+v", i, f.Failures[i], want[i])
		assert.Equal(t, "jira:issue_created", f.Failures[i].Event, "failure %d = %+v, want %+v", i, f.Failures[i], want[i])
		assert.Equal(t, want[i].Body, f.Failures[i].Body, "failure %d = %+v, want %+v", i, f.Failures[i], want[i])
	}
	require.NotEmpty(t, f.Cursor, "no cursor to resume from")

	// Resuming from the cursor shows only what failed since.
	r = jh(t, env, "", "failed", "--cursor", f.Cursor).want(t, exitOK)
	assert.Contains(t, r.stdout, "no failed deliveries", "failed --cursor before anything new")
	s.jira.Advance(60 * 1e9)
	s.jira.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "ABC-3"}))
	r = jh(t, env, "", "failed", "--json", "--cursor", f.Cursor).want(t, exitOK)
	f2 := decodeJSON[failedJSON](t, r.stdout)
	if assert.Len(t, f2.Failures, 1, "failed --cursor after one more failure") {
		assert.Contains(t, f2.Failures[0].Body, "ABC-3", "failed --cursor after one more failure")
	}

	// Human output names the event and tells how to resume.
	r = jh(t, env, "", "get-failed").want(t, exitOK)
	assert.Contains(t, r.stdout, "3 failed deliveries", "failed")
	assert.Contains(t, r.stdout, "--cursor", "failed")

	// An OAuth app may not list failures; the hint says why.
	r = jh(t, s.oauthEnv(), "", "failed").want(t, exitFailure)
	assert.Contains(t, r.stderr, "hint: only Connect apps", "failed as an OAuth app")
	jh(t, env, "", "failed", "--after", "yesterday").want(t, exitUsage)
	jh(t, env, "", "failed", "--after", "24h", "--json").want(t, exitOK)
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
			r := jh(t, tc.env, "", "list")
			assert.Equal(t, tc.code, r.code, "exit code; stderr:\n%s", r.stderr)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	env := map[string]string{"JIRA_BASE_URL": "http://127.0.0.1:1", "JIRA_ACCESS_TOKEN": "wrong"}
	jh(t, env, "", "list", "--base-url", s.jira.URL(), "--access-token", s.oauth.Token(), "--api-version", "2").want(t, exitOK)
	reqs := s.jira.Requests()
	require.Len(t, reqs, 1, "requests: %+v", reqs)
	assert.True(t, strings.HasPrefix(reqs[0].Path, "/rest/api/2/"), "requests: %+v", reqs)
	assert.Equal(t, "cli-oauth", reqs[0].App, "requests: %+v", reqs)
}

func TestHelpAndUnknownCommand(t *testing.T) {
	t.Parallel()
	r := jh(t, nil, "", "help").want(t, exitOK)
	for _, w := range []string{"register", "keepalive", "Exit codes", "JIRA_SHARED_SECRET"} {
		assert.Contains(t, r.stdout, w, "help")
	}
	r = jh(t, nil, "", "register", "--help").want(t, exitOK)
	assert.Contains(t, r.stdout, "@file", "register --help")
	assert.Contains(t, r.stdout, "--events", "register --help")
	jh(t, nil, "", "help", "list").want(t, exitOK)
	jh(t, nil, "").want(t, exitUsage)
	r = jh(t, nil, "", "regster").want(t, exitUsage)
	assert.Contains(t, r.stderr, `unknown command "regster"`)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
