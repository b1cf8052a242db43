package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/auth"
	"golang.org/x/oauth2"
)

// The consent URL of the 3LO flow. Use fresh values from auth.NewState for
// the state and the PKCE verifier, and keep them for the callback.
func ExampleAuthCodeURL() {
	cfg := auth.NewConfig("my-client-id", "my-client-secret", "http://127.0.0.1:8080/callback")
	state, verifier := "fixed-state-for-the-example", "fixed-verifier-for-the-example-0123456789ab"
	fmt.Println(auth.AuthCodeURL(cfg, state, verifier))
	// Output:
	// https://auth.atlassian.com/authorize?audience=api.atlassian.com&client_id=my-client-id&code_challenge=NcvEl1GJcOSn73ljgOiyC1yLegZHrgAyh7SiO6Y-Y58&code_challenge_method=S256&prompt=consent&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&response_type=code&scope=manage%3Ajira-webhook+read%3Ajira-work+offline_access&state=fixed-state-for-the-example
}

// After the code exchange, save the token under a key of your choice and
// build every client from a TokenSource over the same store: it refreshes
// the token before it expires and saves each new one first.
func ExampleNewTokenSource() {
	ctx := context.Background()
	cfg := auth.NewConfig("my-client-id", "my-client-secret", "http://127.0.0.1:8080/callback")
	store := &auth.MemoryStore{} // or auth.NewFileStore(dir), or your database

	// In the OAuth callback:
	//   code, err := auth.CallbackCode(r.URL.Query(), state)
	//   tok, err := auth.Exchange(ctx, cfg, nil, code, verifier)
	tok := &oauth2.Token{AccessToken: "…", RefreshToken: "…", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	if err := store.Save(ctx, "user-42", tok); err != nil {
		log.Fatal(err)
	}

	ts := auth.NewTokenSource(cfg, store, "user-42")
	hc := ts.Client() // for webhooks.NewClient(site.BaseURL(), webhooks.WithHTTPClient(hc))
	_ = hc

	if _, err := ts.Token(); err == nil {
		fmt.Println("user-42: token ready")
	}
	_, err := auth.NewTokenSource(cfg, store, "user-7").Token()
	if errors.Is(err, auth.ErrConsentRequired) {
		fmt.Println("user-7: send the user to auth.AuthCodeURL again")
	}
	// Output:
	// user-42: token ready
	// user-7: send the user to auth.AuthCodeURL again
}

// Find the cloudId of the sites a grant covers, and the base URL to reach
// each through the API gateway.
func ExampleSites() {
	// A stand-in for https://api.atlassian.com; use auth.Sites in real code.
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"id":"1324a887-45db-1bf4-1e99-ef0ff456d421","url":"https://your-domain.atlassian.net","name":"your-domain","scopes":["manage:jira-webhook"]}]`)
	}))
	defer gateway.Close()

	var hc *http.Client = gateway.Client() // in real code: a TokenSource's Client
	sites, err := auth.SitesAt(context.Background(), hc, gateway.URL)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range sites {
		fmt.Println(s.Name, s.URL, strings.TrimPrefix(s.BaseURL(), gateway.URL))
	}
	// Output:
	// your-domain https://your-domain.atlassian.net /ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421
}

// A Connect app signs each request with a fresh JWT bound to it by its qsh.
func ExampleConnect() {
	jira := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		fmt.Println(r.Method, r.URL.Path, scheme)
	}))
	defer jira.Close()

	hc, err := auth.Connect{
		AppKey:       "com.example.my-app",                     // the descriptor's key
		SharedSecret: []byte("secret from the installed hook"), // per installation
		BaseURL:      jira.URL,                                 // the installation's baseUrl
	}.Client()
	if err != nil {
		log.Fatal(err)
	}
	resp, err := hc.Get(jira.URL + "/rest/api/3/webhook/failed")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	// Output:
	// GET /rest/api/3/webhook/failed JWT
}

// The admin webhook API takes an email address and an API token.
func ExampleBasicClient() {
	hc := auth.BasicClient("admin@example.com", "api-token")
	_ = hc // for webhooks.WithHTTPClient, or calls to /rest/webhooks/1.0/webhook
}
