// Package tools pins the code generator in a module of its own, so that it
// and what only it needs (kin-openapi, its YAML and JSON-schema libraries,
// ...) never enter the module graph of programs that import jirahooks
// (.ci/consumer-graph checks it). Run it with
//
//	go tool -modfile=internal/tools/go.mod oapi-codegen ...
//
// which is what the go:generate line in the repository root does.
package tools
