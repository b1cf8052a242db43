package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jirahooks/jirahooks/internal/qsh"
)

// Verifier checks that a delivery comes from Jira. Verify receives the
// request and its raw body, before anything decodes it, and returns nil or
// an error wrapping one of the receiver's sentinel errors.
type Verifier interface {
	Verify(r *http.Request, body []byte) error
}

// TenantVerifier is a Verifier that also tells which tenant (installation)
// sent the delivery. Handler uses it, when the Verifier implements it, to
// fill Delivery.Tenant and to scope duplicate detection; ConnectJWT's
// verifier reports the JWT's issuer (the installation's clientKey).
type TenantVerifier interface {
	Verifier
	VerifyTenant(r *http.Request, body []byte) (tenant string, err error)
}

// Leeway is the clock skew the JWT verifiers allow when they check a
// token's exp and iat claims.
const Leeway = 30 * time.Second

// HubSignature returns a Verifier for admin webhooks registered with a
// secret: Jira sends "X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>".
// The comparison takes constant time. See HubSignatures to accept more than
// one secret while rotating.
func HubSignature(secret []byte) Verifier {
	return HubSignatures(secret)
}

// HubSignatures is HubSignature for several secrets, any of which may have
// signed the body: pass the new and the old secret while a webhook's secret
// is being rotated. Empty secrets are ignored; with none left every delivery
// fails with ErrVerifierUnavailable. Only the "sha256" method, the one Jira
// sends, is accepted.
func HubSignatures(secrets ...[]byte) Verifier {
	v := &hubVerifier{}
	for _, s := range secrets {
		if len(s) > 0 {
			v.secrets = append(v.secrets, append([]byte(nil), s...))
		}
	}
	return v
}

type hubVerifier struct {
	secrets [][]byte
}

// Verify implements Verifier.
func (v *hubVerifier) Verify(r *http.Request, body []byte) error {
	if len(v.secrets) == 0 {
		return fmt.Errorf("%w: no hub signature secret configured", ErrVerifierUnavailable)
	}
	header := r.Header.Get("X-Hub-Signature")
	if header == "" {
		return fmt.Errorf("%w: no X-Hub-Signature header", ErrMissingSignature)
	}
	method, sig, ok := strings.Cut(strings.TrimSpace(header), "=")
	if !ok {
		return fmt.Errorf("%w: X-Hub-Signature is not method=hex", ErrInvalidSignature)
	}
	if !strings.EqualFold(method, "sha256") {
		return fmt.Errorf("%w: unsupported signature method", ErrInvalidSignature)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: signature is not hex", ErrInvalidSignature)
	}
	var sum [sha256.Size]byte
	for _, secret := range v.secrets {
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		// hmac.Equal takes constant time for equal lengths and reports
		// false at once for a truncated signature, which reveals nothing.
		if hmac.Equal(m.Sum(sum[:0]), got) {
			return nil
		}
	}
	return fmt.Errorf("%w: signature does not match", ErrInvalidSignature)
}

// OAuthJWT returns a Verifier for deliveries to OAuth 2.0 (3LO) apps: Jira
// sends "Authorization: Bearer <JWT>", signed with HS256 and the app's
// client secret. The token must carry exp; exp and iat are checked with
// Leeway. Tokens with any algorithm but HS256 (including "none") are
// refused.
func OAuthJWT(clientSecret []byte) Verifier {
	return &oauthVerifier{secret: append([]byte(nil), clientSecret...), now: time.Now}
}

type oauthVerifier struct {
	secret []byte
	now    func() time.Time
}

// Verify implements Verifier.
func (v *oauthVerifier) Verify(r *http.Request, body []byte) error {
	if len(v.secret) == 0 {
		return fmt.Errorf("%w: no client secret configured", ErrVerifierUnavailable)
	}
	tok, err := authToken(r, "Bearer")
	if err != nil {
		return err
	}
	_, err = jwtParser(v.now).Parse(tok, func(*jwt.Token) (any, error) { return v.secret, nil })
	return jwtError(err)
}

