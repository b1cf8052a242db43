package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// DefaultRefreshMargin is how long before its expiry a [TokenSource]
// replaces an access token unless told otherwise. Atlassian access tokens
// live an hour.
const DefaultRefreshMargin = 5 * time.Minute

// refreshTimeout bounds a refresh and the save of its result, which run on
// after the caller's context is cancelled.
const refreshTimeout = time.Minute

// TokenSource hands out the access token of one grant (one key of a
// [TokenStore]) and refreshes it when it is about to expire. It is an
// oauth2.TokenSource and is safe for concurrent use.
//
// Every token it obtains from the token endpoint is saved to the store
// before it is returned, once per refresh; tokens are loaded from the store
// when the source starts, so a restarted program resumes where the last one
// stopped. Only one refresh of a key runs at a time: concurrent callers wait
// for it and share its result. Before refreshing, a token source takes the
// key's lock (the store's, if the store is a [Locker]; otherwise one shared
// by the token sources of the process) and loads the stored token again, so
// a token another source saved meanwhile is used instead of refreshed.
//
// When the store fails to save a new token, Token returns an error wrapping
// [ErrTokenNotSaved] and keeps the token in memory; the next call saves it
// (and then hands it out) instead of refreshing again. Until then the
// source keeps the key's lock: other token sources for the key wait (as
// long as their context allows) rather than refresh with the refresh token
// still in the store, which Atlassian no longer accepts.
//
// A crash between the token endpoint's answer and the save loses the new
// token: the store still holds the superseded refresh token. Atlassian
// accepts it again for [RefreshReuseLeeway] (10 minutes) after its first
// use, so a token source started within that window refreshes with it and
// the grant survives; one started later gets an error matching
// [ErrConsentRequired], and its attempt has revoked every token of the
// grant. Restart a crashed program, or let another replica take over,
// within minutes.
//
// Every grant ends [GrantLifetime] (365 days) after its user consented,
// whatever the refreshes. [TokenSource.Grant] and [WithReconsentAlert]
// tell the app ahead of time, from the consent time [Exchange] records
// with the token.
type TokenSource struct {
	cfg    *oauth2.Config
	store  TokenStore
	key    string
	margin time.Duration
	now    func() time.Time
	hc     *http.Client
	notice time.Duration     // how long before the grant's expiry it is due
	alert  func(GrantStatus) // nil: no alerts

	mu            sync.Mutex
	tok           *oauth2.Token // last token saved or loaded
	pending       *oauth2.Token // refreshed but not yet saved
	pendingUnlock func()        // releases the key's lock once pending is saved
	alerted       bool          // alert called for the consent time alertedFor
	alertedFor    time.Time
}

// TokenSourceOption configures a [TokenSource].
type TokenSourceOption func(*TokenSource)

// WithRefreshMargin makes the token source replace access tokens d before
// they expire (default [DefaultRefreshMargin]).
func WithRefreshMargin(d time.Duration) TokenSourceOption {
	return func(s *TokenSource) { s.margin = d }
}

// WithClock sets the function the token source reads the time from
// (default time.Now), for tests.
func WithClock(now func() time.Time) TokenSourceOption {
	return func(s *TokenSource) { s.now = now }
}

// WithTokenHTTPClient sets the client that calls the token endpoint
// (default: the one golang.org/x/oauth2 finds in the context, else
// http.DefaultClient).
func WithTokenHTTPClient(hc *http.Client) TokenSourceOption {
	return func(s *TokenSource) { s.hc = hc }
}

// WithReconsentNotice sets how long before its grant's absolute expiry
// ([GrantLifetime] after consent) the token source reports the grant due
// for re-consent (default [DefaultReconsentNotice]), in [TokenSource.Grant]
// and to the function of [WithReconsentAlert].
func WithReconsentNotice(d time.Duration) TokenSourceOption {
	return func(s *TokenSource) { s.notice = d }
}

