package webhooks

// The five webhook calls are plain net/http requests over the generated
// wire types of package openapi (see openapi/oapi-codegen.yaml for why there
// is no generated client). This file sends them: headers, retries, JSON
// decoding, error answers, and the checks that keep requests on the Jira
// site the Client was made for.

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
	"sync"
	"time"

	"github.com/jirahooks/jirahooks/internal/retry"
)

const (
	clientMaxBody      = 16 << 20 // largest 2xx answer read
	clientMaxErrorBody = 64 << 10 // largest error answer read
	clientShownBody    = 2 << 10  // kept in APIError.Body
)

var clientBufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// send performs one call: method on rawURL with an optional JSON body,
// retried by c.retry when idempotent, decoding a 2xx answer into out
// (ignored when out is nil). Every non-2xx answer becomes an *APIError.
func (c *Client) send(ctx context.Context, method, rawURL string, body []byte, idempotent bool, out any) error {
	if ctx == nil {
		ctx = context.Background()
	}
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
		if err != nil {
			return fmt.Errorf("webhooks: %s %s: %w", method, rawURL, err)
		}
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.userAgent != "" {
			req.Header.Set("User-Agent", c.userAgent)
		}
		canRetry := idempotent && attempt < c.retry.Max

		wait := time.Duration(-1) // -1: back off
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil || !canRetry || !clientRetryableError(err) {
				return err
			}
		} else if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			err = c.decode(resp, req, out)
			if err == nil || ctx.Err() != nil || !canRetry || errors.Is(err, ErrUnexpectedResponse) {
				return err
			}
			// The body broke off mid-way: try again.
		} else {
			apiErr := c.readAPIError(resp, req)
			if !canRetry || !retry.Status(resp.StatusCode) || apiErr.RetryAfter > retry.MaxRetryAfter {
				return apiErr
			}
			if _, ok := c.retry.RetryAfter(resp.Header); ok {
				wait = apiErr.RetryAfter
			}
			err = apiErr
		}
		if wait < 0 {
			wait = c.retry.Backoff(attempt)
		}
		if werr := c.retry.Wait(ctx, wait); werr != nil {
			// Keep what made us wait: a caller that gave up during a
			// rate-limit wait can still tell it was rate limited.
			return fmt.Errorf("%w (while waiting to retry after: %w)", werr, err)
		}
	}
}

// decode reads a 2xx answer into out and closes its body.
func (c *Client) decode(resp *http.Response, req *http.Request, out any) error {
	defer resp.Body.Close()
	if out == nil {
		_, err := io.Copy(io.Discard, io.LimitReader(resp.Body, clientMaxErrorBody))
		if err != nil {
			return fmt.Errorf("webhooks: %s %s: reading the answer: %w", req.Method, req.URL.Path, err)
		}
		return nil
	}
	buf := clientBufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			clientBufPool.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, clientMaxBody+1)); err != nil {
		return fmt.Errorf("webhooks: %s %s: reading the answer: %w", req.Method, req.URL.Path, err)
	}
	if buf.Len() > clientMaxBody {
		return fmt.Errorf("%w: %s %s: answer larger than %d bytes", ErrUnexpectedResponse, req.Method, req.URL.Path, clientMaxBody)
	}
	if err := json.Unmarshal(buf.Bytes(), out); err != nil {
		return fmt.Errorf("%w: %s %s answered %d with a body that is not the expected JSON (%v): %s",
			ErrUnexpectedResponse, req.Method, req.URL.Path, resp.StatusCode, err, clientBodyText(buf.Bytes(), 200))
	}
	return nil
}

// clientErrorBody is Jira's error format, plus the gateway's
// {"code":401,"message":"..."}.
type clientErrorBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
	Message       string            `json:"message"`
}

// readAPIError turns a non-2xx answer into an *APIError and closes its body.
func (c *Client) readAPIError(resp *http.Response, req *http.Request) *APIError {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, clientMaxErrorBody))
	e := &APIError{
		StatusCode: resp.StatusCode,
		Method:     req.Method,
		Path:       req.URL.Path,
		Body:       clientBodyText(b, clientShownBody),
	}
	for _, h := range []string{"X-Arequestid", "Atl-Traceid", "X-Request-Id"} {
		if v := resp.Header.Get(h); v != "" {
			e.RequestID = v
			break
		}
	}
	if d, ok := c.retry.RetryAfter(resp.Header); ok {
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
func (c *Client) checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if clientOrigin(req.URL) != c.origin {
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

// resolveFailedCursor turns a failed-webhook cursor (Jira's next URL,
// absolute or relative, or one saved from Pager.Cursor) into the URL to
// GET, and refuses any that would send the request, and its credentials,
// anywhere but this Client's failed-webhook endpoint.
//
// Root-relative cursors ("/rest/api/3/webhook/failed?...") are relative to
// the base URL, path included. Behind the API gateway
// (https://api.atlassian.com/ex/jira/{cloudId}) Jira's next URLs name the
// site (https://your-domain.atlassian.net/rest/api/3/...): their query is
// moved onto the gateway URL rather than followed.
func (c *Client) resolveFailedCursor(cursor string) (string, error) {
	u, err := url.Parse(cursor)
	if err != nil {
		return "", fmt.Errorf("webhooks: bad failed-webhook cursor %q: %w", shortenText(cursor, 100), err)
	}
	if u.Scheme == "" && u.Host == "" {
		if strings.HasPrefix(u.Path, "/rest/") && c.basePath != "" {
			u.Path, u.RawPath = c.basePath+u.Path, ""
		}
		u = c.failedURL.ResolveReference(u)
	}
	u.Fragment, u.RawFragment = "", ""
	if u.User == nil {
		if clientOrigin(u) == c.origin && c.isFailedPath(u.EscapedPath(), c.basePath) {
			return u.String(), nil
		}
		if c.gateway && strings.EqualFold(u.Scheme, "https") && u.Port() == "" &&
			strings.HasSuffix(strings.ToLower(u.Hostname()), ".atlassian.net") && c.isFailedPath(u.EscapedPath(), "") {
			if u.RawQuery == "" {
				return c.failedEndpoint, nil
			}
			return c.failedEndpoint + "?" + u.RawQuery, nil
		}
	}
	return "", fmt.Errorf("%w: refusing to follow next-page URL %s", ErrForeignURL, shortenText(u.Redacted(), 200))
}

// isFailedPath reports whether p is prefix followed by the path of this
// Client's failed-webhook endpoint (/rest/api/N/webhook/failed, N the API
// version), with or without a final slash.
func (c *Client) isFailedPath(p, prefix string) bool {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(p, "/"), prefix)
	return ok && rest == c.failedPath
}
