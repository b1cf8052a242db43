package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/jirahooks/jirahooks/auth"
	redisstore "github.com/jirahooks/jirahooks/stores/redis"
)

// tokenServer is Atlassian's token endpoint in miniature. Like Atlassian
// it rotates refresh tokens: each works once, and presenting a rotated one
// again revokes the whole grant.
type tokenServer struct {
	srv *httptest.Server

	refreshes atomic.Int64 // successful refreshes
	rejected  atomic.Int64 // refreshes refused
	delay     time.Duration

	mu      sync.Mutex
	n       int
	live    map[string]bool // refresh tokens not yet used
	rotated map[string]bool // refresh tokens used once
	revoked bool
}

func newTokenServer(t *testing.T) *tokenServer {
	f := &tokenServer{live: map[string]bool{}, rotated: map[string]bool{}, delay: 20 * time.Millisecond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.token))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *tokenServer) config() *oauth2.Config {
	cfg := auth.NewConfig("client-id", "client-secret", "http://127.0.0.1/callback")
	cfg.Endpoint.TokenURL = f.srv.URL + "/oauth/token"
	return cfg
}

// grant issues a grant as if the user had consented; its access token has
// already expired.
func (f *tokenServer) grant() *oauth2.Token {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	rt := fmt.Sprintf("rt-%d", f.n)
	f.live[rt] = true
	return &oauth2.Token{AccessToken: fmt.Sprintf("at-%d", f.n), RefreshToken: rt, TokenType: "Bearer",
		Expiry: time.Now().Add(-time.Minute)}
}

func (f *tokenServer) isRevoked() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revoked
}

