package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
)

func noEnv(string) string { return "" }

func TestQuickstart(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, io.Discard, nil, noEnv), "quickstart failed:\n%s", out.String())
	for _, want := range []string{
		"refused  jira:issue_created", "The clause watchCount is unsupported",
		"page 2: 10002",
		"DEMO-7", "refused: 401",
		"day 27: the Refresher refreshed 10000, 10001", "day 30: Jira deleted 10002",
		"replayed again: dropped as a duplicate",
		"All 6 steps behaved as expected.",
	} {
		assert.Contains(t, out.String(), want, "output lacks it")
	}
	assert.NotContains(t, out.String(), "✗", "a check failed")
}

// The program, built and run as 'go run ./examples/quickstart' runs it,
// exits 0.
func TestQuickstartBinaryExitsZero(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "quickstart")
	out, err := exec.CommandContext(t.Context(), goTool, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build:\n%s", out)
	cmd := exec.CommandContext(t.Context(), bin)
	cmd.Env = cleanEnv()
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "quickstart (exit status %d):\n%s", cmd.ProcessState.ExitCode(), out)
	assert.Contains(t, string(out), "All 6 steps behaved as expected.")
}

// cleanEnv is the environment without JIRA_ variables, so that the program
// prints the same on a machine set up for a real site.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JIRA_") {
			env = append(env, kv)
		}
	}
	return env
}

func TestReportFailsOnAFailedCheck(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	rep := &report{w: &out}
	rep.step("one")
	rep.check(true, "fine")
	rep.check(false, "broken %d", 7)
	require.Error(t, rep.done(), "done() = nil after a failed check")
	assert.Contains(t, out.String(), "✗ broken 7")
	assert.Contains(t, out.String(), "step 1: broken 7")
}

// The real-site path, pointed at an in-memory Jira, as each kind of app.
func TestRealSitePath(t *testing.T) {
	t.Parallel()
	jira := jiratest.NewServer()
	defer jira.Close()
	oauth := jira.AddOAuthApp("qs-oauth", []byte("client-secret"))
	jira.AddConnectApp("qs-connect", []byte("shared-secret"))
	for name, env := range map[string]map[string]string{
		"oauth":   {"JIRA_ACCESS_TOKEN": oauth.Token()},
		"connect": {"JIRA_APP_KEY": "qs-connect", "JIRA_SHARED_SECRET": "shared-secret"},
	} {
		t.Run(name, func(t *testing.T) {
			env["JIRA_BASE_URL"] = jira.URL()
			env["JIRA_WEBHOOK_URL"] = "https://" + name + ".example.com/hooks"
			var out bytes.Buffer
			require.NoError(t, run(t.Context(), &out, io.Discard, []string{"-real"}, func(k string) string { return env[k] }), "output:\n%s", out.String())
			assert.Contains(t, out.String(), "All 6 steps behaved as expected.")
		})
	}
	assert.Empty(t, jira.Webhooks(nil), "webhooks left on the site")

	// Without a webhook URL or credentials, it says what to set.
	for _, env := range []map[string]string{
		{"JIRA_BASE_URL": jira.URL(), "JIRA_ACCESS_TOKEN": oauth.Token()},
		{"JIRA_BASE_URL": jira.URL(), "JIRA_WEBHOOK_URL": "https://x.example.com"},
	} {
		err := run(t.Context(), &bytes.Buffer{}, io.Discard, []string{"-real"}, func(k string) string { return env[k] })
		assert.ErrorContains(t, err, "set JIRA_", "env %v", env)
	}
}

// JIRA_BASE_URL alone never sends the demo to a real site: only -real does,
// and -real without a site is a usage error.
func TestRealRunNeedsTheFlag(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JIRA_BASE_URL": "http://127.0.0.1:1", "JIRA_ACCESS_TOKEN": "t", "JIRA_WEBHOOK_URL": "https://x.example.com"}
	var out, errOut bytes.Buffer
	require.NoError(t, run(t.Context(), &out, &errOut, nil, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "All 6 steps behaved as expected.")
	assert.Contains(t, errOut.String(), "add -real")

	err := run(t.Context(), io.Discard, io.Discard, []string{"-real"}, noEnv)
	require.ErrorIs(t, err, errUsage)
	assert.ErrorContains(t, err, "JIRA_BASE_URL")

	assert.ErrorIs(t, run(t.Context(), io.Discard, io.Discard, []string{"-bogus"}, noEnv), errUsage)
	assert.ErrorIs(t, run(t.Context(), io.Discard, io.Discard, []string{"extra"}, noEnv), errUsage)
}
