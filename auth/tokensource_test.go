package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/jirahooks/jirahooks/jiratest"
)

const key = "site-1"

// setup returns a fake server, a clock, a store holding a fresh grant's
// token that expires in an hour, and that token.
func setup(t *testing.T) (*fakeAtlassian, *jiratest.Clock, *countingStore, *oauth2.Token) {
	t.Helper()
	f := newFakeAtlassian(t)
	clk := newClock()
	f.now = clk.Now
	store := &countingStore{MemoryStore: &MemoryStore{}}
	tok := f.grant(clk.Now().Add(time.Hour))
	require.NoError(t, store.MemoryStore.Save(t.Context(), key, tok))
	return f, clk, store, tok
}

func newSource(f *fakeAtlassian, store TokenStore, clk *jiratest.Clock) *TokenSource {
	return NewTokenSource(f.config(), store, key, WithClock(clk.Now), WithTokenHTTPClient(f.srv.Client()))
}

// assertNoSecrets fails if err's text holds any of the token values.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" {
			require.NotContains(t, err.Error(), s, "error contains a secret")
		}
	}
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	cfg := NewConfig("my-client", "secret", "https://app.example.com/cb")
	u, err := url.Parse(AuthCodeURL(cfg, "st", "verifier-123"))
	require.NoError(t, err)
	assert.Equal(t, AuthURL, u.Scheme+"://"+u.Host+u.Path, "endpoint")
	q := u.Query()
	want := map[string]string{
		"audience": "api.atlassian.com", "prompt": "consent", "client_id": "my-client",
		"redirect_uri": "https://app.example.com/cb", "response_type": "code", "state": "st",
		"scope":                 "manage:jira-webhook read:jira-work offline_access",
		"code_challenge_method": "S256", "code_challenge": oauth2.S256ChallengeFromVerifier("verifier-123"),
	}
	for k, v := range want {
		assert.Equal(t, v, q.Get(k), k)
	}
	assert.False(t, q.Has("client_secret"), "consent URL carries the client secret: %s", u)
	assert.NotContains(t, u.String(), "secret", "consent URL carries the client secret")
	a, b := NewState(), NewState()
	assert.NotEqual(t, a, b, "NewState twice")
	assert.GreaterOrEqual(t, len(a), 43, "NewState gave %q", a)
}

func TestCallbackCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		query url.Values
		state string
		want  error // nil: any error
	}{
		{"wrong state", url.Values{"state": {"x"}, "code": {"c"}}, "y", ErrStateMismatch},
		{"missing state", url.Values{"code": {"c"}}, "y", ErrStateMismatch},
		{"denied", url.Values{"state": {"y"}, "error": {"access_denied"}}, "y", ErrAccessDenied},
		{"no code", url.Values{"state": {"y"}}, "y", nil},
		// A lost session (no state kept) must not let a callback without
		// state through: that is a login CSRF.
		{"empty state kept, none sent", url.Values{"code": {"c"}}, "", ErrStateMismatch},
		{"empty state kept, empty sent", url.Values{"state": {""}, "code": {"c"}}, "", ErrStateMismatch},
	} {
		_, err := CallbackCode(tc.query, tc.state)
		if tc.want == nil {
			assert.Error(t, err, "%s: accepted", tc.name)
		} else {
			assert.ErrorIs(t, err, tc.want, tc.name)
		}
	}
	c, err := CallbackCode(url.Values{"state": {"y"}, "code": {"c"}}, "y")
	if assert.NoError(t, err) {
		assert.Equal(t, "c", c)
	}
}

