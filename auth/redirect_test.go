package auth

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// TestClientsKeepCredentialsOnTheSite sends each credential kind's client
// to a server that redirects to another host, and checks that the other host
// is never contacted, while a redirect on the same host is followed.
func TestClientsKeepCredentialsOnTheSite(t *testing.T) {
	t.Parallel()
	var foreignHits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		assert.Empty(t, r.Header.Get("Authorization"), "credentials reached the foreign host")
	}))
	defer foreign.Close()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, foreign.URL+"/steal", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/ok":
			assert.NotEmpty(t, r.Header.Get("Authorization"), "same-host redirect lost the credentials")
		}
	}))
	defer site.Close()

	store := &MemoryStore{}
	tok := &oauth2.Token{AccessToken: "access-token-value", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}
	require.NoError(t, store.Save(t.Context(), "k", tok))
	clients := map[string]*http.Client{
		"basic":  BasicClient("me@example.com", "api-token-value"),
		"oauth2": NewTokenSource(NewConfig("id", "secret", "http://127.0.0.1/cb"), store, "k").Client(),
	}
	for name, c := range clients {
		resp, err := c.Get(site.URL + "/away")
		if err == nil {
			resp.Body.Close()
		}
		assert.ErrorIs(t, err, ErrForeignHost, "%s: redirect to another host", name)
		resp, err = c.Get(site.URL + "/here")
		if !assert.NoError(t, err, "%s: redirect on the same host", name) {
			continue
		}
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: same-host redirect", name)
	}
	assert.Zero(t, foreignHits.Load(), "the foreign host was contacted")
}
