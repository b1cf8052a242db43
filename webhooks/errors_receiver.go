package webhooks

import "errors"

// Errors of the receiving side: ParseEvent, the verifiers and Handler. Test
// them with errors.Is; the errors returned wrap one of these with detail.
// Handler answers each with the status given.
var (
	// ErrMethodNotAllowed: the delivery was not a POST (405).
	ErrMethodNotAllowed = errors.New("webhooks: method not allowed")
	// ErrBodyTooLarge: the body exceeds the handler's limit (413).
	ErrBodyTooLarge = errors.New("webhooks: body too large")
	// ErrMissingSignature: the request carries no X-Hub-Signature or
	// Authorization credential of the expected kind (401).
	ErrMissingSignature = errors.New("webhooks: missing signature")
	// ErrInvalidSignature: the signature or token is malformed, uses a
	// refused algorithm, or does not match the secret (401).
	ErrInvalidSignature = errors.New("webhooks: invalid signature")
	// ErrExpiredToken: the JWT is expired or issued in the future, beyond
	// the allowed clock skew (401).
	ErrExpiredToken = errors.New("webhooks: token expired or not yet valid")
	// ErrInvalidQSH: a Connect JWT's qsh claim is missing, does not match the
	// request, or is the "context-qsh" of a context token (401).
	ErrInvalidQSH = errors.New("webhooks: invalid qsh claim")
	// ErrUnknownTenant: no shared secret is known for the Connect JWT's
	// issuer (clientKey) (401). A ConnectJWT secret lookup should return it
	// (or wrap it) for a clientKey it does not know.
	ErrUnknownTenant = errors.New("webhooks: unknown tenant")
	// ErrVerifierUnavailable: the verifier could not check the delivery for
	// a reason that is not the sender's fault, such as a failing secret
	// store or no secret configured (500, so that Jira retries).
	ErrVerifierUnavailable = errors.New("webhooks: verifier unavailable")
	// ErrBodyTimeout: the body did not arrive whole within the handler's
	// body read timeout, see WithBodyReadTimeout (408, which Jira retries).
	ErrBodyTimeout = errors.New("webhooks: body read timed out")
	// ErrMalformedBody: the body is empty (unless the Handler has
	// [AllowEmptyBody]), not JSON, or not a Jira event (400).
	ErrMalformedBody = errors.New("webhooks: malformed body")
	// ErrDuplicate: a delivery with the same identifier, for the same
	// tenant, was already handled successfully (200, callbacks not called).
	ErrDuplicate = errors.New("webhooks: duplicate delivery")
	// ErrDeliveryInProgress: a delivery with the same identifier is being
	// handled right now (409, which Jira retries later).
	ErrDeliveryInProgress = errors.New("webhooks: delivery in progress")
	// ErrCallback: a callback returned an error or panicked (500, so that
	// Jira retries; the delivery is not marked as seen).
	ErrCallback = errors.New("webhooks: callback failed")
	// ErrNotRecorded: the callbacks succeeded, but the DedupeStore failed
	// to record the delivery as handled for the whole commit retry time,
	// see WithCommitRetry (200: the work is done). A copy of the delivery
	// arriving once the store's reservation has expired runs the callbacks
	// again.
	ErrNotRecorded = errors.New("webhooks: delivery handled but not recorded")
)