// TestCodeExchange runs the whole 3LO flow against the fake: consent URL,
// redirect to the callback, state check, code exchange with PKCE, store,
// token source, site lookup.
func TestCodeExchange(t *testing.T) {
	t.Parallel()
	f := newFakeAtlassian(t)
	cfg := f.config()
	state, verifier := NewState(), NewState()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(AuthCodeURL(cfg, state, verifier))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode, "authorize: %s", resp.Status)
	cb, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	code, err := CallbackCode(cb.Query(), state)
	require.NoError(t, err)

	// A wrong verifier is refused, and is no consent problem.
	_, err = Exchange(t.Context(), cfg, f.srv.Client(), code, "wrong")
	require.Error(t, err, "exchange with a wrong PKCE verifier succeeded")
	var te *TokenError
	require.ErrorAs(t, err, &te)
	require.Equal(t, "exchange", te.Op, "err = %#v", err)
	require.Equal(t, 403, te.StatusCode, "err = %#v", err)
	require.Equal(t, "invalid_grant", te.Code, "err = %#v", err)
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re, "RetrieveError not reachable")
	assert.NotErrorIs(t, err, ErrConsentRequired, "failed exchange reported as ErrConsentRequired")
	assertNoSecrets(t, err, f.clientSecret, verifier, code)

	// The fake, like Atlassian, burns the code on first use; start again.
	resp, err = noRedirect.Get(AuthCodeURL(cfg, state, verifier))
	require.NoError(t, err)
	resp.Body.Close()
	cb, err = url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	code, err = CallbackCode(cb.Query(), state)
	require.NoError(t, err)
	tok, err := Exchange(t.Context(), cfg, f.srv.Client(), code, verifier)
	require.NoError(t, err)
	require.NotEmpty(t, tok.AccessToken, "token %v", tok)
	require.NotEmpty(t, tok.RefreshToken, "token %v", tok)
	require.Equal(t, int64(1), f.exchanges.Load(), "exchanges")

	store := &MemoryStore{}
	require.NoError(t, store.Save(t.Context(), key, tok))
	ts := NewTokenSource(cfg, store, key, WithTokenHTTPClient(f.srv.Client()))
	sites, err := SitesAt(t.Context(), ts.Client(), f.srv.URL)
	require.NoError(t, err)
	require.Len(t, sites, 1, "sites = %+v", sites)
	require.Equal(t, "1324a887-45db-1bf4-1e99-ef0ff456d421", sites[0].ID, "sites = %+v", sites)
	require.Equal(t, "your-domain", sites[0].Name, "sites = %+v", sites)
	assert.Equal(t, f.srv.URL+"/ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421", sites[0].BaseURL(), "BaseURL")
	s, ok := SiteByURL(sites, "https://YOUR-domain.atlassian.net/")
	if assert.True(t, ok, "SiteByURL found nothing") {
		assert.Equal(t, sites[0].ID, s.ID, "SiteByURL")
	}
	assert.Zero(t, f.refreshes.Load(), "refreshes for a fresh token")
}

func TestSitesDefaultBase(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "https://api.atlassian.com/ex/jira/abc", (Site{ID: "abc"}).BaseURL())
	f := newFakeAtlassian(t)
	_, err := SitesAt(t.Context(), f.srv.Client(), f.srv.URL) // no token
	assert.ErrorContains(t, err, "401", "unauthenticated Sites")
}

