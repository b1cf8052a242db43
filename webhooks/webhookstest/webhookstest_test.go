package webhookstest_test

import (
	"errors"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

func TestSignersMatchVerifiers(t *testing.T) {
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
			body := webhookstest.Payload("issue_updated")
			r := webhookstest.NewRequest("/app/hooks?site=1", body, tc.s)
			if err := tc.v.Verify(r, body); !errors.Is(err, tc.err) {
				t.Errorf("Verify = %v, want %v", err, tc.err)
			}
			if r.Header.Get("X-Atlassian-Webhook-Identifier") == "" || r.Method != http.MethodPost {
				t.Errorf("not a delivery: %s %v", r.Method, r.Header)
			}
			cr, err := webhookstest.NewClientRequest("https://app.example.com/app/hooks?site=1", body, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.v.Verify(cr, body); !errors.Is(err, tc.err) {
				t.Errorf("client request: Verify = %v, want %v", err, tc.err)
			}
		})
	}
}

func TestPayloadsParse(t *testing.T) {
	names := webhookstest.Payloads()
	if len(names) < 20 {
		t.Fatalf("only %d payloads", len(names))
	}
	for _, name := range names {
		e, err := webhooks.ParseEvent(webhookstest.Payload(name))
		if err != nil || e.Name == "" || e.Timestamp.IsZero() {
			t.Errorf("%s: %v %+v", name, err, e)
		}
	}
	b := webhookstest.Payload("issue_updated")
	b[0] = 'x'
	if webhookstest.Payload("issue_updated")[0] != '{' {
		t.Error("Payload returns shared memory")
	}
}

func TestSignerErrors(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://x/", nil)
	for _, s := range []webhookstest.Signer{webhookstest.Hub{}, webhookstest.OAuth{}, webhookstest.Connect{ClientKey: "k"}} {
		if err := s.Sign(r, nil); err == nil {
			t.Errorf("%T signed with an empty secret", s)
		}
	}
}

func TestNewDeliveryIDIsAUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := webhookstest.NewDeliveryID(), webhookstest.NewDeliveryID()
	if !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Fatalf("NewDeliveryID gave %q and %q, want two different v4 UUIDs", a, b)
	}
}
