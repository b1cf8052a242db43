package main

import (
	"bytes"
	"context"
	"errors"
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
	var out, logs bytes.Buffer
	if err := demo(context.Background(), &out, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatalf("demo: %v\n%s%s", err, out.String(), logs.String())
	}
	for _, want := range []string{"Jira gave up on 2 deliveries", "replayed 2;", "replays 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, key := range []string{"OPS-7", "OPS-8"} {
		if n := strings.Count(logs.String(), "issue="+key); n != 1 {
			t.Errorf("%s handled %d times, want once:\n%s", key, n, logs.String())
		}
	}
}

// A failure that reached the app after all (Jira gave up, yet the last
// attempt got through) is not handled twice.
func TestReplayOfAHandledDeliveryIsDropped(t *testing.T) {
	var logs bytes.Buffer
	a := newApp("tenant-1", []byte("secret"), slog.New(slog.NewTextHandler(&logs, nil)))
	body := webhookstest.Payload("issue_updated")

	live := webhookstest.NewRequest("/jira/events", body, webhookstest.Connect{ClientKey: "tenant-1", SharedSecret: []byte("secret")})
	webhookstest.SetDelivery(live, "d-1", 0)
	rec := httptest.NewRecorder()
	a.live.ServeHTTP(rec, live)
	if rec.Code != http.StatusOK {
		t.Fatalf("live delivery: %d", rec.Code)
	}

	err := a.live.Replay(context.Background(), a.clientKey, webhooks.FailedWebhook{ID: "d-1", Body: string(body)})
	if !errors.Is(err, webhooks.ErrDuplicate) {
		t.Fatalf("replay: %v, want ErrDuplicate", err)
	}
	if n := strings.Count(logs.String(), "msg=handled"); n != 1 {
		t.Errorf("handled %d times, want once:\n%s", n, logs.String())
	}
}

// A delivery handled by a replay is not handled again when Jira's own
// attempt gets through later.
func TestLiveDeliveryAfterReplayIsDropped(t *testing.T) {
	var logs bytes.Buffer
	a := newApp("tenant-1", []byte("secret"), slog.New(slog.NewTextHandler(&logs, nil)))
	body := webhookstest.Payload("issue_updated")
	if err := a.live.Replay(context.Background(), a.clientKey, webhooks.FailedWebhook{ID: "d-2", Body: string(body)}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	live := webhookstest.NewRequest("/jira/events", body, webhookstest.Connect{ClientKey: "tenant-1", SharedSecret: []byte("secret")})
	webhookstest.SetDelivery(live, "d-2", 5)
	rec := httptest.NewRecorder()
	a.live.ServeHTTP(rec, live)
	if rec.Code != http.StatusOK {
		t.Fatalf("live delivery: %d", rec.Code)
	}
	if n := strings.Count(logs.String(), "msg=handled"); n != 1 || !strings.Contains(logs.String(), "replay=true") {
		t.Errorf("handled %d times, want once, by the replay:\n%s", n, logs.String())
	}
}

// JIRA_BASE_URL alone never points the program at a real site: only -real
// does, and -real without a site is a usage error.
func TestRealRunNeedsTheFlag(t *testing.T) {
	env := map[string]string{"JIRA_BASE_URL": "http://127.0.0.1:1", "JIRA_APP_KEY": "k", "JIRA_SHARED_SECRET": "s"}
	var out, errOut bytes.Buffer
	logger := slog.New(slog.DiscardHandler)
	require.NoError(t, run(context.Background(), false, "", &out, &errOut, func(k string) string { return env[k] }, logger))
	assert.Contains(t, out.String(), "Jira gave up on 2 deliveries", "the in-memory demo ran")
	assert.Contains(t, errOut.String(), "add -real")

	err := run(context.Background(), true, "", io.Discard, io.Discard, func(string) string { return "" }, logger)
	require.ErrorIs(t, err, errUsage)
	assert.ErrorContains(t, err, "JIRA_BASE_URL")
}
