package webhooks

// Every request to Jira is built by the clients generated from our OpenAPI
// documents (packages openapi and openapi/admin). This file holds what the
// generated clients are handed, so that it applies to every generated call:
//
//   - doer, their HttpRequestDoer: the site guard, headers, retries of
//     idempotent calls and the response-size caps;
//   - answer, the one place a response becomes a result: a non-2xx answer
//     an *APIError, a 2xx answer its body, which decodeJSON decodes into
//     the generated wire types.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/internal/retry"
)

const (
	clientMaxBody      = 16 << 20 // largest 2xx answer read
	clientMaxErrorBody = 64 << 10 // largest error answer read
	clientShownBody    = 2 << 10  // kept in APIError.Body
)

// doer sends the generated clients' requests through the http.Client given
// with WithHTTPClient (whose transport adds the credentials). For every
// request it
//
//   - refuses, with ErrForeignURL and nothing sent, a URL outside the Jira
//     site the Client was made for (its http.Client also refuses redirects
//     that leave the site);
//   - sets Accept and the User-Agent;
//   - retries idempotent methods (GET, PUT, DELETE) on network errors, on
//     429, 502, 503 and 504 and on a body that broke off, honouring
//     Retry-After, with jittered exponential backoff; POST is sent once;
//   - reads the whole answer, at most clientMaxBody bytes for a 2xx answer
//     (more is ErrUnexpectedResponse) and clientMaxErrorBody for another.
//
// The response it returns has its body in memory, read once, which answer
// hands on and errors can quote.
type doer struct {
	hc        *http.Client
	userAgent string
	retry     retry.Policy
	origin    string // clientOrigin of the base URL
	scheme    string // the base URL's scheme and host, as given
	host      string
}

// Do implements the generated clients' HttpRequestDoer.
func (d *doer) Do(req *http.Request) (*http.Response, error) {
	if !d.onSite(req.URL) {
		return nil, fmt.Errorf("%w: refusing to send %s %s", ErrForeignURL, req.Method, shortenText(req.URL.Redacted(), 200))
	}
	req.Header.Set("Accept", "application/json")
	if d.userAgent != "" {
		req.Header.Set("User-Agent", d.userAgent)
	}
	ctx := req.Context()
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodPut || req.Method == http.MethodDelete
	for attempt := 0; ; attempt++ {
		canRetry := idempotent && attempt < d.retry.Max
		if attempt > 0 {
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				req.Body = body
			} else if req.Body != nil && req.Body != http.NoBody {
				return nil, fmt.Errorf("webhooks: %s %s: cannot resend the request body", req.Method, req.URL.Path)
			}
		}
		wait := time.Duration(-1) // -1: back off
		resp, err := d.hc.Do(req)
		switch {
		case err != nil:
			if ctx.Err() != nil || !canRetry || !clientRetryableError(err) {
				return nil, err
			}
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			err = readBody(resp, clientMaxBody, true)
			if err == nil || ctx.Err() != nil || !canRetry || errors.Is(err, ErrUnexpectedResponse) {
				return resp, err
			}
			// The body broke off mid-way: try again.
		default:
			_ = readBody(resp, clientMaxErrorBody, false)
			if !canRetry || !retry.Status(resp.StatusCode) {
				return resp, nil
			}
			apiErr := newAPIError(resp, d.retry)
			if apiErr.RetryAfter > retry.MaxRetryAfter {
				return resp, nil
			}
			if _, ok := d.retry.RetryAfter(resp.Header); ok {
				wait = apiErr.RetryAfter
			}
			err = apiErr
		}
		if wait < 0 {
			wait = d.retry.Backoff(attempt)
		}
		if werr := d.retry.Wait(ctx, wait); werr != nil {
			// Keep what made us wait: a caller that gave up during a
			// rate-limit wait can still tell it was rate limited.
			return nil, fmt.Errorf("%w (while waiting to retry after: %w)", werr, err)
		}
	}
}

// onSite reports whether u addresses the Jira site of the Client, without
// credentials of its own.
func (d *doer) onSite(u *url.URL) bool {
	if u.User != nil {
		return false
	}
	if u.Scheme == d.scheme && u.Host == d.host {
		return true // the generated clients' URLs: no need to normalise
	}
	return clientOrigin(u) == d.origin
}

// memBody is a response body read into memory.
type memBody struct {
	bytes.Reader
	data []byte
}

func (*memBody) Close() error { return nil }