func (f *tokenServer) token(w http.ResponseWriter, r *http.Request) {
	if r.ParseForm() != nil || r.PostForm.Get("grant_type") != "refresh_token" ||
		r.PostForm.Get("client_id") != "client-id" || r.PostForm.Get("client_secret") != "client-secret" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	time.Sleep(f.delay) // a real round trip, long enough for racers to collide
	old := r.PostForm.Get("refresh_token")
	f.mu.Lock()
	if !f.live[old] || f.revoked {
		if f.rotated[old] {
			f.revoked = true // reuse revokes the grant, as at Atlassian
		}
		f.mu.Unlock()
		f.rejected.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}`)
		return
	}
	delete(f.live, old)
	f.rotated[old] = true
	f.n++
	at, rt := fmt.Sprintf("at-%d", f.n), fmt.Sprintf("rt-%d", f.n)
	f.live[rt] = true
	f.mu.Unlock()
	f.refreshes.Add(1)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": at, "refresh_token": rt,
		"token_type": "Bearer", "expires_in": 3600})
}

func TestTokenStoreSaveLoad(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	rdb := rs.client(t)
	ctx := t.Context()
	s := redisstore.NewTokenStore(rdb, nil)
	assert.Equal(t, "jirahooks:token:site%3Aacme", s.Key("site:acme"), "Key")
	assert.Equal(t, "jirahooks:tokenlock:site%3Aacme", s.LockKey("site:acme"), "LockKey")
	_, err := s.Load(ctx, "site:acme")
	assert.ErrorIs(t, err, auth.ErrTokenNotFound, "Load of a missing token")
	want := &oauth2.Token{AccessToken: "at-SECRET", TokenType: "Bearer", RefreshToken: "rt-SECRET",
		Expiry: time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)}
	require.NoError(t, s.Save(ctx, "site:acme", want.WithExtra(map[string]any{"scope": "x"})))
	// Another replica reads it.
	got, err := redisstore.NewTokenStore(rs.client(t), nil).Load(ctx, "site:acme")
	require.NoError(t, err)
	assert.Equal(t, want.AccessToken, got.AccessToken, "Load = %+v, want %+v", got, want)
	assert.Equal(t, want.RefreshToken, got.RefreshToken, "Load = %+v, want %+v", got, want)
	assert.Equal(t, want.TokenType, got.TokenType, "Load = %+v, want %+v", got, want)
	assert.True(t, got.Expiry.Equal(want.Expiry), "Load = %+v, want %+v", got, want)
	assert.Equal(t, time.Duration(-1), rdb.PTTL(ctx, s.Key("site:acme")).Val(), "token key's TTL: want none")

	require.NoError(t, rdb.Set(ctx, s.Key("broken"), `{"access_token":"at-SECRET",`, 0).Err())
	_, err = s.Load(ctx, "broken")
	if assert.Error(t, err, "Load of corrupt JSON") {
		assert.NotContains(t, err.Error(), "SECRET", "Load of corrupt JSON: want an error without the value")
	}
	require.NoError(t, s.Delete(ctx, "site:acme"))
	_, err = s.Load(ctx, "site:acme")
	assert.ErrorIs(t, err, auth.ErrTokenNotFound, "Load after Delete")

	// With Redis down; a client without go-redis's retries fails at once
	// where the default one backs off for seconds first.
	rs.stop()
	down := redisstore.NewTokenStore(rs.clientWithoutRetries(t), nil)
	_, err = down.Load(ctx, "site:acme")
	if assert.Error(t, err, "Load with Redis down: want a Redis error") {
		assert.NotErrorIs(t, err, auth.ErrTokenNotFound, "Load with Redis down: want a Redis error")
	}
	assert.Error(t, down.Save(ctx, "site:acme", want), "Save with Redis down succeeded")
}

func TestEightGoroutinesTwoTokenSourcesRefreshOnce(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	fake := newTokenServer(t)
	ctx := t.Context()
	const key = "grant-1"
	require.NoError(t, redisstore.NewTokenStore(rs.client(t), nil).Save(ctx, key, fake.grant()))
	// Two replicas, each with its own Redis client and token source.
	var sources []*auth.TokenSource
	for range 2 {
		store := redisstore.NewTokenStore(rs.client(t), nil)
		sources = append(sources, auth.NewTokenSource(fake.config(), store, key, auth.WithTokenHTTPClient(fake.srv.Client())))
	}
	start := make(chan struct{})
	toks := make([]string, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tok, err := sources[i%2].TokenContext(ctx)
			if err == nil {
				toks[i] = tok.AccessToken
			}
			errs[i] = err
		}()
	}
	close(start)
	wg.Wait()

	for i, err := range errs {
		assert.NoError(t, err, "goroutine %d", i)
	}
	assert.Equal(t, int64(1), fake.refreshes.Load(), "refreshes at the token endpoint")
	assert.Zero(t, fake.rejected.Load(), "refreshes rejected")
	assert.False(t, fake.isRevoked(), "grant revoked")
	stored, err := redisstore.NewTokenStore(rs.client(t), nil).Load(ctx, key)
	require.NoError(t, err)
	for i, at := range toks {
		assert.Equal(t, stored.AccessToken, at, "goroutine %d: want the new token", i)
	}
	t.Logf("8 goroutines, 2 token sources: %d refresh, %d rejected, revoked %v, all got %s",
		fake.refreshes.Load(), fake.rejected.Load(), fake.isRevoked(), stored.AccessToken)
}

// unlockedStore is a TokenStore whose Lock excludes nothing: it waits until
// both replicas are in it, then lets both refresh, as two replicas without
// a shared lock would.
type unlockedStore struct {
	*redisstore.TokenStore
	arrived *sync.WaitGroup
}

func (s unlockedStore) Lock(ctx context.Context, key string) (func(), error) {
	s.arrived.Done()
	s.arrived.Wait()
	return func() {}, nil
}

// TestWithoutTheLockTheGrantIsRevoked is the control for the test above: it
// shows that the fake token server does punish a reused refresh token.
func TestWithoutTheLockTheGrantIsRevoked(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	fake := newTokenServer(t)
	ctx := t.Context()
	const key = "grant-1"
	require.NoError(t, redisstore.NewTokenStore(rs.client(t), nil).Save(ctx, key, fake.grant()))
	var arrived sync.WaitGroup
	arrived.Add(2)
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range 2 {
		store := unlockedStore{redisstore.NewTokenStore(rs.client(t), nil), &arrived}
		src := auth.NewTokenSource(fake.config(), store, key, auth.WithTokenHTTPClient(fake.srv.Client()))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := src.TokenContext(ctx); errors.Is(err, auth.ErrConsentRequired) {
				failures.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.True(t, fake.isRevoked(), "without a lock: grant revoked")
	assert.Equal(t, int64(1), failures.Load(), "without a lock: replicas told to ask for consent")
}

func TestLockExcludesAcrossClients(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	stores := []*redisstore.TokenStore{
		redisstore.NewTokenStore(rs.client(t), nil),
		redisstore.NewTokenStore(rs.client(t), nil),
	}
	var inside, maxInside, total atomic.Int64
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				unlock, err := stores[i%2].Lock(t.Context(), "k")
				if !assert.NoError(t, err) {
					return
				}
				n := inside.Add(1)
				for {
					m := maxInside.Load()
					if n <= m || maxInside.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				total.Add(1)
				inside.Add(-1)
				unlock()
				unlock() // harmless
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(1), maxInside.Load(), "holders at once at most")
	assert.Equal(t, int64(80), total.Load(), "lockings")
}

func TestLockWaitsRenewsAndExpires(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	ctx := t.Context()
	const ttl = 300 * time.Millisecond
	holderClient := rs.client(t)
	holder := redisstore.NewTokenStore(holderClient, &redisstore.TokenOptions{LockTTL: ttl})
	other := redisstore.NewTokenStore(rs.client(t), &redisstore.TokenOptions{LockTTL: ttl})

	// A finished context takes no lock.
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err := other.Lock(done, "k")
	require.ErrorIs(t, err, context.Canceled, "Lock under a cancelled context")

	unlock, err := holder.Lock(ctx, "k")
	require.NoError(t, err)
	// Held three times its TTL: renewal keeps it.
	wctx, cancel := context.WithTimeout(ctx, 3*ttl)
	_, err = other.Lock(wctx, "k")
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "Lock while another holds it (past its TTL)")
	// Unlock lets the other in.
	unlock()
	wctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	unlock2, err := other.Lock(wctx, "k")
	cancel()
	require.NoError(t, err, "Lock after unlock")
	unlock2()

	// A holder that dies (its Redis connection gone, renewal impossible)
	// leaves a lock that expires after its TTL.
	_, err = holder.Lock(ctx, "k2")
	require.NoError(t, err)
	holderClient.Close()
	start := time.Now()
	wctx, cancel = context.WithTimeout(ctx, 10*time.Second)
	unlock3, err := other.Lock(wctx, "k2")
	cancel()
	require.NoError(t, err, "Lock after the holder died")
	unlock3()
	t.Logf("a dead holder's lock (TTL %v) was taken over after %v", ttl, time.Since(start).Round(time.Millisecond))

	// Redis down: Lock fails with Redis's error rather than waiting.
	rs.stop()
	_, err = other.Lock(ctx, "k3")
	if assert.Error(t, err, "Lock with Redis down: want a Redis error") {
		assert.NotErrorIs(t, err, context.Canceled, "Lock with Redis down: want a Redis error")
	}
}