// TestRefreshRotates: an early refresh replaces both tokens, saves them,
// and the fake then rejects the old refresh token, as Atlassian does.
func TestRefreshRotates(t *testing.T) {
	t.Parallel()
	f, clk, store, first := setup(t)
	ts := newSource(f, store, clk)

	// Within the margin of expiry nothing happens, however often asked.
	for range 3 {
		tok, err := ts.Token()
		require.NoError(t, err)
		require.Equal(t, first.AccessToken, tok.AccessToken, "access token changed without refresh")
	}
	clk.Advance(54 * time.Minute) // 6 minutes left: still fresh
	tok, err := ts.Token()
	require.NoError(t, err)
	require.Equal(t, first.AccessToken, tok.AccessToken, "refreshed with 6 minutes left (margin 5)")
	require.Zero(t, f.refreshes.Load(), "refreshed with 6 minutes left (margin 5)")
	clk.Advance(2 * time.Minute) // 4 minutes left: refresh early
	tok, err = ts.Token()
	require.NoError(t, err)
	require.Equal(t, int64(1), f.refreshes.Load(), "refreshes")
	require.Equal(t, int64(1), store.saves.Load(), "saves")
	require.NotEqual(t, first.AccessToken, tok.AccessToken, "tokens not rotated")
	require.NotEqual(t, first.RefreshToken, tok.RefreshToken, "tokens not rotated")
	want := clk.Now().Add(time.Hour)
	assert.True(t, tok.Expiry.Equal(want), "expiry %v, want %v (on the injected clock)", tok.Expiry, want)
	stored, err := store.Load(t.Context(), key)
	require.NoError(t, err)
	require.Equal(t, tok.RefreshToken, stored.RefreshToken, "store does not hold the new token")
	require.Equal(t, tok.AccessToken, stored.AccessToken, "store does not hold the new token")
	// The cached token is reused: no second refresh, no second save.
	for range 3 {
		again, err := ts.Token()
		require.NoError(t, err)
		require.Equal(t, tok.AccessToken, again.AccessToken, "cached token not reused")
	}
	require.Equal(t, int64(1), f.refreshes.Load(), "refreshes after reuse")
	require.Equal(t, int64(1), store.saves.Load(), "saves after reuse")
	// Past the reuse leeway, the old refresh token is dead.
	clk.Advance(RefreshReuseLeeway)
	_, err = f.config().TokenSource(withClient(t.Context(), f.srv.Client()),
		&oauth2.Token{RefreshToken: first.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re, "old refresh token")
	require.Equal(t, "invalid_grant", re.ErrorCode, "old refresh token")
}

// TestSavedBeforeUse: by the time a request carries the new access token,
// the store already holds it.
func TestSavedBeforeUse(t *testing.T) {
	t.Parallel()
	f, clk, store, first := setup(t)
	var checked int
	// Both hooks run on the fake server's goroutines: assert, not require.
	f.onResource = func(at string) {
		stored, err := store.Load(t.Context(), key)
		if assert.NoError(t, err, "request used %q", at) {
			assert.Equal(t, at, stored.AccessToken, "request used a token the store does not hold")
		}
		checked++
	}
	// While the token endpoint answers, the store still holds the old token:
	// saving happens after the answer, before anyone uses it.
	f.inRefresh = func() {
		stored, err := store.Load(t.Context(), key)
		if assert.NoError(t, err) {
			assert.Equal(t, first.RefreshToken, stored.RefreshToken, "store changed before the refresh answered")
		}
	}
	ts := newSource(f, store, clk)
	clk.Advance(time.Hour)
	_, err := SitesAt(t.Context(), ts.Client(), f.srv.URL)
	require.NoError(t, err)
	require.Equal(t, 1, checked, "checked requests")
	require.Equal(t, int64(1), f.refreshes.Load(), "refreshes")
}

// TestConcurrentRefreshOnce: many goroutines needing a new token at once
// cause one refresh, with one source or with several sharing a store.
func TestConcurrentRefreshOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sources int
		locker  bool // the store implements Locker
	}{{1, true}, {4, true}, {1, false}, {4, false}} {
		sources := tc.sources
		t.Run(fmt.Sprintf("%d sources, Locker %v", tc.sources, tc.locker), func(t *testing.T) {
			t.Parallel()
			f, clk, counting, _ := setup(t)
			var store TokenStore = counting
			if !tc.locker {
				store = struct{ TokenStore }{counting} // hides Lock
			}
			_, ok := store.(Locker)
			require.Equal(t, tc.locker, ok, "test store has the wrong kind")
			// Hold the first refresh until every goroutine has started.
			started := make(chan struct{})
			release := make(chan struct{})
			var once sync.Once
			f.inRefresh = func() {
				once.Do(func() { close(started) })
				<-release
			}
			srcs := make([]*TokenSource, sources)
			for i := range srcs {
				srcs[i] = newSource(f, store, clk)
			}
			clk.Advance(time.Hour)
			const n = 16
			var wg sync.WaitGroup
			got := make([]string, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tok, err := srcs[i%sources].Token()
					errs[i] = err
					if tok != nil {
						got[i] = tok.AccessToken
					}
				}()
			}
			<-started
			close(release)
			wg.Wait()
			for i := range n {
				require.NoError(t, errs[i], "goroutine %d", i)
				require.Equal(t, got[0], got[i], "goroutines got different tokens")
			}
			assert.Equal(t, int64(1), f.refreshes.Load(), "refreshes")
			assert.Equal(t, int64(1), counting.saves.Load(), "saves")
		})
	}
}

