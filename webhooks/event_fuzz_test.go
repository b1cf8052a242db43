package webhooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// payloadSeeds returns every shipped payload, for a fuzz corpus.
func payloadSeeds(f *testing.F) [][]byte {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("webhookstest", "payloads", "*.json"))
	require.NoError(f, err)
	require.NotEmpty(f, files, "payloads")
	var out [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		out = append(out, b)
	}
	return out
}

// FuzzParseEvent checks that ParseEvent never panics, that its JSON
// validation agrees exactly with encoding/json, and that what it decodes
// agrees with encoding/json on the same body.
func FuzzParseEvent(f *testing.F) {
	for _, b := range payloadSeeds(f) {
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `null`, `{"webhookEvent":"x"}`, `{"webhookEvent":"x","issue":{"fields":{"a\u0062":1}}}`,
		`{"webhookEvent":"jira:issue_updated","changelog":{"id":1,"items":[{"from":1e3}]}}`,
		`{"webhookEvent":"x","timestamp":-1e400}`, `[{"webhookEvent":"x"}]`, `{"webhookEvent":"\ud800"}`,
		`{"webhookEvent":"x","sprint":{"id":"7"},"oldValue":{"id":6}}`, "{\"webhookEvent\":\"x\"\x00}",
		// Keys match exactly, as JSON has them; encoding/json's structs would
		// also match these case variants.
		`{"webhookEvent":"y","WEBHOOKEVENT":"x"}`,
		`{"webhookEvent":"y","issue":{"fields":{"a":1}},"ISSUE":{"fields":{"b":2}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := ParseEvent(body)
		if err != nil {
			require.Nil(t, e, "event with error %v", err)
			require.NotEmpty(t, eventShape(body), "rejected what encoding/json sees as an event: %v", err)
			return
		}
		require.Empty(t, eventShape(body), "accepted a body encoding/json rejects")
		require.True(t, json.Valid(body), "accepted invalid JSON")
		// The reference decodes into maps, not structs: struct fields would
		// also take keys that differ in case ("WEBHOOKEVENT"), which
		// ParseEvent rightly ignores; maps match keys exactly, the last
		// duplicate winning, as ParseEvent does.
		var ref struct {
			WebhookEvent string
			Issue        *struct{ Fields map[string]json.RawMessage }
		}
		var top, issue map[string]json.RawMessage
		if json.Unmarshal(body, &top) == nil {
			_ = json.Unmarshal(top["webhookEvent"], &ref.WebhookEvent)
			if json.Unmarshal(top["issue"], &issue) == nil && issue != nil {
				ref.Issue = new(struct{ Fields map[string]json.RawMessage })
				_ = json.Unmarshal(issue["fields"], &ref.Issue.Fields)
			}
			require.Equal(t, EventName(ref.WebhookEvent), e.Name, "Name, against encoding/json's")
		}
		require.NotEmpty(t, e.Name, "empty name accepted")
		if e.Issue != nil {
			n := 0
			for id, raw := range e.Issue.Fields.All() {
				n++
				require.True(t, json.Valid(raw), "field %q is not valid JSON: %q", id, raw)
				if ref.Issue != nil && ref.Issue.Fields != nil {
					if want, ok := ref.Issue.Fields[id]; ok {
						require.Equal(t, string(want), string(e.Issue.Fields.Field(id)), "field %q, against encoding/json's", id)
					}
				}
			}
			if ref.Issue != nil && ref.Issue.Fields != nil {
				require.GreaterOrEqual(t, n, len(ref.Issue.Fields), "fields, against those encoding/json sees")
			}
			_ = e.Issue.Fields.Description.String()
		}
		if e.Comment != nil {
			_ = e.Comment.Body.String()
		}
		if e.Worklog != nil {
			_ = e.Worklog.Comment.String()
		}
	})
}

// eventShape says, using encoding/json alone, why body is not an event
// ParseEvent must accept, or "" if it is one: valid JSON, an object, a
// non-empty string "webhookEvent" and every part an object or null.
func eventShape(body []byte) string {
	if !json.Valid(body) {
		return "invalid JSON"
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return "not an object"
	}
	var name string
	if json.Unmarshal(top["webhookEvent"], &name) != nil || name == "" {
		return "no webhookEvent"
	}
	for _, part := range []string{"user", "issue", "changelog", "comment", "worklog", "attachment", "issueLink",
		"sprint", "board", "version", "mergedTo", "project", "filter", "property"} {
		if v, ok := top[part]; ok && v[0] != '{' && string(v) != "null" {
			return part + " is not an object"
		}
	}
	return ""
}
