package redisstore_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redisstore "github.com/jirahooks/jirahooks/stores/redis"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

var hubSecret = []byte("It's a Secret to Everybody")

func TestDedupeStoreContract(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	rdb := srv.client(t)
	ctx := t.Context()
	s := redisstore.NewDedupeStore(rdb, &redisstore.DedupeOptions{TTL: time.Hour, ReservationTTL: time.Minute})

	assert.Equal(t, "jirahooks:dedupe:acme%3A1:id+1%2Fx", s.Key("acme:1", "id 1/x"), "Key")
	require.NoError(t, s.Reserve(ctx, "acme", "d1"), "first Reserve")
	ttl := rdb.PTTL(ctx, s.Key("acme", "d1")).Val()
	assert.True(t, ttl > 0 && ttl <= time.Minute, "reservation expires in %v, want within ReservationTTL (1m)", ttl)
	assert.ErrorIs(t, s.Reserve(ctx, "acme", "d1"), webhooks.ErrDeliveryInProgress, "Reserve while reserved")
	assert.NoError(t, s.Reserve(ctx, "other-tenant", "d1"), "Reserve of the same id for another tenant")
	require.NoError(t, s.Release(ctx, "acme", "d1"))
	assert.Zero(t, rdb.Exists(ctx, s.Key("acme", "d1")).Val(), "key still exists after Release")
	require.NoError(t, s.Reserve(ctx, "acme", "d1"), "Reserve after Release")
	require.NoError(t, s.Commit(ctx, "acme", "d1"))
	ttl = rdb.PTTL(ctx, s.Key("acme", "d1")).Val()
	assert.True(t, ttl > time.Minute && ttl <= time.Hour, "handled delivery expires in %v, want about TTL (1h)", ttl)
	assert.ErrorIs(t, s.Reserve(ctx, "acme", "d1"), webhooks.ErrDuplicate, "Reserve after Commit")
	require.NoError(t, s.Release(ctx, "acme", "d1"))
	assert.ErrorIs(t, s.Reserve(ctx, "acme", "d1"), webhooks.ErrDuplicate, "Release dropped a handled delivery")

	// Another replica's store sees the same state.
	s2 := redisstore.NewDedupeStore(srv.client(t), nil)
	assert.ErrorIs(t, s2.Reserve(ctx, "acme", "d1"), webhooks.ErrDuplicate, "other replica")
	assert.ErrorIs(t, s2.Reserve(ctx, "other-tenant", "d1"), webhooks.ErrDeliveryInProgress, "other replica")
}

func TestDedupeKeysDoNotCollide(t *testing.T) {
	t.Parallel()
	s := redisstore.NewDedupeStore(nil, &redisstore.DedupeOptions{Prefix: "app"})
	pairs := [][2]string{
		{"a:b", "c"}, {"a", "b:c"}, {"a%3Ab", "c"}, {"", "a:b:c"}, {"a b", "c"}, {"a+b", "c"},
		{"#x", "y"}, {"a", string(make([]byte, 300))}, {"a", string(make([]byte, 301))},
	}
	seen := map[string][2]string{}
	for _, p := range pairs {
		k := s.Key(p[0], p[1])
		q, dup := seen[k]
		assert.False(t, dup, "Key(%q) = Key(%q) = %q", p, q, k)
		seen[k] = p
		assert.LessOrEqual(t, len(k), 300, "Key of a %d-byte id: want it hashed", len(p[1]))
	}
}

func TestDedupeReleaseKeepsAnotherReplicasReservation(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	ctx := t.Context()
	slow := redisstore.NewDedupeStore(srv.client(t), &redisstore.DedupeOptions{ReservationTTL: 50 * time.Millisecond})
	other := redisstore.NewDedupeStore(srv.client(t), nil)
	require.NoError(t, slow.Reserve(ctx, "", "d"))
	// The slow replica's reservation expires; the other replica takes the
	// delivery over.
	eventually(t, 5*time.Second, "the reservation to expire", func() bool {
		return other.Reserve(ctx, "", "d") == nil
	})
	require.NoError(t, slow.Release(ctx, "", "d"))
	assert.ErrorIs(t, slow.Reserve(ctx, "", "d"), webhooks.ErrDeliveryInProgress, "after a late Release: want the other replica's claim")
}

