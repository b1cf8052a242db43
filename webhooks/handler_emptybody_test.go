package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/jwtsign"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

// requireServed serves r on rec and requires the status and, unless want
// is nil, the error the error hook saw.
func requireServed(t *testing.T, rec *recorder, r *http.Request, status int, want error, what string) {
	t.Helper()
	require.Equal(t, status, rec.serve(r).Code, "%s: status (error %v)", what, rec.lastErr())
	if want != nil {
		require.ErrorIs(t, rec.lastErr(), want, "%s: the error hook's error", what)
	}
}

func TestAllowEmptyBody(t *testing.T) {
	t.Parallel()
	signedEmpty := func(id string) *http.Request {
		r := webhookstest.NewRequest("/hooks/PAY-7?user_id=admin", nil, webhookstest.Hub{Secret: testSecret})
		webhookstest.SetDelivery(r, id, 0)
		return r
	}

	t.Run("without the option", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(HubSignature(testSecret))
		requireServed(t, rec, signedEmpty("d-1"), http.StatusBadRequest, ErrMalformedBody, "an empty body")
		assert.Zero(t, rec.calls.Load(), "callback calls")
	})

	t.Run("signed", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(HubSignature(testSecret), AllowEmptyBody())
		named := 0
		rec.h.On("", func(context.Context, *Event) error { named++; return nil })
		rec.h.On(IssueUpdated, func(context.Context, *Event) error { named++; return nil })
		var fromCtx Delivery
		rec.h.OnAny(func(ctx context.Context, _ *Event) error { fromCtx, _ = DeliveryFrom(ctx); return nil })
		requireServed(t, rec, signedEmpty("d-1"), http.StatusOK, nil, "a signed empty body")
		require.Equal(t, int32(1), rec.calls.Load(), "OnAny calls")
		require.Zero(t, named, "On calls")
		e := rec.events[0]
		assert.Empty(t, e.Name, "event name")
		assert.Empty(t, e.Raw, "raw body")
		assert.Nil(t, e.Issue, "issue")
		assert.True(t, e.Timestamp.IsZero(), "timestamp %v, want none", e.Timestamp)
		assert.Equal(t, "d-1", e.Delivery.ID, "delivery ID")
		assert.Equal(t, "Primary", e.Delivery.Flow, "delivery flow")
		assert.False(t, e.Delivery.Replay, "delivery marked a replay")
		assert.Equal(t, "d-1", fromCtx.ID, "the context's delivery ID")
		vars, err := URLVariablesOf(e.Delivery.URL, "/hooks/${issue.key}")
		require.NoError(t, err, "URLVariablesOf")
		assert.Equal(t, "PAY-7", vars[VarIssueKey], "issue key from the URL")
		// Duplicates are dropped as usual.
		requireServed(t, rec, signedEmpty("d-1"), http.StatusOK, ErrDuplicate, "duplicate")
		assert.Equal(t, int32(1), rec.calls.Load(), "OnAny calls after the duplicate")
		// A body is decoded as before.
		body := readFixture(t, "issue_updated.json")
		requireServed(t, rec, webhookstest.NewRequest("/hooks", body, webhookstest.Hub{Secret: testSecret}), http.StatusOK, nil, "with a body")
		assert.Equal(t, 1, named, "On calls with a body")
	})

	t.Run("signature still required", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(HubSignature(testSecret), AllowEmptyBody())
		requireServed(t, rec, webhookstest.NewRequest("/hooks", nil, nil), http.StatusUnauthorized, ErrMissingSignature, "unsigned")
		wrong := webhookstest.NewRequest("/hooks", nil, webhookstest.Hub{Secret: []byte("guess")})
		requireServed(t, rec, wrong, http.StatusUnauthorized, ErrInvalidSignature, "wrong secret")
		// The signature of another body does not cover the empty one.
		other := webhookstest.NewRequest("/hooks", nil, nil)
		other.Header.Set("X-Hub-Signature", jwtsign.HubSignature(testSecret, []byte("{}")))
		requireServed(t, rec, other, http.StatusUnauthorized, ErrInvalidSignature, "another body's signature")
		nilVerifier := newRecorder(nil, AllowEmptyBody())
		requireServed(t, nilVerifier, signedEmpty("d-2"), http.StatusInternalServerError, nil, "nil verifier")
		assert.Zero(t, rec.calls.Load(), "callback calls")
		assert.Zero(t, nilVerifier.calls.Load(), "callback calls with a nil verifier")
	})

	t.Run("whitespace is not empty", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(HubSignature(testSecret), AllowEmptyBody())
		r := webhookstest.NewRequest("/hooks", []byte(" \n"), webhookstest.Hub{Secret: testSecret})
		requireServed(t, rec, r, http.StatusBadRequest, ErrMalformedBody, "whitespace")
	})

	t.Run("connect", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(ConnectJWT(connectLookup), AllowEmptyBody())
		r := webhookstest.NewRequest("/hooks", nil, webhookstest.Connect{ClientKey: testClientKey, SharedSecret: testSecret})
		requireServed(t, rec, r, http.StatusOK, nil, "connect")
		require.Len(t, rec.events, 1, "events")
		assert.Equal(t, testClientKey, rec.events[0].Delivery.Tenant, "tenant")
	})

	t.Run("callback error", func(t *testing.T) {
		t.Parallel()
		h := NewHandler(HubSignature(testSecret), AllowEmptyBody())
		calls := 0
		h.OnAny(func(context.Context, *Event) error {
			calls++
			if calls == 1 {
				return errors.New("fail")
			}
			return nil
		})
		rec := &recorder{h: h}
		requireServed(t, rec, signedEmpty("d-3"), http.StatusInternalServerError, nil, "first")
		requireServed(t, rec, signedEmpty("d-3"), http.StatusOK, nil, "retry")
		assert.Equal(t, 2, calls, "callback calls")
	})
}

