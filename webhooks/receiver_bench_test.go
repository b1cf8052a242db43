package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jirahooks/jirahooks/internal/jwtsign"
)

// BenchmarkReceive compares, on one realistic 16 KB jira:issue_updated body:
//
//   - jirahooks: HubSignature verification of the raw bytes plus ParseEvent,
//     what Handler does per delivery besides HTTP;
//   - map: json.Unmarshal into map[string]any, what people write by hand
//     (without even checking a signature);
//   - floor: json.Valid plus HMAC-SHA256 of the same bytes, the least any
//     receiver must do.
//
// Compare them as ratios within one run: go test -bench BenchmarkReceive
// -benchmem -count 6 ./webhooks/ | benchstat -col /sub -
//
// Besides ns/op (wall time), each reports cpu-ns/op: the process's CPU time
// per operation, garbage collection included, which stays meaningful on a
// machine busy with other work.
func BenchmarkReceive(b *testing.B) {
	body := readFixture(b, "issue_updated.json")
	secret := []byte("It's a Secret to Everybody")
	r := httptest.NewRequest(http.MethodPost, "/hooks", nil)
	r.Header.Set("X-Hub-Signature", jwtsign.HubSignature(secret, body))
	v := HubSignature(secret)

	b.Run("sub=jirahooks", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		defer reportCPU(b, processCPU())
		for b.Loop() {
			if err := v.Verify(r, body); err != nil {
				b.Fatal(err)
			}
			e, err := ParseEvent(body)
			if err != nil || e.Issue == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sub=map", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		defer reportCPU(b, processCPU())
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sub=floor", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		defer reportCPU(b, processCPU())
		for b.Loop() {
			if !json.Valid(body) {
				b.Fatal("invalid")
			}
			m := hmac.New(sha256.New, secret)
			m.Write(body)
			_ = m.Sum(nil)
		}
	})
}

// reportCPU reports the CPU time used since start per operation.
func reportCPU(b *testing.B, start time.Duration) {
	if used := processCPU() - start; used > 0 && b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