// TestSaveFailsHoldsLock: while a refreshed token waits to be saved, other
// token sources for the key wait instead of spending the dead refresh
// token still in the store.
func TestSaveFailsHoldsLock(t *testing.T) {
	t.Parallel()
	f, clk, store, first := setup(t)
	a, b := newSource(f, store, clk), newSource(f, store, clk)
	clk.Advance(time.Hour)
	store.failing.Store(true)
	_, err := a.Token()
	require.ErrorIs(t, err, ErrTokenNotSaved, "a")
	require.True(t, store.locks.held(key), "lock released while the new token is unsaved")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = b.TokenContext(ctx)
	require.ErrorIs(t, err, context.Canceled, "b while a's token is unsaved: want to wait for the lock")
	require.Equal(t, int64(1), f.refreshes.Load(), "refreshes")
	store.failing.Store(false)
	ta, err := a.Token()
	require.NoError(t, err)
	require.False(t, store.locks.held(key), "lock still held after the save")
	tb, err := b.Token()
	require.NoError(t, err)
	assert.Equal(t, ta.RefreshToken, tb.RefreshToken, "b's refresh token")
	assert.NotEqual(t, first.RefreshToken, ta.RefreshToken, "a's refresh token")
	assert.Equal(t, int64(1), f.refreshes.Load(), "refreshes")
}

// TestSaveFails: a store that cannot save gets an ErrTokenNotSaved error,
// the new token is not handed out, and once the store works again the token
// from the one refresh is saved and used: no second refresh with a dead
// refresh token.
func TestSaveFails(t *testing.T) {
	t.Parallel()
	f, clk, store, first := setup(t)
	var newTok string
	ts := newSource(f, store, clk)
	clk.Advance(time.Hour)
	store.failing.Store(true)
	for range 2 {
		tok, err := ts.Token()
		require.ErrorIs(t, err, ErrTokenNotSaved, "Token")
		require.Nil(t, tok, "Token")
		assert.ErrorContains(t, err, "disk full", "store's error lost")
		f.mu.Lock()
		for rt := range f.live { // the one live refresh token: the unsaved one
			newTok = rt
		}
		f.mu.Unlock()
		assertNoSecrets(t, err, first.AccessToken, first.RefreshToken, newTok, f.clientSecret)
	}
	require.Equal(t, int64(1), f.refreshes.Load(), "refreshes while the store failed")
	stored, err := store.Load(t.Context(), key)
	require.NoError(t, err)
	require.Equal(t, first.RefreshToken, stored.RefreshToken, "store changed although saving failed")
	store.failing.Store(false)
	tok, err := ts.Token()
	require.NoError(t, err)
	require.Equal(t, int64(1), f.refreshes.Load(), "refreshes after recovery")
	require.Equal(t, int64(1), store.saves.Load(), "saves after recovery")
	require.Equal(t, newTok, tok.RefreshToken, "handed out a token other than that of the failed save")
	stored, err = store.Load(t.Context(), key)
	require.NoError(t, err)
	assert.Equal(t, newTok, stored.RefreshToken, "recovered token not in the store")
}

