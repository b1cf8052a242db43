// Package speccheck holds a test that keeps our OpenAPI document
// (openapi/webhooks.yaml) faithful to Atlassian's official definitions of the
// webhook operations, which the steering repository ships in
// shared/jira/spec. It lives in the tools module because it needs an OpenAPI
// parser that must stay out of the library's module graph.
package speccheck

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../../.."

func load(t *testing.T, path string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	require.NoError(t, err, "load %s", path)
	return doc
}

func officialSpec(t *testing.T, version string) string {
	t.Helper()
	// CI lays shared/ beside the clone; a developer's checkout has it at
	// ../shared as well.
	p := filepath.Join(repoRoot, "..", "shared", "jira", "spec", "webhooks-v"+version+".excerpt.json")
	_, err := os.Stat(p)
	require.NoError(t, err, "official definitions not found; they ship in the steering repo's shared/jira/spec")
	return p
}

// describe renders the parts of a schema that matter on the wire: types,
// formats, required properties, enums, array items and references. Prose,
// examples and x- extensions are left out.
func describe(s *openapi3.SchemaRef, depth int) string {
	if s == nil {
		return "<nil>"
	}
	if s.Ref != "" && depth > 0 {
		return "$ref:" + s.Ref[strings.LastIndex(s.Ref, "/")+1:]
	}
	v := s.Value
	var b strings.Builder
	if v.Type != nil {
		fmt.Fprintf(&b, "type=%s", strings.Join(v.Type.Slice(), "|"))
	}
	if v.Format != "" {
		fmt.Fprintf(&b, " format=%s", v.Format)
	}
	if v.ReadOnly {
		b.WriteString(" readOnly")
	}
	if len(v.Enum) > 0 {
		e := make([]string, len(v.Enum))
		for i, x := range v.Enum {
			e[i] = fmt.Sprint(x)
		}
		sort.Strings(e)
		fmt.Fprintf(&b, " enum=%v", e)
	}
	if ap := v.AdditionalProperties; ap.Has != nil {
		fmt.Fprintf(&b, " additionalProperties=%v", *ap.Has)
	} else if ap.Schema != nil {
		fmt.Fprintf(&b, " additionalProperties={%s}", describe(ap.Schema, depth+1))
	}
	if v.Items != nil {
		fmt.Fprintf(&b, " items={%s}", describe(v.Items, depth+1))
	}
	if len(v.Required) > 0 {
		r := slices.Clone(v.Required)
		sort.Strings(r)
		fmt.Fprintf(&b, " required=%v", r)
	}
	names := make([]string, 0, len(v.Properties))
	for n := range v.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, " %s:{%s}", n, describe(v.Properties[n], depth+1))
	}
	return b.String()
}

func contentSchema(content openapi3.Content) string {
	mt := content.Get("application/json")
	if mt == nil {
		return "<none>"
	}
	return describe(mt.Schema, 1)
}

type operation struct {
	path, method, id string
	params           []string
	body             string
	bodyRequired     bool
	responses        []string
}

func operations(doc *openapi3.T, prefix string) map[string]operation {
	ops := map[string]operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := operation{path: strings.TrimPrefix(path, prefix), method: method, id: op.OperationID}
			for _, p := range op.Parameters {
				o.params = append(o.params, fmt.Sprintf("%s in %s {%s}", p.Value.Name, p.Value.In, describe(p.Value.Schema, 0)))
			}
			sort.Strings(o.params)
			if op.RequestBody != nil {
				o.body = contentSchema(op.RequestBody.Value.Content)
				o.bodyRequired = op.RequestBody.Value.Required
			}
			for code, r := range op.Responses.Map() {
				o.responses = append(o.responses, code+" "+contentSchema(r.Value.Content))
			}
			sort.Strings(o.responses)
			ops[o.method+" "+o.path] = o
		}
	}
	return ops
}

func TestFaithfulToOfficialDefinitions(t *testing.T) {
	t.Parallel()
	ours := load(t, filepath.Join(repoRoot, "openapi", "webhooks.yaml"))
	for _, version := range []string{"2", "3"} {
		t.Run("v"+version, func(t *testing.T) {
			t.Parallel()
			official := load(t, officialSpec(t, version))
			want := operations(official, "/rest/api/"+version)
			got := operations(ours, "")
			assert.Len(t, got, len(want), "operations: ours against the official ones")
			for key, w := range want {
				g, ok := got[key]
				if !assert.True(t, ok, "%s (%s) missing from our document", key, w.id) {
					continue
				}
				assert.Equal(t, w.id, g.id, "%s: operationId", key)
				assert.Equal(t, w.params, g.params, "%s: parameters", key)
				assert.Equal(t, w.body, g.body, "%s: request body", key)
				assert.Equal(t, w.bodyRequired, g.bodyRequired, "%s: request body required", key)
				assert.Equal(t, w.responses, g.responses, "%s: responses", key)
			}
			for name, ws := range official.Components.Schemas {
				gs, ok := ours.Components.Schemas[name]
				if !assert.True(t, ok, "schema %s missing from our document", name) {
					continue
				}
				assert.Equal(t, describe(ws, 0), describe(gs, 0), "schema %s differs (expected: official, actual: ours)", name)
			}
			for name := range ours.Components.Schemas {
				assert.NotNil(t, official.Components.Schemas[name], "schema %s is ours only; the official definitions have no such schema", name)
			}
		})
	}
}
