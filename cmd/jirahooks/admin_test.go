package main

import (
	"strings"
	"testing"
)

func TestAdminCommands(t *testing.T) {
	s := newSite(t)
	s.jira.AddAdmin("admin@example.com", "admin-api-token-do-not-print")
	s.jira.AddUser("user@example.com", "user-api-token-do-not-print")
	env := map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_EMAIL": "admin@example.com", "JIRA_API_TOKEN": "admin-api-token-do-not-print",
		"JIRA_WEBHOOK_SECRET": "hub-secret-do-not-print"}

	r := jh(t, env, "", "admin", "list").want(t, exitOK)
	if !strings.Contains(r.stdout, "no admin webhooks") {
		t.Errorf("admin list on an empty site:\n%s", r.stdout)
	}
	r = jh(t, env, "", "admin", "create", "--name", "ci", "--url", "https://ci.example.com/jira/${issue.key}",
		"--events", "jira:issue_created,jira:issue_updated", "--jql", "project = ABC", "--json").want(t, exitOK)
	created := decodeJSON[adminJSON](t, r.stdout)
	if created.ID == 0 || !created.Signed || created.JQLFilter != "project = ABC" || len(created.Events) != 2 {
		t.Errorf("admin create --json = %+v", created)
	}
	if strings.Contains(r.stdout, "hub-secret-do-not-print") {
		t.Errorf("the secret was printed:\n%s", r.stdout)
	}
	hooks := s.jira.AdminWebhooks()
	if len(hooks) != 1 || !hooks[0].HasSecret || hooks[0].URL != "https://ci.example.com/jira/${issue.key}" {
		t.Fatalf("admin webhooks on the site: %+v", hooks)
	}

	r = jh(t, env, "", "admin", "list", "--json").want(t, exitOK)
	if list := decodeJSON[[]adminJSON](t, r.stdout); len(list) != 1 || list[0].ID != created.ID {
		t.Errorf("admin list --json = %+v", list)
	}
	r = jh(t, env, "", "admin", "get", itoa(created.ID)).want(t, exitOK)
	if !strings.Contains(r.stdout, "ci") || !strings.Contains(r.stdout, "project = ABC") {
		t.Errorf("admin get:\n%s", r.stdout)
	}
	jh(t, env, "", "admin", "delete", itoa(created.ID)).want(t, exitOK)
	if n := len(s.jira.AdminWebhooks()); n != 0 {
		t.Errorf("%d admin webhooks left", n)
	}
	r = jh(t, env, "", "admin", "get", itoa(created.ID)).want(t, exitFailure)
	if !strings.Contains(r.stderr, "admin list' shows the IDs") {
		t.Errorf("admin get of a deleted webhook:\n%s", r.stderr)
	}

	// A user who is not an administrator is told what is missing.
	user := map[string]string{"JIRA_BASE_URL": s.jira.URL(), "JIRA_EMAIL": "user@example.com", "JIRA_API_TOKEN": "user-api-token-do-not-print"}
	r = jh(t, user, "", "admin", "list").want(t, exitFailure)
	if !strings.Contains(r.stderr, "hint: admin webhooks need the credentials of a Jira administrator") {
		t.Errorf("admin list as a user:\n%s", r.stderr)
	}

	for _, args := range [][]string{
		{"admin"}, {"admin", "frobnicate"}, {"admin", "get"}, {"admin", "delete", "x"},
		{"admin", "create", "--name", "n"}, {"admin", "list", "--jql", "project = A"},
	} {
		jh(t, env, "", args...).want(t, exitUsage)
	}
}
