// Package jirahooks is a Go SDK for Jira Cloud webhooks: register and keep
// alive dynamic webhooks through the REST API, and receive, verify and decode
// the callbacks Jira sends.
//
// The module is organised by job:
//
//   - [github.com/jirahooks/jirahooks/webhooks]: the typed REST client, the
//     refresher and the receiver (http.Handler, verifiers, typed events).
//   - [github.com/jirahooks/jirahooks/pagination]: generic offset and cursor
//     pagers with iter.Seq2.
//   - [github.com/jirahooks/jirahooks/auth]: OAuth 2.0 (3LO) with rotating
//     refresh tokens, Basic and Connect JWT credentials.
//   - [github.com/jirahooks/jirahooks/jiratest]: an in-memory Jira for tests.
//   - [github.com/jirahooks/jirahooks/openapi] and
//     [github.com/jirahooks/jirahooks/openapi/admin]: the low-level clients
//     and wire types generated from our OpenAPI documents of the dynamic
//     and admin webhook endpoints, which webhooks.Client and
//     webhooks.AdminClient wrap.
//
// This package holds no code; it carries the go:generate directives that
// regenerates packages openapi and openapi/admin with the pinned generator, which lives in its
// own module (internal/tools) so it never reaches users' module graphs.
package jirahooks

//go:generate go tool -modfile=internal/tools/go.mod oapi-codegen -config openapi/oapi-codegen.yaml openapi/webhooks.yaml
//go:generate go tool -modfile=internal/tools/go.mod oapi-codegen -config openapi/admin/oapi-codegen.yaml openapi/admin/admin.yaml