// replica is one app process: a Handler with a DedupeStore on a Redis
// client of its own, on a loopback server.
type replica struct {
	srv *httptest.Server
	h   *webhooks.Handler
}

func newReplicas(t *testing.T, rs *redisServer, n int, onEvent func(ctx context.Context, e *webhooks.Event) error) []*replica {
	t.Helper()
	var out []*replica
	for range n {
		store := redisstore.NewDedupeStore(rs.client(t), nil)
		h := webhooks.NewHandler(webhooks.HubSignature(hubSecret),
			webhooks.WithDedupeStore(store),
			webhooks.WithTenant(func(r *http.Request) string { return r.URL.Query().Get("site") }))
		h.OnAny(onEvent)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		out = append(out, &replica{srv: srv, h: h})
	}
	return out
}

// deliver sends one attempt of delivery id to r, as Jira does, and returns
// the status answered, or 0 after a failure it reported. It is called from
// goroutines too, so it asserts and never stops the test.
func deliver(t *testing.T, r *replica, id string, retry int) int {
	t.Helper()
	req, err := webhookstest.NewClientRequest(r.srv.URL+"/hooks?site=acme", webhookstest.Payload("issue_updated"), webhookstest.Hub{Secret: hubSecret})
	if !assert.NoError(t, err) {
		return 0
	}
	webhookstest.SetDelivery(req, id, retry)
	resp, err := r.srv.Client().Do(req)
	if !assert.NoError(t, err) {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestThreeReplicasHandleARetriedDeliveryOnce(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	var runs, succeeded atomic.Int64
	inFirst := make(chan struct{})
	finishFirst := make(chan struct{})
	failNext := atomic.Bool{}
	replicas := newReplicas(t, rs, 3, func(ctx context.Context, e *webhooks.Event) error {
		n := runs.Add(1)
		if failNext.CompareAndSwap(true, false) {
			return errors.New("database unavailable")
		}
		if n == 1 {
			close(inFirst)
			<-finishFirst
		}
		succeeded.Add(1)
		return nil
	})

	// Delivery 1: replica 0 is slow; Jira times out and retries on replica
	// 1 while replica 0 still works (409, retried later), then on replica 2
	// once replica 0 is done (a duplicate: 200 without callback).
	id := webhookstest.NewDeliveryID()
	first := make(chan int)
	go func() { first <- deliver(t, replicas[0], id, 0) }()
	<-inFirst
	assert.Equal(t, http.StatusConflict, deliver(t, replicas[1], id, 1), "retry on replica 1 while replica 0 handles it")
	close(finishFirst)
	assert.Equal(t, http.StatusOK, <-first, "replica 0")
	assert.Equal(t, http.StatusOK, deliver(t, replicas[2], id, 2), "retry on replica 2 after success")
	assert.Equal(t, int64(1), runs.Load(), "callback runs for delivery 1")

	// Delivery 2: the callback fails on replica 1 (500, reservation
	// released), Jira retries on replica 2 (handled), then on replica 0 (a
	// duplicate).
	runs.Store(0)
	succeeded.Store(0)
	id = webhookstest.NewDeliveryID()
	failNext.Store(true)
	for i, want := range []int{http.StatusInternalServerError, http.StatusOK, http.StatusOK} {
		assert.Equal(t, want, deliver(t, replicas[(i+1)%3], id, i), "delivery 2, attempt %d on replica %d", i, (i+1)%3)
	}
	assert.Equal(t, int64(2), runs.Load(), "delivery 2: callback runs")
	assert.Equal(t, int64(1), succeeded.Load(), "delivery 2: callback successes")
}

func TestReplicasUnderConcurrentRetriesRunTheCallbackOnce(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	var runs atomic.Int64
	replicas := newReplicas(t, rs, 3, func(ctx context.Context, e *webhooks.Event) error {
		runs.Add(1)
		time.Sleep(20 * time.Millisecond) // long enough for the others to collide
		return nil
	})
	const deliveries, senders = 5, 8
	for d := range deliveries {
		id := webhookstest.NewDeliveryID()
		var wg sync.WaitGroup
		var conflicts atomic.Int64
		for g := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Like Jira: retry 409 and 5xx until the delivery is accepted.
				for attempt := 0; ; attempt++ {
					st := deliver(t, replicas[(g+attempt)%3], id, attempt)
					if st == http.StatusOK || st == 0 {
						return
					}
					if !assert.Equal(t, http.StatusConflict, st, "status: want 200 or 409") {
						return
					}
					conflicts.Add(1)
					time.Sleep(time.Millisecond)
				}
			}()
		}
		wg.Wait()
		require.Equal(t, int64(d+1), runs.Load(), "callback runs in all after delivery %d sent %d times at once to 3 replicas", d, senders)
		t.Logf("delivery %d: %d senders, %d answered 409 along the way, callback ran once", d, senders, conflicts.Load())
	}
}

