package jwtsign

import (
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jirahooks/jirahooks/internal/qsh"
)

func TestHubSignatureVector(t *testing.T) {
	got := HubSignature([]byte("It's a Secret to Everybody"), []byte("Hello World!"))
	want := "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9"
	if got != want {
		t.Fatalf("HubSignature = %q, want %q", got, want)
	}
}

func TestConnectToken(t *testing.T) {
	secret := []byte("shared")
	u, _ := url.Parse("https://app.example.com/ctx/hooks/jira?b=2&a=1&jwt=old")
	now := time.Unix(1_700_000_000, 0)
	tok, err := ConnectToken(secret, "client-key", "post", u, "/ctx", now, 3*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return now })).
		ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return secret, nil })
	if err != nil {
		t.Fatal(err)
	}
	want := qsh.Hash("POST", "/hooks/jira", url.Values{"a": {"1"}, "b": {"2"}})
	if claims["qsh"] != want || claims["iss"] != "client-key" {
		t.Fatalf("claims = %v, want qsh %s and iss client-key", claims, want)
	}
	if exp, _ := claims.GetExpirationTime(); !exp.Time.Equal(now.Add(3 * time.Minute)) {
		t.Fatalf("exp = %v", exp)
	}
	if _, err := ConnectToken(nil, "k", "GET", u, "", now, time.Minute); err == nil {
		t.Fatal("empty secret accepted")
	}
}

func TestOAuthToken(t *testing.T) {
	secret := []byte("client-secret")
	now := time.Now()
	tok, err := OAuthToken(secret, now, time.Minute, map[string]any{"context": "x"})
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"})).ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return secret, nil }); err != nil {
		t.Fatal(err)
	}
	if claims["context"] != "x" {
		t.Fatalf("extra claim lost: %v", claims)
	}
}
