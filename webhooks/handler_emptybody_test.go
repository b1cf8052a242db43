package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jirahooks/jirahooks/internal/jwtsign"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

func TestAllowEmptyBody(t *testing.T) {
	signedEmpty := func(id string) *http.Request {
		r := webhookstest.NewRequest("/hooks/PAY-7?user_id=admin", nil, webhookstest.Hub{Secret: testSecret})
		webhookstest.SetDelivery(r, id, 0)
		return r
	}

	t.Run("without the option", func(t *testing.T) {
		rec := newRecorder(HubSignature(testSecret))
		if code := rec.serve(signedEmpty("d-1")).Code; code != 400 || !errors.Is(rec.lastErr(), ErrMalformedBody) {
			t.Fatalf("status %d, error %v; want 400, ErrMalformedBody", code, rec.lastErr())
		}
		if rec.calls.Load() != 0 {
			t.Fatal("callback called")
		}
	})

	t.Run("signed", func(t *testing.T) {
		rec := newRecorder(HubSignature(testSecret), AllowEmptyBody())
		named := 0
		rec.h.On("", func(context.Context, *Event) error { named++; return nil })
		rec.h.On(IssueUpdated, func(context.Context, *Event) error { named++; return nil })
		var fromCtx Delivery
		rec.h.OnAny(func(ctx context.Context, _ *Event) error { fromCtx, _ = DeliveryFrom(ctx); return nil })
		if code := rec.serve(signedEmpty("d-1")).Code; code != 200 {
			t.Fatalf("status %d (error %v)", code, rec.lastErr())
		}
		if rec.calls.Load() != 1 || named != 0 {
			t.Fatalf("OnAny ran %d times, On %d; want 1 and 0", rec.calls.Load(), named)
		}
		e := rec.events[0]
		if e.Name != "" || len(e.Raw) != 0 || e.Issue != nil || !e.Timestamp.IsZero() {
			t.Fatalf("event = %+v", e)
		}
		if e.Delivery.ID != "d-1" || e.Delivery.Flow != "Primary" || e.Delivery.Replay || fromCtx.ID != "d-1" {
			t.Fatalf("Delivery = %+v, from ctx %+v", e.Delivery, fromCtx)
		}
		if vars, err := URLVariablesOf(e.Delivery.URL, "/hooks/${issue.key}"); err != nil || vars[VarIssueKey] != "PAY-7" {
			t.Fatalf("URLVariablesOf = %v, %v", vars, err)
		}
		// Duplicates are dropped as usual.
		if code := rec.serve(signedEmpty("d-1")).Code; code != 200 || !errors.Is(rec.lastErr(), ErrDuplicate) || rec.calls.Load() != 1 {
			t.Fatalf("duplicate: status %d, error %v, calls %d", code, rec.lastErr(), rec.calls.Load())
		}
		// A body is decoded as before.
		body := readFixture(t, "issue_updated.json")
		if code := rec.serve(webhookstest.NewRequest("/hooks", body, webhookstest.Hub{Secret: testSecret})).Code; code != 200 || named != 1 {
			t.Fatalf("with a body: status %d, On ran %d times", code, named)
		}
	})

	t.Run("signature still required", func(t *testing.T) {
		rec := newRecorder(HubSignature(testSecret), AllowEmptyBody())
		unsigned := webhookstest.NewRequest("/hooks", nil, nil)
		if code := rec.serve(unsigned).Code; code != 401 || !errors.Is(rec.lastErr(), ErrMissingSignature) {
			t.Fatalf("unsigned: status %d, error %v", code, rec.lastErr())
		}
		wrong := webhookstest.NewRequest("/hooks", nil, webhookstest.Hub{Secret: []byte("guess")})
		if code := rec.serve(wrong).Code; code != 401 || !errors.Is(rec.lastErr(), ErrInvalidSignature) {
			t.Fatalf("wrong secret: status %d, error %v", code, rec.lastErr())
		}
		// The signature of another body does not cover the empty one.
		other := webhookstest.NewRequest("/hooks", nil, nil)
		other.Header.Set("X-Hub-Signature", jwtsign.HubSignature(testSecret, []byte("{}")))
		if code := rec.serve(other).Code; code != 401 || !errors.Is(rec.lastErr(), ErrInvalidSignature) {
			t.Fatalf("another body's signature: status %d, error %v", code, rec.lastErr())
		}
		nilVerifier := newRecorder(nil, AllowEmptyBody())
		if code := nilVerifier.serve(signedEmpty("d-2")).Code; code != 500 {
			t.Fatalf("nil verifier: status %d", code)
		}
		if rec.calls.Load() != 0 || nilVerifier.calls.Load() != 0 {
			t.Fatal("callback called")
		}
	})

	t.Run("whitespace is not empty", func(t *testing.T) {
		rec := newRecorder(HubSignature(testSecret), AllowEmptyBody())
		r := webhookstest.NewRequest("/hooks", []byte(" \n"), webhookstest.Hub{Secret: testSecret})
		if code := rec.serve(r).Code; code != 400 || !errors.Is(rec.lastErr(), ErrMalformedBody) {
			t.Fatalf("status %d, error %v", code, rec.lastErr())
		}
	})

	t.Run("connect", func(t *testing.T) {
		rec := newRecorder(ConnectJWT(connectLookup), AllowEmptyBody())
		r := webhookstest.NewRequest("/hooks", nil, webhookstest.Connect{ClientKey: testClientKey, SharedSecret: testSecret})
		if code := rec.serve(r).Code; code != 200 || rec.events[0].Delivery.Tenant != testClientKey {
			t.Fatalf("status %d (error %v)", code, rec.lastErr())
		}
	})

	t.Run("callback error", func(t *testing.T) {
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
		if code := rec.serve(signedEmpty("d-3")).Code; code != 500 {
			t.Fatalf("first: %d", code)
		}
		if code := rec.serve(signedEmpty("d-3")).Code; code != 200 || calls != 2 {
			t.Fatalf("retry: %d, calls %d", code, calls)
		}
	})
}

