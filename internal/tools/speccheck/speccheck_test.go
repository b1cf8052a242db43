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
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../../.."

func load(t *testing.T, path string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return doc
}

func officialSpec(t *testing.T, version string) string {
	t.Helper()
	// CI lays shared/ beside the clone; a developer's checkout has it at
	// ../shared as well.
	p := filepath.Join(repoRoot, "..", "shared", "jira", "spec", "webhooks-v"+version+".excerpt.json")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("official definitions not found (%v); they ship in the steering repo's shared/jira/spec", err)
	}
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
	ours := load(t, filepath.Join(repoRoot, "openapi", "webhooks.yaml"))
	for _, version := range []string{"2", "3"} {
		t.Run("v"+version, func(t *testing.T) {
			official := load(t, officialSpec(t, version))
			want := operations(official, "/rest/api/"+version)
			got := operations(ours, "")
			if len(got) != len(want) {
				t.Errorf("operations: ours has %d, official %d", len(got), len(want))
			}
			for key, w := range want {
				g, ok := got[key]
				if !ok {
					t.Errorf("%s (%s) missing from our document", key, w.id)
					continue
				}
				if g.id != w.id {
					t.Errorf("%s: operationId %q, official %q", key, g.id, w.id)
				}
				if !slices.Equal(g.params, w.params) {
					t.Errorf("%s: parameters\n ours     %v\n official %v", key, g.params, w.params)
				}
				if g.body != w.body || g.bodyRequired != w.bodyRequired {
					t.Errorf("%s: request body\n ours     %s (required %v)\n official %s (required %v)", key, g.body, g.bodyRequired, w.body, w.bodyRequired)
				}
				if !slices.Equal(g.responses, w.responses) {
					t.Errorf("%s: responses\n ours     %v\n official %v", key, g.responses, w.responses)
				}
			}
			for name, ws := range official.Components.Schemas {
				gs, ok := ours.Components.Schemas[name]
				if !ok {
					t.Errorf("schema %s missing from our document", name)
					continue
				}
				if g, w := describe(gs, 0), describe(ws, 0); g != w {
					t.Errorf("schema %s differs\n ours     %s\n official %s", name, g, w)
				}
			}
			for name := range ours.Components.Schemas {
				if official.Components.Schemas[name] == nil {
					t.Errorf("schema %s is ours only; the official definitions have no such schema", name)
				}
			}
		})
	}
}
