package webhooks

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

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
	if err := rec.h.Replay(context.Background(), "tenant-a", f); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if named.Load() != 1 || rec.calls.Load() != 1 {
		t.Fatalf("On callbacks %d, OnAny callbacks %d; want 1 and 1", named.Load(), rec.calls.Load())
	}
	e := rec.events[0]
	if e.Name != IssueUpdated || e.Issue == nil || e.Issue.Key != "PAY-142" || string(e.Raw) != f.Body {
		t.Fatalf("event = %s %+v", e.Name, e.Issue)
	}
	d := e.Delivery
	if d.ID != "d-1" || d.Tenant != "tenant-a" || !d.Replay || d.Retry != 0 || d.Flow != "" {
		t.Fatalf("Delivery = %+v", d)
	}
	if d.URL == nil || d.URL.String() != "https://app.example.com/jira/events/PAY-142?user_id=admin" {
		t.Fatalf("Delivery.URL = %v", d.URL)
	}
	if fromCtx.ID != d.ID || !fromCtx.Replay || fromCtx.Tenant != d.Tenant {
		t.Fatalf("DeliveryFrom(ctx) = %+v", fromCtx)
	}
	vars, err := URLVariablesOf(d.URL, "/jira/events/${issue.key}")
	if err != nil || vars[VarIssueKey] != "PAY-142" {
		t.Fatalf("URLVariablesOf = %v, %v", vars, err)
	}
	// Replay reports through its error, not through the request hook.
	if len(rec.errs) != 0 {
		t.Fatalf("error hook called: %v", rec.errs)
	}

	// A URL that does not parse leaves Delivery.URL nil; the event is
	// still handled.
	f = failedOf(t, "d-2", "comment_created.json")
	f.URL = "http://[::1"
	if err := rec.h.Replay(context.Background(), "tenant-a", f); err != nil {
		t.Fatalf("Replay with a bad URL: %v", err)
	}
	if last := rec.events[len(rec.events)-1]; last.Delivery.URL != nil || last.Delivery.ID != "d-2" {
		t.Fatalf("Delivery = %+v", last.Delivery)
	}
}

// A failure whose last attempt got through after all is not handled twice.
func TestReplayOfHandledDeliveryIsDuplicate(t *testing.T) {
	rec := newRecorder(ConnectJWT(anyTenant))
	body := readFixture(t, "issue_updated.json")
	if code := liveConnect(rec, "tenant-a", "d-1", body); code != 200 {
		t.Fatalf("live delivery: %d", code)
	}
	err := rec.h.Replay(context.Background(), "tenant-a", FailedWebhook{ID: "d-1", Body: string(body)})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Replay = %v, want ErrDuplicate", err)
	}
	if n := rec.calls.Load(); n != 1 {
		t.Fatalf("callbacks ran %d times, want 1", n)
	}
}

// Once a replay succeeds, Jira's own later attempt is dropped.
func TestReplayThenJiraRetryIsDropped(t *testing.T) {
	rec := newRecorder(ConnectJWT(anyTenant))
	body := readFixture(t, "issue_updated.json")
	if err := rec.h.Replay(context.Background(), "tenant-a", FailedWebhook{ID: "d-1", Body: string(body)}); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if code := liveConnect(rec, "tenant-a", "d-1", body); code != 200 || !errors.Is(rec.lastErr(), ErrDuplicate) {
		t.Fatalf("Jira's retry: status %d, error %v; want 200 and ErrDuplicate", code, rec.lastErr())
	}
	// And a second replay too.
	if err := rec.h.Replay(context.Background(), "tenant-a", FailedWebhook{ID: "d-1", Body: string(body)}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second Replay = %v, want ErrDuplicate", err)
	}
	if n := rec.calls.Load(); n != 1 {
		t.Fatalf("callbacks ran %d times, want 1", n)
	}
}

