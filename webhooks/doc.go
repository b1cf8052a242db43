// Package webhooks is a Go SDK for Jira Cloud webhooks: registering and
// keeping them alive on the sending side, and verifying, decoding and
// dispatching what Jira delivers on the receiving side.
//
// # Managing webhooks
//
// Client makes the dynamic webhook calls of the Jira REST API (v3 by
// default, v2 with WithAPIVersion) for OAuth 2.0 and Connect apps: Register
// (which reports per item what Jira refused), List and ListFailed (lazy
// pagers), Refresh and Delete. Authentication lives in the http.Client given
// to WithHTTPClient (see the auth package). Jira deletes a dynamic webhook
// 30 days after its registration or last refresh; package
// [github.com/jirahooks/jirahooks/webhooks/keepalive] keeps them alive.
// AdminClient manages admin webhooks, which do not expire.
//
// # Receiving webhooks
//
// Handler is the http.Handler to mount where Jira delivers:
//
//	h := webhooks.NewHandler(webhooks.ConnectJWT(installations.SharedSecret))
//	h.On(webhooks.IssueUpdated, func(ctx context.Context, e *webhooks.Event) error {
//		return index(ctx, e.Issue)
//	})
//	http.Handle("POST /hooks/jira", h)
//
// It checks the delivery with a Verifier before decoding anything. Jira
// authenticates deliveries in one of three ways, and each has its verifier:
//
//   - admin webhooks registered with a secret: X-Hub-Signature, an
//     HMAC-SHA256 of the body (HubSignature, or HubSignatures while
//     rotating the secret);
//   - OAuth 2.0 apps: an HS256 JWT signed with the client secret in
//     "Authorization: Bearer" (OAuthJWT);
//   - Connect apps: an HS256 JWT signed with the installation's shared
//     secret in "Authorization: JWT", whose iss is the installation's
//     clientKey and whose qsh claim binds it to the request (ConnectJWT).
//
// Note that the two JWT kinds authenticate the sender and the request line,
// not the body: Jira does not sign the body for apps.
//
// The Handler then decodes the body (ParseEvent), drops deliveries it has
// handled before (Jira retries, with the same X-Atlassian-Webhook-Identifier,
// until it gets a 200; see DedupeStore) and calls the callbacks registered
// for the event. A callback error answers 500 so that Jira retries later;
// the retry is handled as a new attempt, so nothing is lost. Every refusal
// has its status and an exported error: ErrMethodNotAllowed (405),
// ErrBodyTooLarge (413), ErrBodyTimeout (408), ErrMissingSignature,
// ErrInvalidSignature, ErrExpiredToken, ErrInvalidQSH and ErrUnknownTenant
// (401), ErrMalformedBody (400), ErrDeliveryInProgress (409), and
// ErrVerifierUnavailable and ErrCallback (500). Once the callbacks
// succeeded, the delivery is recorded as handled even through a short
// outage of the DedupeStore (see WithCommitRetry).
//
// Each event carries its Delivery (also in the callback's context, see
// DeliveryFrom): the identifier, retry count, flow and tenant, and the URL
// the delivery was sent to. Admin webhooks can have Jira substitute
// variables into that URL ("${issue.key}", see URLVariable);
// URLVariablesOf(e.Delivery.URL, template) reads them back in a callback.
//
// An admin webhook registered with ExcludeBody sends a signed, empty body,
// which Handler refuses (400) unless built with AllowEmptyBody: then such a
// delivery, once verified, becomes an Event with an empty Name and Raw,
// passed to the OnAny callbacks only, its URL variables saying what
// happened.
//
// # Replaying failed deliveries
//
// Jira keeps the deliveries it gave up on for about 72 hours, and lists
// them to Connect apps (Client.ListFailed). Handler.Replay hands one to the
// handler mounted for live deliveries: no signature to check, since the
// app fetched the body from Jira's API itself, but the same duplicate
// detection, keyed by the same identifier and tenant, and the same
// callbacks. A failed delivery that was handled after all is dropped
// (ErrDuplicate), and Jira's own later attempt of one handled by a replay
// is dropped too.
//
// Event covers every documented event family, in the shapes Jira Cloud and
// Jira Server send (account ids or user names and keys, ids as strings or
// numbers, descriptions as wiki text or Atlassian Document Format). Issue
// fields are decoded lazily: the common system fields are typed, and every
// field, custom fields included, stays reachable by id through
// IssueFields.Field, Decode and All. Unknown event names decode like known
// ones; Event.Raw always holds the exact body.
//
// The webhookstest package signs test deliveries for each kind and ships
// realistic payloads; the jiratest package is an in-memory Jira that
// registers webhooks and delivers (and retries) events to a Handler.
package webhooks
