package webhooks

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jirahooks/jirahooks/internal/retry"
)

// ClientOption configures a [Client] (and an [AdminClient]); pass options
// to [NewClient] or [NewAdminClient].
type ClientOption func(*clientConfig) error

// Option is the former name of [ClientOption].
//
// Deprecated: use ClientOption.
type Option = ClientOption

type clientConfig struct {
	httpClient *http.Client
	apiVersion int
	userAgent  string
	retry      retry.Policy
}

// DefaultUserAgent is the User-Agent header a Client sends unless
// [WithUserAgent] says otherwise.
const DefaultUserAgent = "jirahooks-go"

// WithHTTPClient makes the Client send its requests through hc. Jira
// authentication belongs in hc's Transport (see package auth): OAuth 2.0
// (3LO) bearer tokens or Connect JWTs. Without this option the Client uses
// http.DefaultClient, which sends no credentials.
//
// The Client keeps a copy of *hc that refuses redirects to another host, so
// that credentials added by the transport never leave the Jira site.
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *clientConfig) error {
		if hc == nil {
			return errors.New("webhooks: WithHTTPClient(nil)")
		}
		c.httpClient = hc
		return nil
	}
}

// WithAPIVersion chooses the REST API version: 3 (the default) or 2. The
// webhook endpoints are the same in both but for the path; any other
// version makes NewClient fail.
func WithAPIVersion(v int) ClientOption {
	return func(c *clientConfig) error {
		if v != 2 && v != 3 {
			return fmt.Errorf("webhooks: API version %d: Jira Cloud's webhook API is version 2 or 3", v)
		}
		c.apiVersion = v
		return nil
	}
}

// WithRetry sets how many times an idempotent call (List, ListFailed,
// Refresh, Delete) is retried after a 429, 502, 503 or 504 answer or a
// network error: 0 disables retries; the default, 4, is Atlassian's
// advice. Register is never retried: a repeated registration could create
// the webhooks twice.
func WithRetry(max int) ClientOption {
	return func(c *clientConfig) error {
		if max < 0 {
			return fmt.Errorf("webhooks: WithRetry(%d): negative", max)
		}
		c.retry.Max = max
		return nil
	}
}

// WithBackoff sets the waits between retries when Jira sends no
// Retry-After header: the first wait is about base, doubling up to
// maxWait, each with random jitter. The defaults are 500ms and 10s. A
// Retry-After header is always honoured instead, up to one minute; a
// longer one ends the call with an [*APIError] whose RetryAfter field says
// how long to wait.
func WithBackoff(base, maxWait time.Duration) ClientOption {
	return func(c *clientConfig) error {
		if base <= 0 || maxWait < base {
			return fmt.Errorf("webhooks: WithBackoff(%v, %v): need 0 < base <= maxWait", base, maxWait)
		}
		c.retry.Base, c.retry.Cap = base, maxWait
		return nil
	}
}

// WithUserAgent sets the User-Agent header of every request, so that Jira
// administrators can tell your app's traffic apart. The default is
// [DefaultUserAgent]; an empty ua leaves the header to net/http, which sends
// its own default.
func WithUserAgent(ua string) ClientOption {
	return func(c *clientConfig) error {
		c.userAgent = ua
		return nil
	}
}

// WithClock makes the Client wait between retries, and read HTTP-date
// Retry-After headers, on c instead of the real time. It is meant for tests
// that run on a fake clock, such as a *jiratest.Clock shared with the fake
// Jira, so that a Retry-After of an hour passes at once.
func WithClock(c Clock) ClientOption {
	return func(cfg *clientConfig) error {
		if c == nil {
			return errors.New("webhooks: WithClock(nil)")
		}
		cfg.retry.Sleep, cfg.retry.Now = c.Sleep, c.Now
		return nil
	}
}