func TestReplayCallbackFailureReleases(t *testing.T) {
	for _, fail := range []string{"error", "panic"} {
		t.Run(fail, func(t *testing.T) {
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
			err := h.Replay(context.Background(), "", f)
			if !errors.Is(err, ErrCallback) {
				t.Fatalf("failing callback: Replay = %v, want ErrCallback", err)
			}
			if fail == "error" && !strings.Contains(err.Error(), "database unavailable") {
				t.Errorf("error %q lacks the callback's error", err)
			}
			if store.Len() != 0 {
				t.Fatalf("reservation kept after a failure: %d entries", store.Len())
			}
			if !strings.Contains(logs.String(), "replay failed") || !strings.Contains(logs.String(), "replay=true") {
				t.Errorf("failure not logged as a replay:\n%s", logs.String())
			}
			if err := h.Replay(context.Background(), "", f); err != nil {
				t.Fatalf("second Replay: %v", err)
			}
			if err := h.Replay(context.Background(), "", f); !errors.Is(err, ErrDuplicate) {
				t.Fatalf("third Replay = %v, want ErrDuplicate", err)
			}
			if attempts != 2 {
				t.Errorf("callback ran %d times, want 2", attempts)
			}
		})
	}
}

// A failed replay leaves the delivery to Jira's retry.
func TestReplayFailureThenJiraRetryHandled(t *testing.T) {
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
	if err := h.Replay(context.Background(), "", FailedWebhook{ID: "d-1", Body: string(body)}); !errors.Is(err, ErrCallback) {
		t.Fatalf("Replay = %v", err)
	}
	r := webhookstest.NewRequest("/hooks", body, webhookstest.Hub{Secret: testSecret})
	webhookstest.SetDelivery(r, "d-1", 4)
	rec := &recorder{h: h}
	if code := rec.serve(r).Code; code != 200 || calls != 2 {
		t.Fatalf("Jira's retry: status %d, calls %d", code, calls)
	}
}

func TestReplayMalformedBody(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":     `{"webhookEvent":`,
		"not an event": `{"hello":"world"}`,
		"array":        `[]`,
		"empty":        "",
		"whitespace":   " \n",
	} {
		t.Run(name, func(t *testing.T) {
			store := NewMemoryStore(0, 0)
			rec := newRecorder(HubSignature(testSecret), WithDedupeStore(store))
			err := rec.h.Replay(context.Background(), "t", FailedWebhook{ID: "d-1", Body: body})
			if !errors.Is(err, ErrMalformedBody) {
				t.Fatalf("Replay = %v, want ErrMalformedBody", err)
			}
			if rec.calls.Load() != 0 || store.Len() != 0 {
				t.Fatalf("callbacks %d, store entries %d", rec.calls.Load(), store.Len())
			}
		})
	}
}

func TestReplayEmptyBodyWithAllowEmptyBody(t *testing.T) {
	rec := newRecorder(HubSignature(testSecret), AllowEmptyBody())
	named := 0
	rec.h.On("", func(context.Context, *Event) error { named++; return nil })
	rec.h.On(IssueUpdated, func(context.Context, *Event) error { named++; return nil })
	f := FailedWebhook{ID: "d-1", URL: "https://app.example.com/hooks?issue=PAY-7"}
	if err := rec.h.Replay(context.Background(), "", f); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if rec.calls.Load() != 1 || named != 0 {
		t.Fatalf("OnAny ran %d times, On %d; want 1 and 0", rec.calls.Load(), named)
	}
	e := rec.events[0]
	if e.Name != "" || len(e.Raw) != 0 || e.Issue != nil || !e.Delivery.Replay || e.Delivery.ID != "d-1" {
		t.Fatalf("event = %+v", e)
	}
	if vars, err := URLVariablesOf(e.Delivery.URL, "/hooks?issue=${issue.key}"); err != nil || vars[VarIssueKey] != "PAY-7" {
		t.Fatalf("URLVariablesOf = %v, %v", vars, err)
	}
	if err := rec.h.Replay(context.Background(), "", f); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second Replay = %v, want ErrDuplicate", err)
	}
}

func TestReplayTenantScoping(t *testing.T) {
	rec := newRecorder(ConnectJWT(anyTenant))
	body := readFixture(t, "worklog_created.json")
	f := FailedWebhook{ID: "shared-id", Body: string(body)}
	for _, tenant := range []string{"tenant-a", "tenant-b"} {
		if err := rec.h.Replay(context.Background(), tenant, f); err != nil {
			t.Fatalf("Replay for %s: %v", tenant, err)
		}
	}
	if err := rec.h.Replay(context.Background(), "tenant-a", f); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Replay again for tenant-a = %v, want ErrDuplicate", err)
	}
	if n := rec.calls.Load(); n != 2 {
		t.Fatalf("callbacks = %d, want 2 (one per tenant)", n)
	}
	// Live deliveries of the same identifier: dropped for the tenants that
	// replayed it, handled for another.
	if code := liveConnect(rec, "tenant-b", "shared-id", body); code != 200 || !errors.Is(rec.lastErr(), ErrDuplicate) {
		t.Fatalf("tenant-b live: %d, %v", code, rec.lastErr())
	}
	if code := liveConnect(rec, "tenant-c", "shared-id", body); code != 200 {
		t.Fatalf("tenant-c live: %d", code)
	}
	if n := rec.calls.Load(); n != 3 {
		t.Fatalf("callbacks = %d, want 3", n)
	}
	// The tenant must match what the live handler finds: a replay under ""
	// is another scope.
	if err := rec.h.Replay(context.Background(), "", f); err != nil {
		t.Fatalf("Replay without tenant: %v", err)
	}
}

