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

	redisstore "github.com/jirahooks/jirahooks/stores/redis"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

var hubSecret = []byte("It's a Secret to Everybody")

func TestDedupeStoreContract(t *testing.T) {
	srv := startRedis(t)
	rdb := srv.client(t)
	ctx := context.Background()
	s := redisstore.NewDedupeStore(rdb, &redisstore.DedupeOptions{TTL: time.Hour, ReservationTTL: time.Minute})

	if got, want := s.Key("acme:1", "id 1/x"), "jirahooks:dedupe:acme%3A1:id+1%2Fx"; got != want {
		t.Errorf("Key = %q, want %q", got, want)
	}
	if err := s.Reserve(ctx, "acme", "d1"); err != nil {
		t.Fatalf("first Reserve = %v", err)
	}
	if ttl := rdb.PTTL(ctx, s.Key("acme", "d1")).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("reservation expires in %v, want within ReservationTTL (1m)", ttl)
	}
	if err := s.Reserve(ctx, "acme", "d1"); !errors.Is(err, webhooks.ErrDeliveryInProgress) {
		t.Errorf("Reserve while reserved = %v, want ErrDeliveryInProgress", err)
	}
	if err := s.Reserve(ctx, "other-tenant", "d1"); err != nil {
		t.Errorf("Reserve of the same id for another tenant = %v, want nil", err)
	}
	if err := s.Release(ctx, "acme", "d1"); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, s.Key("acme", "d1")).Val(); n != 0 {
		t.Errorf("key still exists after Release")
	}
	if err := s.Reserve(ctx, "acme", "d1"); err != nil {
		t.Fatalf("Reserve after Release = %v, want nil", err)
	}
	if err := s.Commit(ctx, "acme", "d1"); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, s.Key("acme", "d1")).Val(); ttl <= time.Minute || ttl > time.Hour {
		t.Errorf("handled delivery expires in %v, want about TTL (1h)", ttl)
	}
	if err := s.Reserve(ctx, "acme", "d1"); !errors.Is(err, webhooks.ErrDuplicate) {
		t.Errorf("Reserve after Commit = %v, want ErrDuplicate", err)
	}
	if err := s.Release(ctx, "acme", "d1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "acme", "d1"); !errors.Is(err, webhooks.ErrDuplicate) {
		t.Errorf("Release dropped a handled delivery: Reserve = %v, want ErrDuplicate", err)
	}

	// Another replica's store sees the same state.
	s2 := redisstore.NewDedupeStore(srv.client(t), nil)
	if err := s2.Reserve(ctx, "acme", "d1"); !errors.Is(err, webhooks.ErrDuplicate) {
		t.Errorf("other replica: Reserve = %v, want ErrDuplicate", err)
	}
	if err := s2.Reserve(ctx, "other-tenant", "d1"); !errors.Is(err, webhooks.ErrDeliveryInProgress) {
		t.Errorf("other replica: Reserve = %v, want ErrDeliveryInProgress", err)
	}
}

func TestDedupeKeysDoNotCollide(t *testing.T) {
	s := redisstore.NewDedupeStore(nil, &redisstore.DedupeOptions{Prefix: "app"})
	pairs := [][2]string{
		{"a:b", "c"}, {"a", "b:c"}, {"a%3Ab", "c"}, {"", "a:b:c"}, {"a b", "c"}, {"a+b", "c"},
		{"#x", "y"}, {"a", string(make([]byte, 300))}, {"a", string(make([]byte, 301))},
	}
	seen := map[string][2]string{}
	for _, p := range pairs {
		k := s.Key(p[0], p[1])
		if q, dup := seen[k]; dup {
			t.Errorf("Key(%q) = Key(%q) = %q", p, q, k)
		}
		seen[k] = p
		if len(k) > 300 {
			t.Errorf("Key of a %d-byte id is %d bytes long, want it hashed", len(p[1]), len(k))
		}
	}
}

