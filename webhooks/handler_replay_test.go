package webhooks

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

// failedOf returns the FailedWebhook Jira would list for a delivery of body
// with identifier id.
func failedOf(t *testing.T, id, fixture string) FailedWebhook {
	t.Helper()
	return FailedWebhook{ID: id, URL: "https://app.example.com/jira/events?user_id=admin", Body: string(readFixture(t, fixture))}
}

// liveConnect delivers body to rec's handler as tenant with identifier id,
// signed with a Connect JWT, and returns the status.
func liveConnect(rec *recorder, tenant, id string, body []byte) int {
	r := webhookstest.NewRequest("/jira/events", body, webhookstest.Connect{ClientKey: tenant, SharedSecret: testSecret})
	webhookstest.SetDelivery(r, id, 3)
	return rec.serve(r).Code
}

func anyTenant(string) ([]byte, error) { return testSecret, nil }

func TestReplaySuccess(t *testing.T) {
	t.Parallel()
	rec := newRecorder(ConnectJWT(anyTenant))
	var named atomic.Int32
	var fromCtx Delivery
	rec.h.On(IssueUpdated, func(ctx context.Context, e *Event) error {
		named.Add(1)
		fromCtx, _ = DeliveryFrom(ctx)
		return nil
	})
	f := failedOf(t, "d-1", "issue_updated.json")
	f.URL = "https://app.example.com/jira/events/PAY-142?user_id=admin&jwt=leaked.token.here"
	require.NoError(t, rec.h.Replay(t.Context(), "tenant-a", f), "Replay")
	require.Equal(t, int32(1), named.Load(), "On callbacks")
	require.Equal(t, int32(1), rec.calls.Load(), "OnAny callbacks")
	e := rec.events[0]
	require.Equal(t, IssueUpdated, e.Name, "event name")
	require.NotNil(t, e.Issue, "issue")
	assert.Equal(t, "PAY-142", e.Issue.Key, "issue key")
	assert.Equal(t, f.Body, string(e.Raw), "raw body")
	d := e.Delivery
	assert.Equal(t, Delivery{ID: "d-1", Tenant: "tenant-a", Replay: true, URL: d.URL}, d, "delivery: no retry count, no flow")
	require.NotNil(t, d.URL, "Delivery.URL")
	assert.Equal(t, "https://app.example.com/jira/events/PAY-142?user_id=admin", d.URL.String(), "Delivery.URL, without the jwt")
	assert.Equal(t, d.ID, fromCtx.ID, "DeliveryFrom(ctx).ID")
	assert.True(t, fromCtx.Replay, "DeliveryFrom(ctx).Replay")
	assert.Equal(t, d.Tenant, fromCtx.Tenant, "DeliveryFrom(ctx).Tenant")
	vars, err := URLVariablesOf(d.URL, "/jira/events/${issue.key}")
	require.NoError(t, err, "URLVariablesOf")
	assert.Equal(t, "PAY-142", vars[VarIssueKey], "issue key from the URL")
	// Replay reports through its error, not through the request hook.
	assert.Empty(t, rec.errs, "errors reported to the error hook")

	// A URL that does not parse leaves Delivery.URL nil; the event is
	// still handled.
	f = failedOf(t, "d-2", "comment_created.json")
	f.URL = "http://[::1"
	require.NoError(t, rec.h.Replay(t.Context(), "tenant-a", f), "Replay with a bad URL")
	last := rec.events[len(rec.events)-1]
	assert.Nil(t, last.Delivery.URL, "Delivery.URL of an unparsable URL")
	assert.Equal(t, "d-2", last.Delivery.ID, "delivery ID")
}

// A failure whose last attempt got through after all is not handled twice.
func TestReplayOfHandledDeliveryIsDuplicate(t *testing.T) {
	t.Parallel()
	rec := newRecorder(ConnectJWT(anyTenant))
	body := readFixture(t, "issue_updated.json")
	require.Equal(t, http.StatusOK, liveConnect(rec, "tenant-a", "d-1", body), "live delivery")
	err := rec.h.Replay(t.Context(), "tenant-a", FailedWebhook{ID: "d-1", Body: string(body)})
	assert.ErrorIs(t, err, ErrDuplicate, "Replay")
	assert.Equal(t, int32(1), rec.calls.Load(), "callback calls")
}

// Once a replay succeeds, Jira's own later attempt is dropped.
func TestReplayThenJiraRetryIsDropped(t *testing.T) {
	t.Parallel()
	rec := newRecorder(ConnectJWT(anyTenant))
	body := readFixture(t, "issue_updated.json")
	require.NoError(t, rec.h.Replay(t.Context(), "tenant-a", FailedWebhook{ID: "d-1", Body: string(body)}), "Replay")
	require.Equal(t, http.StatusOK, liveConnect(rec, "tenant-a", "d-1", body), "Jira's retry: status")
	require.ErrorIs(t, rec.lastErr(), ErrDuplicate, "Jira's retry")
	// And a second replay too.
	assert.ErrorIs(t, rec.h.Replay(t.Context(), "tenant-a", FailedWebhook{ID: "d-1", Body: string(body)}), ErrDuplicate, "second Replay")
	assert.Equal(t, int32(1), rec.calls.Load(), "callback calls")
}

