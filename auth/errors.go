package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// ErrConsentRequired reports that the app cannot get an access token without
// its user: the refresh token expired, was revoked or was reused after
// rotation (later than [RefreshReuseLeeway] after its first use), the grant
// reached its absolute expiry ([GrantLifetime] after consent), or no token
// is stored for the key. The app should send the user
// through the consent flow ([AuthCodeURL]) again. Test with errors.Is.
var ErrConsentRequired = errors.New("auth: user consent required")

// ErrTokenNotFound is returned by [TokenStore.Load] when no token is stored
// under the key. A [TokenSource] reports it wrapped together with
// [ErrConsentRequired].
var ErrTokenNotFound = errors.New("auth: token not found")

// ErrTokenNotSaved reports that a [TokenSource] obtained a new token but its
// [TokenStore] failed to save it. The token is kept in memory and not handed
// out; the next call to the token source retries the save without
// refreshing again. The store's error is wrapped too.
var ErrTokenNotSaved = errors.New("auth: new token not saved")

// ErrStateMismatch is returned by [CallbackCode] when the state parameter of
// the OAuth callback does not match the one the flow started with.
var ErrStateMismatch = errors.New("auth: OAuth state mismatch")

// ErrAccessDenied is returned by [CallbackCode] when the user declined
// consent (the callback carries error=access_denied).
var ErrAccessDenied = errors.New("auth: user denied access")

// TokenError reports a failure answered by the OAuth token endpoint, during
// a code exchange or a refresh. Its message holds the HTTP status and the
// endpoint's error code and description, never a token or a secret.
//
// A refresh rejected with invalid_grant (or unauthorized_client about the
// refresh token, as Atlassian answers for an unknown or reused one) also
// matches [ErrConsentRequired] under errors.Is. The *oauth2.RetrieveError is
// available through errors.As.
type TokenError struct {
	// Op is "exchange" or "refresh".
	Op string
	// StatusCode is the HTTP status of the token endpoint's answer.
	StatusCode int
	// Code and Description are RFC 6749's error and error_description.
	Code, Description string

	err     *oauth2.RetrieveError
	consent bool
}

// Error implements error.
func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "auth: token %s failed", e.Op)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", clip(e.Description, 200))
	}
	return b.String()
}

// Unwrap returns the underlying *oauth2.RetrieveError.
func (e *TokenError) Unwrap() error { return e.err }

// Is reports whether target is [ErrConsentRequired] and the failure means
// the user must consent again.
func (e *TokenError) Is(target error) bool { return target == ErrConsentRequired && e.consent }

// tokenError turns an error of golang.org/x/oauth2 into one that carries no
// response body (which could echo what was sent) and classifies it.
func tokenError(op string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("auth: token %s failed: %w", op, err)
	}
	te := &TokenError{Op: op, Code: re.ErrorCode, Description: re.ErrorDescription, err: re}
	if re.Response != nil {
		te.StatusCode = re.Response.StatusCode
	}
	if op == "refresh" {
		switch te.Code {
		case "invalid_grant":
			te.consent = true
		case "unauthorized_client":
			// Atlassian answers 403 unauthorized_client "refresh_token is
			// invalid" for a refresh token it no longer knows.
			te.consent = strings.Contains(strings.ToLower(te.Description), "refresh")
		}
	}
	return te
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
