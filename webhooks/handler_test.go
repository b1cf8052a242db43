package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/jwtsign"
	"github.com/jirahooks/jirahooks/internal/qsh"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

var (
	testSecret    = []byte("It's a Secret to Everybody")
	testClientKey = "jira:5c3b2d1a-0000-4000-8000-000000000001"
)

func connectLookup(key string) ([]byte, error) {
	switch key {
	case testClientKey:
		return testSecret, nil
	case "store-down":
		return nil, errors.New("connection refused")
	}
	return nil, ErrUnknownTenant
}

// recorder is a Handler under test that records callbacks and errors.
type recorder struct {
	h      *Handler
	calls  atomic.Int32
	mu     sync.Mutex
	events []*Event
	errs   []error
	codes  []int
}

func newRecorder(v Verifier, opts ...HandlerOption) *recorder {
	rec := &recorder{}
	opts = append(opts, WithErrorHook(func(_ *http.Request, status int, err error) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.errs = append(rec.errs, err)
		rec.codes = append(rec.codes, status)
	}))
	rec.h = NewHandler(v, opts...)
	rec.h.OnAny(func(ctx context.Context, e *Event) error {
		rec.calls.Add(1)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.events = append(rec.events, e)
		return nil
	})
	return rec
}

func (rec *recorder) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	rec.h.ServeHTTP(w, r)
	return w
}

func (rec *recorder) lastErr() error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.errs) == 0 {
		return nil
	}
	return rec.errs[len(rec.errs)-1]
}

// token builds a JWT with any header and claims, signed with HS256, HS512
// or not at all.
func token(t *testing.T, method jwt.SigningMethod, claims jwt.MapClaims, key []byte) string {
	t.Helper()
	var k any = key
	if method == jwt.SigningMethodNone {
		k = jwt.UnsafeAllowNoneSignatureType
	}
	s, err := jwt.NewWithClaims(method, claims).SignedString(k)
	require.NoError(t, err, "signing a test token")
	return s
}

// forged returns a JWT claiming alg with a made-up signature.
func forged(alg string, claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("not a signature"))
}

