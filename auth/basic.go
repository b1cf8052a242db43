package auth

import (
	"errors"
	"net/http"
)

// Basic authenticates as a Jira user with an email address and an API token
// (https://id.atlassian.com/manage-profile/security/api-tokens), as the admin
// webhook API (/rest/webhooks/1.0/webhook) requires. The dynamic webhook
// endpoints do not accept it: use OAuth 2.0 or Connect for those.
type Basic struct {
	// Email is the Atlassian account's email address, the user name.
	Email string
	// APIToken is the account's API token, the password. It never
	// appears in String or GoString.
	APIToken string
}

// BasicClient returns an HTTP client that authenticates every request with
// email and apiToken.
func BasicClient(email, apiToken string) *http.Client {
	return Basic{Email: email, APIToken: apiToken}.Client()
}

// Client returns an HTTP client that authenticates every request with b.
// It follows redirects on the same host only; one to another host fails
// with [ErrForeignHost], so the API token never leaves the site.
func (b Basic) Client() *http.Client {
	return &http.Client{Transport: b.Transport(nil), CheckRedirect: sameHostOnly}
}

// Transport returns a RoundTripper that sets HTTP Basic authentication on a
// copy of each request and sends it through base (http.DefaultTransport if
// nil). It authenticates whatever it is given: a client built around it
// should refuse redirects to other hosts, as [Basic.Client] does.
func (b Basic) Transport(base http.RoundTripper) http.RoundTripper {
	return &basicTransport{cred: b, base: base}
}

// String describes b without its API token.
func (b Basic) String() string { return "auth.Basic{Email: " + b.Email + ", APIToken: [redacted]}" }

// GoString describes b without its API token.
func (b Basic) GoString() string { return b.String() }

type basicTransport struct {
	cred Basic
	base http.RoundTripper
}

func (t *basicTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.cred.Email == "" || t.cred.APIToken == "" {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errors.New("auth: Basic needs an email and an API token")
	}
	r := req.Clone(req.Context())
	r.SetBasicAuth(t.cred.Email, t.cred.APIToken)
	return transport(t.base).RoundTrip(r)
}

func (t *basicTransport) String() string   { return "auth.basicTransport{" + t.cred.String() + "}" }
func (t *basicTransport) GoString() string { return t.String() }