// TestRestartResumes: a program that stops and starts again continues
// from the file store with the rotated refresh token.
func TestRestartResumes(t *testing.T) {
	t.Parallel()
	f := newFakeAtlassian(t)
	clk := newClock()
	dir := t.TempDir()
	fs1, err := NewFileStore(dir)
	require.NoError(t, err)
	first := f.grant(clk.Now().Add(time.Hour))
	require.NoError(t, fs1.Save(t.Context(), key, first))
	clk.Advance(time.Hour)
	tok1, err := newSource(f, fs1, clk).Token()
	require.NoError(t, err)

	// "Restart": new store and source over the same directory.
	fs2, err := NewFileStore(dir)
	require.NoError(t, err)
	clk.Advance(time.Hour)
	ts2 := newSource(f, fs2, clk)
	tok2, err := ts2.Token()
	require.NoError(t, err, "after restart")
	require.Equal(t, int64(2), f.refreshes.Load(), "refreshes")
	require.NotEqual(t, tok1.RefreshToken, tok2.RefreshToken, "refresh token not rotated")
	fi, err := os.Stat(fs2.Path(key))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "token file mode")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// The token and its lock file, no temporary leftovers.
	want := []string{filepath.Base(fs2.Path(key)), filepath.Base(fs2.lockPath(key))}
	assert.Equal(t, want, names, "directory holds")
	b, err := os.ReadFile(fs2.Path(key))
	require.NoError(t, err)
	assert.Contains(t, string(b), tok2.RefreshToken, "file does not hold the latest refresh token")
}

// TestConsentRequired: a revoked or reused refresh token, or none stored,
// is ErrConsentRequired, and the error shows no token.
func TestConsentRequired(t *testing.T) {
	t.Parallel()
	t.Run("revoked", func(t *testing.T) {
		t.Parallel()
		f, clk, store, first := setup(t)
		f.revoke(first.RefreshToken)
		clk.Advance(time.Hour)
		_, err := newSource(f, store, clk).Token()
		require.ErrorIs(t, err, ErrConsentRequired)
		var te *TokenError
		require.ErrorAs(t, err, &te)
		require.Equal(t, http.StatusForbidden, te.StatusCode, "err = %#v", err)
		require.Equal(t, "invalid_grant", te.Code, "err = %#v", err)
		require.Equal(t, "refresh", te.Op, "err = %#v", err)
		assertNoSecrets(t, err, first.AccessToken, first.RefreshToken, f.clientSecret)
	})
	t.Run("unauthorized_client", func(t *testing.T) {
		t.Parallel()
		f, clk, store, first := setup(t)
		f.consentError, f.consentDescription = "unauthorized_client", "refresh_token is invalid"
		f.revoke(first.RefreshToken)
		clk.Advance(time.Hour)
		_, err := newSource(f, store, clk).Token()
		require.ErrorIs(t, err, ErrConsentRequired)
	})
	t.Run("reused refresh token", func(t *testing.T) {
		t.Parallel()
		// A stale copy of the store (say, restored from a backup) holds a
		// refresh token that was rotated since: Atlassian refuses it and
		// revokes the grant.
		f, clk, store, first := setup(t)
		clk.Advance(time.Hour)
		_, err := newSource(f, store, clk).Token()
		require.NoError(t, err)
		stale := &MemoryStore{}
		require.NoError(t, stale.Save(t.Context(), key, first))
		clk.Advance(RefreshReuseLeeway) // past the leeway Atlassian allows
		_, err = newSource(f, stale, clk).Token()
		require.ErrorIs(t, err, ErrConsentRequired)
		// The grant is gone for the up-to-date store as well.
		clk.Advance(time.Hour)
		_, err = newSource(f, store, clk).Token()
		require.ErrorIs(t, err, ErrConsentRequired, "after revocation")
	})
	t.Run("nothing stored", func(t *testing.T) {
		t.Parallel()
		f := newFakeAtlassian(t)
		_, err := NewTokenSource(f.config(), &MemoryStore{}, "nobody").Token()
		require.ErrorIs(t, err, ErrConsentRequired)
		require.ErrorIs(t, err, ErrTokenNotFound)
	})
	t.Run("no refresh token", func(t *testing.T) {
		t.Parallel()
		f := newFakeAtlassian(t)
		clk := newClock()
		store := &MemoryStore{}
		require.NoError(t, store.Save(t.Context(), key, &oauth2.Token{AccessToken: "at-x", Expiry: clk.Now().Add(-time.Minute)}))
		_, err := newSource(f, store, clk).Token()
		require.ErrorIs(t, err, ErrConsentRequired)
		assertNoSecrets(t, err, "at-x")
	})
}