func TestHandlerRejects(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "issue_updated.json")
	now := time.Now()
	good := func(r *http.Request) { r.Header.Set("X-Hub-Signature", jwtsign.HubSignature(testSecret, body)) }
	hub := HubSignature(testSecret)
	oauth := OAuthJWT(testSecret)
	connect := ConnectJWT(connectLookup)
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	connectTok := func(claims jwt.MapClaims) func(*http.Request) {
		return func(r *http.Request) {
			base := jwt.MapClaims{"iss": testClientKey, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
				"qsh": qsh.Hash(r.Method, r.URL.EscapedPath(), r.URL.Query())}
			for k, v := range claims {
				base[k] = v
			}
			r.Header.Set("Authorization", "JWT "+token(t, jwt.SigningMethodHS256, base, testSecret))
		}
	}
	expClaims := func(iat, exp time.Time) jwt.MapClaims { return jwt.MapClaims{"iat": iat.Unix(), "exp": exp.Unix()} }

	tests := []struct {
		name   string
		v      Verifier
		opts   []HandlerOption
		method string
		body   []byte
		chunk  bool // no Content-Length
		prep   func(*http.Request)
		before func(*testing.T, *recorder) // deliveries made first
		status int
		err    error
	}{
		{name: "wrong method", v: hub, method: http.MethodGet, prep: good, status: 405, err: ErrMethodNotAllowed},
		{name: "put", v: hub, method: http.MethodPut, prep: good, status: 405, err: ErrMethodNotAllowed},
		{name: "oversize body", v: hub, opts: []HandlerOption{WithMaxBodySize(1024)}, prep: good, status: 413, err: ErrBodyTooLarge},
		{name: "oversize chunked body", v: hub, opts: []HandlerOption{WithMaxBodySize(1024)}, chunk: true, prep: good, status: 413, err: ErrBodyTooLarge},
		{name: "missing signature", v: hub, status: 401, err: ErrMissingSignature},
		{name: "empty signature header", v: hub, prep: func(r *http.Request) { r.Header.Set("X-Hub-Signature", "") }, status: 401, err: ErrMissingSignature},
		{name: "wrong signature", v: hub, prep: func(r *http.Request) {
			r.Header.Set("X-Hub-Signature", jwtsign.HubSignature(testSecret, []byte("another body")))
		}, status: 401, err: ErrInvalidSignature},
		{name: "truncated signature", v: hub, prep: func(r *http.Request) {
			r.Header.Set("X-Hub-Signature", jwtsign.HubSignature(testSecret, body)[:40])
		}, status: 401, err: ErrInvalidSignature},
		{name: "signature without method", v: hub, prep: func(r *http.Request) {
			r.Header.Set("X-Hub-Signature", strings.TrimPrefix(jwtsign.HubSignature(testSecret, body), "sha256="))
		}, status: 401, err: ErrInvalidSignature},
		{name: "sha1 method refused", v: hub, prep: func(r *http.Request) {
			r.Header.Set("X-Hub-Signature", "sha1="+strings.TrimPrefix(jwtsign.HubSignature(testSecret, body), "sha256="))
		}, status: 401, err: ErrInvalidSignature},
		{name: "sha512 method refused", v: hub, prep: func(r *http.Request) {
			m := hmac.New(sha512.New, testSecret)
			m.Write(body)
			r.Header.Set("X-Hub-Signature", "sha512="+hex.EncodeToString(m.Sum(nil)))
		}, status: 401, err: ErrInvalidSignature},
		{name: "signature not hex", v: hub, prep: func(r *http.Request) { r.Header.Set("X-Hub-Signature", "sha256=zz") }, status: 401, err: ErrInvalidSignature},
		{name: "wrong secret", v: HubSignature([]byte("another secret")), prep: good, status: 401, err: ErrInvalidSignature},
		{name: "no secret configured", v: HubSignature(nil), prep: good, status: 500, err: ErrVerifierUnavailable},
		{name: "nil verifier", v: nil, prep: good, status: 500, err: ErrVerifierUnavailable},

		{name: "oauth missing token", v: oauth, status: 401, err: ErrMissingSignature},
		{name: "oauth wrong scheme", v: oauth, prep: func(r *http.Request) { r.Header.Set("Authorization", "Basic dTpw") }, status: 401, err: ErrMissingSignature},
		{name: "oauth expired", v: oauth, prep: bearer(token(t, jwt.SigningMethodHS256, expClaims(now.Add(-10*time.Minute), now.Add(-5*time.Minute)), testSecret)), status: 401, err: ErrExpiredToken},
		{name: "oauth issued in the future", v: oauth, prep: bearer(token(t, jwt.SigningMethodHS256, expClaims(now.Add(10*time.Minute), now.Add(15*time.Minute)), testSecret)), status: 401, err: ErrExpiredToken},
		{name: "oauth without exp", v: oauth, prep: bearer(token(t, jwt.SigningMethodHS256, jwt.MapClaims{"iat": now.Unix()}, testSecret)), status: 401, err: ErrInvalidSignature},
		{name: "oauth wrong secret", v: oauth, prep: bearer(token(t, jwt.SigningMethodHS256, expClaims(now, now.Add(time.Minute)), []byte("nope"))), status: 401, err: ErrInvalidSignature},
		{name: "oauth alg none", v: oauth, prep: bearer(token(t, jwt.SigningMethodNone, expClaims(now, now.Add(time.Minute)), nil)), status: 401, err: ErrInvalidSignature},
		{name: "oauth alg none forged", v: oauth, prep: bearer(forged("none", `{"exp":9999999999}`)), status: 401, err: ErrInvalidSignature},
		{name: "oauth RS256", v: oauth, prep: bearer(forged("RS256", `{"exp":9999999999}`)), status: 401, err: ErrInvalidSignature},
		{name: "oauth HS512 with the right secret", v: oauth, prep: bearer(token(t, jwt.SigningMethodHS512, expClaims(now, now.Add(time.Minute)), testSecret)), status: 401, err: ErrInvalidSignature},
		{name: "oauth garbage token", v: oauth, prep: bearer("a.b.c"), status: 401, err: ErrInvalidSignature},

		{name: "connect missing token", v: connect, status: 401, err: ErrMissingSignature},
		{name: "connect bearer scheme", v: connect, prep: bearer(token(t, jwt.SigningMethodHS256, expClaims(now, now.Add(time.Minute)), testSecret)), status: 401, err: ErrMissingSignature},
		{name: "connect wrong qsh", v: connect, prep: connectTok(jwt.MapClaims{"qsh": qsh.Hash("POST", "/other", nil)}), status: 401, err: ErrInvalidQSH},
		{name: "connect context qsh", v: connect, prep: connectTok(jwt.MapClaims{"qsh": "context-qsh"}), status: 401, err: ErrInvalidQSH},
		{name: "connect no qsh", v: connect, prep: connectTok(jwt.MapClaims{"qsh": ""}), status: 401, err: ErrInvalidQSH},
		{name: "connect unknown tenant", v: connect, prep: connectTok(jwt.MapClaims{"iss": "jira:unknown"}), status: 401, err: ErrUnknownTenant},
		{name: "connect no iss", v: connect, prep: connectTok(jwt.MapClaims{"iss": ""}), status: 401, err: ErrInvalidSignature},
		{name: "connect secret store down", v: connect, prep: connectTok(jwt.MapClaims{"iss": "store-down"}), status: 500, err: ErrVerifierUnavailable},
		{name: "connect expired", v: connect, prep: connectTok(expClaims(now.Add(-time.Hour), now.Add(-time.Minute))), status: 401, err: ErrExpiredToken},
		{name: "connect HS512", v: connect, prep: func(r *http.Request) {
			r.Header.Set("Authorization", "JWT "+token(t, jwt.SigningMethodHS512, jwt.MapClaims{"iss": testClientKey, "exp": now.Add(time.Minute).Unix(),
				"qsh": qsh.Hash(r.Method, r.URL.EscapedPath(), r.URL.Query())}, testSecret))
		}, status: 401, err: ErrInvalidSignature},
		{name: "connect alg none", v: connect, prep: func(r *http.Request) {
			r.Header.Set("Authorization", "JWT "+forged("none", `{"iss":"`+testClientKey+`","exp":9999999999,"qsh":"`+qsh.Hash(r.Method, r.URL.EscapedPath(), r.URL.Query())+`"}`))
		}, status: 401, err: ErrInvalidSignature},

		{name: "malformed JSON", v: hub, body: []byte(`{"webhookEvent":"jira:issue_updated",`), prep: nil, status: 400, err: ErrMalformedBody},
		{name: "empty body", v: hub, body: []byte{}, status: 400, err: ErrMalformedBody},
		{name: "not an event", v: hub, body: []byte(`{"hello":"world"}`), status: 400, err: ErrMalformedBody},
		{name: "duplicate delivery", v: hub, prep: func(r *http.Request) {
			good(r)
			r.Header.Set("X-Atlassian-Webhook-Identifier", "dup-1")
		}, before: func(t *testing.T, rec *recorder) {
			r := webhookstest.NewRequest("/hooks/jira", body, webhookstest.Hub{Secret: testSecret})
			r.Header.Set("X-Atlassian-Webhook-Identifier", "dup-1")
			require.Equal(t, http.StatusOK, rec.serve(r).Code, "first delivery's status")
			rec.calls.Store(0)
		}, status: 200, err: ErrDuplicate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := body
			if tc.body != nil {
				b = tc.body
			}
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			rec := newRecorder(tc.v, tc.opts...)
			if tc.before != nil {
				tc.before(t, rec)
			}
			r := httptest.NewRequest(method, "/hooks/jira?user_id=admin", bytes.NewReader(b))
			if tc.chunk {
				r.ContentLength = -1
				r.Body = io.NopCloser(struct{ io.Reader }{bytes.NewReader(b)})
			}
			if tc.body != nil && tc.prep == nil {
				r.Header.Set("X-Hub-Signature", jwtsign.HubSignature(testSecret, b))
			}
			if tc.prep != nil {
				tc.prep(r)
			}
			w := rec.serve(r)
			assert.Equal(t, tc.status, w.Code, "status (error %v)", rec.lastErr())
			assert.ErrorIs(t, rec.lastErr(), tc.err, "the error hook's error")
			assert.Zero(t, rec.calls.Load(), "callback calls")
			if w.Code != http.StatusOK {
				assert.Equal(t, http.StatusText(w.Code)+"\n", w.Body.String(), "response body: want the status text only, no detail")
			}
			if w.Code == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"), "Allow")
			}
		})
	}
}

