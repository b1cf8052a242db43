package webhooks

import "context"

// Delivery describes how an event reached the handler: the HTTP delivery's
// metadata from Jira's headers and the verified sender.
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
	// derived; empty otherwise. Duplicates are detected per tenant.
	Tenant string
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
