package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/testclock"
	"github.com/jirahooks/jirahooks/jiratest"
	redisstore "github.com/jirahooks/jirahooks/stores/redis"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

const day = 24 * time.Hour

// fastLease are lease timings short enough for tests. Redis expires keys
// in real time, so these are real durations.
func fastLease(log *slog.Logger) *redisstore.LeaseOptions {
	return &redisstore.LeaseOptions{TTL: 800 * time.Millisecond, RenewEvery: 200 * time.Millisecond,
		PollEvery: 50 * time.Millisecond, Logger: log}
}

var quietLog = slog.New(slog.DiscardHandler)

// netSwitch cuts a Redis client off the network, as a crash or a partition
// of its process would: kill closes its connections and makes new ones
// fail until revive.
type netSwitch struct {
	mu    sync.Mutex
	dead  bool
	conns []net.Conn
}

func (s *netSwitch) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead {
		return nil, errors.New("test: network cut")
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		s.conns = append(s.conns, c)
	}
	return c, err
}

func (s *netSwitch) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = true
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

func (s *netSwitch) revive() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = false
}

// switchedClient returns a Redis client whose network sw can cut.
func (s *redisServer) switchedClient(t testing.TB, sw *netSwitch) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Dialer: sw.dial, MaxRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// syncBuffer is a bytes.Buffer for a logger shared by goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// exclusive wraps lease functions and records the most that ran at once.
type exclusive struct {
	running, most, starts atomic.Int64
}

func (x *exclusive) wrap(fn func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		x.starts.Add(1)
		n := x.running.Add(1)
		defer x.running.Add(-1)
		for {
			m := x.most.Load()
			if n <= m || x.most.CompareAndSwap(m, n) {
				break
			}
		}
		return fn(ctx)
	}
}

// newStopClock returns a fake clock on c for one replica's Refresher:
// Sleep advances the fake time, then calls check, until the time would pass
// stop; then it sets the clock to stop, closes reached and blocks until the
// Refresher's context ends.
func newStopClock(c *jiratest.Clock, stop time.Time, reached chan struct{}, check func()) *testclock.Clock {
	clk := testclock.Of(c)
	clk.Wait = func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if target := c.Now().Add(d); target.After(stop) {
			if rest := stop.Sub(c.Now()); rest > 0 {
				c.Advance(rest)
				check()
			}
			close(reached)
			return testclock.Park(ctx, d)
		}
		c.Advance(d)
		check()
		return nil
	}
	return clk
}

// kinds counts a Refresher's events by kind.
type kinds struct {
	mu sync.Mutex
	n  map[keepalive.EventKind]int
}

func (k *kinds) on(ev keepalive.Event) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n == nil {
		k.n = map[keepalive.EventKind]int{}
	}
	k.n[ev.Kind]++
}

func (k *kinds) count(kind keepalive.EventKind) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n[kind]
}

