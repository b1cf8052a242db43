package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdminCommands(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.jira.AddAdmin("admin@example.com", "admin-api-token-do-not-print")
	s.jira.AddUser("user@example.com", "user-api-token-do-not-print")
	env := map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_EMAIL": "admin@example.com", "JIRA_API_TOKEN": "admin-api-token-do-not-print",
		"JIRA_WEBHOOK_SECRET": "hub-secret-do-not-print"}

	r := jh(t, env, "", "admin", "list").want(t, exitOK)
	assert.Contains(t, r.stdout, "no admin webhooks", "admin list on an empty site")
	r = jh(t, env, "", "admin", "create", "--name", "ci", "--url", "https://ci.example.com/jira/${issue.key}",
		"--events", "jira:issue_created,jira:issue_updated", "--jql", "project = ABC", "--json").want(t, exitOK)
	created := decodeJSON[adminJSON](t, r.stdout)
	assert.NotZero(t, created.ID, "admin create --json = %+v", created)
	assert.True(t, created.Signed, "admin create --json = %+v", created)
	assert.Equal(t, "project = ABC", created.JQLFilter, "admin create --json = %+v", created)
	assert.Len(t, created.Events, 2, "admin create --json = %+v", created)
	assert.False(t, strings.Contains(r.stdout, "hub-secret-do-not-print"), "the secret was printed:\n%s", r.stdout)
	hooks := s.jira.AdminWebhooks()
	require.Len(t, hooks, 1, "admin webhooks on the site: %+v", hooks)
	require.True(t, hooks[0].HasSecret, "admin webhooks on the site: %+v", hooks)
	require.Equal(t, "https://ci.example.com/jira/${issue.key}", hooks[0].URL, "admin webhooks on the site")

	r = jh(t, env, "", "admin", "list", "--json").want(t, exitOK)
	list := decodeJSON[[]adminJSON](t, r.stdout)
	if assert.Len(t, list, 1, "admin list --json = %+v", list) {
		assert.Equal(t, created.ID, list[0].ID, "admin list --json = %+v", list)
	}
	r = jh(t, env, "", "admin", "get", itoa(created.ID)).want(t, exitOK)
	assert.Contains(t, r.stdout, "ci", "admin get")
	assert.Contains(t, r.stdout, "project = ABC", "admin get")
	jh(t, env, "", "admin", "delete", itoa(created.ID)).want(t, exitOK)
	assert.Empty(t, s.jira.AdminWebhooks(), "admin webhooks left")
	r = jh(t, env, "", "admin", "get", itoa(created.ID)).want(t, exitFailure)
	assert.Contains(t, r.stderr, "admin list' shows the IDs", "admin get of a deleted webhook")

	// A user who is not an administrator is told what is missing.
	user := map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_EMAIL": "user@example.com", "JIRA_API_TOKEN": "user-api-token-do-not-print"}
	r = jh(t, user, "", "admin", "list").want(t, exitFailure)
	assert.Contains(t, r.stderr, "hint: admin webhooks need the credentials of a Jira administrator", "admin list as a user")

	for _, args := range [][]string{
		{"admin"}, {"admin", "frobnicate"}, {"admin", "get"}, {"admin", "delete", "x"},
		{"admin", "create", "--name", "n"}, {"admin", "list", "--jql", "project = A"},
	} {
		jh(t, env, "", args...).want(t, exitUsage)
	}
}
