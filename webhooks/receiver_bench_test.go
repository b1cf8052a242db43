package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/cputime"
	"github.com/jirahooks/jirahooks/internal/jwtsign"
)

// BenchmarkReceive compares, on two real-shaped jira:issue_updated bodies
// (body=16KB: webhookstest/payloads/issue_updated.json; body=80KB:
// testdata/issue_updated_large.json, the same issue with 180 fields, most
// of them custom, a long ADF description and more changelog items):
//
//   - jirahooks: HubSignature verification of the raw bytes plus ParseEvent,
//     what Handler does per delivery besides HTTP;
//   - stdlib: the same verification plus encoding/json.Unmarshal into the
//     same types (stdlibEvent: Event's parts, with the timestamp as a plain
//     number, which encoding/json cannot turn into a time.Time); the parts
//     decode through their UnmarshalJSON methods, as encoding/json decodes
//     them for any user;
//   - map: json.Unmarshal into map[string]any, what people write by hand
//     (without even checking a signature);
//   - floor: json.Valid plus HMAC-SHA256 of the same bytes, the least any
//     receiver that looks at the JSON must do;
//   - hmac: HMAC-SHA256 of the body alone.
//
// Compare them as ratios within one run: go test -run NONE -bench
// BenchmarkReceive -benchmem -count 6 ./webhooks/ | benchstat -col /sub -
//
// Besides ns/op (wall time), each reports cpu-ns/op: the process's CPU time
// per operation, garbage collection included, which stays meaningful on a
// machine busy with other work.
//
// The checks inside the timed loops stay behind a plain if and call require
// only once they have failed: require marks itself a test helper on every
// call, a cost the loops would otherwise measure.
func BenchmarkReceive(b *testing.B) {
	large, err := os.ReadFile(filepath.Join("testdata", "issue_updated_large.json"))
	require.NoError(b, err)
	for _, body := range []struct {
		name string
		b    []byte
	}{{"16KB", readFixture(b, "issue_updated.json")}, {"80KB", large}} {
		b.Run("body="+body.name, func(b *testing.B) { benchmarkReceive(b, body.b) })
	}
}

func benchmarkReceive(b *testing.B, body []byte) {
	secret := []byte("It's a Secret to Everybody")
	r := httptest.NewRequest(http.MethodPost, "/hooks", nil)
	r.Header.Set("X-Hub-Signature", jwtsign.HubSignature(secret, body))
	v := HubSignature(secret)
	run := func(name string, op func()) {
		b.Run("sub="+name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			defer reportCPU(b, cputime.Process())
			for b.Loop() {
				op()
			}
		})
	}
	run("jirahooks", func() {
		if err := v.Verify(r, body); err != nil {
			require.NoError(b, err, "Verify")
		}
		e, err := ParseEvent(body)
		if err != nil || e.Issue == nil {
			require.NoError(b, err, "ParseEvent")
			require.NotNil(b, e.Issue, "ParseEvent: no issue")
		}
	})
	run("stdlib", func() {
		if err := v.Verify(r, body); err != nil {
			require.NoError(b, err, "Verify")
		}
		var e stdlibEvent
		if err := json.Unmarshal(body, &e); err != nil || e.Issue == nil {
			require.NoError(b, err, "json.Unmarshal")
			require.NotNil(b, e.Issue, "json.Unmarshal: no issue")
		}
	})
	run("map", func() {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			require.NoError(b, err, "json.Unmarshal")
		}
	})
	run("floor", func() {
		if !json.Valid(body) {
			require.Fail(b, "json.Valid: invalid body")
		}
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		_ = m.Sum(nil)
	})
	run("hmac", func() {
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		_ = m.Sum(nil)
	})
}

// stdlibEvent is Event as encoding/json can decode it.
type stdlibEvent struct {
	Name               EventName       `json:"webhookEvent"`
	Timestamp          int64           `json:"timestamp"`
	IssueEventTypeName string          `json:"issue_event_type_name"`
	MatchedWebhookIDs  []int64         `json:"matchedWebhookIds"`
	User               *User           `json:"user"`
	Issue              *Issue          `json:"issue"`
	Changelog          *Changelog      `json:"changelog"`
	Comment            *Comment        `json:"comment"`
	Worklog            *Worklog        `json:"worklog"`
	Attachment         *Attachment     `json:"attachment"`
	IssueLink          *IssueLink      `json:"issueLink"`
	Sprint             *Sprint         `json:"sprint"`
	OldValue           json.RawMessage `json:"oldValue"`
	Board              *Board          `json:"board"`
	BoardConfiguration json.RawMessage `json:"configuration"`
	Version            *Version        `json:"version"`
	MergedTo           *Version        `json:"mergedTo"`
	Project            *Project        `json:"project"`
	Filter             *Filter         `json:"filter"`
	Property           *Property       `json:"property"`
}

// reportCPU reports the CPU time used since start per operation.
func reportCPU(b *testing.B, start time.Duration) {
	if used := cputime.Process() - start; used > 0 && b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkField measures reading custom fields of the 80 KB body: first,
// ParseEvent plus the first Field call, which lists the issue's fields once;
// then, a Field call on an issue whose fields are listed already.
func BenchmarkField(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "issue_updated_large.json"))
	require.NoError(b, err)
	const id = "customfield_10020"
	b.Run("sub=first", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e, err := ParseEvent(body)
			if err != nil || e.Issue.Fields.Field(id) == nil {
				// Behind an if, as in BenchmarkReceive.
				require.NoError(b, err, "ParseEvent")
				require.NotNil(b, e.Issue.Fields.Field(id), "field %s", id)
			}
		}
	})
	b.Run("sub=next", func(b *testing.B) {
		e, err := ParseEvent(body)
		require.NoError(b, err, "ParseEvent")
		require.NotNil(b, e.Issue, "ParseEvent: no issue")
		require.NotNil(b, e.Issue.Fields.Field(id), "field %s", id)
		b.ReportAllocs()
		for b.Loop() {
			if e.Issue.Fields.Field(id) == nil {
				require.Fail(b, "no field "+id)
			}
		}
	})
}