func TestDeliveryURL(t *testing.T) {
	rec := newRecorder(HubSignature(testSecret))
	body := readFixture(t, "issue_updated.json")
	r := webhookstest.NewRequest("/hooks/PAY%2F1/x?user_id=admin&jwt=a.b.c&b=2&j%77t=d.e.f&jwtx=keep", body, webhookstest.Hub{Secret: testSecret})
	if code := rec.serve(r).Code; code != 200 {
		t.Fatalf("status %d", code)
	}
	u := rec.events[0].Delivery.URL
	if u == nil {
		t.Fatal("Delivery.URL is nil")
	}
	if u == r.URL {
		t.Fatal("Delivery.URL is the request's URL, not a copy")
	}
	if u.RawQuery != "user_id=admin&b=2&jwtx=keep" || u.EscapedPath() != "/hooks/PAY%2F1/x" {
		t.Fatalf("Delivery.URL = %q (query %q)", u.String(), u.RawQuery)
	}
	if !strings.Contains(r.URL.RawQuery, "jwt=a.b.c") {
		t.Fatal("the request's URL was changed")
	}
	vars, err := URLVariablesOf(u, "/hooks/${issue.key}/x?user_id=${modifiedUser.name}")
	if err != nil || vars[VarIssueKey] != "PAY/1" || vars[VarModifiedUserName] != "admin" {
		t.Fatalf("URLVariablesOf = %v, %v", vars, err)
	}

	// The error hook sees the URL of refused deliveries too.
	var hooked Delivery
	h := NewHandler(HubSignature(testSecret), WithErrorHook(func(r *http.Request, _ int, _ error) {
		hooked, _ = DeliveryFrom(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), webhookstest.NewRequest("/refused?jwt=x", body, nil))
	if hooked.URL == nil || hooked.URL.String() != "/refused" {
		t.Fatalf("error hook Delivery.URL = %v", hooked.URL)
	}
}

func TestDeliveryURLCopy(t *testing.T) {
	if deliveryURL(nil) != nil {
		t.Error("deliveryURL(nil) != nil")
	}
	for in, want := range map[string]string{
		"https://user:pass@app.example.com/h?a=1#frag": "https://app.example.com/h?a=1",
		"https://app.example.com/h?jwt=x":              "https://app.example.com/h",
		"https://app.example.com/h?":                   "https://app.example.com/h?",
		"/h?a=1&jwt&b=2":                               "/h?a=1&b=2",
		"/h?a=%zz&jwt=1":                               "/h?a=%zz",
		"/${issue.key}?k=${project.key}":               "/$%7Bissue.key%7D?k=${project.key}",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		before := u.String()
		if got := deliveryURL(u).String(); got != want {
			t.Errorf("deliveryURL(%q) = %q, want %q", in, got, want)
		}
		if u.String() != before {
			t.Errorf("deliveryURL changed its input %q to %q", before, u.String())
		}
	}
}

func TestURLVariablesOfNil(t *testing.T) {
	if _, err := URLVariablesOf(nil, "/hooks/${issue.key}"); !errors.Is(err, ErrURLMismatch) {
		t.Errorf("URLVariablesOf(nil) = %v", err)
	}
	if _, err := URLVariables(nil, "/hooks/${issue.key}"); !errors.Is(err, ErrURLMismatch) {
		t.Errorf("URLVariables(nil) = %v", err)
	}
	if _, err := URLVariables(&http.Request{}, "/hooks/${issue.key}"); !errors.Is(err, ErrURLMismatch) {
		t.Errorf("URLVariables(no URL) = %v", err)
	}
}