func TestOfficialVectors(t *testing.T) {
	t.Parallel()
	// X-Hub-Signature vector.
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Hello World!"))
	r.Header.Set("X-Hub-Signature", "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9")
	assert.NoError(t, HubSignature(testSecret).Verify(r, []byte("Hello World!")), "hub vector")
	// Upper-case hex and method are the same signature.
	r.Header.Set("X-Hub-Signature", "SHA256=A4771C39FBE90F317C7824E83DDEF3CAAE9CB3D976C214ACE1F2937E133263C9")
	assert.NoError(t, HubSignature(testSecret).Verify(r, []byte("Hello World!")), "hub vector, upper case")

	// qsh vector: a Connect token whose qsh is the documented hash verifies
	// for the documented request, and only for it.
	now := time.Now()
	tok := token(t, jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": testClientKey, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"qsh": "70282c7cf82834bd5a3d6dacda1b4ccd5cf5860a63a1fa2fb86b64d576e6a1d5",
	}, testSecret)
	v, ok := ConnectJWT(connectLookup).(TenantVerifier)
	require.True(t, ok, "ConnectJWT's verifier is a TenantVerifier")
	r = httptest.NewRequest(http.MethodGet, "/path/to/service?a=1&A=2&b=3&B=4", nil)
	r.Header.Set("Authorization", "JWT "+tok)
	tenant, err := v.VerifyTenant(r, nil)
	if assert.NoError(t, err, "qsh vector") {
		assert.Equal(t, testClientKey, tenant, "qsh vector's tenant")
	}
	r = httptest.NewRequest(http.MethodGet, "/path/to/service?a=1&A=2&b=3&B=5", nil)
	r.Header.Set("Authorization", "JWT "+tok)
	_, err = v.VerifyTenant(r, nil)
	assert.ErrorIs(t, err, ErrInvalidQSH, "a changed query")
	// With a context path, the same hash verifies under the app's base path.
	r = httptest.NewRequest(http.MethodGet, "/app/path/to/service?a=1&A=2&b=3&B=4&jwt=ignored", nil)
	r.Header.Set("Authorization", "JWT "+tok)
	assert.NoError(t, ConnectJWTWithContextPath("/app", connectLookup).Verify(r, nil), "qsh vector under a context path")
	// The context path may be given without its leading slash.
	assert.NoError(t, ConnectJWTWithContextPath("app", connectLookup).Verify(r, nil), `qsh vector under a context path given as "app"`)
}

