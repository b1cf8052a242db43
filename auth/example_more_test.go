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
