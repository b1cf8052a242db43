// Package tools pins the code generator in a module of its own, so that its
// dependencies (kin-openapi, YAML parsers, ...) never enter the module graph
// of programs that import jirahooks. Run it with
//
//	go tool -modfile=internal/tools/go.mod oapi-codegen ...
//
// which is what the go:generate line in the repository root does.
package tools
