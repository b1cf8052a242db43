package auth_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/jirahooks/jirahooks/auth"
)

func TestMarshalTokenKeepsTheConsentTime(t *testing.T) {
	t.Parallel()
	consented := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tok := auth.TokenWithConsentTime(&oauth2.Token{AccessToken: "a", TokenType: "Bearer",
		RefreshToken: "r", Expiry: consented.Add(time.Hour)}, consented)

	b, err := auth.MarshalToken(tok)
	require.NoError(t, err)
	got, err := auth.UnmarshalToken(b)
	require.NoError(t, err)

	assert.Equal(t, "a", got.AccessToken)
	assert.Equal(t, "Bearer", got.TokenType)
	assert.Equal(t, "r", got.RefreshToken)
	assert.True(t, got.Expiry.Equal(tok.Expiry), "expiry %v, want %v", got.Expiry, tok.Expiry)
	at, ok := auth.ConsentTime(got)
	require.True(t, ok, "consent time lost")
	assert.True(t, at.Equal(consented), "consent time %v, want %v", at, consented)
}

func TestUnmarshalTokenReadsOAuth2sEncoding(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(&oauth2.Token{AccessToken: "a", RefreshToken: "r"})
	require.NoError(t, err)
	got, err := auth.UnmarshalToken(b)
	require.NoError(t, err)
	assert.Equal(t, "r", got.RefreshToken)
	_, ok := auth.ConsentTime(got)
	assert.False(t, ok, "a token without a consent time must say it is unknown")
}

func TestMarshalTokenRefusesBadInput(t *testing.T) {
	t.Parallel()
	_, err := auth.MarshalToken(nil)
	assert.Error(t, err)
	_, err = auth.UnmarshalToken([]byte("{"))
	assert.Error(t, err)
}
