package webhooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// addPayloadSeeds adds every shipped payload to a fuzz corpus.
func payloadSeeds(f *testing.F) [][]byte {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("webhookstest", "payloads", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no payloads: %v", err)
	}
	var out [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
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
			if e != nil {
				t.Fatal("event with error")
			}
			if why := eventShape(body); why == "" {
				t.Fatalf("rejected what encoding/json sees as an event: %v", err)
			}
			return
		}
		if why := eventShape(body); why != "" {
			t.Fatalf("accepted a body encoding/json rejects: %s", why)
		}
		if !json.Valid(body) {
			t.Fatal("accepted invalid JSON")
		}
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
			if EventName(ref.WebhookEvent) != e.Name {
				t.Fatalf("Name = %q, encoding/json says %q", e.Name, ref.WebhookEvent)
			}
		}
		if e.Name == "" {
			t.Fatal("empty name accepted")
		}
		if e.Issue != nil {
			n := 0
			for id, raw := range e.Issue.Fields.All() {
				n++
				if !json.Valid(raw) {
					t.Fatalf("field %q is not valid JSON: %q", id, raw)
				}
				if ref.Issue != nil && ref.Issue.Fields != nil {
					if want, ok := ref.Issue.Fields[id]; ok && string(e.Issue.Fields.Field(id)) != string(want) {
						t.Fatalf("field %q = %s, encoding/json says %s", id, e.Issue.Fields.Field(id), want)
					}
				}
			}
			if ref.Issue != nil && ref.Issue.Fields != nil && len(ref.Issue.Fields) > n {
				t.Fatalf("%d fields, encoding/json sees %d", n, len(ref.Issue.Fields))
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
