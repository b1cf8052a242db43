package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// Atlassian's OAuth 2.0 (3LO) endpoints.
const (
	AuthURL  = "https://auth.atlassian.com/authorize"
	TokenURL = "https://auth.atlassian.com/oauth/token"
)

// Endpoint is Atlassian's OAuth 2.0 endpoint. Client credentials travel in
// the request body, as Atlassian documents. Tests point a config at a fake
// server by setting its Endpoint field.
var Endpoint = oauth2.Endpoint{
	AuthURL:   AuthURL,
	TokenURL:  TokenURL,
	AuthStyle: oauth2.AuthStyleInParams,
}

// Scopes the webhook API needs.
const (
	// ScopeManageWebhooks allows registering, listing, refreshing and
	// deleting dynamic webhooks.
	ScopeManageWebhooks = "manage:jira-webhook"
	// ScopeReadWork allows reading the issues webhooks report on.
	ScopeReadWork = "read:jira-work"
	// ScopeOfflineAccess makes Atlassian issue a refresh token.
	ScopeOfflineAccess = "offline_access"
)

// DefaultScopes are the scopes [NewConfig] requests when given none.
var DefaultScopes = []string{ScopeManageWebhooks, ScopeReadWork, ScopeOfflineAccess}

// NewConfig returns an OAuth 2.0 configuration for an Atlassian 3LO app:
// Atlassian's [Endpoint], and scopes (default [DefaultScopes]). redirectURL
// must be one of the app's callback URLs in the developer console. Include
// [ScopeOfflineAccess] when passing scopes, or no refresh token is issued.
func NewConfig(clientID, clientSecret, redirectURL string, scopes ...string) *oauth2.Config {
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		RedirectURL:  redirectURL,
		Endpoint:     Endpoint,
		Scopes:       append([]string(nil), scopes...),
	}
}

// NewState returns a random value for the OAuth state parameter (and equally
// fit for a PKCE verifier): 32 bytes from crypto/rand, base64url-encoded.
func NewState() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails, see crypto/rand.Read
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthCodeURL returns the URL of Atlassian's consent screen: cfg's client,
// redirect URL and scopes, audience=api.atlassian.com, prompt=consent, the
// given state, and the S256 PKCE challenge of verifier (omitted when
// verifier is empty). Keep state and verifier for [CallbackCode] and
// [Exchange]; [NewState] makes good values for both. opts add parameters.
func AuthCodeURL(cfg *oauth2.Config, state, verifier string, opts ...oauth2.AuthCodeOption) string {
	o := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("audience", "api.atlassian.com"),
		oauth2.SetAuthURLParam("prompt", "consent"),
	}
	if verifier != "" {
		o = append(o, oauth2.S256ChallengeOption(verifier))
	}
	return cfg.AuthCodeURL(state, append(o, opts...)...)
}

// CallbackCode checks the query of a request to the OAuth callback and
// returns its authorization code. It returns [ErrStateMismatch] when the
// state differs from wantState or wantState is empty (the state was lost, so
// the callback cannot be tied to a flow this app started), [ErrAccessDenied]
// when the user declined, and another error when the callback reports an
// error or lacks a code.
func CallbackCode(query url.Values, wantState string) (string, error) {
	if wantState == "" || subtle.ConstantTimeCompare([]byte(query.Get("state")), []byte(wantState)) != 1 {
		return "", ErrStateMismatch
	}
	if e := query.Get("error"); e != "" {
		if e == "access_denied" {
			return "", ErrAccessDenied
		}
		return "", fmt.Errorf("auth: authorization failed: %s: %s", clip(e, 100), clip(query.Get("error_description"), 200))
	}
	code := query.Get("code")
	if code == "" {
		return "", fmt.Errorf("auth: callback without an authorization code")
	}
	return code, nil
}

// Exchange trades an authorization code for a token, sending verifier as the
// PKCE code verifier when it is not empty. hc, when not nil, makes the
// request. Save the token to a [TokenStore] and use a [TokenSource] from
// then on. A failure answered by the token endpoint is a [*TokenError].
//
// The token records the time of the consent ([ConsentTime]), taken just
// before the request, from which Atlassian counts the grant's
// [GrantLifetime]; [MemoryStore], [FileStore] and stores/redis keep it.
func Exchange(ctx context.Context, cfg *oauth2.Config, hc *http.Client, code, verifier string) (*oauth2.Token, error) {
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	consented := time.Now()
	tok, err := cfg.Exchange(withClient(ctx, hc), code, opts...)
	if err != nil {
		return nil, tokenError("exchange", err)
	}
	return TokenWithConsentTime(tok, consented), nil
}

// withClient makes golang.org/x/oauth2 use hc for token requests.
func withClient(ctx context.Context, hc *http.Client) context.Context {
	if hc == nil {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}
