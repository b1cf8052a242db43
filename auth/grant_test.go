package auth

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/jirahooks/jirahooks/jiratest"
)

const day = 24 * time.Hour

// consent runs the consent flow against the fake and returns the token
// Exchange gives.
func consent(t *testing.T, f *fakeAtlassian) *oauth2.Token {
	t.Helper()
	cfg := f.config()
	state, verifier := NewState(), NewState()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(AuthCodeURL(cfg, state, verifier))
	require.NoError(t, err)
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	code, err := CallbackCode(cb.Query(), state)
	require.NoError(t, err)
	tok, err := Exchange(t.Context(), cfg, f.srv.Client(), code, verifier)
	require.NoError(t, err)
	return tok
}

// TestExchangeRecordsConsentTime: the token from Exchange carries the time
// of the consent, and both stores of this package keep it.
func TestExchangeRecordsConsentTime(t *testing.T) {
	t.Parallel()
	f := newFakeAtlassian(t)
	before := time.Now()
	tok := consent(t, f)
	after := time.Now()
	consented, ok := ConsentTime(tok)
	require.True(t, ok, "Exchange's token has a consent time")
	assert.False(t, consented.Before(before.Truncate(0)) || consented.After(after), "consent time %v outside [%v, %v]", consented, before, after)
	assert.Equal(t, "manage:jira-webhook read:jira-work offline_access", tok.Extra("scope"), "the scope the token endpoint answered")

	fs, err := NewFileStore(t.TempDir())
	require.NoError(t, err)
	for _, store := range []TokenStore{&MemoryStore{}, fs} {
		ctx := t.Context()
		require.NoError(t, store.Save(ctx, key, tok))
		got, err := store.Load(ctx, key)
		require.NoError(t, err)
		kept, ok := ConsentTime(got)
		assert.True(t, ok && kept.Equal(consented), "%T kept consent time %v, %v; want %v", store, kept, ok, consented)
		assert.Equal(t, tok.RefreshToken, got.RefreshToken)
	}

	_, ok = ConsentTime(&oauth2.Token{AccessToken: "at"})
	assert.False(t, ok, "a token without a recorded consent")
	_, ok = ConsentTime(TokenWithConsentTime(tok, time.Time{}))
	assert.False(t, ok, "a zero consent time records nothing")
	_, ok = ConsentTime(nil)
	assert.False(t, ok)
}

// grantInFileStore stores a grant consented to at clk's time in a FileStore
// and returns the store.
func grantInFileStore(t *testing.T, f *fakeAtlassian, clk *jiratest.Clock) *FileStore {
	t.Helper()
	fs, err := NewFileStore(t.TempDir())
	require.NoError(t, err)
	tok := TokenWithConsentTime(f.grant(clk.Now().Add(time.Hour)), clk.Now())
	require.NoError(t, fs.Save(t.Context(), key, tok))
	return fs
}

// TestGrantStatus: a grant is due for re-consent 30 days (by default)
// before the 365th day after consent, and refreshes carry the consent time
// on.
func TestGrantStatus(t *testing.T) {
	t.Parallel()
	f := newFakeAtlassian(t)
	clk := newClock()
	f.now = clk.Now
	consented := clk.Now()
	fs := grantInFileStore(t, f, clk)
	src := newSource(f, fs, clk)
	ctx := t.Context()

	g, err := src.Grant(ctx)
	require.NoError(t, err)
	assert.Equal(t, GrantStatus{Key: key, ConsentedAt: consented.UTC(), Expires: consented.Add(GrantLifetime).UTC()}, g)
	assert.True(t, g.Known())

	clk.Advance(334 * day) // 31 days left; the access token long expired
	_, err = src.Token()
	require.NoError(t, err)
	assert.Equal(t, int64(1), f.refreshes.Load())
	stored, err := fs.Load(ctx, key)
	require.NoError(t, err)
	kept, ok := ConsentTime(stored)
	assert.True(t, ok && kept.Equal(consented), "refreshed token's consent time %v, %v; want %v", kept, ok, consented)
	g, err = src.Grant(ctx)
	require.NoError(t, err)
	assert.False(t, g.Due, "31 days before the end: %v", g)

	clk.Advance(day) // 30 days left
	g, err = src.Grant(ctx)
	require.NoError(t, err)
	assert.True(t, g.Due, "30 days before the end: %v", g)
	assert.Contains(t, g.String(), "ask the user to consent again")

	// A longer notice makes it due earlier.
	early := NewTokenSource(f.config(), fs, key, WithClock(newClock().Now), WithReconsentNotice(366*day))
	g, err = early.Grant(ctx)
	require.NoError(t, err)
	assert.True(t, g.Due, "with a notice longer than the grant's life")

	_, err = NewTokenSource(f.config(), fs, "nobody").Grant(ctx)
	assert.ErrorIs(t, err, ErrConsentRequired, "Grant of a key with no token")
}

