package e2e_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWithoutAJiraSite is the README's "Without a Jira site" session: the
// fake site, the webhook commands against it, listen receiving what the
// fake delivers and what trigger sends, signed in each of Jira's three
// ways, and a forged delivery refused.
func TestWithoutAJiraSite(t *testing.T) {
	t.Parallel()
	fakeProc, env := fake(t)
	const hubSecret = "e2e-admin-webhook-secret"

	oauthL, oauthURL := listen(t, "--client-secret", env["JIRA_CLIENT_SECRET"])
	connectL, connectURL := listen(t, "--shared-secret", env["JIRA_SHARED_SECRET"])
	hubL, hubURL := listen(t, "--secret", hubSecret)

	// register, list, refresh against the fake, as the OAuth app
	// (JIRA_AUTH=oauth picks it among the fake's credentials).
	r := jh(t, env, "register", "--url", oauthURL, "--events", "jira:issue_updated", "--jql", "project = PRJ", "--json")
	require.Equal(t, 0, r.code, "register: %s", r.stderr)
	var regs []struct {
		ID int64 `json:"id"`
		OK bool  `json:"ok"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &regs), r.stdout)
	require.Len(t, regs, 1)
	require.True(t, regs[0].OK)
	id := strconv.FormatInt(regs[0].ID, 10)

	r = jh(t, env, "list", "--json")
	require.Equal(t, 0, r.code, "list: %s", r.stderr)
	var hooks []struct {
		ID  int64  `json:"id"`
		URL string `json:"url"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &hooks), r.stdout)
	require.Len(t, hooks, 1)
	assert.Equal(t, regs[0].ID, hooks[0].ID)
	assert.Equal(t, oauthURL, hooks[0].URL)

	r = jh(t, env, "refresh", id, "--json")
	require.Equal(t, 0, r.code, "refresh: %s", r.stderr)
	assert.Contains(t, r.stdout, `"expirationDate"`)

	// The fake delivers an event (control API) to the listener, signed
	// with the OAuth app's client secret.
	r = curlEmit(t, env["JIRA_BASE_URL"], `{"event": "jira:issue_updated", "issueKey": "PRJ-7", "summary": "Fix the login"}`)
	assert.Contains(t, r.stdout, `"status":200`)
	oauthL.stdout.waitFor(t, `jira:issue_updated  PRJ-7 "Fix the login".*webhook `+id)

	// An admin webhook, as the administrator (basic auth is chosen for
	// admin commands), delivered with X-Hub-Signature.
	r = jh(t, env, "admin", "create", "--name", "e2e", "--url", hubURL, "--events", "jira:issue_created", "--secret", hubSecret, "--json")
	require.Equal(t, 0, r.code, "admin create: %s", r.stderr)
	curlEmit(t, env["JIRA_BASE_URL"], `{"event": "jira:issue_created", "issueKey": "PRJ-8"}`)
	hubL.stdout.waitFor(t, `jira:issue_created  PRJ-8 `)

	// trigger, signed each way Jira signs, into the matching listener.
	r = jh(t, nil, "trigger", "jira:issue_updated", "--to", hubURL, "--secret", hubSecret, "--issue", "HUB-1")
	require.Equal(t, 0, r.code, "trigger --secret: %s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "200 OK")
	hubL.stdout.waitFor(t, `jira:issue_updated  HUB-1 .*status: To Do → In Progress`)

	r = jh(t, nil, "trigger", "comment_created", "--to", oauthURL, "--client-secret", env["JIRA_CLIENT_SECRET"], "--issue", "OAU-1")
	require.Equal(t, 0, r.code, "trigger --client-secret: %s%s", r.stdout, r.stderr)
	oauthL.stdout.waitFor(t, `comment_created  OAU-1 .*comment `)

	r = jh(t, nil, "trigger", "jira:issue_created", "--to", connectURL, "--shared-secret", env["JIRA_SHARED_SECRET"],
		"--app-key", env["JIRA_APP_KEY"], "--client-key", "e2e-installation", "--repeat", "1", "--json")
	require.Equal(t, 0, r.code, "trigger --shared-secret: %s%s", r.stdout, r.stderr)
	var out struct {
		Signing string `json:"signing"`
		Answers []struct {
			Delivery string `json:"delivery"`
			Retry    int    `json:"retry"`
			Status   int    `json:"status"`
		} `json:"answers"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
	assert.Equal(t, "Connect JWT", out.Signing)
	require.Len(t, out.Answers, 2)
	assert.Equal(t, out.Answers[0].Delivery, out.Answers[1].Delivery, "--repeat resends the same identifier")
	assert.Equal(t, 1, out.Answers[1].Retry)
	connectL.stdout.waitFor(t, `jira:issue_created  PRJ-1 .*tenant e2e-installation`)
	connectL.stderr.waitFor(t, `duplicate of delivery `+out.Answers[0].Delivery+` \(retry 1\), dropped`)

	// A forged delivery is refused with 401 and trigger exits 1.
	r = jh(t, nil, "trigger", "jira:issue_updated", "--to", hubURL, "--secret", "not-the-secret")
	assert.Equal(t, 1, r.code, "forged trigger: %s%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "401 Unauthorized")
	hubL.stderr.waitFor(t, `REFUSED 401`)
	r = jh(t, nil, "trigger", "jira:issue_updated", "--to", oauthURL)
	assert.Equal(t, 1, r.code, "unsigned trigger into a verifying listener")
	assert.Contains(t, r.stdout, "401")

	// delete, and the list is empty.
	r = jh(t, env, "delete", id)
	require.Equal(t, 0, r.code, "delete: %s", r.stderr)
	r = jh(t, env, "list", "--json")
	require.Equal(t, 0, r.code)
	assert.JSONEq(t, `[]`, r.stdout)

	// Nothing printed a secret but the fake's own export lines.
	secrets := []string{hubSecret, "not-the-secret", env["JIRA_CLIENT_SECRET"], env["JIRA_SHARED_SECRET"], env["JIRA_API_TOKEN"], env["JIRA_ACCESS_TOKEN"]}
	for name, p := range map[string]*proc{"listen oauth": oauthL, "listen connect": connectL, "listen hub": hubL} {
		for _, s := range secrets {
			assert.NotContains(t, p.stdout.String()+p.stderr.String(), s, name)
		}
	}
	assert.NotContains(t, fakeProc.stderr.String(), env["JIRA_CLIENT_SECRET"])

	for name, p := range map[string]*proc{"fake": fakeProc, "listen": oauthL} {
		assert.Equal(t, 0, p.stop(t), "%s exits 0 on Ctrl-C", name)
	}
}

// curlEmit emits an event with the control API, as curl would.
func curlEmit(t *testing.T, base, body string) result {
	t.Helper()
	status, b := post(t, base+"/_jiratest/events", body, nil)
	require.Equal(t, 200, status, "%s", b)
	return result{stdout: string(b)}
}

func TestLocalErrors(t *testing.T) {
	t.Parallel()
	_, url := listen(t, "--no-verify")
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"listen", "--addr", addr, "--no-verify"}, 2, "another program listens on " + addr},
		{[]string{"fake", "--addr", addr}, 2, "another program listens on " + addr},
		{[]string{"listen", "--addr", "localhost", "--no-verify"}, 2, "give host:port"},
		{[]string{"fake", "--addr", "127.0.0.1:http-ish"}, 2, "port must be a number"},
		{[]string{"trigger", "jira:issue_create", "--to", url}, 2, `did you mean "jira:issue_created"`},
		{[]string{"trigger", "jira:issue_updated", "--to", "http://127.0.0.1:1/"}, 1, "could not deliver"},
		{[]string{"trigger", "jira:issue_updated"}, 2, "--to"},
		{[]string{"list", "--bogus"}, 2, "flag provided but not defined: --bogus"},
	} {
		r := jh(t, nil, tc.args...)
		assert.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.says, "%v", tc.args)
		assert.NotContains(t, r.stderr, "could not reach Jira", "%v", tc.args)
	}
}
