package webhooks

import (
	"go/ast"
	gotoken "go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWireNamesOnlyInTags checks that the event, admin and receiver code
// names no JSON member outside struct tags: every string literal of those
// files that equals the name in a json tag of the package is reported.
// Generated files and tests are not checked, nor literals that are not
// member names although they may spell one: import paths, slog attribute
// keys, and the values compared with a "type" member (ADF node types such
// as "text" or "status").
func TestWireNamesOnlyInTags(t *testing.T) {
	t.Parallel()
	fset, files := parsePackage(t)
	var parsed []*ast.File
	for _, f := range files {
		if !ast.IsGenerated(f) {
			parsed = append(parsed, f)
		}
	}

	// The wire names: every name in a json tag of the package.
	wire := map[string]bool{}
	tags := map[*ast.BasicLit]bool{}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			if field, ok := n.(*ast.Field); ok && field.Tag != nil {
				tags[field.Tag] = true
				tag, err := strconv.Unquote(field.Tag.Value)
				require.NoError(t, err)
				if name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ","); name != "" && name != "-" {
					wire[name] = true
				}
			}
			return true
		})
	}
	require.NotEmpty(t, wire)
	require.Contains(t, wire, "webhookEvent", "the event's tags were not found")
	require.Contains(t, wire, "issue-related-events-section", "the admin tags were not found")

	checked := func(name string) bool {
		for _, prefix := range []string{"event", "admin", "decode", "handler", "urlvars", "verify"} {
			if strings.HasPrefix(name, prefix) {
				return true
			}
		}
		return false
	}
	var found []string
	n := 0
	for _, f := range parsed {
		name := filepath.Base(fset.File(f.Pos()).Name())
		if !checked(name) {
			continue
		}
		n++
		notNames := map[ast.Node]bool{}
		ast.Inspect(f, func(node ast.Node) bool {
			switch node := node.(type) {
			case *ast.ImportSpec:
				notNames[node.Path] = true
			case *ast.CallExpr:
				if sel, ok := node.Fun.(*ast.SelectorExpr); ok && len(node.Args) > 0 {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "slog" {
						notNames[node.Args[0]] = true
					}
				}
			case *ast.SwitchStmt:
				if sel, ok := node.Tag.(*ast.SelectorExpr); ok && sel.Sel.Name == "Type" {
					for _, c := range node.Body.List {
						for _, v := range c.(*ast.CaseClause).List {
							notNames[v] = true
						}
					}
				}
			}
			return true
		})
		ast.Inspect(f, func(node ast.Node) bool {
			if notNames[node] {
				return false
			}
			lit, ok := node.(*ast.BasicLit)
			if !ok || lit.Kind != gotoken.STRING || tags[lit] {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && wire[s] {
				found = append(found, fset.Position(lit.Pos()).String()+": "+lit.Value)
			}
			return true
		})
	}
	assert.GreaterOrEqual(t, n, 8, "too few files checked")
	sort.Strings(found)
	assert.Empty(t, found, "wire names as string literals outside struct tags")
}