func TestHandlerDeliversEachKind(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "issue_updated.json")
	tests := []struct {
		name   string
		v      Verifier
		signer webhookstest.Signer
		opts   []HandlerOption
		tenant string
	}{
		{"hub", HubSignature(testSecret), webhookstest.Hub{Secret: testSecret}, nil, ""},
		{"hub rotated", HubSignatures([]byte("new secret"), testSecret), webhookstest.Hub{Secret: testSecret}, nil, ""},
		{"hub with tenant func", HubSignature(testSecret), webhookstest.Hub{Secret: testSecret},
			[]HandlerOption{WithTenant(func(r *http.Request) string { return r.URL.Query().Get("site") })}, "acme"},
		{"oauth", OAuthJWT(testSecret), webhookstest.OAuth{ClientSecret: testSecret}, nil, ""},
		{"connect", ConnectJWT(connectLookup), webhookstest.Connect{ClientKey: testClientKey, SharedSecret: testSecret}, nil, testClientKey},
		{"connect context path", ConnectJWTWithContextPath("/app", connectLookup), webhookstest.Connect{ClientKey: testClientKey, SharedSecret: testSecret, ContextPath: "/app"}, nil, testClientKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := NewHandler(tc.v, tc.opts...)
			var got []*Event
			var fromCtx Delivery
			h.On(IssueUpdated, func(ctx context.Context, e *Event) error {
				got = append(got, e)
				fromCtx, _ = DeliveryFrom(ctx)
				return nil
			})
			h.On(IssueCreated, func(context.Context, *Event) error {
				assert.Fail(t, "callback for another event called")
				return nil
			})
			anyCalls := 0
			h.OnAny(func(context.Context, *Event) error { anyCalls++; return nil })
			r := webhookstest.NewRequest("/app/hooks?site=acme", body, tc.signer)
			webhookstest.SetDelivery(r, "delivery-7", 2)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, http.StatusOK, w.Code, "status")
			require.Len(t, got, 1, "issue_updated callbacks")
			require.Equal(t, 1, anyCalls, "catch-all callbacks")
			d := got[0].Delivery
			require.NotNil(t, d.URL, "delivery URL")
			assert.Equal(t, "/app/hooks?site=acme", d.URL.String(), "delivery URL")
			assert.Same(t, d.URL, fromCtx.URL, "the context's delivery URL")
			d.URL, fromCtx.URL = nil, nil
			want := Delivery{ID: "delivery-7", Retry: 2, Flow: "Primary", Tenant: tc.tenant}
			assert.Equal(t, want, d, "the event's delivery")
			assert.Equal(t, want, fromCtx, "the context's delivery")
			require.NotNil(t, got[0].Issue, "the event's issue")
			assert.Equal(t, "PAY-142", got[0].Issue.Key, "issue key")
			assert.Equal(t, body, got[0].Raw, "the event's raw body")
		})
	}
}

