package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jirahooks/jirahooks/auth"
	"golang.org/x/oauth2"
)

// A FileStore keeps each grant's token in a file of its own, written
// atomically with mode 0600, so that a restarted program resumes with the
// latest rotated refresh token.
func ExampleNewFileStore() {
	dir, err := os.MkdirTemp("", "tokens")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := auth.NewFileStore(dir)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	tok := &oauth2.Token{AccessToken: "access", RefreshToken: "refresh-1", Expiry: time.Now().Add(time.Hour)}
	if err := store.Save(ctx, "acme", tok); err != nil {
		log.Fatal(err)
	}

	got, err := store.Load(ctx, "acme")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.RefreshToken == "refresh-1")
	_, err = store.Load(ctx, "another-grant")
	fmt.Println(errors.Is(err, auth.ErrTokenNotFound))
	// Output:
	// true
	// true
}

// Atlassian ends every grant 365 days after its user consented. The token
// source tells the app 30 days ahead (WithReconsentNotice changes that),
// from the consent time auth.Exchange records with the token.
func ExampleWithReconsentAlert() {
	ctx := context.Background()
	cfg := auth.NewConfig("my-client-id", "my-client-secret", "http://127.0.0.1:8080/callback")
	store := &auth.MemoryStore{}
	now := time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC) // a fixed clock for the example
	// In the OAuth callback, auth.Exchange returns a token that records the
	// consent time; here it is set by hand.
	consented := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	tok := &oauth2.Token{AccessToken: "…", RefreshToken: "…", TokenType: "Bearer", Expiry: now.Add(time.Hour)}
	if err := store.Save(ctx, "acme", auth.TokenWithConsentTime(tok, consented)); err != nil {
		log.Fatal(err)
	}

	ts := auth.NewTokenSource(cfg, store, "acme",
		auth.WithClock(func() time.Time { return now }),
		auth.WithReconsentAlert(func(g auth.GrantStatus) {
			fmt.Println("ALERT:", g) // page someone, mail the user a consent link
		}))
	for range 3 { // the alert comes once, not on every call
		if _, err := ts.Token(); err != nil {
			log.Fatal(err)
		}
	}
	g, err := ts.Grant(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("due:", g.Due, "expires:", g.Expires.Format(time.DateOnly))
	// Output:
	// ALERT: grant "acme" ends 2027-01-10T09:00:00Z (365 days after consent): ask the user to consent again
	// due: true expires: 2027-01-10
}
