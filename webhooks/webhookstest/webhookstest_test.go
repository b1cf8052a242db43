package webhookstest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

func TestSignersMatchVerifiers(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	lookup := func(key string) ([]byte, error) {
		if key == "client-1" {
			return secret, nil
		}
		return nil, webhooks.ErrUnknownTenant
	}
	tests := []struct {
		name string
		s    webhookstest.Signer
		v    webhooks.Verifier
		err  error
	}{
		{"hub", webhookstest.Hub{Secret: secret}, webhooks.HubSignature(secret), nil},
		{"hub wrong secret", webhookstest.Hub{Secret: []byte("x")}, webhooks.HubSignature(secret), webhooks.ErrInvalidSignature},
		{"oauth", webhookstest.OAuth{ClientSecret: secret}, webhooks.OAuthJWT(secret), nil},
		{"oauth expired", webhookstest.OAuth{ClientSecret: secret, Now: time.Now().Add(-time.Hour)}, webhooks.OAuthJWT(secret), webhooks.ErrExpiredToken},
		{"connect", webhookstest.Connect{ClientKey: "client-1", SharedSecret: secret}, webhooks.ConnectJWT(lookup), nil},
		{"connect context path", webhookstest.Connect{ClientKey: "client-1", SharedSecret: secret, ContextPath: "/app"}, webhooks.ConnectJWTWithContextPath("/app", lookup), nil},
		{"connect unknown", webhookstest.Connect{ClientKey: "client-2", SharedSecret: secret}, webhooks.ConnectJWT(lookup), webhooks.ErrUnknownTenant},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := webhookstest.Payload("issue_updated")
			r := webhookstest.NewRequest("/app/hooks?site=1", body, tc.s)
			assertVerify(t, tc.err, tc.v.Verify(r, body), "Verify")
			assert.NotEmpty(t, r.Header.Get("X-Atlassian-Webhook-Identifier"), "not a delivery: no identifier in %v", r.Header)
			assert.Equal(t, http.MethodPost, r.Method, "not a delivery")
			cr, err := webhookstest.NewClientRequest("https://app.example.com/app/hooks?site=1", body, tc.s)
			require.NoError(t, err)
			assertVerify(t, tc.err, tc.v.Verify(cr, body), "client request: Verify")
		})
	}
}

// assertVerify checks that a verifier's err is want (errors.Is), or nil
// when want is nil.
func assertVerify(t *testing.T, want, err error, msg string) {
	t.Helper()
	if want == nil {
		assert.NoError(t, err, msg)
		return
	}
	assert.ErrorIs(t, err, want, msg)
}

func TestPayloadsParse(t *testing.T) {
	t.Parallel()
	names := webhookstest.Payloads()
	require.GreaterOrEqual(t, len(names), 20, "too few payloads")
	for _, name := range names {
		e, err := webhooks.ParseEvent(webhookstest.Payload(name))
		if assert.NoError(t, err, name) {
			assert.NotEmpty(t, e.Name, "%s: %+v", name, e)
			assert.False(t, e.Timestamp.IsZero(), "%s: no timestamp: %+v", name, e)
		}
	}
	b := webhookstest.Payload("issue_updated")
	b[0] = 'x'
	assert.Equal(t, byte('{'), webhookstest.Payload("issue_updated")[0], "Payload returns shared memory")
}

func TestSignerErrors(t *testing.T) {
	t.Parallel()
	r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://x/", nil)
	require.NoError(t, err)
	for _, s := range []webhookstest.Signer{webhookstest.Hub{}, webhookstest.OAuth{}, webhookstest.Connect{ClientKey: "k"}} {
		assert.Error(t, s.Sign(r, nil), "%T signed with an empty secret", s)
	}
}

func TestNewDeliveryIDIsAUUID(t *testing.T) {
	t.Parallel()
	const v4 = `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`
	a, b := webhookstest.NewDeliveryID(), webhookstest.NewDeliveryID()
	assert.Regexp(t, v4, a)
	assert.Regexp(t, v4, b)
	assert.NotEqual(t, a, b, "NewDeliveryID gave the same ID twice")
}