func TestReplayCallbackFailureReleases(t *testing.T) {
	t.Parallel()
	for _, fail := range []string{"error", "panic"} {
		t.Run(fail, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			store := NewMemoryStore(0, 0)
			h := NewHandler(HubSignature(testSecret), WithDedupeStore(store),
				WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			attempts := 0
			h.On(CommentCreated, func(context.Context, *Event) error {
				attempts++
				if attempts == 1 {
					if fail == "panic" {
						panic("boom")
					}
					return errors.New("database unavailable")
				}
				return nil
			})
			f := failedOf(t, "d-9", "comment_created.json")
			err := h.Replay(t.Context(), "", f)
			require.ErrorIs(t, err, ErrCallback, "failing callback: Replay")
			if fail == "error" {
				assert.ErrorContains(t, err, "database unavailable", "Replay's error must hold the callback's")
			}
			require.Zero(t, store.Len(), "store entries: the reservation must be released after a failure")
			assert.Contains(t, logs.String(), "replay failed", "the failure logged as a replay")
			assert.Contains(t, logs.String(), "replay=true", "the failure logged as a replay")
			require.NoError(t, h.Replay(t.Context(), "", f), "second Replay")
			assert.ErrorIs(t, h.Replay(t.Context(), "", f), ErrDuplicate, "third Replay")
			assert.Equal(t, 2, attempts, "callback calls")
		})
	}
}

// A failed replay leaves the delivery to Jira's retry.
func TestReplayFailureThenJiraRetryHandled(t *testing.T) {
	t.Parallel()
	h := NewHandler(HubSignature(testSecret))
	calls := 0
	h.OnAny(func(context.Context, *Event) error {
		calls++
		if calls == 1 {
			return errors.New("not yet")
		}
		return nil
	})
	body := readFixture(t, "issue_updated.json")
	require.ErrorIs(t, h.Replay(t.Context(), "", FailedWebhook{ID: "d-1", Body: string(body)}), ErrCallback, "Replay")
	r := webhookstest.NewRequest("/hooks", body, webhookstest.Hub{Secret: testSecret})
	webhookstest.SetDelivery(r, "d-1", 4)
	rec := &recorder{h: h}
	assert.Equal(t, http.StatusOK, rec.serve(r).Code, "Jira's retry: status")
	assert.Equal(t, 2, calls, "callback calls")
}

func TestReplayMalformedBody(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"not JSON":     `{"webhookEvent":`,
		"not an event": `{"hello":"world"}`,
		"array":        `[]`,
		"empty":        "",
		"whitespace":   " \n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			store := NewMemoryStore(0, 0)
			rec := newRecorder(HubSignature(testSecret), WithDedupeStore(store))
			err := rec.h.Replay(t.Context(), "t", FailedWebhook{ID: "d-1", Body: body})
			assert.ErrorIs(t, err, ErrMalformedBody, "Replay")
			assert.Zero(t, rec.calls.Load(), "callback calls")
			assert.Zero(t, store.Len(), "store entries")
		})
	}
}

func TestReplayEmptyBodyWithAllowEmptyBody(t *testing.T) {
	t.Parallel()
	rec := newRecorder(HubSignature(testSecret), AllowEmptyBody())
	named := 0
	rec.h.On("", func(context.Context, *Event) error { named++; return nil })
	rec.h.On(IssueUpdated, func(context.Context, *Event) error { named++; return nil })
	f := FailedWebhook{ID: "d-1", URL: "https://app.example.com/hooks?issue=PAY-7"}
	require.NoError(t, rec.h.Replay(t.Context(), "", f), "Replay")
	require.Equal(t, int32(1), rec.calls.Load(), "OnAny calls")
	require.Zero(t, named, "On calls")
	e := rec.events[0]
	assert.Empty(t, e.Name, "event name")
	assert.Empty(t, e.Raw, "raw body")
	assert.Nil(t, e.Issue, "issue")
	assert.True(t, e.Delivery.Replay, "Delivery.Replay")
	assert.Equal(t, "d-1", e.Delivery.ID, "delivery ID")
	vars, err := URLVariablesOf(e.Delivery.URL, "/hooks?issue=${issue.key}")
	require.NoError(t, err, "URLVariablesOf")
	assert.Equal(t, "PAY-7", vars[VarIssueKey], "issue key from the URL")
	assert.ErrorIs(t, rec.h.Replay(t.Context(), "", f), ErrDuplicate, "second Replay")
}

