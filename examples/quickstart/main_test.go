package main

import (
	"bytes"
	"context"
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
	var out bytes.Buffer
	if err := run(context.Background(), &out, io.Discard, nil, noEnv); err != nil {
		t.Fatalf("quickstart failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"refused  jira:issue_created", "The clause watchCount is unsupported",
		"page 2: 10002",
		"DEMO-7", "refused: 401",
		"day 27: the Refresher refreshed 10000, 10001", "day 30: Jira deleted 10002",
		"replayed again: dropped as a duplicate",
		"All 6 steps behaved as expected.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "✗") {
		t.Errorf("a check failed:\n%s", out.String())
	}
}

// The program, built and run as 'go run ./examples/quickstart' runs it,
// exits 0.
func TestQuickstartBinaryExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "quickstart")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quickstart: %v (exit status %d)\n%s", err, cmd.ProcessState.ExitCode(), out)
	}
	if !strings.Contains(string(out), "All 6 steps behaved as expected.") {
		t.Errorf("output:\n%s", out)
	}
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
	var out bytes.Buffer
	rep := &report{w: &out}
	rep.step("one")
	rep.check(true, "fine")
	rep.check(false, "broken %d", 7)
	if err := rep.done(); err == nil {
		t.Fatal("done() = nil after a failed check")
	}
	if !strings.Contains(out.String(), "✗ broken 7") || !strings.Contains(out.String(), "step 1: broken 7") {
		t.Errorf("output:\n%s", out.String())
	}
}

// The real-site path, pointed at an in-memory Jira, as each kind of app.
func TestRealSitePath(t *testing.T) {
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
			if err := run(context.Background(), &out, io.Discard, []string{"-real"}, func(k string) string { return env[k] }); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "All 6 steps behaved as expected.") {
				t.Errorf("output:\n%s", out.String())
			}
		})
	}
	if n := len(jira.Webhooks(nil)); n != 0 {
		t.Errorf("%d webhooks left on the site", n)
	}

	// Without a webhook URL or credentials, it says what to set.
	for _, env := range []map[string]string{
		{"JIRA_BASE_URL": jira.URL(), "JIRA_ACCESS_TOKEN": oauth.Token()},
		{"JIRA_BASE_URL": jira.URL(), "JIRA_WEBHOOK_URL": "https://x.example.com"},
	} {
		err := run(context.Background(), &bytes.Buffer{}, io.Discard, []string{"-real"}, func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), "set JIRA_") {
			t.Errorf("env %v: err = %v", env, err)
		}
	}
}

// JIRA_BASE_URL alone never sends the demo to a real site: only -real does,
// and -real without a site is a usage error.
func TestRealRunNeedsTheFlag(t *testing.T) {
	env := map[string]string{"JIRA_BASE_URL": "http://127.0.0.1:1", "JIRA_ACCESS_TOKEN": "t", "JIRA_WEBHOOK_URL": "https://x.example.com"}
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), &out, &errOut, nil, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "All 6 steps behaved as expected.")
	assert.Contains(t, errOut.String(), "add -real")

	err := run(context.Background(), io.Discard, io.Discard, []string{"-real"}, noEnv)
	require.ErrorIs(t, err, errUsage)
	assert.ErrorContains(t, err, "JIRA_BASE_URL")

	assert.ErrorIs(t, run(context.Background(), io.Discard, io.Discard, []string{"-bogus"}, noEnv), errUsage)
	assert.ErrorIs(t, run(context.Background(), io.Discard, io.Discard, []string{"extra"}, noEnv), errUsage)
}
