// Package webhookstest helps test code that receives Jira webhooks: it signs
// bodies the way Jira does for each of the three kinds of delivery, builds
// signed requests for a webhooks.Handler, and ships realistic payloads.
//
//	h := webhooks.NewHandler(webhooks.HubSignature(secret))
//	h.On(webhooks.IssueUpdated, onUpdate)
//	req := webhookstest.NewRequest("/hooks/jira", webhookstest.Payload("issue_updated"), webhookstest.Hub{Secret: secret})
//	rec := httptest.NewRecorder()
//	h.ServeHTTP(rec, req)
//
// The signers use the same code as the rest of this module (and as jiratest,
// the in-memory Jira, which delivers whole webhook flows), so what they
// produce is exactly what the verifiers accept.
package webhookstest

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/internal/jwtsign"
)

// Signer adds the credential of one kind of Jira delivery to a request.
type Signer interface {
	Sign(r *http.Request, body []byte) error
}

// Hub signs like an admin webhook registered with a secret:
// "X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>".
type Hub struct {
	// Secret is the webhook's secret, as given to webhooks.HubSignature.
	Secret []byte
}

// Sign implements Signer.
func (s Hub) Sign(r *http.Request, body []byte) error {
	if len(s.Secret) == 0 {
		return errors.New("webhookstest: Hub with an empty secret")
	}
	r.Header.Set("X-Hub-Signature", jwtsign.HubSignature(s.Secret, body))
	return nil
}

// OAuth signs like a delivery to an OAuth 2.0 app: "Authorization: Bearer
// <HS256 JWT>" signed with the client secret.
type OAuth struct {
	// ClientSecret is the OAuth 2.0 app's client secret, as given to
	// webhooks.OAuthJWT.
	ClientSecret []byte
	// Now is the token's iat; zero means time.Now().
	Now time.Time
	// TTL is how long the token lives; zero means 3 minutes.
	TTL time.Duration
	// Claims are added to the token.
	Claims map[string]any
}

// Sign implements Signer.
func (s OAuth) Sign(r *http.Request, _ []byte) error {
	tok, err := jwtsign.OAuthToken(s.ClientSecret, orNow(s.Now), orTTL(s.TTL), s.Claims)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// Connect signs like a delivery to a Connect app: "Authorization: JWT
// <HS256 JWT>" with iss set to the installation's clientKey and a qsh claim
// bound to the request's method, path and query.
type Connect struct {
	// ClientKey is the installation's clientKey, sent as the token's iss.
	ClientKey string
	// SharedSecret is the installation's shared secret, which the
	// webhooks.ConnectJWT lookup returns for ClientKey.
	SharedSecret []byte
	// ContextPath is the path of the app's base URL, left out of the qsh
	// (see webhooks.ConnectJWTWithContextPath).
	ContextPath string
	// Now is the token's iat; zero means time.Now().
	Now time.Time
	// TTL is how long the token lives; zero means 3 minutes.
	TTL time.Duration
}

// Sign implements Signer.
func (s Connect) Sign(r *http.Request, _ []byte) error {
	tok, err := jwtsign.ConnectToken(s.SharedSecret, s.ClientKey, r.Method, r.URL, s.ContextPath, orNow(s.Now), orTTL(s.TTL))
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "JWT "+tok)
	return nil
}

func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

func orTTL(d time.Duration) time.Duration {
	if d == 0 {
		return 3 * time.Minute
	}
	return d
}

// NewRequest returns an incoming server request, as httptest.NewRequest
// does, that POSTs body to target the way Jira delivers a webhook:
// Content-Type application/json, a fresh X-Atlassian-Webhook-Identifier,
// X-Atlassian-Webhook-Retry 0, X-Atlassian-Webhook-Flow Primary, and the
// credential of s (none if s is nil). Change the headers for other cases,
// for example with SetDelivery. Like httptest.NewRequest it panics on a bad
// target or a signer error: it is for tests.
func NewRequest(target string, body []byte, s Signer) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "Atlassian Webhook HTTP Client")
	SetDelivery(r, NewDeliveryID(), 0)
	if s != nil {
		if err := s.Sign(r, body); err != nil {
			panic(err)
		}
	}
	return r
}

// NewClientRequest is NewRequest for sending to a server with an
// http.Client: target is an absolute URL.
func NewClientRequest(target string, body []byte, s Signer) (*http.Request, error) {
	r, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	SetDelivery(r, NewDeliveryID(), 0)
	if s != nil {
		if err := s.Sign(r, body); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// SetDelivery sets the delivery headers Jira sends: the identifier (the same
// on every retry of one delivery) and the retry count.
func SetDelivery(r *http.Request, id string, retry int) {
	r.Header.Set("X-Atlassian-Webhook-Identifier", id)
	r.Header.Set("X-Atlassian-Webhook-Retry", strconv.Itoa(retry))
	r.Header.Set("X-Atlassian-Webhook-Flow", "Primary")
}

// NewDeliveryID returns a random delivery identifier shaped like Jira's: a
// version 4 UUID.
func NewDeliveryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

//go:embed payloads/*.json
var payloads embed.FS

// Payload returns a copy of the realistic Jira Cloud callback body called
// name (see Payloads), for example "issue_updated" (a 16 KB
// jira:issue_updated with an ADF description, a changelog and custom
// fields), "issue_created_server" (Server-shaped users and numeric ids),
// "worklog_created" or "version_merged". It panics for an unknown name.
func Payload(name string) []byte {
	b, err := payloads.ReadFile(path.Join("payloads", name+".json"))
	if err != nil {
		panic(fmt.Sprintf("webhookstest: no payload %q", name))
	}
	return b
}

// Payloads returns the names Payload accepts, sorted.
func Payloads() []string {
	entries, _ := fs.ReadDir(payloads, "payloads")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(names)
	return names
}