func TestDeliveryURL(t *testing.T) {
	t.Parallel()
	rec := newRecorder(HubSignature(testSecret))
	body := readFixture(t, "issue_updated.json")
	r := webhookstest.NewRequest("/hooks/PAY%2F1/x?user_id=admin&jwt=a.b.c&b=2&j%77t=d.e.f&jwtx=keep", body, webhookstest.Hub{Secret: testSecret})
	requireServed(t, rec, r, http.StatusOK, nil, "delivery")
	u := rec.events[0].Delivery.URL
	require.NotNil(t, u, "Delivery.URL")
	require.NotSame(t, r.URL, u, "Delivery.URL is the request's URL, not a copy")
	assert.Equal(t, "user_id=admin&b=2&jwtx=keep", u.RawQuery, "Delivery.URL's query, without the jwt parameters")
	assert.Equal(t, "/hooks/PAY%2F1/x", u.EscapedPath(), "Delivery.URL's path")
	assert.Contains(t, r.URL.RawQuery, "jwt=a.b.c", "the request's URL was changed")
	vars, err := URLVariablesOf(u, "/hooks/${issue.key}/x?user_id=${modifiedUser.name}")
	require.NoError(t, err, "URLVariablesOf")
	assert.Equal(t, "PAY/1", vars[VarIssueKey], "issue key")
	assert.Equal(t, "admin", vars[VarModifiedUserName], "user name")

	// The error hook sees the URL of refused deliveries too.
	var hooked Delivery
	h := NewHandler(HubSignature(testSecret), WithErrorHook(func(r *http.Request, _ int, _ error) {
		hooked, _ = DeliveryFrom(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), webhookstest.NewRequest("/refused?jwt=x", body, nil))
	require.NotNil(t, hooked.URL, "the error hook's Delivery.URL")
	assert.Equal(t, "/refused", hooked.URL.String(), "the error hook's Delivery.URL")
}

func TestDeliveryURLCopy(t *testing.T) {
	t.Parallel()
	assert.Nil(t, deliveryURL(nil), "deliveryURL(nil)")
	for in, want := range map[string]string{
		"https://user:pass@app.example.com/h?a=1#frag": "https://app.example.com/h?a=1",
		"https://app.example.com/h?jwt=x":              "https://app.example.com/h",
		"https://app.example.com/h?":                   "https://app.example.com/h?",
		"/h?a=1&jwt&b=2":                               "/h?a=1&b=2",
		"/h?a=%zz&jwt=1":                               "/h?a=%zz",
		"/${issue.key}?k=${project.key}":               "/$%7Bissue.key%7D?k=${project.key}",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(in)
			require.NoError(t, err)
			before := u.String()
			assert.Equal(t, want, deliveryURL(u).String(), "deliveryURL(%q)", in)
			assert.Equal(t, before, u.String(), "deliveryURL changed its input")
		})
	}
}

func TestURLVariablesOfNil(t *testing.T) {
	t.Parallel()
	_, err := URLVariablesOf(nil, "/hooks/${issue.key}")
	assert.ErrorIs(t, err, ErrURLMismatch, "URLVariablesOf(nil)")
	_, err = URLVariables(nil, "/hooks/${issue.key}")
	assert.ErrorIs(t, err, ErrURLMismatch, "URLVariables(nil)")
	_, err = URLVariables(&http.Request{}, "/hooks/${issue.key}")
	assert.ErrorIs(t, err, ErrURLMismatch, "URLVariables(no URL)")
}
