package jwtsign

import (
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/qsh"
)

func TestHubSignatureVector(t *testing.T) {
	t.Parallel()
	got := HubSignature([]byte("It's a Secret to Everybody"), []byte("Hello World!"))
	assert.Equal(t, "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9", got)
}

func TestConnectToken(t *testing.T) {
	t.Parallel()
	secret := []byte("shared")
	u, err := url.Parse("https://app.example.com/ctx/hooks/jira?b=2&a=1&jwt=old")
	require.NoError(t, err)
	now := time.Unix(1_700_000_000, 0)
	tok, err := ConnectToken(secret, "client-key", "post", u, "/ctx", now, 3*time.Minute)
	require.NoError(t, err)
	claims := jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return now })).
		ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return secret, nil })
	require.NoError(t, err)
	want := qsh.Hash("POST", "/hooks/jira", url.Values{"a": {"1"}, "b": {"2"}})
	assert.Equal(t, want, claims["qsh"], "claims = %v", claims)
	assert.Equal(t, "client-key", claims["iss"], "claims = %v", claims)
	exp, err := claims.GetExpirationTime()
	require.NoError(t, err)
	require.NotNil(t, exp)
	assert.True(t, exp.Time.Equal(now.Add(3*time.Minute)), "exp = %v", exp)

	_, err = ConnectToken(nil, "k", "GET", u, "", now, time.Minute)
	assert.Error(t, err, "empty secret accepted")
}

func TestOAuthToken(t *testing.T) {
	t.Parallel()
	secret := []byte("client-secret")
	now := time.Now()
	tok, err := OAuthToken(secret, now, time.Minute, map[string]any{"context": "x"})
	require.NoError(t, err)
	claims := jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"HS256"})).ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return secret, nil })
	require.NoError(t, err)
	assert.Equal(t, "x", claims["context"], "extra claim lost: %v", claims)
}