func TestHandlerRetriesAfterFailure(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "comment_created.json")
	for _, fail := range []string{"error", "panic"} {
		t.Run(fail, func(t *testing.T) {
			t.Parallel()
			attempts, successes := 0, 0
			var hookErr error
			h := NewHandler(HubSignature(testSecret), WithErrorHook(func(_ *http.Request, _ int, err error) { hookErr = err }))
			h.On(CommentCreated, func(context.Context, *Event) error {
				attempts++
				if attempts == 1 {
					if fail == "panic" {
						panic("boom")
					}
					return errors.New("database unavailable")
				}
				successes++
				return nil
			})
			deliver := func(retry int) int {
				r := webhookstest.NewRequest("/hooks", body, webhookstest.Hub{Secret: testSecret})
				webhookstest.SetDelivery(r, "same-id", retry)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w.Code
			}
			require.Equal(t, http.StatusInternalServerError, deliver(0), "failing callback: status (error %v)", hookErr)
			require.ErrorIs(t, hookErr, ErrCallback, "failing callback")
			require.Equal(t, http.StatusOK, deliver(1), "retry: status")
			require.Equal(t, http.StatusOK, deliver(2), "duplicate: status")
			require.ErrorIs(t, hookErr, ErrDuplicate, "duplicate")
			assert.Equal(t, 2, attempts, "attempts")
			assert.Equal(t, 1, successes, "successes")
		})
	}
}