func TestDedupeReleaseKeepsAnotherReplicasReservation(t *testing.T) {
	srv := startRedis(t)
	ctx := context.Background()
	slow := redisstore.NewDedupeStore(srv.client(t), &redisstore.DedupeOptions{ReservationTTL: 50 * time.Millisecond})
	other := redisstore.NewDedupeStore(srv.client(t), nil)
	if err := slow.Reserve(ctx, "", "d"); err != nil {
		t.Fatal(err)
	}
	// The slow replica's reservation expires; the other replica takes the
	// delivery over.
	eventually(t, 5*time.Second, "the reservation to expire", func() bool {
		return other.Reserve(ctx, "", "d") == nil
	})
	if err := slow.Release(ctx, "", "d"); err != nil {
		t.Fatal(err)
	}
	if err := slow.Reserve(ctx, "", "d"); !errors.Is(err, webhooks.ErrDeliveryInProgress) {
		t.Errorf("after a late Release, Reserve = %v, want ErrDeliveryInProgress (the other replica's claim)", err)
	}
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
// the status answered.
func deliver(t *testing.T, r *replica, id string, retry int) int {
	t.Helper()
	req, err := webhookstest.NewClientRequest(r.srv.URL+"/hooks?site=acme", webhookstest.Payload("issue_updated"), webhookstest.Hub{Secret: hubSecret})
	if err != nil {
		t.Error(err)
		return 0
	}
	webhookstest.SetDelivery(req, id, retry)
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestThreeReplicasHandleARetriedDeliveryOnce(t *testing.T) {
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
	if st := deliver(t, replicas[1], id, 1); st != http.StatusConflict {
		t.Errorf("retry on replica 1 while replica 0 handles it: status %d, want 409", st)
	}
	close(finishFirst)
	if st := <-first; st != http.StatusOK {
		t.Errorf("replica 0: status %d, want 200", st)
	}
	if st := deliver(t, replicas[2], id, 2); st != http.StatusOK {
		t.Errorf("retry on replica 2 after success: status %d, want 200", st)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("callback ran %d times for delivery 1, want 1", n)
	}

	// Delivery 2: the callback fails on replica 1 (500, reservation
	// released), Jira retries on replica 2 (handled), then on replica 0 (a
	// duplicate).
	runs.Store(0)
	succeeded.Store(0)
	id = webhookstest.NewDeliveryID()
	failNext.Store(true)
	for i, want := range []int{http.StatusInternalServerError, http.StatusOK, http.StatusOK} {
		if st := deliver(t, replicas[(i+1)%3], id, i); st != want {
			t.Errorf("delivery 2, attempt %d on replica %d: status %d, want %d", i, (i+1)%3, st, want)
		}
	}
	if r, s := runs.Load(), succeeded.Load(); r != 2 || s != 1 {
		t.Errorf("delivery 2: callback ran %d times, succeeded %d, want 2 and 1", r, s)
	}
}

func TestReplicasUnderConcurrentRetriesRunTheCallbackOnce(t *testing.T) {
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
					if st != http.StatusConflict {
						t.Errorf("status %d, want 200 or 409", st)
						return
					}
					conflicts.Add(1)
					time.Sleep(time.Millisecond)
				}
			}()
		}
		wg.Wait()
		if n := runs.Load(); n != int64(d+1) {
			t.Fatalf("after delivery %d sent %d times at once to 3 replicas: %d callback runs in all, want %d", d, senders, n, d+1)
		}
		t.Logf("delivery %d: %d senders, %d answered 409 along the way, callback ran once", d, senders, conflicts.Load())
	}
}

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
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d with Redis unreachable, want 500 (so that Jira retries)", rec.Code)
	}
	if n := runs.Load(); n != 0 {
		t.Errorf("callback ran %d times without a dedupe store, want 0", n)
	}
	if hookStatus != http.StatusInternalServerError || hookErr == nil {
		t.Errorf("error hook got %d, %v", hookStatus, hookErr)
	}
	t.Logf("error: %v", hookErr)
}

func TestDeliveriesDuringARedisRestart(t *testing.T) {
	rs := startRedis(t)
	var runs atomic.Int64
	r := newReplicas(t, rs, 1, func(context.Context, *webhooks.Event) error { runs.Add(1); return nil })[0]
	before := webhookstest.NewDeliveryID()
	if st := deliver(t, r, before, 0); st != http.StatusOK {
		t.Fatalf("status %d before the restart", st)
	}

	rs.stop()
	id := webhookstest.NewDeliveryID()
	if st := deliver(t, r, id, 0); st != http.StatusInternalServerError {
		t.Errorf("status %d while Redis is down, want 500", st)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("callback ran %d times, want 1 (none while Redis was down)", n)
	}

	rs.start()
	retry := 1
	eventually(t, 10*time.Second, "the handler to reach the restarted Redis", func() bool {
		retry++
		return deliver(t, r, id, retry) == http.StatusOK
	})
	if st := deliver(t, r, id, retry+1); st != http.StatusOK {
		t.Errorf("duplicate after the restart: status %d", st)
	}
	if n := runs.Load(); n != 2 {
		t.Errorf("callback ran %d times, want 2 (one per delivery)", n)
	}
	// Redis ran without persistence: what it knew before is gone, and a
	// retry of the old delivery would run again. That is the price of an
	// ephemeral Redis, documented in the package.
}

func itoa(n int) string { return strconv.Itoa(n) }
