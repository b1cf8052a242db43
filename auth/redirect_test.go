package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestClientsKeepCredentialsOnTheSite sends each credential kind's client
// to a server that redirects to another host, and checks that the other host
// is never contacted, while a redirect on the same host is followed.
func TestClientsKeepCredentialsOnTheSite(t *testing.T) {
	var foreignHits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		if r.Header.Get("Authorization") != "" {
			t.Errorf("credentials reached the foreign host")
		}
	}))
	defer foreign.Close()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, foreign.URL+"/steal", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/ok":
			if r.Header.Get("Authorization") == "" {
				t.Errorf("same-host redirect lost the credentials")
			}
		}
	}))
	defer site.Close()

	store := &MemoryStore{}
	tok := &oauth2.Token{AccessToken: "access-token-value", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}
	if err := store.Save(context.Background(), "k", tok); err != nil {
		t.Fatal(err)
	}
	clients := map[string]*http.Client{
		"basic":  BasicClient("me@example.com", "api-token-value"),
		"oauth2": NewTokenSource(NewConfig("id", "secret", "http://127.0.0.1/cb"), store, "k").Client(),
	}
	for name, c := range clients {
		resp, err := c.Get(site.URL + "/away")
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, ErrForeignHost) {
			t.Errorf("%s: redirect to another host: %v, want ErrForeignHost", name, err)
		}
		resp, err = c.Get(site.URL + "/here")
		if err != nil {
			t.Errorf("%s: redirect on the same host: %v", name, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: same-host redirect ended with %d", name, resp.StatusCode)
		}
	}
	if n := foreignHits.Load(); n != 0 {
		t.Fatalf("the foreign host was contacted %d times", n)
	}
}
