package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/jirahooks/jirahooks/jiratest"
)

// fakeAtlassian is an Atlassian authorization server and API gateway in
// miniature. Like Atlassian it rotates refresh tokens: each refresh issues
// a new refresh token and supersedes the one presented. A superseded token
// is accepted again within RefreshReuseLeeway of its first use (each such
// reuse issues another new pair); presented later, it revokes the whole
// grant.
type fakeAtlassian struct {
	t   testing.TB
	srv *httptest.Server

	clientID, clientSecret, redirectURL string

	refreshes atomic.Int64 // successful refreshes, reuses included
	reuses    atomic.Int64 // successful refreshes with a superseded token
	rejected  atomic.Int64 // refreshes refused
	exchanges atomic.Int64 // successful code exchanges

	// now is the server's clock (default time.Now), which times the reuse
	// leeway; delay, when set, is how long a refresh takes to answer.
	now   func() time.Time
	delay time.Duration

	// inRefresh, when set, is called while a refresh is being answered,
	// after the new token is issued and before the answer is written.
	inRefresh func()
	// onResource, when set, is called with the access token of each
	// accepted API request.
	onResource func(accessToken string)
	// consentError is the error code answered for a dead refresh token.
	consentError, consentDescription string

	mu      sync.Mutex
	n       int
	codes   map[string]string   // code -> PKCE challenge
	live    map[string]int      // refresh token -> grant
	rotated map[string]rotation // superseded refresh tokens
	access  map[string]int      // access token -> grant
	revoked map[int]bool
}

func newFakeAtlassian(t testing.TB) *fakeAtlassian {
	cfg := fakeConfig("")
	f := &fakeAtlassian{
		t: t, clientID: cfg.ClientID, clientSecret: cfg.ClientSecret,
		redirectURL:  cfg.RedirectURL,
		consentError: "invalid_grant", consentDescription: "Unknown or invalid refresh token.",
		now:   time.Now,
		codes: map[string]string{}, live: map[string]int{}, rotated: map[string]rotation{},
		access: map[string]int{}, revoked: map[int]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /oauth/token", f.token)
	mux.HandleFunc("GET /oauth/token/accessible-resources", f.resources)
	mux.HandleFunc("GET /ex/jira/{cloud}/rest/api/3/webhook", f.webhooks)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// config returns an OAuth config pointing at the fake.
func (f *fakeAtlassian) config() *oauth2.Config { return fakeConfig(f.srv.URL) }

// fakeConfig returns the config of the fake's client on a fake at baseURL,
// for the test's child processes as well.
func fakeConfig(baseURL string) *oauth2.Config {
	cfg := NewConfig("client-id", "client-secret-XYZ", "http://127.0.0.1/callback")
	cfg.Endpoint.AuthURL = baseURL + "/authorize"
	cfg.Endpoint.TokenURL = baseURL + "/oauth/token"
	return cfg
}

// grant issues a grant directly (as if the user had consented) and returns
// its first token, expiring at expiry.
func (f *fakeAtlassian) grant(expiry time.Time) *oauth2.Token {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	g := f.n
	at, rt := f.issueLocked(g)
	return &oauth2.Token{AccessToken: at, RefreshToken: rt, TokenType: "Bearer", Expiry: expiry}
}

func (f *fakeAtlassian) issueLocked(grant int) (access, refresh string) {
	f.n++
	access = fmt.Sprintf("at-%d-%d", grant, f.n)
	refresh = fmt.Sprintf("rt-%d-%d", grant, f.n)
	f.access[access] = grant
	f.live[refresh] = grant
	return access, refresh
}

// revoke kills every token of the grant that refresh belongs to.
func (f *fakeAtlassian) revoke(refresh string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g, ok := f.live[refresh]; ok {
		f.revoked[g] = true
	}
}

func (f *fakeAtlassian) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != f.clientID || q.Get("redirect_uri") != f.redirectURL ||
		q.Get("audience") != "api.atlassian.com" || q.Get("prompt") != "consent" ||
		q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.n++
	code := fmt.Sprintf("code-%d", f.n)
	f.codes[code] = q.Get("code_challenge")
	f.mu.Unlock()
	cb, _ := url.Parse(f.redirectURL)
	cb.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, cb.String(), http.StatusFound)
}