// TestRefreshSurvivesCancel: a caller that gives up while the token
// endpoint answers does not lose the rotated token.
func TestRefreshSurvivesCancel(t *testing.T) {
	t.Parallel()
	f, clk, store, first := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	f.inRefresh = cancel // the caller gives up while the answer is on its way
	ts := newSource(f, store, clk)
	clk.Advance(time.Hour)
	_, _ = ts.TokenContext(ctx) // either outcome: what counts is what was saved
	stored, err := store.Load(t.Context(), key)
	require.NoError(t, err)
	require.NotEqual(t, first.RefreshToken, stored.RefreshToken, "rotated token lost when the caller cancelled")
	tok, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, stored.RefreshToken, tok.RefreshToken, "Token")
	assert.Equal(t, int64(1), f.refreshes.Load(), "refreshes")
}

func TestTransportDoesNotMutate(t *testing.T) {
	t.Parallel()
	f, clk, store, _ := setup(t)
	ts := newSource(f, store, clk)
	req, err := http.NewRequestWithContext(t.Context(), "GET", f.srv.URL+"/ex/jira/x/rest/api/3/webhook", nil)
	require.NoError(t, err)
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "status %s", resp.Status)
	assert.Empty(t, req.Header.Get("Authorization"), "caller's request was modified")
	for _, s := range []string{fmt.Sprintf("%v", ts), fmt.Sprintf("%+v", ts.Client()), fmt.Sprintf("%#v", ts.Transport(nil))} {
		for _, secret := range []string{"at-", "rt-", f.clientSecret} {
			assert.NotContains(t, s, secret, "printed form reveals a secret")
		}
	}
}

func TestFileStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fs, err := NewFileStore(filepath.Join(dir, "tokens"))
	require.NoError(t, err)
	ctx := t.Context()
	_, err = fs.Load(ctx, "x")
	require.ErrorIs(t, err, ErrTokenNotFound, "Load of nothing")
	exp := time.Unix(1_800_000_000, 0).UTC()
	keys := []string{"a", "A", "../../escape", "user/1", ".", "..", "", "é"}
	for i, k := range keys {
		require.NoError(t, fs.Save(ctx, k, &oauth2.Token{AccessToken: fmt.Sprint("at", i), RefreshToken: "rt", Expiry: exp}), "Save(%q)", k)
	}
	for i, k := range keys {
		tok, err := fs.Load(ctx, k)
		require.NoError(t, err, "Load(%q)", k)
		require.Equal(t, fmt.Sprint("at", i), tok.AccessToken, "Load(%q)", k)
		require.True(t, tok.Expiry.Equal(exp), "Load(%q): expiry %v, want %v", k, tok.Expiry, exp)
		assert.Equal(t, filepath.Join(dir, "tokens"), filepath.Dir(fs.Path(k)), "key %q stored outside the directory", k)
	}
	fi, err := os.Stat(filepath.Join(dir, "tokens"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "directory mode")
	require.NoError(t, os.WriteFile(fs.Path("bad"), []byte("{not json"), 0o600))
	_, err = fs.Load(ctx, "bad")
	if assert.Error(t, err, "corrupt file") {
		assert.NotErrorIs(t, err, ErrTokenNotFound, "corrupt file")
	}
}

func TestLockerHonoursContext(t *testing.T) {
	t.Parallel()
	var s MemoryStore
	unlock, err := s.Lock(t.Context(), "k")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = s.Lock(ctx, "k")
	require.ErrorIs(t, err, context.Canceled, "Lock while held with a cancelled context")
	other, err := s.Lock(t.Context(), "other")
	require.NoError(t, err)
	other()
	unlock()
	unlock() // twice is harmless
	again, err := s.Lock(t.Context(), "k")
	require.NoError(t, err)
	assert.True(t, s.locks.held("k"), "lock not held")
	again()
	assert.Zero(t, s.locks.size(), "lock entries left")
}