// TestReconsentAlert: the alert fires once when the grant becomes due,
// however many tokens are handed out, and again only for a new consent
// once that one is due.
func TestReconsentAlert(t *testing.T) {
	t.Parallel()
	f := newFakeAtlassian(t)
	clk := newClock()
	f.now = clk.Now
	fs := grantInFileStore(t, f, clk)
	var alerts []GrantStatus
	src := NewTokenSource(f.config(), fs, key, WithClock(clk.Now), WithTokenHTTPClient(f.srv.Client()),
		WithReconsentAlert(func(g GrantStatus) { alerts = append(alerts, g) }))
	calls := func(n int) {
		t.Helper()
		for range n {
			_, err := src.Token()
			require.NoError(t, err)
		}
	}

	calls(10)
	clk.Advance(334 * day)
	calls(10)
	assert.Empty(t, alerts, "alerts 31 days before the end")
	clk.Advance(day)
	calls(10)
	require.Len(t, alerts, 1, "alerts 30 days before the end, after 10 calls")
	assert.True(t, alerts[0].Due && alerts[0].Known())
	clk.Advance(20 * day)
	calls(10)
	assert.Len(t, alerts, 1, "alerts 10 days before the end")

	// The user consents again; the source picks the new grant up when its
	// cached access token expires, and alerts 335 days later.
	reconsented := clk.Now()
	require.NoError(t, fs.Save(t.Context(), key, TokenWithConsentTime(f.grant(clk.Now().Add(time.Hour)), reconsented)))
	clk.Advance(time.Hour)
	calls(10)
	g, err := src.Grant(t.Context())
	require.NoError(t, err)
	assert.True(t, g.ConsentedAt.Equal(reconsented) && !g.Due, "after the new consent: %v", g)
	assert.Len(t, alerts, 1, "alerts right after the new consent")
	clk.Advance(335 * day)
	calls(10)
	require.Len(t, alerts, 2, "alerts 30 days before the new grant's end")
	assert.True(t, alerts[1].ConsentedAt.Equal(reconsented))
	t.Logf("%d alerts over 60 calls and two grants: %v; %v", len(alerts), alerts[0], alerts[1])
}

// TestGrantUnknown: a token stored before consent times were recorded (or
// imported) loads, works, and reports its consent time unknown: once to
// the alert, and from Grant.
func TestGrantUnknown(t *testing.T) {
	t.Parallel()
	f := newFakeAtlassian(t)
	clk := newClock()
	f.now = clk.Now
	fs, err := NewFileStore(t.TempDir())
	require.NoError(t, err)
	old := f.grant(clk.Now().Add(-time.Minute))
	// A file as FileStore wrote it before consent times: oauth2.Token's JSON.
	b, err := json.Marshal(old)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(fs.Path(key), b, 0o600))

	var alerts []GrantStatus
	src := NewTokenSource(f.config(), fs, key, WithClock(clk.Now), WithTokenHTTPClient(f.srv.Client()),
		WithReconsentAlert(func(g GrantStatus) { alerts = append(alerts, g) }))
	for range 5 {
		_, err := src.Token()
		require.NoError(t, err, "a token of the old format")
	}
	assert.Equal(t, int64(1), f.refreshes.Load())
	g, err := src.Grant(t.Context())
	require.NoError(t, err)
	assert.Equal(t, GrantStatus{Key: key}, g, "no consent time, no expiry guessed, not due")
	assert.False(t, g.Known())
	assert.Contains(t, g.String(), "consent time unknown")
	require.Len(t, alerts, 1, "alerts for an unknown consent time over 5 calls")
	assert.False(t, alerts[0].Known())
}

// TestFileStoreFormat: a token file loads in the format of older versions,
// and the new format stays readable as an oauth2.Token by them.
func TestFileStoreFormat(t *testing.T) {
	t.Parallel()
	fs, err := NewFileStore(t.TempDir())
	require.NoError(t, err)
	ctx := t.Context()
	require.NoError(t, os.WriteFile(fs.Path("old"),
		[]byte(`{"access_token":"at","token_type":"Bearer","refresh_token":"rt","expiry":"2027-01-15T08:00:00Z"}`), 0o600))
	tok, err := fs.Load(ctx, "old")
	require.NoError(t, err)
	assert.Equal(t, "at", tok.AccessToken)
	assert.Equal(t, "rt", tok.RefreshToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.True(t, tok.Expiry.Equal(time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)))
	_, known := ConsentTime(tok)
	assert.False(t, known)

	consented := time.Date(2026, 12, 1, 9, 30, 0, 123, time.UTC)
	require.NoError(t, fs.Save(ctx, "new", TokenWithConsentTime(tok, consented)))
	b, err := os.ReadFile(fs.Path("new"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"access_token":"at","token_type":"Bearer","refresh_token":"rt",
		"expiry":"2027-01-15T08:00:00Z","consented_at":"2026-12-01T09:30:00.000000123Z"}`, string(b))
	var older oauth2.Token // what an older version decodes
	require.NoError(t, json.Unmarshal(b, &older))
	assert.Equal(t, "rt", older.RefreshToken)
}
