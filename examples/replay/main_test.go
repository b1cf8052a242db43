package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	var out, logs bytes.Buffer
	require.NoError(t, demo(t.Context(), &out, slog.New(slog.NewTextHandler(&logs, nil))), "demo:\n%s%s", out.String(), logs.String())
	for _, want := range []string{"Jira gave up on 2 deliveries", "replayed 2;", "replays 0"} {
		assert.Contains(t, out.String(), want, "output lacks it")
	}
	for _, key := range []string{"OPS-7", "OPS-8"} {
		assert.Equal(t, 1, strings.Count(logs.String(), "issue="+key), "%s handled how often (want once):\n%s", key, logs.String())
	}
}

// A failure that reached the app after all (Jira gave up, yet the last
// attempt got through) is not handled twice.
func TestReplayOfAHandledDeliveryIsDropped(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	a := newApp("tenant-1", []byte("secret"), slog.New(slog.NewTextHandler(&logs, nil)))
	body := webhookstest.Payload("issue_updated")

	live := webhookstest.NewRequest("/jira/events", body, webhookstest.Connect{ClientKey: "tenant-1", SharedSecret: []byte("secret")})
	webhookstest.SetDelivery(live, "d-1", 0)
	rec := httptest.NewRecorder()
	a.live.ServeHTTP(rec, live)
	require.Equal(t, http.StatusOK, rec.Code, "live delivery")

	err := a.live.Replay(t.Context(), a.clientKey, webhooks.FailedWebhook{ID: "d-1", Body: string(body)})
	require.ErrorIs(t, err, webhooks.ErrDuplicate, "replay")
	assert.Equal(t, 1, strings.Count(logs.String(), "msg=handled"), "handled how often (want once):\n%s", logs.String())
}

// A delivery handled by a replay is not handled again when Jira's own
// attempt gets through later.
func TestLiveDeliveryAfterReplayIsDropped(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	a := newApp("tenant-1", []byte("secret"), slog.New(slog.NewTextHandler(&logs, nil)))
	body := webhookstest.Payload("issue_updated")
	require.NoError(t, a.live.Replay(t.Context(), a.clientKey, webhooks.FailedWebhook{ID: "d-2", Body: string(body)}), "replay")
	live := webhookstest.NewRequest("/jira/events", body, webhookstest.Connect{ClientKey: "tenant-1", SharedSecret: []byte("secret")})
	webhookstest.SetDelivery(live, "d-2", 5)
	rec := httptest.NewRecorder()
	a.live.ServeHTTP(rec, live)
	require.Equal(t, http.StatusOK, rec.Code, "live delivery")
	assert.Equal(t, 1, strings.Count(logs.String(), "msg=handled"), "handled how often (want once, by the replay):\n%s", logs.String())
	assert.Contains(t, logs.String(), "replay=true", "handled, but not by the replay")
}

// JIRA_BASE_URL alone never points the program at a real site: only -real
// does, and -real without a site is a usage error.
func TestRealRunNeedsTheFlag(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JIRA_BASE_URL": "http://127.0.0.1:1", "JIRA_APP_KEY": "k", "JIRA_SHARED_SECRET": "s"}
	var out, errOut bytes.Buffer
	logger := slog.New(slog.DiscardHandler)
	require.NoError(t, run(t.Context(), false, "", &out, &errOut, func(k string) string { return env[k] }, logger))
	assert.Contains(t, out.String(), "Jira gave up on 2 deliveries", "the in-memory demo ran")
	assert.Contains(t, errOut.String(), "add -real")

	err := run(t.Context(), true, "", io.Discard, io.Discard, func(string) string { return "" }, logger)
	require.ErrorIs(t, err, errUsage)
	assert.ErrorContains(t, err, "JIRA_BASE_URL")
}
