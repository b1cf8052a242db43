// Package tools pins the code generator and the linter in a module of its
// own, so that they and what only they need (kin-openapi, its YAML and
// JSON-schema libraries, x/tools, ...) never enter the module graph of
// programs that import jirahooks (.ci/consumer-graph checks it). Run them
// with
//
//	go tool -modfile=internal/tools/go.mod oapi-codegen ...
//	go tool -modfile=internal/tools/go.mod staticcheck ./...
//
// The first is what the go:generate line in the repository root does; the
// second is what .ci/staticcheck runs in every module.
package tools