func TestReplayTenantScoping(t *testing.T) {
	t.Parallel()
	rec := newRecorder(ConnectJWT(anyTenant))
	body := readFixture(t, "worklog_created.json")
	f := FailedWebhook{ID: "shared-id", Body: string(body)}
	for _, tenant := range []string{"tenant-a", "tenant-b"} {
		require.NoError(t, rec.h.Replay(t.Context(), tenant, f), "Replay for %s", tenant)
	}
	require.ErrorIs(t, rec.h.Replay(t.Context(), "tenant-a", f), ErrDuplicate, "Replay again for tenant-a")
	require.Equal(t, int32(2), rec.calls.Load(), "callbacks, want one per tenant")
	// Live deliveries of the same identifier: dropped for the tenants that
	// replayed it, handled for another.
	require.Equal(t, http.StatusOK, liveConnect(rec, "tenant-b", "shared-id", body), "tenant-b live: status")
	require.ErrorIs(t, rec.lastErr(), ErrDuplicate, "tenant-b live")
	require.Equal(t, http.StatusOK, liveConnect(rec, "tenant-c", "shared-id", body), "tenant-c live: status")
	require.Equal(t, int32(3), rec.calls.Load(), "callbacks after the live deliveries")
	// The tenant must match what the live handler finds: a replay under ""
	// is another scope.
	assert.NoError(t, rec.h.Replay(t.Context(), "", f), "Replay without tenant")
}

func TestReplayWhileDeliveryInProgress(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	h := NewHandler(HubSignature(testSecret))
	var calls atomic.Int32
	h.OnAny(func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
		return nil
	})
	body := readFixture(t, "sprint_started.json")
	done := make(chan int)
	go func() {
		r := webhookstest.NewRequest("/hooks", body, webhookstest.Hub{Secret: testSecret})
		webhookstest.SetDelivery(r, "in-flight", 0)
		rec := &recorder{h: h}
		done <- rec.serve(r).Code
	}()
	<-entered
	err := h.Replay(t.Context(), "", FailedWebhook{ID: "in-flight", Body: string(body)})
	close(release)
	assert.ErrorIs(t, err, ErrDeliveryInProgress, "Replay during the live delivery")
	assert.Equal(t, http.StatusOK, <-done, "live delivery's status")
	assert.ErrorIs(t, h.Replay(t.Context(), "", FailedWebhook{ID: "in-flight", Body: string(body)}), ErrDuplicate, "Replay after")
	assert.Equal(t, int32(1), calls.Load(), "callback calls")
}

func TestReplayMisc(t *testing.T) {
	t.Parallel()
	body := string(readFixture(t, "issue_updated.json"))

	t.Run("a context that is done runs nothing", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(HubSignature(testSecret))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		assert.ErrorIs(t, rec.h.Replay(ctx, "", FailedWebhook{ID: "x", Body: body}), context.Canceled, "Replay")
		assert.Zero(t, rec.calls.Load(), "callback calls")
	})

	// Without an identifier, or without a store, nothing is deduplicated.
	for _, tc := range []struct {
		name string
		id   string
		opts []HandlerOption
	}{
		{"without an identifier", "", nil},
		{"without a store", "y", []HandlerOption{WithDedupeStore(nil)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(HubSignature(testSecret), tc.opts...)
			for range 2 {
				require.NoError(t, rec.h.Replay(t.Context(), "", FailedWebhook{ID: tc.id, Body: body}), "Replay")
			}
			assert.Equal(t, int32(2), rec.calls.Load(), "callback calls")
		})
	}

	t.Run("a failing store is reported", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(HubSignature(testSecret), WithDedupeStore(failingStore{NewMemoryStore(0, 0)}))
		assert.ErrorContains(t, rec.h.Replay(t.Context(), "", FailedWebhook{ID: "z", Body: body}), "redis down", "Replay")
		assert.Zero(t, rec.calls.Load(), "callback calls")
	})

	// A handler whose verifier refuses everything over HTTP still replays:
	// Replay does not verify.
	t.Run("nil verifier", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(nil)
		require.NoError(t, rec.h.Replay(t.Context(), "", FailedWebhook{ID: "w", Body: body}), "Replay")
		assert.Equal(t, int32(1), rec.calls.Load(), "callback calls")
		assert.Equal(t, http.StatusInternalServerError, rec.serve(webhookstest.NewRequest("/", []byte(body), nil)).Code, "over HTTP: status")
	})
}

func TestReplayLogsNoBody(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := NewHandler(HubSignature(testSecret), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	h.OnAny(func(context.Context, *Event) error { return nil })
	f := failedOf(t, "d-1", "issue_updated.json")
	f.URL = "https://app.example.com/hooks?jwt=secret-token"
	for range 2 {
		_ = h.Replay(t.Context(), "tenant-a", f)
	}
	_ = h.Replay(t.Context(), "tenant-a", FailedWebhook{ID: "d-2", Body: "{"})
	out := logs.String()
	for _, want := range []string{"replay handled", "duplicate replay dropped", "replay refused", "delivery=d-1", "tenant=tenant-a", "replay=true"} {
		assert.Contains(t, out, want, "the logs")
	}
	for _, secret := range []string{"PAY-142", "Alice", "secret-token", "status="} {
		assert.NotContains(t, out, secret, "the logs")
	}
}
