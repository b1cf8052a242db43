package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// The compare-and-extend and compare-and-delete scripts of a lock held
// under a random token. Each touches one key, so they work on Redis
// Cluster too. go-redis runs them with EVALSHA and falls back to EVAL
// when a restarted server has forgotten them.
var (
	extendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)
)

// opTimeout bounds the Redis calls made on behalf of a lock after its
// holder's context is gone (release) or in the background (renewal).
const opTimeout = 5 * time.Second

// lock is one attempt at, or one holding of, a lock on a Redis key: SET NX
// PX with a random token, renewed and released only by the token's holder.
type lock struct {
	rdb   redis.UniversalClient
	key   string
	token string
	ttl   time.Duration
}

func newLock(rdb redis.UniversalClient, key string, ttl time.Duration) *lock {
	return &lock{rdb: rdb, key: key, token: newToken(), ttl: ttl}
}

// tryAcquire sets the key if absent and reports whether it did.
func (l *lock) tryAcquire(ctx context.Context) (bool, error) {
	return l.rdb.SetNX(ctx, l.key, l.token, l.ttl).Result()
}

// extend pushes the expiry back to ttl from now if the lock is still held
// under l's token, and reports whether it was.
func (l *lock) extend(ctx context.Context) (bool, error) {
	n, err := extendScript.Run(ctx, l.rdb, []string{l.key}, l.token, l.ttl.Milliseconds()).Int64()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// release deletes the key if it is still held under l's token.
func (l *lock) release(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
	defer cancel()
	return releaseScript.Run(ctx, l.rdb, []string{l.key}, l.token).Err()
}

// errLockLost is the cause a renewer reports when the lock is gone or can
// no longer be known to be held.
var errLockLost = errors.New("lock lost")

// renew keeps l held until ctx ends: every interval it extends the lock.
// It calls lost (once) and returns when the lock turns out to be held by
// nobody or somebody else, or when no extension has succeeded for ttl minus
// interval since the last successful one was sent: the lock may expire
// interval later, and the holder is given that long to stop. An attempt
// that fails is repeated after interval/4; no attempt runs past that
// deadline. acquired is when the attempt that took the lock was sent.
func (l *lock) renew(ctx context.Context, interval time.Duration, acquired time.Time, lost func(error)) {
	deadline := acquired.Add(l.ttl - interval)
	next := acquired.Add(interval)
	var lastErr error
	t := time.NewTimer(time.Until(next))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !time.Now().Before(deadline) {
			lost(errors.Join(errLockLost, lastErr))
			return
		}
		sent := time.Now()
		rctx, cancel := context.WithDeadline(ctx, deadline)
		ok, err := l.extend(rctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && ok:
			deadline, next = sent.Add(l.ttl-interval), sent.Add(interval)
		case err == nil:
			lost(errLockLost)
			return
		default:
			lastErr = err
			next = time.Now().Add(interval / 4)
		}
		if deadline.Before(next) {
			next = deadline
		}
		t.Reset(time.Until(next))
	}
}