// ConnectJWT returns a Verifier for deliveries to Atlassian Connect apps:
// Jira sends "Authorization: JWT <token>", signed with HS256 and the shared
// secret of the installation whose clientKey is the token's iss.
// sharedSecret looks that secret up; it should return an error wrapping
// ErrUnknownTenant for a clientKey it does not know (answered 401), and any
// other error when it cannot look (answered 500 so that Jira retries).
//
// The token's qsh claim must equal the query string hash of this request
// (method, path and query, see the qsh package); a context token
// ("context-qsh") is refused. exp is required; exp and iat are checked with
// Leeway. Use ConnectJWTWithContextPath when the app's base URL has a path.
func ConnectJWT(sharedSecret func(clientKey string) ([]byte, error)) Verifier {
	return ConnectJWTWithContextPath("", sharedSecret)
}

// ConnectJWTWithContextPath is ConnectJWT for an app whose base URL has a
// path (for example "/jira" in "https://apps.example.com/jira"): Jira
// computes qsh over the path relative to the base URL, so contextPath is
// stripped from the request path before the qsh is compared.
func ConnectJWTWithContextPath(contextPath string, sharedSecret func(clientKey string) ([]byte, error)) Verifier {
	if contextPath != "" && !strings.HasPrefix(contextPath, "/") {
		contextPath = "/" + contextPath // "jira" means "/jira"
	}
	return &connectVerifier{lookup: sharedSecret, contextPath: contextPath, now: time.Now}
}

type connectVerifier struct {
	lookup      func(string) ([]byte, error)
	contextPath string
	now         func() time.Time
}

// Verify implements Verifier.
func (v *connectVerifier) Verify(r *http.Request, body []byte) error {
	_, err := v.VerifyTenant(r, body)
	return err
}

// VerifyTenant implements TenantVerifier: the tenant is the clientKey.
func (v *connectVerifier) VerifyTenant(r *http.Request, _ []byte) (string, error) {
	if v.lookup == nil {
		return "", fmt.Errorf("%w: no shared secret lookup configured", ErrVerifierUnavailable)
	}
	tok, err := authToken(r, "JWT")
	if err != nil {
		return "", err
	}
	claims := jwt.MapClaims{}
	var lookupErr error
	_, err = jwtParser(v.now).ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		iss, err := t.Claims.GetIssuer()
		if err != nil || iss == "" {
			lookupErr = fmt.Errorf("%w: token has no iss", ErrInvalidSignature)
			return nil, lookupErr
		}
		secret, err := v.lookup(iss)
		switch {
		case errors.Is(err, ErrUnknownTenant):
			lookupErr = fmt.Errorf("%w", ErrUnknownTenant)
		case err != nil:
			lookupErr = fmt.Errorf("%w: shared secret lookup: %v", ErrVerifierUnavailable, err)
		case len(secret) == 0:
			lookupErr = fmt.Errorf("%w", ErrUnknownTenant)
		default:
			return secret, nil
		}
		return nil, lookupErr
	})
	if lookupErr != nil {
		return "", lookupErr
	}
	if err != nil {
		return "", jwtError(err)
	}
	claim, _ := claims["qsh"].(string)
	switch claim {
	case "":
		return "", fmt.Errorf("%w: no qsh claim", ErrInvalidQSH)
	case qsh.ContextQSH:
		return "", fmt.Errorf("%w: context token", ErrInvalidQSH)
	}
	path := qsh.StripContext(v.contextPath, r.URL.EscapedPath())
	want := qsh.Hash(r.Method, path, r.URL.Query())
	if !hmac.Equal([]byte(claim), []byte(want)) {
		return "", fmt.Errorf("%w: qsh does not match the request", ErrInvalidQSH)
	}
	iss, _ := claims.GetIssuer()
	return iss, nil
}

// authToken returns the credential of "Authorization: <scheme> <token>".
func authToken(r *http.Request, scheme string) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", fmt.Errorf("%w: no Authorization header", ErrMissingSignature)
	}
	s, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(s, scheme) {
		return "", fmt.Errorf("%w: Authorization is not %s", ErrMissingSignature, scheme)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", fmt.Errorf("%w: empty %s token", ErrMissingSignature, scheme)
	}
	return tok, nil
}

func jwtParser(now func() time.Time) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithLeeway(Leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(now),
	)
}

// jwtError maps a jwt error to a receiver sentinel without repeating the
// token.
func jwtError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenNotValidYet):
		return fmt.Errorf("%w", ErrExpiredToken)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return fmt.Errorf("%w: JWT signature does not match", ErrInvalidSignature)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return fmt.Errorf("%w: malformed JWT", ErrInvalidSignature)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return fmt.Errorf("%w: JWT lacks a required claim", ErrInvalidSignature)
	}
	return fmt.Errorf("%w: JWT refused", ErrInvalidSignature)
}