// readBody replaces resp.Body by its first limit bytes, read into memory,
// and closes the original. With strict, a longer body is an error matching
// ErrUnexpectedResponse; otherwise it is cut.
func readBody(resp *http.Response, limit int64, strict bool) error {
	defer resp.Body.Close()
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	data := buf.Bytes()
	if int64(len(data)) > limit {
		data = data[:limit]
		if strict && err == nil {
			err = fmt.Errorf("%w: %s %s: answer larger than %d bytes", ErrUnexpectedResponse, resp.Request.Method, resp.Request.URL.Path, limit)
		}
	}
	if err == nil && !strict {
		// Drain a little more, so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	}
	mb := &memBody{data: data}
	mb.Reset(data)
	resp.Body = mb
	if err != nil && !errors.Is(err, ErrUnexpectedResponse) {
		return fmt.Errorf("webhooks: %s %s: reading the answer: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return err
}

// bodyOf returns the in-memory body doer left on resp.
func bodyOf(resp *http.Response) []byte {
	if b, ok := resp.Body.(*memBody); ok {
		return b.data
	}
	return nil
}

// answer finishes a generated call, the one place where an answer becomes
// a result: a transport error is returned as it is, a non-2xx answer as an
// *APIError, and a 2xx answer gives its body, which doer read into memory.
func answer(resp *http.Response, err error, pol retry.Policy) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newAPIError(resp, pol)
	}
	return bodyOf(resp), nil
}

// decodeJSON decodes body, the 2xx answer resp brought, into a new T, one
// of the generated wire types; a body that is not T's JSON is
// ErrUnexpectedResponse. (The generated Parse...Response functions would
// copy the body, which doer already holds, once more, and would skip
// decoding when Jira leaves out the JSON Content-Type.)
func decodeJSON[T any](resp *http.Response, body []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(body, v); err != nil {
		return nil, unexpected(resp, "a body that is not the expected JSON (%v): %s", err, clientBodyText(body, 200))
	}
	return v, nil
}

// unexpected returns an error matching ErrUnexpectedResponse about the 2xx
// answer resp: "METHOD path answered N with " and the formatted text.
func unexpected(resp *http.Response, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s answered %d with "+format,
		append([]any{ErrUnexpectedResponse, resp.Request.Method, resp.Request.URL.Path, resp.StatusCode}, args...)...)
}

// clientErrorBody is Jira's error format, plus the gateway's
// {"code":401,"message":"..."}.
type clientErrorBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
	Message       string            `json:"message"`
}

// newAPIError turns a non-2xx answer, whose body doer read, into an
// *APIError.
func newAPIError(resp *http.Response, pol retry.Policy) *APIError {
	b := bodyOf(resp)
	e := &APIError{
		StatusCode: resp.StatusCode,
		Method:     resp.Request.Method,
		Path:       resp.Request.URL.Path,
		Body:       clientBodyText(b, clientShownBody),
	}
	for _, h := range []string{"X-Arequestid", "Atl-Traceid", "X-Request-Id"} {
		if v := resp.Header.Get(h); v != "" {
			e.RequestID = v
			break
		}
	}
	if d, ok := pol.RetryAfter(resp.Header); ok {
		e.RetryAfter = d
	}
	var eb clientErrorBody
	if json.Unmarshal(b, &eb) == nil {
		e.ErrorMessages, e.Errors = eb.ErrorMessages, eb.Errors
		if eb.Message != "" && len(e.ErrorMessages) == 0 {
			e.ErrorMessages = []string{eb.Message}
		}
	}
	return e
}

// clientBodyText is b as trimmed, valid UTF-8 text of at most n bytes.
func clientBodyText(b []byte, n int) string {
	s := strings.ToValidUTF8(strings.TrimSpace(string(b)), "\uFFFD")
	return shortenText(s, n)
}

// clientRetryableError reports whether a transport error may be transient:
// a network failure (a net.Error such as a timeout, a refused or reset
// connection, a DNS failure) or a connection closed mid-answer (EOF). Any
// other error, such as one of the http.Client's own transport (an auth
// transport whose refresh token is dead), a refused redirect or a
// certificate problem, is final: retrying it could only fail again.
func clientRetryableError(err error) bool {
	if errors.Is(err, ErrForeignURL) {
		return false
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	// *url.Error, which wraps every error of http.Client.Do, is itself a
	// net.Error: look at what it wraps.
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// clientOrigin is u's scheme and host, lower case, with the default port
// made explicit, for same-site comparisons.
func clientOrigin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// checkRedirect wraps a CheckRedirect function so that redirects leave
// neither the Jira site nor its scheme.
func checkRedirect(origin string, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if clientOrigin(req.URL) != origin {
			return fmt.Errorf("%w: refusing a redirect to %s://%s", ErrForeignURL, req.URL.Scheme, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("webhooks: stopped after 10 redirects")
		}
		return nil
	}
}

// withQuery is a request editor that replaces the query of a generated
// request by rawQuery, verbatim: the way a next-page URL's query is sent
// to the endpoint it names.
func withQuery(rawQuery string) func(context.Context, *http.Request) error {
	return func(_ context.Context, req *http.Request) error {
		req.URL.RawQuery = rawQuery
		return nil
	}
}
