package webhooks

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors of the Client. Check them with errors.Is.
var (
	// ErrNoWebhooks: Register was called without webhooks. No request
	// is sent.
	ErrNoWebhooks = errors.New("webhooks: no webhooks to register")

	// ErrNoIDs: Refresh or Delete was called without webhook IDs. No
	// request is sent.
	ErrNoIDs = errors.New("webhooks: no webhook IDs")

	// ErrInvalidID: a webhook ID was 0 or negative, as the ID of a
	// refused [Registration] is. No request is sent.
	ErrInvalidID = errors.New("webhooks: invalid webhook ID")

	// ErrUnexpectedResponse: Jira answered with a success status but the
	// body was not what the operation returns (not JSON, a different
	// number of registration results than webhooks requested, a refresh
	// without an expiration date...).
	ErrUnexpectedResponse = errors.New("webhooks: unexpected response from Jira")

	// ErrForeignURL: a next-page URL or a redirect pointed away from the
	// Jira site the Client was made for. The Client refuses to follow it,
	// so that credentials never reach another host.
	ErrForeignURL = errors.New("webhooks: URL outside the Jira site")

	// ErrNotAnApp matches (with errors.Is) an [*APIError] for Jira's 403
	// "Only Connect and OAuth 2.0 apps can use this operation": the
	// webhook API refuses users, API tokens and basic auth.
	ErrNotAnApp = errors.New("webhooks: only Connect and OAuth 2.0 apps can manage dynamic webhooks")

	// ErrConnectOnly matches (with errors.Is) an [*APIError] for Jira's 403
	// "Only Connect apps can use this operation", the answer to
	// [Client.ListFailed] for any caller but a Connect app: OAuth 2.0 apps
	// cannot read failed deliveries.
	ErrConnectOnly = errors.New("webhooks: only Connect apps can read failed deliveries")

	// ErrRateLimited matches (with errors.Is) an [*APIError] for a rate
	// limit that was still there after the retries: a 429, or a 503 with a
	// Retry-After header, which Jira also sends when it sheds load.
	ErrRateLimited = errors.New("webhooks: rate limited by Jira")
)

// APIError is a non-2xx answer from Jira. Every such answer reaches the
// caller as an *APIError (possibly wrapped): use errors.As.
type APIError struct {
	// StatusCode is the HTTP status code, such as 400 or 403.
	StatusCode int
	// Method and Path identify the request, such as "POST" and
	// "/rest/api/3/webhook".
	Method, Path string
	// ErrorMessages are Jira's messages about the request as a whole (or
	// the API gateway's "message").
	ErrorMessages []string
	// Errors are Jira's messages about single fields, by field name.
	Errors map[string]string
	// RequestID is Jira's identifier of the request (the X-Arequestid or
	// Atl-Traceid header), to quote to Atlassian support; empty if absent.
	RequestID string
	// RetryAfter is the wait Jira asked for in a Retry-After header; 0 if
	// none.
	RetryAfter time.Duration
	// Body is the response body, trimmed of white space and cut to 2 KiB:
	// the only explanation when the answer is not Jira's JSON error format
	// (an HTML page from a proxy, say).
	Body string
}

// Error describes the failure on one line, Jira's own words first.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("webhooks: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteByte(' ')
	}
	fmt.Fprintf(&b, "answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	msgs := e.messages()
	if len(msgs) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(msgs, "; "))
	} else if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(shortenText(e.Body, 200))
	}
	switch {
	case e.isNotAnApp():
		b.WriteString(" (authenticate as an OAuth 2.0 (3LO) or Connect app: Jira refuses webhook calls made with API tokens or basic auth)")
	case e.isConnectOnly():
		b.WriteString(" (only a Connect app can read failed deliveries; OAuth 2.0 apps cannot)")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %v)", e.RetryAfter)
	}
	if e.RequestID != "" {
		b.WriteString(" [request id ")
		b.WriteString(e.RequestID)
		b.WriteByte(']')
	}
	return b.String()
}

// messages returns ErrorMessages, then Errors as "field: message" sorted by
// field.
func (e *APIError) messages() []string {
	msgs := append([]string(nil), e.ErrorMessages...)
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		msgs = append(msgs, k+": "+e.Errors[k])
	}
	return msgs
}

// isNotAnApp reports Jira's 403 "Only Connect and OAuth 2.0 apps can use
// this operation".
func (e *APIError) isNotAnApp() bool { return e.forbiddenSays("only connect and oauth") }

// isConnectOnly reports Jira's 403 "Only Connect apps can use this
// operation".
func (e *APIError) isConnectOnly() bool { return e.forbiddenSays("only connect apps") }

// forbiddenSays reports whether e is a 403 whose messages (or, without
// them, body) contain phrase, ignoring case.
func (e *APIError) forbiddenSays(phrase string) bool {
	if e.StatusCode != http.StatusForbidden {
		return false
	}
	for _, m := range e.messages() {
		if strings.Contains(strings.ToLower(m), phrase) {
			return true
		}
	}
	return strings.Contains(strings.ToLower(e.Body), phrase)
}

// Is makes errors.Is(err, ErrNotAnApp), errors.Is(err, ErrConnectOnly) and
// errors.Is(err, ErrRateLimited) work on an *APIError.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotAnApp:
		return e.isNotAnApp()
	case ErrConnectOnly:
		return e.isConnectOnly()
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests ||
			e.StatusCode == http.StatusServiceUnavailable && e.RetryAfter > 0
	}
	return false
}

// shortenText cuts s to at most n bytes on a rune boundary.
func shortenText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
