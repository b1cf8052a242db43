package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnknownEventsAreCaughtLocally(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.jira.AddAdmin("admin@example.com", "admin-api-token")
	admin := map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_EMAIL": "admin@example.com", "JIRA_API_TOKEN": "admin-api-token"}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{s.oauthEnv(), []string{"register", "--url", "https://app.example.com/h", "--events", "jira:issue_create", "--jql", "project = A"}, "jira:issue_created"},
		{s.oauthEnv(), []string{"register", "--body", `{"url": "https://app.example.com/h", "webhooks": [{"events": ["comment_created", "coment_updated"], "jqlFilter": "project = A"}]}`}, "comment_updated"},
		{s.oauthEnv(), []string{"keepalive", "--once", "--url", "https://app.example.com/h", "--events", "sprint_start", "--jql", "project = A"}, "sprint_started"},
		{admin, []string{"admin", "create", "--name", "n", "--url", "https://app.example.com/h", "--events", "jira:version_release"}, "jira:version_released"},
	} {
		r := jh(t, tc.env, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, `did you mean "`+tc.want+`"?`, "%v", tc.args)
		assert.Contains(t, r.stderr, "--allow-unknown-events")
	}
	assert.Empty(t, s.jira.Requests(), "nothing reached Jira")

	// Allowed, the name goes to Jira, which refuses it for itself.
	r := jh(t, s.oauthEnv(), "", "register", "--allow-unknown-events", "--url", "https://app.example.com/h", "--events", "jira:issue_create", "--jql", "project = A")
	assert.Equal(t, exitRefused, r.code, r.stderr)
	assert.Len(t, s.jira.Requests(), 1)
}

func TestIDsGivenTwiceAreAUsageError(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	for _, cmd := range []string{"delete", "refresh"} {
		r := jh(t, s.oauthEnv(), "", cmd, "--body", `{"webhookIds": [10000]}`, "10001")
		assert.Equal(t, exitUsage, r.code, cmd)
		assert.Contains(t, r.stderr, "as arguments or in --body, not both", cmd)
	}
	assert.Empty(t, s.jira.Requests())
}

func TestFlagErrorsSpellFlagsAsTheHelpDoes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--bogus"}, "flag provided but not defined: --bogus"},
		{[]string{"list", "-bogus"}, "flag provided but not defined: --bogus"},
		{[]string{"list", "--max-results", "many"}, `invalid value "many" for flag --max-results`},
		{[]string{"listen", "--addr"}, "flag needs an argument: --addr"},
		{[]string{"refresh", "--all=maybe"}, "--all"},
	} {
		r := jh(t, nil, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v", tc.args)
		assert.Contains(t, r.stderr, tc.want, "%v", tc.args)
		assert.NotRegexp(t, `(^|[ :])-[a-z]`, strings.SplitN(r.stderr, "\n", 2)[0], "%v", tc.args)
	}
	assert.Equal(t, "-5 is not --x; a-b stays", doubleDash("-5 is not -x; a-b stays"))
}

func TestHelpListsEveryVariableAndCommand(t *testing.T) {
	t.Parallel()
	help := jh(t, nil, "", "help").want(t, exitOK).stdout
	for _, want := range []string{"JIRA_CLIENT_SECRET", "JIRA_WEBHOOK_SECRET", "JIRA_AUTH", "JIRA_SHARED_SECRET", "fake ", "trigger ", "usage or local error", "receiver did not answer 2xx"} {
		assert.Contains(t, help, want)
	}
	for _, cmd := range []string{"fake", "trigger"} {
		r := jh(t, nil, "", cmd, "--help").want(t, exitOK)
		assert.Contains(t, r.stdout, "Usage: jirahooks "+cmd)
	}
}

func TestListenAndFakeAddressErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"listen", "--no-verify", "--addr", "8080"}, "give host:port"},
		{[]string{"listen", "--no-verify", "--addr", "127.0.0.1:99999"}, "port must be a number from 0 to 65535"},
		{[]string{"fake", "--addr", "::1"}, "give host:port"},
		{[]string{"fake", "--seed", "-3"}, "non-negative whole number"},
		{[]string{"fake", "extra"}, "unexpected argument"},
	} {
		r := jh(t, nil, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v", tc.args)
		assert.Contains(t, r.stderr, tc.want, "%v", tc.args)
		assert.NotContains(t, r.stderr, "Jira")
	}
}

// TestFakeEnvironmentDrivesEveryCommand runs fake in-process and uses its
// export lines as a shell would after sourcing them.
func TestFakeEnvironmentDrivesEveryCommand(t *testing.T) {
	t.Parallel()
	stdout, stderr, stop := background(t, nil, "fake", "--addr", "127.0.0.1:0", "--seed", "3")
	stdout.waitFor(t, `(?m)^export JIRA_AUTH=oauth$`)
	assert.Regexp(t, `a Jira site at http://127\.0\.0\.1:\d+ \(control API: http://127\.0\.0\.1:\d+/_jiratest\)`, stderr.String())
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^export (\w+)=(\S+)$`).FindAllStringSubmatch(stdout.String(), -1) {
		env[m[1]] = m[2]
	}
	require.Len(t, env, 8, stdout.String())

	jh(t, env, "", "list").want(t, exitOK)                        // the OAuth app (JIRA_AUTH)
	jh(t, env, "", "admin", "list").want(t, exitOK)               // the administrator
	jh(t, env, "", "failed", "--auth", "connect").want(t, exitOK) // the Connect app
	r := jh(t, env, "", "failed")                                 // OAuth apps cannot list failures
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "only Connect apps")
	assert.Equal(t, exitOK, stop(), "fake exits 0 when interrupted")
}
