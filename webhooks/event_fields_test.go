package webhooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIssueFieldsConcurrentFirstUse reads the fields of one event from
// several goroutines at once, the first use listing them (run with -race).
func TestIssueFieldsConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("testdata", "issue_updated_large.json"))
	require.NoError(t, err)
	e, err := ParseEvent(body)
	require.NoError(t, err)
	var wire struct {
		Issue struct {
			Fields map[string]json.RawMessage `json:"fields"`
		} `json:"issue"`
	}
	require.NoError(t, json.Unmarshal(body, &wire))
	want := wire.Issue.Fields
	require.Greater(t, len(want), 150)

	copied := *e.Issue // a copy shares the listing
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			f := &e.Issue.Fields
			if i%2 == 1 {
				f = &copied.Fields
			}
			assert.Equal(t, len(want), f.Len())
			for id, raw := range want {
				assert.Equal(t, string(raw), string(f.Field(id)), id)
			}
		})
	}
	wg.Wait()
	assert.Nil(t, e.Issue.Fields.Field("customfield_00000"))
}

// TestIssueFieldsOutsideParseEvent decodes issues the other ways: as part
// of someone else's struct, with encoding/json or json/v2's defaults.
func TestIssueFieldsOutsideParseEvent(t *testing.T) {
	t.Parallel()
	const in = `{"wrapper": {"id": 7, "key": "PAY-7", "fields": {"summary": "s", "customfield_1": [1, 2], "labels": ["a", 3, "b"]}}}`
	for name, unmarshal := range map[string]func([]byte, any) error{
		"encoding/json": json.Unmarshal,
		"json/v2":       func(b []byte, v any) error { return jsonv2.Unmarshal(b, v) },
	} {
		var v struct {
			Wrapper Issue `json:"wrapper"`
		}
		require.NoError(t, unmarshal([]byte(in), &v), name)
		f := v.Wrapper.Fields
		assert.Equal(t, "7", v.Wrapper.ID, name)
		assert.Equal(t, "s", f.Summary, name)
		assert.Equal(t, []string{"a", "b"}, f.Labels, name)
		assert.Equal(t, "[1, 2]", string(f.Field("customfield_1")), name)
		assert.Equal(t, 3, f.Len(), name)
	}

	var fields IssueFields
	require.NoError(t, json.Unmarshal([]byte(`{"summary": 5, "duedate": "2026-12-24"}`), &fields))
	assert.Equal(t, "5", fields.Summary)
	assert.Equal(t, 2026, fields.DueDate.Year())
	assert.Equal(t, "5", string(fields.Field("summary")))

	var zero IssueFields
	assert.Nil(t, zero.Field("summary"))
	assert.Zero(t, zero.Len())
}