func TestHandlerStopsAtFirstCallbackError(t *testing.T) {
	t.Parallel()
	h := NewHandler(HubSignature(testSecret))
	ran := []string{}
	h.On(IssueUpdated, func(context.Context, *Event) error { ran = append(ran, "a"); return errors.New("fail") })
	h.On(IssueUpdated, func(context.Context, *Event) error { ran = append(ran, "b"); return nil })
	h.OnAny(func(context.Context, *Event) error { ran = append(ran, "any"); return nil })
	w := httptest.NewRecorder()
	h.ServeHTTP(w, webhookstest.NewRequest("/", readFixture(t, "issue_updated.json"), webhookstest.Hub{Secret: testSecret}))
	assert.Equal(t, http.StatusInternalServerError, w.Code, "status")
	assert.Equal(t, []string{"a"}, ran, "callbacks run")
}

func TestHandlerDedupeScopedByTenant(t *testing.T) {
	t.Parallel()
	rec := newRecorder(ConnectJWT(func(key string) ([]byte, error) { return testSecret, nil }))
	body := readFixture(t, "worklog_created.json")
	for _, key := range []string{"tenant-a", "tenant-b", "tenant-a"} {
		r := webhookstest.NewRequest("/hooks", body, webhookstest.Connect{ClientKey: key, SharedSecret: testSecret})
		webhookstest.SetDelivery(r, "shared-id", 0)
		require.Equal(t, http.StatusOK, rec.serve(r).Code, "status for %s", key)
	}
	assert.Equal(t, int32(2), rec.calls.Load(), "callbacks, want one per tenant")
	// Without an identifier nothing is deduplicated.
	for range 2 {
		r := webhookstest.NewRequest("/hooks", body, webhookstest.Connect{ClientKey: "tenant-c", SharedSecret: testSecret})
		r.Header.Del("X-Atlassian-Webhook-Identifier")
		assert.Equal(t, http.StatusOK, rec.serve(r).Code, "status without an identifier")
	}
	assert.Equal(t, int32(4), rec.calls.Load(), "callbacks after two deliveries without an identifier")
	// Dedupe switched off.
	off := newRecorder(HubSignature(testSecret), WithDedupeStore(nil))
	for range 2 {
		r := webhookstest.NewRequest("/hooks", body, webhookstest.Hub{Secret: testSecret})
		webhookstest.SetDelivery(r, "x", 0)
		assert.Equal(t, http.StatusOK, off.serve(r).Code, "status without dedupe")
	}
	assert.Equal(t, int32(2), off.calls.Load(), "callbacks without dedupe")
}

func TestHandlerConcurrentDuplicateIsRetried(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	h := NewHandler(HubSignature(testSecret))
	var calls atomic.Int32
	h.OnAny(func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
		return nil
	})
	body := readFixture(t, "sprint_started.json")
	req := func() *http.Request {
		r := webhookstest.NewRequest("/hooks", body, webhookstest.Hub{Secret: testSecret})
		webhookstest.SetDelivery(r, "in-flight", 0)
		return r
	}
	first := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req())
		first <- w.Code
	}()
	<-entered
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req())
	assert.Equal(t, http.StatusConflict, w.Code, "concurrent duplicate: status, want 409 (retryable)")
	close(release)
	assert.Equal(t, http.StatusOK, <-first, "first delivery's status")
	assert.Equal(t, int32(1), calls.Load(), "callback calls")
}

type failingStore struct{ *MemoryStore }

func (failingStore) Reserve(context.Context, string, string) error { return errors.New("redis down") }

