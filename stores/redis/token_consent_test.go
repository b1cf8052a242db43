package redisstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/jirahooks/jirahooks/auth"
	redisstore "github.com/jirahooks/jirahooks/stores/redis"
)

// TestTokenStoreKeepsConsentTime: the consent time saved with a token comes
// back with it and survives a refresh through a token source; a value
// stored before consent times were kept loads with it unknown.
func TestTokenStoreKeepsConsentTime(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	rdb := rs.client(t)
	ctx := t.Context()
	s := redisstore.NewTokenStore(rdb, nil)

	// The format of older versions.
	require.NoError(t, rdb.Set(ctx, s.Key("old"),
		`{"access_token":"at","token_type":"Bearer","refresh_token":"rt","expiry":"2027-01-15T08:00:00Z"}`, 0).Err())
	old, err := s.Load(ctx, "old")
	require.NoError(t, err)
	assert.Equal(t, "rt", old.RefreshToken)
	assert.True(t, old.Expiry.Equal(time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)))
	_, known := auth.ConsentTime(old)
	assert.False(t, known, "consent time of a value in the old format")

	fake := newTokenServer(t)
	fake.delay = 0
	consented := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	require.NoError(t, s.Save(ctx, "grant", auth.TokenWithConsentTime(fake.grant(), consented)))
	raw, err := rdb.Get(ctx, s.Key("grant")).Result()
	require.NoError(t, err)
	assert.Contains(t, raw, `"consented_at":"2026-03-01T12:00:00Z"`)

	// A refresh (the stored access token has expired) keeps the consent
	// time, and the grant's status follows from it.
	now := consented.Add(340 * 24 * time.Hour)
	src := auth.NewTokenSource(fake.config(), s, "grant", auth.WithTokenHTTPClient(fake.srv.Client()),
		auth.WithClock(func() time.Time { return now }))
	_, err = src.Token()
	require.NoError(t, err)
	assert.Equal(t, int64(1), fake.refreshes.Load())
	stored, err := redisstore.NewTokenStore(rs.client(t), nil).Load(ctx, "grant")
	require.NoError(t, err)
	got, known := auth.ConsentTime(stored)
	assert.True(t, known && got.Equal(consented), "consent time after the refresh: %v, %v", got, known)
	g, err := src.Grant(ctx)
	require.NoError(t, err)
	assert.True(t, g.Due, "25 days before the end: %v", g)

	// Tokens without a consent time are stored without one.
	require.NoError(t, s.Save(ctx, "imported", &oauth2.Token{AccessToken: "at", RefreshToken: "rt"}))
	raw, err = rdb.Get(ctx, s.Key("imported")).Result()
	require.NoError(t, err)
	assert.NotContains(t, raw, "consented_at")
}
