package webhooks

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
)

// Replay handles a delivery Jira gave up on, as listed by Client.ListFailed,
// as if it had just arrived: it decodes f.Body, drops it if it was handled
// already, and calls the callbacks registered with On and OnAny, the ones
// live deliveries reach. It is meant for a job that reads failed deliveries
// and hands each one to the Handler mounted for live ones; nothing else needs
// mounting, and the handler's Verifier stays in force for HTTP deliveries.
//
// The body is not verified: it came from Jira's API, over a call the app
// authenticated itself. For the same reason the body size limit does not
// apply. Never pass Replay a body that came from anywhere else.
//
// Duplicates are detected as for live deliveries, with the handler's
// DedupeStore and f.ID, which is the delivery's
// X-Atlassian-Webhook-Identifier: a failed delivery that was handled already
// (its last attempt got through after all, or it was replayed before) is
// dropped with an error wrapping ErrDuplicate, and once a replay succeeds,
// a later attempt of the same delivery by Jira is dropped too. tenant must
// therefore be the tenant the handler finds in this site's live deliveries:
// the installation's clientKey with ConnectJWT, what the WithTenant function
// returns otherwise, or "" if neither applies. An empty f.ID, or a nil
// DedupeStore, turns duplicate detection off for the call.
//
// The callbacks get an Event whose Delivery has ID f.ID, Tenant tenant,
// URL f.URL (nil if it does not parse; see Delivery.URL) and Replay set;
// ctx, given to them, carries the same Delivery (see DeliveryFrom). An
// empty f.Body (a webhook that excludes bodies) gives an empty Event passed
// to OnAny callbacks only when the handler was built with AllowEmptyBody,
// and an error wrapping ErrMalformedBody otherwise.
//
// Replay returns nil once every callback succeeded, and then records the
// delivery as handled. Otherwise it returns an error wrapping:
// ErrMalformedBody if the body does not decode; ErrDuplicate as above;
// ErrDeliveryInProgress if the same delivery is being handled right now
// (try again later); ErrCallback if a callback failed or panicked, in which
// case the delivery is released so that another Replay, or a retry by Jira,
// handles it again; ErrNotRecorded if the callbacks succeeded but the
// DedupeStore failed to record it for the whole commit retry time (see
// Handler; the callbacks ran, so do not replay it again); or the error of
// the DedupeStore, or of ctx if it is done before anything starts. Once
// the callbacks started, the commit is retried even if ctx ends. The handler logs the outcome as it does for
// deliveries, with a "replay" attribute; WithErrorHook, which needs a
// request, is not called.
func (h *Handler) Replay(ctx context.Context, tenant string, f FailedWebhook) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := Delivery{ID: f.ID, Tenant: tenant, Replay: true}
	if u, err := url.Parse(f.URL); err == nil && f.URL != "" {
		d.URL = deliveryURL(u)
	}
	e, err := h.decode([]byte(f.Body))
	if err != nil {
		h.log(ctx, slog.LevelWarn, "webhooks: replay refused", d, "", 0, err)
		return err
	}
	_, err = h.process(ctx, &d, e)
	switch {
	case err == nil:
		h.log(ctx, slog.LevelDebug, "webhooks: replay handled", d, e.Name, 0, nil)
	case errors.Is(err, ErrDuplicate):
		h.log(ctx, slog.LevelInfo, "webhooks: duplicate replay dropped", d, e.Name, 0, err)
	case errors.Is(err, ErrNotRecorded):
		h.log(ctx, slog.LevelError, "webhooks: replay handled but not recorded", d, e.Name, 0, err)
	case errors.Is(err, ErrDeliveryInProgress):
		h.log(ctx, slog.LevelWarn, "webhooks: replay refused", d, e.Name, 0, err)
	default:
		h.log(ctx, slog.LevelError, "webhooks: replay failed", d, e.Name, 0, err)
	}
	return err
}
