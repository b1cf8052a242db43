// Package jwtsign creates the credentials Jira attaches to what it sends and
// what apps send to Jira: the X-Hub-Signature of admin webhooks, the HS256
// bearer JWT of OAuth 2.0 app deliveries, and Connect JWTs with a qsh claim.
//
// auth signs outgoing Connect requests with it; webhookstest and jiratest sign
// test deliveries with it; the receiver verifies what it produces. Keeping the
// producing side in one place keeps all of them in agreement.
package jwtsign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jirahooks/jirahooks/internal/qsh"
)

// HubSignature returns the X-Hub-Signature header value for body:
// "sha256=" followed by the lowercase hex HMAC-SHA256 of body under secret.
func HubSignature(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// OAuthToken returns an HS256 JWT signed with an OAuth 2.0 app's client
// secret, as Jira sends in "Authorization: Bearer" with a delivery. It is
// issued at now and expires after ttl; extra claims are added as given.
func OAuthToken(clientSecret []byte, now time.Time, ttl time.Duration, extra map[string]any) (string, error) {
	if len(clientSecret) == 0 {
		return "", errors.New("jwtsign: empty client secret")
	}
	claims := jwt.MapClaims{
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
	}
	for k, v := range extra {
		claims[k] = v
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(clientSecret)
}

// ConnectToken returns an HS256 Connect JWT for one request: iss is the
// issuer (the app key for requests to Jira, the installation's clientKey for
// deliveries from Jira), and the qsh claim binds the token to method and u.
// contextPath is the base URL's path (for example "/jira" or
// "/ex/jira/{cloudId}"), which the canonical request leaves out.
func ConnectToken(sharedSecret []byte, iss, method string, u *url.URL, contextPath string, now time.Time, ttl time.Duration) (string, error) {
	if len(sharedSecret) == 0 {
		return "", errors.New("jwtsign: empty shared secret")
	}
	if u == nil {
		return "", errors.New("jwtsign: nil URL")
	}
	path := qsh.StripContext(contextPath, u.EscapedPath())
	claims := jwt.MapClaims{
		"iss": iss,
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
		"qsh": qsh.Hash(method, path, u.Query()),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(sharedSecret)
}
