package webhooks

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonModule is the import path of go-json-experiment/json; its packages
// (json, jsontext) are an implementation detail of this one.
const jsonModule = "github.com/go-json-experiment/json"

// parsePackage parses the package's non-test files, with their comments.
func parsePackage(t *testing.T) (*gotoken.FileSet, []*ast.File) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := gotoken.NewFileSet()
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		require.NoError(t, err)
		parsed = append(parsed, f)
	}
	require.NotEmpty(t, parsed)
	return fset, parsed
}

// TestAPIHidesJSONModule checks that no exported func, method (of any
// type), type or struct field of the package mentions a package of
// go-json-experiment/json: the module's types in our API would change
// when it is replaced by the standard library's encoding/json/v2.
func TestAPIHidesJSONModule(t *testing.T) {
	t.Parallel()
	_, files := parsePackage(t)
	for _, f := range files {
		// The file's names of the module's packages.
		local := map[string]string{}
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			if path != jsonModule && !strings.HasPrefix(path, jsonModule+"/") {
				continue
			}
			name := path[strings.LastIndexByte(path, '/')+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			local[name] = path
		}
		mentions := func(n ast.Node) string {
			var found string
			ast.Inspect(n, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && local[id.Name] != "" {
						found = local[id.Name] + "." + sel.Sel.Name
					}
				}
				return found == ""
			})
			return found
		}
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if decl.Name.IsExported() {
					assert.Empty(t, mentions(decl.Type), "func %s", decl.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					ts, ok := spec.(*ast.TypeSpec)
					if !ok || !ts.Name.IsExported() {
						continue
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						assert.Empty(t, mentions(ts.Type), "type %s", ts.Name.Name)
						continue
					}
					for _, field := range st.Fields.List {
						exported := len(field.Names) == 0 // embedded
						for _, name := range field.Names {
							exported = exported || name.IsExported()
						}
						if exported {
							assert.Empty(t, mentions(field.Type), "field of %s", ts.Name.Name)
						}
					}
				}
			}
		}
	}
}

// TestUnmarshalJSONTerminates decodes every type of the package that has
// an UnmarshalJSON method with encoding/json, json/v2's defaults (both call
// the method, which decodes with decodeOptions) and decodeOptions. A type
// whose decoder is missing from payloads would call its method again
// forever and overflow the stack; payloadTypes must list every such type,
// which the test finds in the source.
func TestUnmarshalJSONTerminates(t *testing.T) {
	t.Parallel()
	withMethod := map[string]bool{}
	_, files := parsePackage(t)
	for _, f := range files {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "UnmarshalJSON" {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			require.True(t, ok, "UnmarshalJSON of a value receiver")
			withMethod[star.X.(*ast.Ident).Name] = true
		}
	}

	payloadTypes := []any{
		new(User), new(Issue), new(IssueFields), new(IssueType), new(Status),
		new(StatusCategory), new(Priority), new(Resolution), new(Component),
		new(Changelog), new(ChangeItem), new(Comment), new(Visibility),
		new(Worklog), new(Attachment), new(IssueLink), new(IssueLinkType),
		new(Sprint), new(Board), new(Version), new(Project), new(Filter),
		new(Property), new(RichText),
	}
	listed := map[string]bool{}
	for _, v := range payloadTypes {
		listed[reflect.TypeOf(v).Elem().Name()] = true
	}
	require.Equal(t, withMethod, listed, "payloadTypes must list the types with an UnmarshalJSON method")

	decoders := map[string]func([]byte, any) error{
		"encoding/json": json.Unmarshal,
		"json/v2":       func(b []byte, v any) error { return jsonv2.Unmarshal(b, v) },
		"decodeOptions": unmarshal,
	}
	for _, v := range payloadTypes {
		name := reflect.TypeOf(v).Elem().Name()
		for dec, unmarshal := range decoders {
			p := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			require.NoError(t, unmarshal([]byte(`{"id": 12, "self": "s", "name": "n"}`), p), "%s with %s", name, dec)
			wrapped := reflect.New(reflect.StructOf([]reflect.StructField{
				{Name: "V", Type: reflect.TypeOf(v), Tag: `json:"v"`},
				{Name: "S", Type: reflect.SliceOf(reflect.TypeOf(v).Elem()), Tag: `json:"s"`},
			})).Interface()
			require.NoError(t, unmarshal([]byte(`{"v": {"id": "12"}, "s": [{"id": 13}, null]}`), wrapped), "%s in a struct with %s", name, dec)
		}
	}

	// The decoded values are the lenient ones, whoever decodes.
	for dec, unmarshal := range decoders {
		var u struct {
			U *User   `json:"user"`
			P Project `json:"project"`
		}
		require.NoError(t, unmarshal([]byte(`{"user": {"accountId": 7, "active": "true"}, "project": {"id": 10000}}`), &u), dec)
		require.NotNil(t, u.U, dec)
		assert.Equal(t, "7", u.U.AccountID, dec)
		assert.True(t, u.U.Active, dec)
		assert.Equal(t, "10000", u.P.ID, dec)
	}
}
