// Package qsh computes the query string hash (qsh) that Atlassian Connect
// puts in its JWTs: the lowercase hex SHA-256 of a canonical form of the
// request's method, path and query.
//
// The same code serves both directions: auth signs outgoing requests with it,
// and the webhooks receiver checks incoming Connect deliveries with it, so the
// two can never disagree.
package qsh

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// ContextQSH is the qsh value Atlassian uses in tokens that are not bound to
// one request (context tokens). Such a token must never authenticate a
// webhook delivery or an API call.
const ContextQSH = "context-qsh"

// Canonical returns the canonical request Atlassian hashes:
//
//	METHOD&path&query
//
// method is upper-cased. path is the request path relative to the app's or
// product's base URL (the caller strips any context path, see [StripContext]);
// an empty path becomes "/", a trailing "/" is dropped, and "&" in the path is
// escaped as %26. The query omits the "jwt" parameter, percent-encodes names
// and values as RFC 3986 requires ("%20" for a space, "~" kept as is, "*"
// escaped), sorts parameters by encoded name (byte order) and joins the
// values of a repeated parameter with "," after sorting them unencoded, as
// Atlassian's reference implementation does.
func Canonical(method, path string, query url.Values) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteByte('&')
	b.WriteString(canonicalPath(path))
	b.WriteByte('&')
	b.WriteString(canonicalQuery(query))
	return b.String()
}

// Hash returns the lowercase hex SHA-256 of [Canonical](method, path, query).
func Hash(method, path string, query url.Values) string {
	sum := sha256.Sum256([]byte(Canonical(method, path, query)))
	return hex.EncodeToString(sum[:])
}

// StripContext returns path relative to the context path of base (for
// example "/jira" in "https://example.com/jira"). A path outside the context
// is returned unchanged.
func StripContext(base, path string) string {
	ctx := strings.TrimSuffix(base, "/")
	if ctx == "" || ctx == path {
		if ctx == path {
			return "/"
		}
		return path
	}
	if rest, ok := strings.CutPrefix(path, ctx); ok && (rest == "" || rest[0] == '/') {
		if rest == "" {
			return "/"
		}
		return rest
	}
	return path
}

func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return strings.ReplaceAll(p, "&", "%26")
}

func canonicalQuery(q url.Values) string {
	// Parameters are sorted by their percent-encoded names, as Atlassian's
	// reference implementation does: the encoded order differs from the raw
	// one when a name mixes escaped and unreserved characters ("a{" sorts
	// before "aa" once encoded as "a%7B").
	type param struct{ enc, raw string }
	keys := make([]param, 0, len(q))
	for k := range q {
		if k != "jwt" {
			keys = append(keys, param{encode(k), k})
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].enc < keys[j].enc })
	var b strings.Builder
	for i, p := range keys {
		k := p.raw
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.enc)
		b.WriteByte('=')
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for j, v := range vals {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(encode(v))
		}
	}
	return b.String()
}

// encode percent-encodes s as RFC 3986 requires: everything but the
// unreserved characters A-Z a-z 0-9 - . _ ~ is escaped, with upper-case hex.
func encode(s string) string {
	const hexUpper = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	out := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			out = append(out, c)
			continue
		}
		out = append(out, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return string(out)
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