// TestHandlerAnswers500WhenRedisIsUnreachable runs serially, before the
// parallel tests start their redis-servers: none of them may take the free
// port it relies on nobody listening at.
func TestHandlerAnswers500WhenRedisIsUnreachable(t *testing.T) {
	port := freePort(t) // nobody listens there
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + itoa(port), MaxRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	var runs atomic.Int64
	var hookErr error
	var hookStatus int
	h := webhooks.NewHandler(webhooks.HubSignature(hubSecret),
		webhooks.WithDedupeStore(redisstore.NewDedupeStore(rdb, nil)),
		webhooks.WithErrorHook(func(r *http.Request, status int, err error) { hookStatus, hookErr = status, err }))
	h.OnAny(func(context.Context, *webhooks.Event) error { runs.Add(1); return nil })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, webhookstest.NewRequest("/hooks", webhookstest.Payload("issue_updated"), webhookstest.Hub{Secret: hubSecret}))
	assert.Equal(t, http.StatusInternalServerError, rec.Code, "status with Redis unreachable: want 500 (so that Jira retries)")
	assert.Zero(t, runs.Load(), "callback runs without a dedupe store")
	assert.Equal(t, http.StatusInternalServerError, hookStatus, "error hook's status")
	assert.Error(t, hookErr, "error hook's error")
	t.Logf("error: %v", hookErr)
}

func TestDeliveriesDuringARedisRestart(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	var runs atomic.Int64
	r := newReplicas(t, rs, 1, func(context.Context, *webhooks.Event) error { runs.Add(1); return nil })[0]
	before := webhookstest.NewDeliveryID()
	require.Equal(t, http.StatusOK, deliver(t, r, before, 0), "status before the restart")

	rs.stop()
	id := webhookstest.NewDeliveryID()
	assert.Equal(t, http.StatusInternalServerError, deliver(t, r, id, 0), "status while Redis is down")
	assert.Equal(t, int64(1), runs.Load(), "callback runs (none while Redis was down)")

	rs.start()
	retry := 1
	eventually(t, 10*time.Second, "the handler to reach the restarted Redis", func() bool {
		retry++
		return deliver(t, r, id, retry) == http.StatusOK
	})
	assert.Equal(t, http.StatusOK, deliver(t, r, id, retry+1), "duplicate after the restart")
	assert.Equal(t, int64(2), runs.Load(), "callback runs (one per delivery)")
	// Redis ran without persistence: what it knew before is gone, and a
	// retry of the old delivery would run again. That is the price of an
	// ephemeral Redis, documented in the package.
}

func itoa(n int) string { return strconv.Itoa(n) }
