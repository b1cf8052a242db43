package webhooks

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/jwtsign"
)

// FuzzHandler feeds arbitrary bodies and credentials to handlers of the
// three kinds. It checks that nothing panics, that only the documented
// statuses come back, that a callback runs only for a 200 and sees the exact
// body, and that no made-up credential is ever accepted.
//
// The checks are plain conditions that call testify only once they failed:
// its reflection on every input cost 17% of the executions a second.
func FuzzHandler(f *testing.F) {
	for _, b := range payloadSeeds(f) {
		f.Add(b, uint8(0), "")
	}
	f.Add([]byte(`{"webhookEvent":"x"}`), uint8(1), "sha256=00")
	f.Add([]byte(`{"webhookEvent":"x"}`), uint8(1), "sha512=zz")
	f.Add([]byte(`{"webhookEvent":"x"}`), uint8(2), "Bearer eyJhbGciOiJub25lIn0.eyJleHAiOjF9.")
	f.Add([]byte(`{"webhookEvent":"x"}`), uint8(3), "JWT a.b.c")
	f.Add([]byte(`{`), uint8(0), "")
	f.Add([]byte{}, uint8(0), "")
	f.Add([]byte(`{"webhookEvent":"x"}`), uint8(4), "GET")

	secret := []byte("fuzz secret")
	const limit = 64 << 10
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, header string) {
		var v Verifier
		switch mode % 5 {
		case 0, 1, 4:
			v = HubSignature(secret)
		case 2:
			v = OAuthJWT(secret)
		case 3:
			v = ConnectJWT(func(string) ([]byte, error) { return secret, nil })
		}
		calls := 0
		h := NewHandler(v, WithMaxBodySize(limit))
		h.OnAny(func(_ context.Context, e *Event) error {
			calls++
			if !bytes.Equal(e.Raw, body) {
				assert.Fail(t, "the callback sees another body")
			}
			return nil
		})
		method := http.MethodPost
		if mode%5 == 4 && header != "" && validMethod(header) {
			method = header
		}
		r := httptest.NewRequest(method, "/hooks?x=1", bytes.NewReader(body))
		good := jwtsign.HubSignature(secret, body)
		switch mode % 5 {
		case 0, 4:
			r.Header.Set("X-Hub-Signature", good)
		case 1:
			r.Header.Set("X-Hub-Signature", header)
		case 2, 3:
			r.Header.Set("Authorization", header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)

		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge:
		default:
			require.Failf(t, "an undocumented status", "status %d", rec.Code)
		}
		if calls > 1 || calls == 1 && rec.Code != http.StatusOK {
			require.Failf(t, "a callback ran for a refused delivery, or twice", "%d callbacks with status %d", calls, rec.Code)
		}
		if rec.Code != http.StatusOK && rec.Body.String() != http.StatusText(rec.Code)+"\n" {
			require.Failf(t, "an error answer says more than its status", "error body %q", rec.Body.String())
		}
		switch mode % 5 {
		case 0:
			_, perr := ParseEvent(body)
			want := http.StatusOK
			switch {
			case len(body) > limit:
				want = http.StatusRequestEntityTooLarge
			case perr != nil:
				want = http.StatusBadRequest
			}
			if rec.Code != want || (want == http.StatusOK) != (calls == 1) {
				require.Failf(t, "a signed body", "status %d calls %d, want %d", rec.Code, calls, want)
			}
		case 1:
			if rec.Code == http.StatusOK && !equalFoldSig(header, good) {
				require.Failf(t, "a forged signature accepted", "header %q", header)
			}
		case 2, 3:
			if rec.Code == http.StatusOK {
				require.Failf(t, "a made-up token accepted", "header %q", header)
			}
		}
	})
}

func validMethod(m string) bool {
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// equalFoldSig reports whether a header denotes the same sha256 signature
// (the method name and hex digits are case-insensitive).
func equalFoldSig(header, good string) bool {
	return bytes.EqualFold(bytes.TrimSpace([]byte(header)), []byte(good))
}
