package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/testclock"
	"github.com/jirahooks/jirahooks/jiratest"
)

const day = 24 * time.Hour

// onceClock returns the site's fake clock as the Refresher's clock;
// keepalive --once never sleeps.
func onceClock(c *jiratest.Clock) *testclock.Clock {
	clk := testclock.Of(c)
	clk.Wait = func(context.Context, time.Duration) error { panic("keepalive --once slept") }
	return clk
}

func TestKeepaliveOnceRefreshesEverything(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	env := s.oauthEnv()
	jh(t, env, "", "register", "--body", twoHooks).want(t, exitOK)
	s.jira.Advance(28 * day) // within three days of expiry

	clock := onceClock(s.jira.Clock())
	r := jhClock(t, clock, env, "", "keepalive", "--once").want(t, exitOK)
	assert.Contains(t, r.stdout, "refreshed", "keepalive --once")
	assert.Contains(t, r.stdout, "2 webhooks kept alive", "keepalive --once")
	for _, w := range s.jira.Webhooks(s.oauth) {
		assert.True(t, w.ExpirationDate.Equal(s.jira.Now().Add(jiratest.Lifetime)), "webhook %d expires %v, want refreshed to %v", w.ID, w.ExpirationDate, s.jira.Now().Add(jiratest.Lifetime))
	}
	// Another run right after has nothing to do, and says what it left.
	r = jhClock(t, clock, env, "", "keepalive", "--once", "--json").want(t, exitOK)
	var sum syncSummary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum), "one JSON line: %s", r.stdout)
	assert.Equal(t, "summary", sum.Kind)
	assert.Equal(t, 2, sum.Webhooks)
	assert.True(t, sum.EarliestExpiry.Equal(s.jira.Now().Add(jiratest.Lifetime)), "earliest expiry %v", sum.EarliestExpiry)
}

func TestKeepaliveOnceWithNothingToKeep(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	r := jh(t, s.oauthEnv(), "", "keepalive", "--once").want(t, exitOK)
	assert.Contains(t, r.stdout, ": 0 webhooks kept alive\n")
	assert.NotContains(t, r.stdout, "- UTC")
	r = jh(t, s.oauthEnv(), "", "keepalive", "--once", "--json").want(t, exitOK)
	assert.Contains(t, r.stdout, `"kind":"summary"`)
	assert.Contains(t, r.stdout, `"webhooks":0`)
	assert.NotContains(t, r.stdout, "earliestExpiry")

	help := jh(t, nil, "", "keepalive", "--help").want(t, exitOK).stdout
	line := regexp.MustCompile(`(?m)^.*--check-interval.*$`).FindString(help)
	assert.Equal(t, 1, strings.Count(line, "default"), "one default for --check-interval: %q", line)
}

func TestKeepaliveOnceRegistersWhatIsMissing(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	r := jh(t, s.oauthEnv(), "", "keepalive", "--once", "--json",
		"--url", "https://app.example.com/hooks", "--events", "jira:issue_created,jira:issue_updated", "--jql", "project = ABC").want(t, exitOK)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2, "an event and the summary: %s", r.stdout)
	var ev refresherJSON
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &ev))
	assert.Contains(t, lines[1], `"kind":"summary"`)
	hooks := s.jira.Webhooks(s.oauth)
	require.Len(t, hooks, 1, "webhooks %+v", hooks)
	assert.Equal(t, "registered", ev.Kind, "event %+v", ev)
	assert.Equal(t, []int64{hooks[0].ID}, ev.IDs, "event %+v, webhooks %+v", ev, hooks)
	assert.Equal(t, "project = ABC", ev.JQLFilter, "event %+v", ev)

	// A declaration Jira refuses is reported.
	r = jh(t, s.oauthEnv(), "", "keepalive", "--once", "--body",
		`{"url": "https://app.example.com/hooks", "webhooks": [{"events": ["jira:issue_created"], "jqlFilter": "watchCount > 1"}]}`).want(t, exitRefused)
	assert.Contains(t, r.stdout, "Jira refused: The clause watchCount is unsupported", "refusal not reported")
}

func TestKeepaliveRunsUntilStopped(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	stdout, stderr, stop := background(t, s.oauthEnv(), "keepalive",
		"--url", "https://app.example.com/hooks", "--events", "jira:issue_created", "--jql", "project = ABC")
	stderr.waitFor(t, `keeping 1 declared webhook alive on 127\.0\.0\.1:\d+; Ctrl-C to stop`)
	stdout.waitFor(t, `registered\s+127\.0\.0\.1:\d+  webhook \d+  \(jira:issue_created, project = ABC\)`)
	assert.Equal(t, exitOK, stop(), "keepalive's exit code after Ctrl-C")
	assert.Len(t, s.jira.Webhooks(s.oauth), 1, "webhooks")
}

func TestKeepaliveUsage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	for _, args := range [][]string{
		{"keepalive", "--url", "https://app.example.com/hooks"},
		{"keepalive", "--body", `{"url": "x"}`},
		{"keepalive", "--body", `[`},
	} {
		jh(t, s.oauthEnv(), "", args...).want(t, exitUsage)
	}
	assert.Empty(t, s.jira.Requests(), "requests sent by usage errors")
}