func (f *fakeAtlassian) fail(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (f *fakeAtlassian) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.fail(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	if r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("client_secret") != f.clientSecret {
		f.fail(w, http.StatusUnauthorized, "access_denied", "Unauthorized")
		return
	}
	f.mu.Lock()
	var at, rt string
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		challenge, ok := f.codes[code]
		delete(f.codes, code)
		if !ok || r.PostForm.Get("redirect_uri") != f.redirectURL ||
			oauth2.S256ChallengeFromVerifier(r.PostForm.Get("code_verifier")) != challenge {
			f.mu.Unlock()
			f.fail(w, http.StatusForbidden, "invalid_grant", "Invalid authorization code")
			return
		}
		f.n++
		at, rt = f.issueLocked(f.n)
		f.exchanges.Add(1)
	case "refresh_token":
		old := r.PostForm.Get("refresh_token")
		now := f.now()
		g, ok := f.live[old]
		rot, superseded := f.rotated[old]
		if superseded {
			g = rot.grant
			if now.Sub(rot.at) >= RefreshReuseLeeway {
				f.revoked[g] = true // reuse past the leeway revokes the grant, as at Atlassian
			}
		}
		if !ok && !superseded || f.revoked[g] {
			f.mu.Unlock()
			f.rejected.Add(1)
			f.fail(w, http.StatusForbidden, f.consentError, f.consentDescription)
			return
		}
		if ok {
			delete(f.live, old)
			f.rotated[old] = rotation{grant: g, at: now}
		} else {
			f.reuses.Add(1)
		}
		at, rt = f.issueLocked(g)
		f.refreshes.Add(1)
	default:
		f.mu.Unlock()
		f.fail(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	hook := f.inRefresh
	f.mu.Unlock()
	if r.PostForm.Get("grant_type") == "refresh_token" {
		if hook != nil {
			hook()
		}
		// A real round trip takes time: long enough for racers to collide.
		time.Sleep(f.delay)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": at, "refresh_token": rt, "token_type": "Bearer",
		"expires_in": 3600, "scope": strings.Join(DefaultScopes, " "),
	})
}

// rotation records when a refresh token was first exchanged.
type rotation struct {
	grant int
	at    time.Time
}

// grantRevoked reports whether the grant tok belongs to was revoked.
func (f *fakeAtlassian) grantRevoked(tok *oauth2.Token) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.access[tok.AccessToken]
	return ok && f.revoked[g]
}

// authorized checks the bearer token of an API request.
func (f *fakeAtlassian) authorized(w http.ResponseWriter, r *http.Request) bool {
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	g, known := f.access[at]
	dead := f.revoked[g]
	f.mu.Unlock()
	if !ok || !known || dead {
		http.Error(w, `{"code":401,"message":"Unauthorized"}`, http.StatusUnauthorized)
		return false
	}
	if f.onResource != nil {
		f.onResource(at)
	}
	return true
}

func (f *fakeAtlassian) resources(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `[{"id":"1324a887-45db-1bf4-1e99-ef0ff456d421","url":"https://your-domain.atlassian.net",
		"name":"your-domain","scopes":["manage:jira-webhook","read:jira-work"],
		"avatarUrl":"https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png"}]`)
}

func (f *fakeAtlassian) webhooks(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"startAt":0,"maxResults":100,"total":0,"isLast":true,"values":[]}`)
}

// newClock returns the fake clock the tests run token sources and the fake
// on, at a fixed start.
func newClock() *jiratest.Clock { return jiratest.NewClock(time.Unix(1_800_000_000, 0)) }

// countingStore is a MemoryStore (and so a Locker) that counts saves and
// can be told to fail them.
type countingStore struct {
	*MemoryStore
	saves   atomic.Int64
	failing atomic.Bool
}

func (s *countingStore) Save(ctx context.Context, key string, tok *oauth2.Token) error {
	if s.failing.Load() {
		return errors.New("disk full")
	}
	s.saves.Add(1)
	return s.MemoryStore.Save(ctx, key, tok)
}