func TestTwoRefreshersOneKilledTheOtherTakesOver(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	site := jiratest.NewServer()
	t.Cleanup(site.Close)
	app := site.AddOAuthApp("acme-app", []byte("client-secret"))
	var want []keepalive.Declaration
	for i := range 3 {
		want = append(want, keepalive.Declaration{URL: "https://app.example.com/jira/events",
			Details: webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated},
				JQLFilter: fmt.Sprintf("project = P%d", i)}})
	}
	start := site.Now()
	killAt, end := start.Add(100*day), start.Add(250*day)

	// Every time a refresher lets fake time pass, all three webhooks must
	// still be there: an expired one vanishes from Jira.
	var ids []int64
	var idsMu sync.Mutex
	check := func() {
		var now []int64
		for _, h := range site.Webhooks(app) {
			now = append(now, h.ID)
		}
		idsMu.Lock()
		defer idsMu.Unlock()
		if ids == nil && len(now) == 3 {
			ids = now
		}
		// Called from the refreshers' goroutines: assert, never require.
		assert.True(t, slices.Equal(now, ids), "at %v (day %d): webhooks %v, want %v: one expired or was replaced",
			site.Now(), site.Now().Sub(start)/day, now, ids)
	}

	var x exclusive
	type replicaState struct {
		sw      netSwitch
		logs    syncBuffer
		lease   *redisstore.Lease
		r       *keepalive.Refresher
		reached chan struct{} // closed when the replica's clock reaches its stop
		events  kinds
		cancel  context.CancelFunc
		done    chan error
		started time.Time
	}
	newReplica := func(stop time.Time) *replicaState {
		rp := &replicaState{done: make(chan error, 1), reached: make(chan struct{})}
		log := slog.New(slog.NewTextHandler(&rp.logs, nil))
		rp.lease = redisstore.NewLease(rs.switchedClient(t, &rp.sw), "refresher", fastLease(log))
		clock := newStopClock(site.Clock(), stop, rp.reached, check)
		rp.r = &keepalive.Refresher{Clock: clock, Logger: quietLog, OnEvent: rp.events.on}
		c, err := webhooks.NewClient(site.URL(), webhooks.WithHTTPClient(app.HTTPClient()))
		require.NoError(t, err)
		require.NoError(t, rp.r.AddSite("acme", c, want...))
		return rp
	}
	run := func(rp *replicaState) {
		ctx, cancel := context.WithCancel(t.Context())
		rp.cancel = cancel
		t.Cleanup(cancel)
		go func() {
			rp.done <- rp.lease.Run(ctx, x.wrap(func(ctx context.Context) error {
				rp.started = time.Now()
				return rp.r.Run(ctx)
			}))
		}()
	}

	a, b := newReplica(killAt), newReplica(end)
	run(a)
	eventually(t, 5*time.Second, "replica A to take the lease", a.lease.Held)
	run(b)
	<-a.reached // A has kept the webhooks alive for 100 days
	require.False(t, b.lease.Held(), "replica B held the lease while A did")
	require.Zero(t, b.events.count(keepalive.Refreshed), "replica B refreshed while A held the lease")
	refreshedByA := a.events.count(keepalive.Refreshed)

	// Kill A: its network goes first (it cannot release the lease), then
	// its refresher stops.
	killed := time.Now()
	a.sw.kill()
	a.cancel()
	assert.ErrorIs(t, <-a.done, context.Canceled, "A's Run")
	select {
	case <-b.reached: // B kept them alive for another 150 days
	case <-time.After(30 * time.Second):
		require.FailNow(t, "replica B did not reach day 250", "B holds the lease: %v", b.lease.Held())
	}
	takeover := b.started.Sub(killed)
	b.cancel()
	assert.ErrorIs(t, <-b.done, context.Canceled, "B's Run")

	check()
	assert.Equal(t, int64(1), x.most.Load(), "refreshers that ran at once")
	assert.Equal(t, int64(2), x.starts.Load(), "times the lease ran a refresher: want 2 (A, then B)")
	assert.Contains(t, a.logs.String(), "could not release the lease", "A released the lease although its network was cut")
	refreshedByB := b.events.count(keepalive.Refreshed)
	assert.GreaterOrEqual(t, refreshedByA, 3, "refreshes by A over 100 days")
	assert.GreaterOrEqual(t, refreshedByB, 5, "refreshes by B over 150 days")
	for _, rp := range []*replicaState{a, b} {
		assert.Zero(t, rp.events.count(keepalive.Lost)+rp.events.count(keepalive.AtRisk), "lost or at-risk events")
	}
	assert.Zero(t, b.events.count(keepalive.Registered), "webhooks B registered: want 0 (it found A's)")
	t.Logf("A refreshed %d times over days 0-100, was killed; B took the lease %v later (TTL 800ms) and refreshed %d times over days 100-250; webhooks %v never expired",
		refreshedByA, takeover.Round(time.Millisecond), refreshedByB, ids)
}

func TestLeaseLostOnPartitionThenRegained(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	var x exclusive
	var causes []error
	var mu sync.Mutex
	fn := func(ctx context.Context) error {
		<-ctx.Done()
		mu.Lock()
		causes = append(causes, context.Cause(ctx))
		mu.Unlock()
		return ctx.Err()
	}
	var swA, swB netSwitch
	a := redisstore.NewLease(rs.switchedClient(t, &swA), "job", fastLease(quietLog))
	b := redisstore.NewLease(rs.switchedClient(t, &swB), "job", fastLease(quietLog))
	ctxA, cancelA := context.WithCancel(t.Context())
	ctxB, cancelB := context.WithCancel(t.Context())
	defer cancelA()
	defer cancelB()
	doneA, doneB := make(chan error, 1), make(chan error, 1)
	go func() { doneA <- a.Run(ctxA, x.wrap(fn)) }()
	eventually(t, 5*time.Second, "A to hold the lease", a.Held)
	go func() { doneB <- b.Run(ctxB, x.wrap(fn)) }()

	// A is cut off from Redis: it gives the lease up, B takes it.
	swA.kill()
	eventually(t, 5*time.Second, "B to take the lease over", b.Held)
	mu.Lock()
	if assert.Len(t, causes, 1, "A's function ended with causes %v, want ErrLeaseLost", causes) {
		assert.ErrorIs(t, causes[0], redisstore.ErrLeaseLost, "A's function's cause")
	}
	mu.Unlock()
	assert.Equal(t, int64(1), x.most.Load(), "holders at once")

	// A is back and waits; B stops cleanly and releases: A takes over.
	swA.revive()
	cancelB()
	assert.ErrorIs(t, <-doneB, context.Canceled, "B's Run")
	eventually(t, 5*time.Second, "A to take the lease back", a.Held)
	cancelA()
	assert.ErrorIs(t, <-doneA, context.Canceled, "A's Run")
	assert.Zero(t, rs.client(t).Exists(t.Context(), a.Key()).Val(), "lease key left behind after both stopped cleanly")
}

