package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultLeaseTTL is the default lifetime of a Lease in Redis: how long
// after its holder died (without releasing it) another replica can take it.
const DefaultLeaseTTL = 30 * time.Second

// ErrLeaseLost is the cause (see context.Cause) of the cancellation of the
// context a Lease gives its function, when the lease was lost: taken over
// after it expired, gone with a restarted Redis, or not renewable for so
// long that it may have expired.
var ErrLeaseLost = errors.New("redisstore: lease lost")

// LeaseOptions configures NewLease. The zero value selects the defaults.
type LeaseOptions struct {
	// Prefix is the first segment of the key; empty means DefaultPrefix.
	Prefix string
	// TTL is the lease's lifetime in Redis, renewed while held; zero means
	// DefaultLeaseTTL.
	TTL time.Duration
	// RenewEvery is how often the holder renews the lease; zero means TTL/3.
	// It is also how long a holder that could not renew has to stop its
	// function: it cancels it once TTL - RenewEvery has passed since the
	// last renewal, RenewEvery before the lease can expire. It must be less
	// than TTL/2, or it is taken as TTL/3.
	RenewEvery time.Duration
	// PollEvery is how often a replica waiting for the lease tries to take
	// it (with up to 20% jitter); zero means TTL/3. A dead holder is
	// replaced within about TTL + PollEvery.
	PollEvery time.Duration
	// Logger receives a record when the lease is acquired, lost or
	// released, and for Redis errors. Nil means slog.Default().
	Logger *slog.Logger
}

// Lease elects one holder among the replicas of an app: at any time at
// most one of them runs the function given to Run, and when that replica
// dies another takes over. It is meant for work that every replica is able
// to do but only one should, such as the keepalive.Refresher:
//
//	lease := redisstore.NewLease(rdb, "refresher", nil)
//	go lease.Run(ctx, refresher.Run)
//
// The lease is the Redis key prefix:lease:<name>, set with SET NX PX to a
// random token by the holder, renewed every RenewEvery by compare-and-extend,
// and deleted by compare-and-delete when the function returns. If the
// holder cannot renew it (Redis unreachable) for TTL - RenewEvery, or finds
// it gone or taken, it cancels the function's context with cause
// ErrLeaseLost before the lease can pass to another replica; that function
// should then stop promptly. Holders that stop slowly may overlap with the
// next holder, so the work must tolerate that (the Refresher's does).
//
// Lease timing uses the real clock, as Redis expiry does. A Lease is safe
// for concurrent use, but Run is meant to be called once per replica.
type Lease struct {
	rdb   redis.UniversalClient
	key   string
	ttl   time.Duration
	renew time.Duration
	poll  time.Duration
	log   *slog.Logger

	held atomic.Bool
}

// NewLease returns the lease called name on rdb. Replicas that want the
// same work done once use the same name. o may be nil.
func NewLease(rdb redis.UniversalClient, name string, o *LeaseOptions) *Lease {
	if o == nil {
		o = &LeaseOptions{}
	}
	l := &Lease{rdb: rdb, key: keyName(prefixOr(o.Prefix), "lease", name),
		ttl: o.TTL, renew: o.RenewEvery, poll: o.PollEvery, log: o.Logger}
	if l.ttl <= 0 {
		l.ttl = DefaultLeaseTTL
	}
	if l.renew <= 0 || l.renew >= l.ttl/2 {
		l.renew = l.ttl / 3
	}
	if l.poll <= 0 {
		l.poll = l.ttl / 3
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	return l
}

// Key returns the lease's Redis key.
func (l *Lease) Key() string { return l.key }

// Held reports whether this Lease value holds the lease right now, as far
// as it knows.
func (l *Lease) Held() bool { return l.held.Load() }

// Run waits until it holds the lease, then runs fn with a context that is
// cancelled when ctx ends or the lease is lost (cause ErrLeaseLost).
//
// When fn returns while the lease is held, Run releases the lease and
// returns fn's result. When the lease was lost, Run waits for fn to return
// and then waits for the lease again, so the replica stays a candidate.
// When ctx ends, Run releases the lease if held and returns ctx.Err() once
// fn has returned. Redis errors while waiting are logged and retried: a
// replica keeps competing for the lease through a Redis outage.
func (l *Lease) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	for {
		lk, acquired, err := l.acquire(ctx)
		if err != nil {
			return err
		}
		lost, err := l.hold(ctx, lk, acquired, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !lost {
			return err
		}
	}
}

// acquire polls until it takes the lease or ctx ends.
func (l *Lease) acquire(ctx context.Context) (*lock, time.Time, error) {
	failing := false
	for {
		lk := newLock(l.rdb, l.key, l.ttl)
		sent := time.Now()
		ok, err := lk.tryAcquire(ctx)
		if ctx.Err() != nil {
			if ok || err != nil {
				_ = lk.release(ctx)
			}
			return nil, time.Time{}, ctx.Err()
		}
		switch {
		case err != nil:
			if !failing {
				l.log.Warn("redisstore: cannot reach Redis to take the lease; retrying", "lease", l.key, "error", err)
			}
			failing = true
		case ok:
			return lk, sent, nil
		default:
			failing = false
		}
		jitter := rand.N(l.poll/5 + 1)
		t := time.NewTimer(l.poll - l.poll/10 + jitter)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, time.Time{}, ctx.Err()
		case <-t.C:
		}
	}
}

// hold runs fn under the lease lk until fn returns, and reports fn's
// result and whether the lease was lost meanwhile.
func (l *Lease) hold(ctx context.Context, lk *lock, acquired time.Time, fn func(context.Context) error) (lost bool, err error) {
	l.held.Store(true)
	l.log.Info("redisstore: lease acquired", "lease", l.key)
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var lostFlag atomic.Bool
	done := make(chan struct{})
	// Renew until fn has returned, even after ctx ended: fn may take a
	// while to stop, and the lease must stay its own meanwhile.
	rctx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(done)
		lk.renew(rctx, l.renew, acquired, func(err error) {
			lostFlag.Store(true)
			l.held.Store(false)
			l.log.Warn("redisstore: lease lost", "lease", l.key, "error", err)
			cancel(fmt.Errorf("%w: %w", ErrLeaseLost, err))
		})
	}()
	err = fn(fctx)
	stopRenew()
	<-done
	l.held.Store(false)
	if lostFlag.Load() {
		return true, err
	}
	if rerr := lk.release(ctx); rerr != nil {
		l.log.Warn("redisstore: could not release the lease; it expires on its own", "lease", l.key, "error", rerr)
	} else {
		l.log.Info("redisstore: lease released", "lease", l.key)
	}
	return false, err
}