// WithReconsentAlert makes the token source call fn when it hands out a
// token of a grant that is due for re-consent ([GrantStatus.Due]) or whose
// consent time is unknown ([GrantStatus.Known] false), so that the app can
// ask its user to consent again before Atlassian ends the grant and the
// webhooks registered with it can no longer be kept alive. fn is called
// once per token source and consent time: once when the grant becomes due
// (or is found unknown), and again only after a new consent was saved
// under the key. It runs in the goroutine that asked for the token, after
// the token was obtained and without the source's locks held; keep it
// short (hand slow work to another goroutine).
func WithReconsentAlert(fn func(GrantStatus)) TokenSourceOption {
	return func(s *TokenSource) { s.alert = fn }
}

// NewTokenSource returns a token source for the grant stored under key in
// store, refreshing through cfg's token endpoint. Save the token from
// [Exchange] under key first; until a token is stored, Token returns an
// error matching [ErrConsentRequired] and [ErrTokenNotFound].
func NewTokenSource(cfg *oauth2.Config, store TokenStore, key string, opts ...TokenSourceOption) *TokenSource {
	s := &TokenSource{cfg: cfg, store: store, key: key, margin: DefaultRefreshMargin, now: time.Now,
		notice: DefaultReconsentNotice}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Token returns a valid access token; see [TokenSource.TokenContext].
func (s *TokenSource) Token() (*oauth2.Token, error) {
	return s.TokenContext(context.Background())
}

// TokenContext returns an access token valid for at least the refresh
// margin, refreshing and saving a new one if needed. ctx bounds loading and
// waiting for a lock; a refresh, once started, and the save of its result
// run to completion (within a minute) even if ctx is cancelled, because the
// old refresh token dies the moment the token endpoint answers. The caller
// may modify the returned token.
func (s *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	tok, err := s.tokenLocked(ctx)
	var alert *GrantStatus
	if err == nil {
		alert = s.alertLocked(tok)
	}
	s.mu.Unlock()
	if alert != nil {
		s.alert(*alert)
	}
	return tok, err
}

// Grant reports when the grant behind s ends and whether it is due for
// re-consent, from the consent time stored with its token (loading the
// token if s has not yet). A grant whose consent time is unknown says so
// ([GrantStatus.Known]) rather than guessing. Call it from a periodic
// check, or use [WithReconsentAlert].
func (s *TokenSource) Grant(ctx context.Context) (GrantStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil {
		t, err := s.load(ctx)
		if err != nil {
			return GrantStatus{}, err
		}
		s.tok = t
	}
	return grantStatus(s.key, s.tok, s.now(), s.notice), nil
}

// alertLocked returns the status to alert about after tok was handed out,
// if any, and notes that it was alerted.
func (s *TokenSource) alertLocked(tok *oauth2.Token) *GrantStatus {
	if s.alert == nil {
		return nil
	}
	g := grantStatus(s.key, tok, s.now(), s.notice)
	if g.Known() && !g.Due || s.alerted && s.alertedFor.Equal(g.ConsentedAt) {
		return nil
	}
	s.alerted, s.alertedFor = true, g.ConsentedAt
	return &g
}

// tokenLocked is TokenContext with s.mu held.
func (s *TokenSource) tokenLocked(ctx context.Context) (*oauth2.Token, error) {
	if s.pending != nil {
		if err := s.save(ctx, s.pending); err != nil {
			return nil, err
		}
		s.tok, s.pending = s.pending, nil
		s.pendingUnlock()
		s.pendingUnlock = nil
	}
	if s.tok == nil {
		t, err := s.load(ctx)
		if err != nil {
			return nil, err
		}
		s.tok = t
	}
	if s.fresh(s.tok) {
		return copyToken(s.tok), nil
	}

	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: locking token %q: %w", s.key, err)
	}
	keepLocked := false
	defer func() {
		if !keepLocked {
			unlock()
		}
	}()
	// Whoever held the lock before may have refreshed already; its token,
	// saved before the lock was released, supersedes ours.
	t, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	s.tok = t
	if s.fresh(t) {
		return copyToken(t), nil
	}
	if s.tok.RefreshToken == "" {
		return nil, fmt.Errorf("auth: token %q expired and has no refresh token (request %s): %w",
			s.key, ScopeOfflineAccess, ErrConsentRequired)
	}

	// Once the token endpoint has rotated the refresh token, the answer must
	// reach the store: the caller's cancellation does not cut the request
	// or the save short, a timeout does.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()
	start := s.now()
	t, err = s.cfg.TokenSource(withClient(rctx, s.hc), &oauth2.Token{RefreshToken: s.tok.RefreshToken}).Token()
	if err != nil {
		return nil, tokenError("refresh", err)
	}
	if t.ExpiresIn > 0 {
		// Count the lifetime from before the request, on our clock.
		t.Expiry = start.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	if t.RefreshToken == "" {
		// No rotation this time: the old refresh token stays valid.
		t.RefreshToken = s.tok.RefreshToken
	}
	// A refresh continues the grant: its consent time stays.
	consented, _ := ConsentTime(s.tok)
	t = TokenWithConsentTime(t, consented)
	if err := s.save(rctx, t); err != nil {
		// The store still holds a refresh token that no longer works. Keep
		// the lock until the new token is saved, so that no other token
		// source for the key refreshes with the dead one (which would make
		// Atlassian revoke the grant).
		s.pending, s.pendingUnlock, keepLocked = t, unlock, true
		return nil, err
	}
	s.tok = t
	return copyToken(t), nil
}

// lock takes the store's lock for the key if the store is a [Locker], else
// a lock for the key shared by all token sources in the process.
func (s *TokenSource) lock(ctx context.Context) (func(), error) {
	if l, ok := s.store.(Locker); ok {
		return l.Lock(ctx, s.key)
	}
	return processLocks.Lock(ctx, s.key)
}

// processLocks serialises refreshes of token sources whose store is not a
// Locker, per key, within the process.
var processLocks keyLocks

// Client returns an HTTP client that authenticates every request with an
// access token from s, for webhooks.WithHTTPClient. It follows redirects on
// the same host only; one to another host fails with [ErrForeignHost]. See
// [TokenSource.Transport].
func (s *TokenSource) Client() *http.Client {
	return &http.Client{Transport: s.Transport(nil), CheckRedirect: sameHostOnly}
}

// Transport returns a RoundTripper that sets "Authorization: Bearer" on a
// copy of each request, with a token from s obtained under the request's
// context, and sends it through base (http.DefaultTransport if nil). It
// authenticates whatever it is given: a client built around it should
// refuse redirects to other hosts, as [TokenSource.Client] does.
func (s *TokenSource) Transport(base http.RoundTripper) http.RoundTripper {
	return &bearerTransport{src: s, base: base}
}

// String describes the token source without its tokens.
func (s *TokenSource) String() string { return fmt.Sprintf("auth.TokenSource{key: %q}", s.key) }

// GoString describes the token source without its tokens.
func (s *TokenSource) GoString() string { return s.String() }

func (s *TokenSource) fresh(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	if t.Expiry.IsZero() {
		return true
	}
	return s.now().Add(s.margin).Before(t.Expiry)
}

func (s *TokenSource) load(ctx context.Context) (*oauth2.Token, error) {
	t, err := s.store.Load(ctx, s.key)
	if errors.Is(err, ErrTokenNotFound) {
		return nil, fmt.Errorf("auth: no token stored for %q: %w: %w", s.key, ErrConsentRequired, err)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: loading token %q: %w", s.key, err)
	}
	if t == nil {
		return nil, fmt.Errorf("auth: no token stored for %q: %w: %w", s.key, ErrConsentRequired, ErrTokenNotFound)
	}
	return t, nil
}

func (s *TokenSource) save(ctx context.Context, t *oauth2.Token) error {
	if err := s.store.Save(ctx, s.key, t); err != nil {
		return fmt.Errorf("auth: saving token %q: %w: %w", s.key, ErrTokenNotSaved, err)
	}
	return nil
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	c := *t
	return &c
}

type bearerTransport struct {
	src  *TokenSource
	base http.RoundTripper
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.src.TokenContext(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	tok.SetAuthHeader(r)
	return transport(t.base).RoundTrip(r)
}

func (t *bearerTransport) String() string   { return "auth.bearerTransport{" + t.src.String() + "}" }
func (t *bearerTransport) GoString() string { return t.String() }

func transport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		return http.DefaultTransport
	}
	return rt
}