func TestHandlerStoreFailureIsRetryable(t *testing.T) {
	t.Parallel()
	rec := newRecorder(HubSignature(testSecret), WithDedupeStore(failingStore{NewMemoryStore(0, 0)}))
	w := rec.serve(webhookstest.NewRequest("/", readFixture(t, "issue_updated.json"), webhookstest.Hub{Secret: testSecret}))
	assert.Equal(t, http.StatusInternalServerError, w.Code, "status")
	assert.Zero(t, rec.calls.Load(), "callback calls")
}

func TestHandlerBodyReadError(t *testing.T) {
	t.Parallel()
	rec := newRecorder(HubSignature(testSecret))
	r := httptest.NewRequest(http.MethodPost, "/", iotest.ErrReader(errors.New("connection reset")))
	w := rec.serve(r)
	assert.Equal(t, http.StatusBadRequest, w.Code, "status")
	assert.ErrorIs(t, rec.lastErr(), ErrMalformedBody, "the error hook's error")
}

func TestHandlerLogsNoSecrets(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := NewHandler(ConnectJWT(connectLookup), WithLogger(logger))
	h.OnAny(func(context.Context, *Event) error { return errors.New("callback failed") })
	body := readFixture(t, "issue_updated.json")
	var tokens []string
	for _, s := range []webhookstest.Signer{
		webhookstest.Connect{ClientKey: testClientKey, SharedSecret: testSecret},
		webhookstest.Connect{ClientKey: testClientKey, SharedSecret: []byte("wrong")},
		webhookstest.Connect{ClientKey: "jira:unknown", SharedSecret: testSecret},
	} {
		r := webhookstest.NewRequest("/hooks", body, s)
		tokens = append(tokens, strings.TrimPrefix(r.Header.Get("Authorization"), "JWT "))
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	out := logs.String()
	require.Contains(t, out, "callback failed", "the logs must hold the outcomes")
	require.Contains(t, out, "invalid signature", "the logs must hold the outcomes")
	for _, secret := range append(tokens, string(testSecret), "PAY-142", "Alice") {
		assert.NotContains(t, out, secret, "the log holds a secret or issue data")
	}
	for _, tok := range tokens {
		for part := range strings.SplitSeq(tok, ".") {
			if len(part) > 8 {
				assert.NotContains(t, out, part, "the log holds a token part")
			}
		}
	}
}

func TestOnNilPanics(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() { NewHandler(HubSignature(testSecret)).On(IssueCreated, nil) }, "On(nil)")
}

func TestAuthTokenQueryIgnored(t *testing.T) {
	t.Parallel()
	// Jira sends the Connect JWT in the Authorization header; a jwt query
	// parameter is not a credential (and is left out of the qsh).
	tok := token(t, jwt.SigningMethodHS256, jwt.MapClaims{"iss": testClientKey, "exp": time.Now().Add(time.Minute).Unix(), "qsh": qsh.Hash("POST", "/hooks", url.Values{})}, testSecret)
	r := httptest.NewRequest(http.MethodPost, "/hooks?jwt="+tok, nil)
	assert.ErrorIs(t, ConnectJWT(connectLookup).Verify(r, nil), ErrMissingSignature, "a token in the query")
}

// TestHandlerDeclaredLengthAllocatesLittle checks that a request declaring a
// large Content-Length but sending nothing does not make the handler
// allocate the declared size before any byte (or signature) arrived: an
// unauthenticated client could otherwise pin the body limit's worth of
// memory per connection. It reads the process's allocation count, so it
// runs serially.
func TestHandlerDeclaredLengthAllocatesLittle(t *testing.T) {
	const limit = 256 << 20
	h := NewHandler(HubSignature(testSecret), WithMaxBodySize(limit))
	r := httptest.NewRequest(http.MethodPost, "/", iotest.ErrReader(io.ErrUnexpectedEOF))
	r.ContentLength = limit
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h.ServeHTTP(httptest.NewRecorder(), r)
	runtime.ReadMemStats(&after)
	assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "bytes allocated for a body that never came")
}