func TestReplayWhileDeliveryInProgress(t *testing.T) {
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
	err := h.Replay(context.Background(), "", FailedWebhook{ID: "in-flight", Body: string(body)})
	close(release)
	if !errors.Is(err, ErrDeliveryInProgress) {
		t.Errorf("Replay = %v, want ErrDeliveryInProgress", err)
	}
	if code := <-done; code != 200 {
		t.Errorf("live delivery: %d", code)
	}
	if err := h.Replay(context.Background(), "", FailedWebhook{ID: "in-flight", Body: string(body)}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("Replay after = %v, want ErrDuplicate", err)
	}
	if calls.Load() != 1 {
		t.Errorf("calls = %d", calls.Load())
	}
}

func TestReplayMisc(t *testing.T) {
	body := string(readFixture(t, "issue_updated.json"))

	// A context that is done: nothing runs.
	rec := newRecorder(HubSignature(testSecret))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rec.h.Replay(ctx, "", FailedWebhook{ID: "x", Body: body}); !errors.Is(err, context.Canceled) || rec.calls.Load() != 0 {
		t.Fatalf("cancelled: %v, %d calls", err, rec.calls.Load())
	}

	// Without an identifier, or without a store, nothing is deduplicated.
	for _, id := range []string{"", "y"} {
		rec := newRecorder(HubSignature(testSecret))
		if id != "" {
			rec = newRecorder(HubSignature(testSecret), WithDedupeStore(nil))
		}
		for range 2 {
			if err := rec.h.Replay(context.Background(), "", FailedWebhook{ID: id, Body: body}); err != nil {
				t.Fatal(err)
			}
		}
		if n := rec.calls.Load(); n != 2 {
			t.Errorf("id %q: callbacks %d, want 2", id, n)
		}
	}

	// A failing store is reported.
	rec = newRecorder(HubSignature(testSecret), WithDedupeStore(failingStore{NewMemoryStore(0, 0)}))
	if err := rec.h.Replay(context.Background(), "", FailedWebhook{ID: "z", Body: body}); err == nil || !strings.Contains(err.Error(), "redis down") || rec.calls.Load() != 0 {
		t.Fatalf("failing store: %v, %d calls", err, rec.calls.Load())
	}

	// A handler whose verifier refuses everything over HTTP still replays:
	// Replay does not verify.
	rec = newRecorder(nil)
	if err := rec.h.Replay(context.Background(), "", FailedWebhook{ID: "w", Body: body}); err != nil || rec.calls.Load() != 1 {
		t.Fatalf("nil verifier: %v, %d calls", err, rec.calls.Load())
	}
	if code := rec.serve(webhookstest.NewRequest("/", []byte(body), nil)).Code; code != http.StatusInternalServerError {
		t.Fatalf("nil verifier over HTTP: %d", code)
	}
}

func TestReplayLogsNoBody(t *testing.T) {
	var logs bytes.Buffer
	h := NewHandler(HubSignature(testSecret), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	h.OnAny(func(context.Context, *Event) error { return nil })
	f := failedOf(t, "d-1", "issue_updated.json")
	f.URL = "https://app.example.com/hooks?jwt=secret-token"
	for range 2 {
		_ = h.Replay(context.Background(), "tenant-a", f)
	}
	_ = h.Replay(context.Background(), "tenant-a", FailedWebhook{ID: "d-2", Body: "{"})
	out := logs.String()
	for _, want := range []string{"replay handled", "duplicate replay dropped", "replay refused", "delivery=d-1", "tenant=tenant-a", "replay=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"PAY-142", "Alice", "secret-token", "status="} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
}
