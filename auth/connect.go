package auth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/internal/jwtsign"
)

// DefaultConnectTTL is how long a Connect JWT made by [Connect] stays valid.
const DefaultConnectTTL = 3 * time.Minute

// ErrForeignHost is returned by a [Connect] transport asked to send a
// request outside its base URL (for example after a redirect), and by the
// clients of [Basic.Client], [BasicClient] and [TokenSource.Client] when a
// server redirects to another host: the request is not sent, so the
// credentials never reach that host.
var ErrForeignHost = errors.New("auth: request outside the Connect base URL")

// sameHostOnly is an http.Client CheckRedirect that follows redirects on
// the host of the original request only. Go's client drops the
// Authorization header on a redirect to another host, but our transports
// would set it again on the redirected request.
func sameHostOnly(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("auth: stopped after 10 redirects")
	}
	if from := via[0].URL; req.URL.Host != from.Host || req.URL.Scheme != from.Scheme {
		return fmt.Errorf("%w: redirect from %s://%s to %s://%s", ErrForeignHost, from.Scheme, from.Host, req.URL.Scheme, req.URL.Host)
	}
	return nil
}

// Connect signs requests of an Atlassian Connect app to a Jira site: each
// request gets "Authorization: JWT <token>", a fresh HS256 JWT signed with
// the installation's shared secret, with iss set to the app key, iat now,
// a short exp, and a qsh claim binding it to the request's method, path
// and query. The path in the qsh is relative to BaseURL's context path
// (https://example.com/jira gives "/rest/api/3/webhook" for
// https://example.com/jira/rest/api/3/webhook), computed by the same code
// the webhooks receiver checks qsh claims with.
type Connect struct {
	// AppKey is the key of the app's descriptor, the JWT's iss.
	AppKey string
	// SharedSecret is the installation's shared secret from the
	// "installed" lifecycle callback.
	SharedSecret []byte
	// BaseURL is the site's base URL from the same callback, such as
	// https://your-domain.atlassian.net.
	BaseURL string
	// TTL is the tokens' lifetime (default DefaultConnectTTL).
	TTL time.Duration
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// Client returns an HTTP client that signs every request as c describes,
// or an error if c is incomplete or its BaseURL is not absolute.
func (c Connect) Client() (*http.Client, error) {
	rt, err := c.Transport(nil)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: rt}, nil
}

// Transport returns a RoundTripper that signs a copy of each request as c
// describes and sends it through base (http.DefaultTransport if nil).
// Requests to another scheme, host or path outside BaseURL fail with
// [ErrForeignHost].
func (c Connect) Transport(base http.RoundTripper) (http.RoundTripper, error) {
	if c.AppKey == "" {
		return nil, errors.New("auth: Connect needs an app key")
	}
	if len(c.SharedSecret) == 0 {
		return nil, errors.New("auth: Connect needs a shared secret")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("auth: Connect base URL %q is not an absolute URL", c.BaseURL)
	}
	if c.TTL <= 0 {
		c.TTL = DefaultConnectTTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.SharedSecret = append([]byte(nil), c.SharedSecret...)
	return &connectTransport{c: c, base: base, origin: u, context: strings.TrimSuffix(u.EscapedPath(), "/")}, nil
}

// String describes c without its shared secret.
func (c Connect) String() string {
	return fmt.Sprintf("auth.Connect{AppKey: %s, BaseURL: %s, SharedSecret: [redacted]}", c.AppKey, c.BaseURL)
}

// GoString describes c without its shared secret.
func (c Connect) GoString() string { return c.String() }

type connectTransport struct {
	c       Connect
	base    http.RoundTripper
	origin  *url.URL
	context string // escaped context path without a trailing slash
}

func (t *connectTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	fail := func(err error) (*http.Response, error) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if !t.inside(req.URL) {
		return fail(fmt.Errorf("%w: %s://%s%s", ErrForeignHost, req.URL.Scheme, req.URL.Host, req.URL.EscapedPath()))
	}
	tok, err := jwtsign.ConnectToken(t.c.SharedSecret, t.c.AppKey, req.Method, req.URL, t.context, t.c.Now(), t.c.TTL)
	if err != nil {
		return fail(fmt.Errorf("auth: signing Connect request: %w", err))
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "JWT "+tok)
	return transport(t.base).RoundTrip(r)
}

// inside reports whether u is under the base URL: same scheme and host, and
// a path in the context path with no dot segments.
func (t *connectTransport) inside(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, t.origin.Scheme) || !strings.EqualFold(u.Host, t.origin.Host) {
		return false
	}
	if t.context == "" {
		return true
	}
	p := u.EscapedPath()
	for _, seg := range strings.Split(p, "/") {
		switch strings.ToLower(seg) {
		case ".", "..", "%2e", "%2e%2e", ".%2e", "%2e.":
			return false // a server would resolve it, maybe out of the context path
		}
	}
	return p == t.context || strings.HasPrefix(p, t.context+"/")
}

func (t *connectTransport) String() string   { return "auth.connectTransport{" + t.c.String() + "}" }
func (t *connectTransport) GoString() string { return t.String() }
