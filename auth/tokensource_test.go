package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const key = "site-1"

// setup returns a fake server, a clock, a store holding a fresh grant's
// token that expires in an hour, and that token.
func setup(t *testing.T) (*fakeAtlassian, *fakeClock, *countingStore, *oauth2.Token) {
	t.Helper()
	f := newFakeAtlassian(t)
	clk := newClock()
	f.now = clk.Now
	store := &countingStore{MemoryStore: &MemoryStore{}}
	tok := f.grant(clk.Now().Add(time.Hour))
	if err := store.MemoryStore.Save(context.Background(), key, tok); err != nil {
		t.Fatal(err)
	}
	return f, clk, store, tok
}

func newSource(f *fakeAtlassian, store TokenStore, clk *fakeClock) *TokenSource {
	return NewTokenSource(f.config(), store, key, WithClock(clk.Now), WithTokenHTTPClient(f.srv.Client()))
}

// assertNoSecrets fails if err's text holds any of the token values.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q contains secret %q", err, s)
		}
	}
}

func TestAuthCodeURL(t *testing.T) {
	cfg := NewConfig("my-client", "secret", "https://app.example.com/cb")
	u, err := url.Parse(AuthCodeURL(cfg, "st", "verifier-123"))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != AuthURL {
		t.Errorf("endpoint = %s", got)
	}
	q := u.Query()
	want := map[string]string{
		"audience": "api.atlassian.com", "prompt": "consent", "client_id": "my-client",
		"redirect_uri": "https://app.example.com/cb", "response_type": "code", "state": "st",
		"scope":                 "manage:jira-webhook read:jira-work offline_access",
		"code_challenge_method": "S256", "code_challenge": oauth2.S256ChallengeFromVerifier("verifier-123"),
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("client_secret") || strings.Contains(u.String(), "secret") {
		t.Errorf("consent URL carries the client secret: %s", u)
	}
	if a, b := NewState(), NewState(); a == b || len(a) < 43 {
		t.Errorf("NewState gave %q and %q", a, b)
	}
}

func TestCallbackCode(t *testing.T) {
	if _, err := CallbackCode(url.Values{"state": {"x"}, "code": {"c"}}, "y"); !errors.Is(err, ErrStateMismatch) {
		t.Errorf("wrong state: %v", err)
	}
	if _, err := CallbackCode(url.Values{"code": {"c"}}, "y"); !errors.Is(err, ErrStateMismatch) {
		t.Errorf("missing state: %v", err)
	}
	if _, err := CallbackCode(url.Values{"state": {"y"}, "error": {"access_denied"}}, "y"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("denied: %v", err)
	}
	if _, err := CallbackCode(url.Values{"state": {"y"}}, "y"); err == nil {
		t.Error("no code accepted")
	}
	// A lost session (no state kept) must not let a callback without state
	// through: that is a login CSRF.
	if _, err := CallbackCode(url.Values{"code": {"c"}}, ""); !errors.Is(err, ErrStateMismatch) {
		t.Errorf("empty state accepted: %v", err)
	}
	if _, err := CallbackCode(url.Values{"state": {""}, "code": {"c"}}, ""); !errors.Is(err, ErrStateMismatch) {
		t.Errorf("empty state accepted: %v", err)
	}
	if c, err := CallbackCode(url.Values{"state": {"y"}, "code": {"c"}}, "y"); err != nil || c != "c" {
		t.Errorf("got %q, %v", c, err)
	}
}

// TestCodeExchange runs the whole 3LO flow against the fake: consent URL,
// redirect to the callback, state check, code exchange with PKCE, store,
// token source, site lookup.
func TestCodeExchange(t *testing.T) {
	f := newFakeAtlassian(t)
	cfg := f.config()
	state, verifier := NewState(), NewState()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(AuthCodeURL(cfg, state, verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s", resp.Status)
	}
	cb, _ := url.Parse(resp.Header.Get("Location"))
	code, err := CallbackCode(cb.Query(), state)
	if err != nil {
		t.Fatal(err)
	}

	// A wrong verifier is refused, and is no consent problem.
	if _, err := Exchange(context.Background(), cfg, f.srv.Client(), code, "wrong"); err == nil {
		t.Fatal("exchange with a wrong PKCE verifier succeeded")
	} else {
		var te *TokenError
		if !errors.As(err, &te) || te.Op != "exchange" || te.StatusCode != 403 || te.Code != "invalid_grant" {
			t.Fatalf("err = %#v", err)
		}
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) {
			t.Fatal("RetrieveError not reachable")
		}
		if errors.Is(err, ErrConsentRequired) {
			t.Error("failed exchange reported as ErrConsentRequired")
		}
		assertNoSecrets(t, err, f.clientSecret, verifier, code)
	}

	// The fake, like Atlassian, burns the code on first use; start again.
	resp, err = noRedirect.Get(AuthCodeURL(cfg, state, verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, _ = url.Parse(resp.Header.Get("Location"))
	code, _ = CallbackCode(cb.Query(), state)
	tok, err := Exchange(context.Background(), cfg, f.srv.Client(), code, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || f.exchanges.Load() != 1 {
		t.Fatalf("token %v, exchanges %d", tok, f.exchanges.Load())
	}

	store := &MemoryStore{}
	if err := store.Save(context.Background(), key, tok); err != nil {
		t.Fatal(err)
	}
	ts := NewTokenSource(cfg, store, key, WithTokenHTTPClient(f.srv.Client()))
	sites, err := SitesAt(context.Background(), ts.Client(), f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) != 1 || sites[0].ID != "1324a887-45db-1bf4-1e99-ef0ff456d421" || sites[0].Name != "your-domain" {
		t.Fatalf("sites = %+v", sites)
	}
	if got, want := sites[0].BaseURL(), f.srv.URL+"/ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421"; got != want {
		t.Errorf("BaseURL = %s, want %s", got, want)
	}
	if s, ok := SiteByURL(sites, "https://YOUR-domain.atlassian.net/"); !ok || s.ID != sites[0].ID {
		t.Errorf("SiteByURL = %v, %v", s, ok)
	}
	if f.refreshes.Load() != 0 {
		t.Errorf("%d refreshes for a fresh token", f.refreshes.Load())
	}
}

func TestSitesDefaultBase(t *testing.T) {
	if got := (Site{ID: "abc"}).BaseURL(); got != "https://api.atlassian.com/ex/jira/abc" {
		t.Errorf("BaseURL = %s", got)
	}
	f := newFakeAtlassian(t)
	_, err := SitesAt(context.Background(), f.srv.Client(), f.srv.URL) // no token
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("unauthenticated Sites: %v", err)
	}
}

// TestRefreshRotates: an early refresh replaces both tokens, saves them,
// and the fake then rejects the old refresh token, as Atlassian does.
func TestRefreshRotates(t *testing.T) {
	f, clk, store, first := setup(t)
	ts := newSource(f, store, clk)

	// Within the margin of expiry nothing happens, however often asked.
	for range 3 {
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != first.AccessToken {
			t.Fatalf("access token changed without refresh")
		}
	}
	clk.Advance(54 * time.Minute) // 6 minutes left: still fresh
	if tok, _ := ts.Token(); tok.AccessToken != first.AccessToken || f.refreshes.Load() != 0 {
		t.Fatalf("refreshed with 6 minutes left (margin 5)")
	}
	clk.Advance(2 * time.Minute) // 4 minutes left: refresh early
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if f.refreshes.Load() != 1 || store.saves.Load() != 1 {
		t.Fatalf("refreshes %d, saves %d, want 1 and 1", f.refreshes.Load(), store.saves.Load())
	}
	if tok.AccessToken == first.AccessToken || tok.RefreshToken == first.RefreshToken {
		t.Fatal("tokens not rotated")
	}
	if want := clk.Now().Add(time.Hour); !tok.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v (on the injected clock)", tok.Expiry, want)
	}
	stored, _ := store.Load(context.Background(), key)
	if stored.RefreshToken != tok.RefreshToken || stored.AccessToken != tok.AccessToken {
		t.Fatal("store does not hold the new token")
	}
	// The cached token is reused: no second refresh, no second save.
	for range 3 {
		if again, _ := ts.Token(); again.AccessToken != tok.AccessToken {
			t.Fatal("cached token not reused")
		}
	}
	if f.refreshes.Load() != 1 || store.saves.Load() != 1 {
		t.Fatalf("refreshes %d, saves %d after reuse", f.refreshes.Load(), store.saves.Load())
	}
	// Past the reuse leeway, the old refresh token is dead.
	clk.Advance(RefreshReuseLeeway)
	_, err = f.config().TokenSource(withClient(context.Background(), f.srv.Client()),
		&oauth2.Token{RefreshToken: first.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("old refresh token: %v", err)
	}
}

// TestSavedBeforeUse: by the time a request carries the new access token,
// the store already holds it.
func TestSavedBeforeUse(t *testing.T) {
	f, clk, store, first := setup(t)
	var checked int
	f.onResource = func(at string) {
		stored, err := store.Load(context.Background(), key)
		if err != nil || stored.AccessToken != at {
			t.Errorf("request used %q while the store holds %v (%v)", at, stored, err)
		}
		checked++
	}
	// While the token endpoint answers, the store still holds the old token:
	// saving happens after the answer, before anyone uses it.
	f.inRefresh = func() {
		if stored, _ := store.Load(context.Background(), key); stored.RefreshToken != first.RefreshToken {
			t.Errorf("store changed before the refresh answered")
		}
	}
	ts := newSource(f, store, clk)
	clk.Advance(time.Hour)
	if _, err := SitesAt(context.Background(), ts.Client(), f.srv.URL); err != nil {
		t.Fatal(err)
	}
	if checked != 1 || f.refreshes.Load() != 1 {
		t.Fatalf("checked %d requests, %d refreshes", checked, f.refreshes.Load())
	}
}

// TestConcurrentRefreshOnce: many goroutines needing a new token at once
// cause one refresh, with one source or with several sharing a store.
func TestConcurrentRefreshOnce(t *testing.T) {
	for _, tc := range []struct {
		sources int
		locker  bool // the store implements Locker
	}{{1, true}, {4, true}, {1, false}, {4, false}} {
		sources := tc.sources
		t.Run(fmt.Sprintf("%d sources, Locker %v", tc.sources, tc.locker), func(t *testing.T) {
			f, clk, counting, _ := setup(t)
			var store TokenStore = counting
			if !tc.locker {
				store = struct{ TokenStore }{counting} // hides Lock
			}
			if _, ok := store.(Locker); ok != tc.locker {
				t.Fatal("test store has the wrong kind")
			}
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
				if errs[i] != nil {
					t.Fatalf("goroutine %d: %v", i, errs[i])
				}
				if got[i] != got[0] {
					t.Fatalf("goroutines got different tokens: %q and %q", got[0], got[i])
				}
			}
			if f.refreshes.Load() != 1 || counting.saves.Load() != 1 {
				t.Fatalf("refreshes %d, saves %d, want 1 and 1", f.refreshes.Load(), counting.saves.Load())
			}
		})
	}
}

// TestSaveFailsHoldsLock: while a refreshed token waits to be saved, other
// token sources for the key wait instead of spending the dead refresh
// token still in the store.
func TestSaveFailsHoldsLock(t *testing.T) {
	f, clk, store, first := setup(t)
	a, b := newSource(f, store, clk), newSource(f, store, clk)
	clk.Advance(time.Hour)
	store.failing.Store(true)
	if _, err := a.Token(); !errors.Is(err, ErrTokenNotSaved) {
		t.Fatalf("a: %v", err)
	}
	if !store.locks.held(key) {
		t.Fatal("lock released while the new token is unsaved")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.TokenContext(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("b while a's token is unsaved: %v, want to wait for the lock", err)
	}
	if f.refreshes.Load() != 1 {
		t.Fatalf("%d refreshes", f.refreshes.Load())
	}
	store.failing.Store(false)
	ta, err := a.Token()
	if err != nil {
		t.Fatal(err)
	}
	if store.locks.held(key) {
		t.Fatal("lock still held after the save")
	}
	tb, err := b.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tb.RefreshToken != ta.RefreshToken || ta.RefreshToken == first.RefreshToken || f.refreshes.Load() != 1 {
		t.Fatalf("a %q, b %q, refreshes %d", ta.RefreshToken, tb.RefreshToken, f.refreshes.Load())
	}
}

// TestSaveFails: a store that cannot save gets an ErrTokenNotSaved error,
// the new token is not handed out, and once the store works again the token
// from the one refresh is saved and used: no second refresh with a dead
// refresh token.
func TestSaveFails(t *testing.T) {
	f, clk, store, first := setup(t)
	var newTok string
	ts := newSource(f, store, clk)
	clk.Advance(time.Hour)
	store.failing.Store(true)
	for range 2 {
		tok, err := ts.Token()
		if !errors.Is(err, ErrTokenNotSaved) || tok != nil {
			t.Fatalf("Token = %v, %v; want ErrTokenNotSaved", tok, err)
		}
		if !strings.Contains(err.Error(), "disk full") {
			t.Errorf("store's error lost: %v", err)
		}
		f.mu.Lock()
		for rt := range f.live { // the one live refresh token: the unsaved one
			newTok = rt
		}
		f.mu.Unlock()
		assertNoSecrets(t, err, first.AccessToken, first.RefreshToken, newTok, f.clientSecret)
	}
	if f.refreshes.Load() != 1 {
		t.Fatalf("%d refreshes while the store failed, want 1", f.refreshes.Load())
	}
	if stored, _ := store.Load(context.Background(), key); stored.RefreshToken != first.RefreshToken {
		t.Fatal("store changed although saving failed")
	}
	store.failing.Store(false)
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if f.refreshes.Load() != 1 || store.saves.Load() != 1 {
		t.Fatalf("refreshes %d, saves %d after recovery, want 1 and 1", f.refreshes.Load(), store.saves.Load())
	}
	if tok.RefreshToken != newTok {
		t.Fatalf("handed out %q, want the token of the failed save %q", tok.RefreshToken, newTok)
	}
	if stored, _ := store.Load(context.Background(), key); stored.RefreshToken != newTok {
		t.Fatal("recovered token not in the store")
	}
}

// TestRestartResumes: a program that stops and starts again continues
// from the file store with the rotated refresh token.
func TestRestartResumes(t *testing.T) {
	f := newFakeAtlassian(t)
	clk := newClock()
	dir := t.TempDir()
	fs1, err := NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := f.grant(clk.Now().Add(time.Hour))
	if err := fs1.Save(context.Background(), key, first); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	tok1, err := newSource(f, fs1, clk).Token()
	if err != nil {
		t.Fatal(err)
	}

	// "Restart": new store and source over the same directory.
	fs2, _ := NewFileStore(dir)
	clk.Advance(time.Hour)
	ts2 := newSource(f, fs2, clk)
	tok2, err := ts2.Token()
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if f.refreshes.Load() != 2 || tok2.RefreshToken == tok1.RefreshToken {
		t.Fatalf("refreshes %d", f.refreshes.Load())
	}
	fi, err := os.Stat(fs2.Path(key))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// The token and its lock file, no temporary leftovers.
	if want := []string{filepath.Base(fs2.Path(key)), filepath.Base(fs2.lockPath(key))}; !slices.Equal(names, want) {
		t.Errorf("directory holds %q, want %q", names, want)
	}
	b, _ := os.ReadFile(fs2.Path(key))
	if !strings.Contains(string(b), tok2.RefreshToken) {
		t.Error("file does not hold the latest refresh token")
	}
}

// TestConsentRequired: a revoked or reused refresh token, or none stored,
// is ErrConsentRequired, and the error shows no token.
func TestConsentRequired(t *testing.T) {
	t.Run("revoked", func(t *testing.T) {
		f, clk, store, first := setup(t)
		f.revoke(first.RefreshToken)
		clk.Advance(time.Hour)
		_, err := newSource(f, store, clk).Token()
		if !errors.Is(err, ErrConsentRequired) {
			t.Fatalf("err = %v", err)
		}
		var te *TokenError
		if !errors.As(err, &te) || te.StatusCode != http.StatusForbidden || te.Code != "invalid_grant" || te.Op != "refresh" {
			t.Fatalf("err = %#v", err)
		}
		assertNoSecrets(t, err, first.AccessToken, first.RefreshToken, f.clientSecret)
	})
	t.Run("unauthorized_client", func(t *testing.T) {
		f, clk, store, first := setup(t)
		f.consentError, f.consentDescription = "unauthorized_client", "refresh_token is invalid"
		f.revoke(first.RefreshToken)
		clk.Advance(time.Hour)
		if _, err := newSource(f, store, clk).Token(); !errors.Is(err, ErrConsentRequired) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("reused refresh token", func(t *testing.T) {
		// A stale copy of the store (say, restored from a backup) holds a
		// refresh token that was rotated since: Atlassian refuses it and
		// revokes the grant.
		f, clk, store, first := setup(t)
		clk.Advance(time.Hour)
		if _, err := newSource(f, store, clk).Token(); err != nil {
			t.Fatal(err)
		}
		stale := &MemoryStore{}
		stale.Save(context.Background(), key, first)
		clk.Advance(RefreshReuseLeeway) // past the leeway Atlassian allows
		_, err := newSource(f, stale, clk).Token()
		if !errors.Is(err, ErrConsentRequired) {
			t.Fatalf("err = %v", err)
		}
		// The grant is gone for the up-to-date store as well.
		clk.Advance(time.Hour)
		if _, err := newSource(f, store, clk).Token(); !errors.Is(err, ErrConsentRequired) {
			t.Fatalf("after revocation: %v", err)
		}
	})
	t.Run("nothing stored", func(t *testing.T) {
		f := newFakeAtlassian(t)
		_, err := NewTokenSource(f.config(), &MemoryStore{}, "nobody").Token()
		if !errors.Is(err, ErrConsentRequired) || !errors.Is(err, ErrTokenNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no refresh token", func(t *testing.T) {
		f := newFakeAtlassian(t)
		clk := newClock()
		store := &MemoryStore{}
		store.Save(context.Background(), key, &oauth2.Token{AccessToken: "at-x", Expiry: clk.Now().Add(-time.Minute)})
		_, err := newSource(f, store, clk).Token()
		if !errors.Is(err, ErrConsentRequired) {
			t.Fatalf("err = %v", err)
		}
		assertNoSecrets(t, err, "at-x")
	})
}

// TestRefreshSurvivesCancel: a caller that gives up while the token
// endpoint answers does not lose the rotated token.
func TestRefreshSurvivesCancel(t *testing.T) {
	f, clk, store, first := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	f.inRefresh = cancel // the caller gives up while the answer is on its way
	ts := newSource(f, store, clk)
	clk.Advance(time.Hour)
	ts.TokenContext(ctx)
	stored, _ := store.Load(context.Background(), key)
	if stored.RefreshToken == first.RefreshToken {
		t.Fatal("rotated token lost when the caller cancelled")
	}
	if tok, err := ts.Token(); err != nil || tok.RefreshToken != stored.RefreshToken || f.refreshes.Load() != 1 {
		t.Fatalf("Token = %v, %v; refreshes %d", tok, err, f.refreshes.Load())
	}
}

func TestTransportDoesNotMutate(t *testing.T) {
	f, clk, store, _ := setup(t)
	ts := newSource(f, store, clk)
	req, _ := http.NewRequest("GET", f.srv.URL+"/ex/jira/x/rest/api/3/webhook", nil)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %s", resp.Status)
	}
	if req.Header.Get("Authorization") != "" {
		t.Error("caller's request was modified")
	}
	for _, s := range []string{fmt.Sprintf("%v", ts), fmt.Sprintf("%+v", ts.Client()), fmt.Sprintf("%#v", ts.Transport(nil))} {
		if strings.Contains(s, "at-") || strings.Contains(s, "rt-") || strings.Contains(s, f.clientSecret) {
			t.Errorf("printed form reveals a secret: %s", s)
		}
	}
}

func TestFileStore(t *testing.T) {
	dir := t.TempDir()
	fs, err := NewFileStore(filepath.Join(dir, "tokens"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := fs.Load(ctx, "x"); !errors.Is(err, ErrTokenNotFound) {
		t.Fatalf("Load of nothing: %v", err)
	}
	exp := time.Unix(1_800_000_000, 0).UTC()
	keys := []string{"a", "A", "../../escape", "user/1", ".", "..", "", "é"}
	for i, k := range keys {
		if err := fs.Save(ctx, k, &oauth2.Token{AccessToken: fmt.Sprint("at", i), RefreshToken: "rt", Expiry: exp}); err != nil {
			t.Fatalf("Save(%q): %v", k, err)
		}
	}
	for i, k := range keys {
		tok, err := fs.Load(ctx, k)
		if err != nil || tok.AccessToken != fmt.Sprint("at", i) || !tok.Expiry.Equal(exp) {
			t.Fatalf("Load(%q) = %v, %v", k, tok, err)
		}
		if filepath.Dir(fs.Path(k)) != filepath.Join(dir, "tokens") {
			t.Errorf("key %q stored outside the directory: %s", k, fs.Path(k))
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "tokens")); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v", fi.Mode().Perm())
	}
	os.WriteFile(fs.Path("bad"), []byte("{not json"), 0o600)
	if _, err := fs.Load(ctx, "bad"); err == nil || errors.Is(err, ErrTokenNotFound) {
		t.Errorf("corrupt file: %v", err)
	}
}

func TestLockerHonoursContext(t *testing.T) {
	var s MemoryStore
	unlock, err := s.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Lock(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock while held with a cancelled context: %v", err)
	}
	other, err := s.Lock(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	other()
	unlock()
	unlock() // twice is harmless
	again, err := s.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	if !s.locks.held("k") {
		t.Error("lock not held")
	}
	again()
	if len(s.locks.m) != 0 {
		t.Errorf("%d lock entries left", len(s.locks.m))
	}
}
