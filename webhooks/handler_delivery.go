package webhooks

import (
	"context"
	"net/url"
	"strings"
)

// Delivery describes how an event reached the handler: the HTTP delivery's
// metadata from Jira's headers, the URL it was sent to and the verified
// sender; or, for an event handed to Handler.Replay, what the failed
// delivery recorded.
type Delivery struct {
	// ID is the X-Atlassian-Webhook-Identifier header: the same on every
	// retry of one delivery, and the key Handler drops duplicates by.
	ID string
	// Retry is the X-Atlassian-Webhook-Retry header: 0 for the first
	// attempt, then 1, 2, ...
	Retry int
	// Flow is the X-Atlassian-Webhook-Flow header, "Primary" or
	// "Secondary".
	Flow string
	// Tenant identifies who sent the delivery: the clientKey (JWT iss) of a
	// Connect installation, or what the handler's WithTenant function
	// derived; empty otherwise. For a replay, the tenant given to
	// Handler.Replay. Duplicates are detected per tenant.
	Tenant string
	// URL is a copy of the URL the delivery was sent to, without any "jwt"
	// query parameter. For a delivery served by Handler it is the request's
	// URL as the server parsed it, which for a server request holds the path
	// and query only (the host is in the Host header); for a replay it is
	// FailedWebhook.URL, nil if that does not parse. It carries the values
	// Jira substituted into an admin webhook's URL: read them with
	// URLVariablesOf. Treat it as read-only.
	URL *url.URL
	// Replay reports that the event came from Handler.Replay (a failed
	// delivery fetched from Jira's API) rather than from an HTTP delivery.
	// Retry and Flow are then zero.
	Replay bool
}

// deliveryURL returns a copy of u without user information, fragment and
// "jwt" query parameters, or nil for a nil u. Jira puts no credentials in
// a delivery's URL, but a Connect app's own requests carry their token in
// a "jwt" parameter, and such a URL must not reach logs through callbacks.
func deliveryURL(u *url.URL) *url.URL {
	if u == nil {
		return nil
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" || c.ForceQuery {
		pairs := strings.Split(c.RawQuery, "&")
		kept := pairs[:0]
		for _, p := range pairs {
			key, _, _ := strings.Cut(p, "=")
			if k, err := url.QueryUnescape(key); err == nil {
				key = k
			}
			if key != "jwt" {
				kept = append(kept, p)
			}
		}
		c.RawQuery = strings.Join(kept, "&")
	}
	return &c
}

type deliveryKey struct{}

// WithDelivery returns a copy of ctx carrying d. Handler does this for every
// callback; tests of callbacks can use it too.
func WithDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}

// DeliveryFrom returns the Delivery that ctx carries, as set by Handler for
// its callbacks, and whether there was one.
func DeliveryFrom(ctx context.Context) (Delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(Delivery)
	return d, ok
}