func TestLeaseAcrossARedisRestart(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	l := redisstore.NewLease(rs.client(t), "job", fastLease(quietLog))
	var starts atomic.Int64
	lost := make(chan error, 10)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- l.Run(ctx, func(ctx context.Context) error {
			starts.Add(1)
			<-ctx.Done()
			lost <- context.Cause(ctx)
			return ctx.Err()
		})
	}()
	eventually(t, 5*time.Second, "the lease to be taken", func() bool { return starts.Load() == 1 })
	rs.restart() // the lease key is gone with the data
	assert.ErrorIs(t, <-lost, redisstore.ErrLeaseLost, "cause")
	eventually(t, 10*time.Second, "the lease to be taken again after the restart", func() bool { return starts.Load() == 2 })
	assert.Equal(t, int64(1), rs.client(t).Exists(t.Context(), l.Key()).Val(), "lease key missing while held")
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled, "Run")
}

func TestLeaseRunReturnsWhatFnReturns(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	rdb := rs.client(t)
	l := redisstore.NewLease(rdb, "job", nil)
	assert.Equal(t, "jirahooks:lease:job", l.Key(), "Key")
	boom := errors.New("boom")
	err := l.Run(t.Context(), func(ctx context.Context) error {
		ttl := rdb.PTTL(ctx, l.Key()).Val()
		assert.True(t, ttl > 0 && ttl <= redisstore.DefaultLeaseTTL, "lease TTL %v, want within %v", ttl, redisstore.DefaultLeaseTTL)
		return boom
	})
	assert.ErrorIs(t, err, boom, "Run: want fn's error")
	assert.Zero(t, rdb.Exists(t.Context(), l.Key()).Val(), "lease not released after fn returned")
	// Waiting for a lease held elsewhere ends with ctx.
	require.NoError(t, rdb.Set(t.Context(), l.Key(), "someone-else", time.Minute).Err())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	ran := false
	err = l.Run(ctx, func(context.Context) error { ran = true; return nil })
	assert.ErrorIs(t, err, context.DeadlineExceeded, "Run while held elsewhere")
	assert.False(t, ran, "Run while held elsewhere ran fn")
	assert.Equal(t, "someone-else", rdb.Get(t.Context(), l.Key()).Val(), "the other holder's lease was touched")
}

func TestLeaseStaysHeldWhileFnStops(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	opts := &redisstore.LeaseOptions{TTL: 200 * time.Millisecond, RenewEvery: 50 * time.Millisecond,
		PollEvery: 20 * time.Millisecond, Logger: quietLog}
	a := redisstore.NewLease(rs.client(t), "job", opts)
	b := redisstore.NewLease(rs.client(t), "job", opts)
	ctx, cancel := context.WithCancel(t.Context())
	stopping := make(chan struct{})
	finish := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.Run(ctx, func(ctx context.Context) error {
			<-ctx.Done()
			close(stopping)
			<-finish // a slow shutdown, well past the lease's TTL
			return ctx.Err()
		})
	}()
	eventually(t, 5*time.Second, "A to hold the lease", a.Held)
	cancel()
	<-stopping
	bctx, bcancel := context.WithTimeout(t.Context(), 5*opts.TTL)
	defer bcancel()
	assert.ErrorIs(t, b.Run(bctx, func(context.Context) error { return nil }), context.DeadlineExceeded,
		"B's Run while A's function stops: want DeadlineExceeded (A still holds the lease)")
	close(finish)
	assert.ErrorIs(t, <-done, context.Canceled, "A's Run")
	ran := false
	assert.NoError(t, b.Run(t.Context(), func(context.Context) error { ran = true; return nil }), "B's Run after A released")
	assert.True(t, ran, "B's Run after A released did not run fn")
}
