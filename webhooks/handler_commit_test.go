package webhooks

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

// outageStore is a MemoryStore whose Commit fails while failures are left,
// as a Redis that is restarting would: the reservation stays as it was.
type outageStore struct {
	*MemoryStore

	mu       sync.Mutex
	failures int // commits still to fail; -1 fails every one
	commits  int // Commit calls, failed or not
}

func (s *outageStore) Commit(ctx context.Context, tenant, id string) error {
	s.mu.Lock()
	s.commits++
	fail := s.failures != 0
	if s.failures > 0 {
		s.failures--
	}
	s.mu.Unlock()
	if fail {
		return errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	return s.MemoryStore.Commit(ctx, tenant, id)
}

func (s *outageStore) setFailures(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = n
}

func (s *outageStore) commitCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits
}

// attempt is a signed delivery of issue_updated with identifier id, as
// Jira's attempt number retry.
func attempt(id string, retry int) *http.Request {
	r := webhookstest.NewRequest("/hooks", webhookstest.Payload("issue_updated"), webhookstest.Hub{Secret: testSecret})
	webhookstest.SetDelivery(r, id, retry)
	return r
}

func TestHandlerRetriesCommitThroughAStoreOutage(t *testing.T) {
	t.Parallel()
	mem, clock := newTestStore(time.Hour, 100)
	store := &outageStore{MemoryStore: mem, failures: 3}
	rec := newRecorder(HubSignature(testSecret), WithDedupeStore(store))

	// The callback ends the request's context, as a client that hangs up
	// would: the commit goes on regardless.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rec.h.OnAny(func(context.Context, *Event) error { cancel(); return nil })
	id := webhookstest.NewDeliveryID()

	w := rec.serve(attempt(id, 0).WithContext(ctx))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, 4, store.commitCalls(), "three failed commits, then one that worked")
	assert.NoError(t, rec.lastErr(), "a delivery recorded after retrying is a success")

	// Long after the reservation would have expired, Jira sends the
	// delivery again: it is a duplicate, not a second run.
	clock.Advance(reservationTTL + time.Minute)
	w = rec.serve(attempt(id, 1))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.ErrorIs(t, rec.lastErr(), ErrDuplicate)
	assert.Equal(t, int32(1), rec.calls.Load(), "callbacks ran again for a delivery handled during a store outage")
}

func TestHandlerGivesUpCommitAfterTheRetryTime(t *testing.T) {
	t.Parallel()
	mem, clock := newTestStore(time.Hour, 100)
	store := &outageStore{MemoryStore: mem, failures: -1}
	rec := newRecorder(HubSignature(testSecret), WithDedupeStore(store), WithCommitRetry(200*time.Millisecond))
	id := webhookstest.NewDeliveryID()

	w := rec.serve(attempt(id, 0))
	assert.Equal(t, http.StatusOK, w.Code, "the callbacks succeeded: a 500 would make Jira run them again")
	err := rec.lastErr()
	require.ErrorIs(t, err, ErrNotRecorded)
	assert.ErrorContains(t, err, "connection refused", "the store's own error is kept")
	assert.Greater(t, store.commitCalls(), 1, "Commit was not retried")

	// Until the reservation expires, Jira's retries wait (409).
	assert.Equal(t, http.StatusConflict, rec.serve(attempt(id, 1)).Code)

	// Past it, as the documentation says, a copy runs the callbacks again.
	store.setFailures(0)
	clock.Advance(reservationTTL + time.Minute)
	assert.Equal(t, http.StatusOK, rec.serve(attempt(id, 2)).Code)
	assert.Equal(t, int32(2), rec.calls.Load())
}

func TestHandlerDefaultCommitRetryOutlastsAShortOutage(t *testing.T) {
	t.Parallel()
	h := NewHandler(HubSignature(testSecret))
	assert.GreaterOrEqual(t, h.commitFor, 10*time.Second)
	assert.Equal(t, DefaultCommitRetry, h.commitFor)
	assert.Equal(t, DefaultCommitRetry, NewHandler(nil, WithCommitRetry(0)).commitFor, "d <= 0 keeps the default")
}

func TestReplayRetriesCommitThroughAStoreOutage(t *testing.T) {
	t.Parallel()
	mem, clock := newTestStore(time.Hour, 100)
	store := &outageStore{MemoryStore: mem, failures: 2}
	h := NewHandler(HubSignature(testSecret), WithDedupeStore(store))
	var runs int
	h.OnAny(func(context.Context, *Event) error { runs++; return nil })
	f := FailedWebhook{ID: webhookstest.NewDeliveryID(), Body: string(webhookstest.Payload("issue_updated"))}

	require.NoError(t, h.Replay(t.Context(), "acme", f))
	assert.Equal(t, 3, store.commitCalls())
	clock.Advance(reservationTTL + time.Minute)
	assert.ErrorIs(t, h.Replay(t.Context(), "acme", f), ErrDuplicate)
	assert.Equal(t, 1, runs)

	store.setFailures(-1)
	h = NewHandler(HubSignature(testSecret), WithDedupeStore(store), WithCommitRetry(100*time.Millisecond))
	h.OnAny(func(context.Context, *Event) error { return nil })
	f.ID = webhookstest.NewDeliveryID()
	assert.ErrorIs(t, h.Replay(t.Context(), "acme", f), ErrNotRecorded)
}
