package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/jirahooks/jirahooks/auth"
)

// Defaults of TokenOptions.
const (
	// DefaultLockTTL is the lease of a token lock. The holder renews it
	// every third of it while it holds the lock, so it bounds only how long
	// a crashed holder keeps the others waiting.
	DefaultLockTTL = 30 * time.Second
	// DefaultLockMaxWait caps the wait between two attempts to take a
	// token lock held by someone else.
	DefaultLockMaxWait = 250 * time.Millisecond
)

// TokenOptions configures NewTokenStore. The zero value selects the
// defaults.
type TokenOptions struct {
	// Prefix is the first segment of the keys; empty means DefaultPrefix.
	Prefix string
	// LockTTL is the lease of a key's refresh lock; zero means
	// DefaultLockTTL. It is renewed every LockTTL/3 while held.
	LockTTL time.Duration
	// LockMaxWait caps the jittered, doubling wait between attempts to
	// take a lock that is held; zero means DefaultLockMaxWait.
	LockMaxWait time.Duration
}

// TokenStore is an auth.TokenStore and auth.Locker on Redis: every replica
// of an app that points at the same Redis shares each grant's token, and
// only one of them refreshes a grant at a time, so a rotating refresh token
// is never spent twice (which would make Atlassian revoke the grant).
// Pass it to auth.NewTokenSource.
//
// A token is stored as JSON (access token, token type, refresh token,
// expiry, and the grant's consent time, see auth.ConsentTime) under
// prefix:token:<key>, without expiry: Atlassian's refresh tokens outlive
// any access token. Values written before the consent time was stored
// load with it unknown (auth.GrantStatus.Known reports false). The lock of a key is
// prefix:tokenlock:<key>.
// Redis must keep what it is told: a Redis that loses its data (no
// persistence, or a failover to a replica that missed the last write) loses
// the rotated refresh token, and the user has to consent again. Run it with
// appendonly yes, or accept that risk.
//
// Tokens are not encrypted: protect the Redis server as you would the
// tokens. No error of this type contains a token. It is safe for
// concurrent use.
type TokenStore struct {
	rdb     redis.UniversalClient
	prefix  string
	lockTTL time.Duration
	maxWait time.Duration
}

var (
	_ auth.TokenStore = (*TokenStore)(nil)
	_ auth.Locker     = (*TokenStore)(nil)
)

// NewTokenStore returns a TokenStore on rdb. o may be nil.
func NewTokenStore(rdb redis.UniversalClient, o *TokenOptions) *TokenStore {
	if o == nil {
		o = &TokenOptions{}
	}
	s := &TokenStore{rdb: rdb, prefix: prefixOr(o.Prefix), lockTTL: o.LockTTL, maxWait: o.LockMaxWait}
	if s.lockTTL <= 0 {
		s.lockTTL = DefaultLockTTL
	}
	if s.maxWait <= 0 {
		s.maxWait = DefaultLockMaxWait
	}
	return s
}

// Key returns the Redis key that holds the token of key.
func (s *TokenStore) Key(key string) string { return keyName(s.prefix, "token", key) }

// LockKey returns the Redis key of key's refresh lock.
func (s *TokenStore) LockKey(key string) string { return keyName(s.prefix, "tokenlock", key) }

// Load returns the token stored under key, or an error wrapping
// auth.ErrTokenNotFound.
func (s *TokenStore) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	b, err := s.rdb.Get(ctx, s.Key(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: token %q: %w", key, auth.ErrTokenNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: loading token %q: %w", key, err)
	}
	tok, err := auth.UnmarshalToken(b)
	if err != nil {
		// The decoder's message could quote part of the value: leave it out.
		return nil, fmt.Errorf("redisstore: token %q in Redis is not valid JSON", key)
	}
	return tok, nil
}

// Save stores tok and its consent time (auth.ConsentTime) under key,
// replacing what was there. It returns once Redis has acknowledged the
// write.
func (s *TokenStore) Save(ctx context.Context, key string, tok *oauth2.Token) error {
	if tok == nil {
		return errors.New("redisstore: nil token")
	}
	b, err := auth.MarshalToken(tok)
	if err != nil {
		return fmt.Errorf("redisstore: encoding token %q failed", key)
	}
	if err := s.rdb.Set(ctx, s.Key(key), b, 0).Err(); err != nil {
		return fmt.Errorf("redisstore: saving token %q: %w", key, err)
	}
	return nil
}

// Delete removes the token stored under key (after the app was
// uninstalled, say). Deleting a missing token is not an error.
func (s *TokenStore) Delete(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.Key(key)).Err(); err != nil {
		return fmt.Errorf("redisstore: deleting token %q: %w", key, err)
	}
	return nil
}

// Lock implements auth.Locker with a Redis lock shared by every process
// using the same Redis: SET NX PX with a random token. While the lock is
// held by another holder, Lock tries again after a jittered wait that
// doubles up to LockMaxWait, until it gets the lock or ctx ends (then it
// returns ctx.Err()). A Redis error ends the wait with that error.
//
// While held, the lock is renewed every LockTTL/3 in the background, for
// as long as the holder keeps it (a token source whose save failed keeps it
// until a later save succeeds). unlock stops the renewal and deletes the
// lock if it is still this holder's; it may be called from any goroutine,
// more than once. If the holder's process dies, the lock expires after
// LockTTL.
//
// A holder that dies after the token endpoint answered and before Save
// leaves the superseded refresh token in Redis. Atlassian accepts it again
// within auth.RefreshReuseLeeway (10 minutes) of its first use: the next
// replica to refresh after the lock expired (LockTTL, far less) does so
// in time and the grant survives; a refresh later than that revokes the
// grant (auth.ErrConsentRequired).
func (s *TokenStore) Lock(ctx context.Context, key string) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := newLock(s.rdb, s.LockKey(key), s.lockTTL)
	wait := 5 * time.Millisecond
	for {
		sent := time.Now()
		ok, err := l.tryAcquire(ctx)
		if ctx.Err() != nil {
			if ok || err != nil {
				// The answer may have been lost with ctx: make sure the
				// lock is not left behind.
				_ = l.release(ctx)
			}
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("redisstore: locking token %q: %w", key, err)
		}
		if ok {
			return s.hold(ctx, l, sent), nil
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, s.maxWait)
	}
}

// hold starts renewing l and returns its unlock function.
func (s *TokenStore) hold(ctx context.Context, l *lock, acquired time.Time) func() {
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.renew(rctx, s.lockTTL/3, acquired, func(error) {})
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			stop()
			<-done
			_ = l.release(ctx)
		})
	}
}
