package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
)

// DefaultMaxBodySize is the largest body a Handler accepts unless
// WithMaxBodySize says otherwise: 1 MiB, well above Jira's largest issue
// events.
const DefaultMaxBodySize = 1 << 20

// preallocBody bounds the buffer readBody allocates up front from a
// request's Content-Length; larger bodies grow it as they are read.
const preallocBody = 64 << 10

// Handler is the http.Handler an app mounts where Jira delivers webhooks.
// For each request it:
//
//  1. accepts POST only (405 otherwise);
//  2. reads at most the body limit (413 beyond it);
//  3. verifies the raw bytes with its Verifier (401, or 500 when the
//     verifier cannot check, see ErrVerifierUnavailable);
//  4. decodes the event (400 if malformed; an empty body is malformed
//     unless the handler was built with AllowEmptyBody);
//  5. drops a delivery whose X-Atlassian-Webhook-Identifier it already
//     handled for the same tenant (200 without calling back), and answers
//     409 while the same delivery is being handled, which Jira retries;
//  6. calls the callbacks registered with On for the event's name, then
//     those registered with OnAny, stopping at the first error.
//
// It answers 200 when every callback succeeded and only then marks the
// delivery as handled. A callback error or panic answers 500, so that Jira
// retries the delivery, which is then handled again: callbacks run at least
// once per delivery, and, when there are several, one may run again after
// another one failed. Error responses carry only the status text.
//
// Replay hands a failed delivery, fetched with Client.ListFailed, to the
// same duplicate detection and callbacks, without an HTTP request.
//
// Register callbacks before serving; On and OnAny are safe to call
// concurrently with deliveries, though.
type Handler struct {
	verifier   Verifier
	maxBody    int64
	allowEmpty bool
	store      DedupeStore
	logger     *slog.Logger
	tenant     func(*http.Request) string
	onError    func(r *http.Request, status int, err error)

	mu    sync.RWMutex
	on    map[EventName][]Callback
	onAny []Callback
}

// Callback handles one event. ctx is the request's context carrying the
// Delivery (see DeliveryFrom); the event's Delivery field holds the same.
// Returning an error makes the handler answer 500 so that Jira retries.
type Callback = func(ctx context.Context, e *Event) error

// HandlerOption configures NewHandler.
type HandlerOption func(*Handler)

// WithMaxBodySize sets the largest body accepted, in bytes; larger bodies
// are answered 413 without being read further. n <= 0 keeps the default.
func WithMaxBodySize(n int64) HandlerOption {
	return func(h *Handler) {
		if n > 0 {
			h.maxBody = n
		}
	}
}

// WithDedupeStore sets where handled deliveries are remembered, for example
// a store shared by all replicas. nil turns duplicate detection off. The
// default is NewMemoryStore(DefaultDedupeTTL, DefaultDedupeEntries).
func WithDedupeStore(s DedupeStore) HandlerOption {
	return func(h *Handler) { h.store = s }
}

// WithLogger sets where the handler logs refused and failed deliveries.
// Entries carry the delivery id, retry count, tenant, event name, status
// and error; never the body, the signature or a token. The default logs
// nothing.
func WithLogger(l *slog.Logger) HandlerOption {
	return func(h *Handler) {
		if l != nil {
			h.logger = l
		}
	}
}

// WithTenant derives the tenant of a verified delivery when the Verifier
// does not report one (ConnectJWT reports the clientKey; HubSignature and
// OAuthJWT report none), for example from a path segment or a query
// parameter of a per-site webhook URL. Duplicates are detected per tenant.
func WithTenant(fn func(r *http.Request) string) HandlerOption {
	return func(h *Handler) { h.tenant = fn }
}

// WithErrorHook sets a function called for every delivery not handled
// successfully, with the status answered and the error (wrapping one of the
// receiver's sentinel errors, for example ErrInvalidSignature or
// ErrCallback), and for dropped duplicates (status 200, ErrDuplicate). Use
// it for metrics or alerts. It runs before the response is written; r's
// context carries the Delivery when the delivery got that far.
func WithErrorHook(fn func(r *http.Request, status int, err error)) HandlerOption {
	return func(h *Handler) { h.onError = fn }
}

// AllowEmptyBody makes the handler accept deliveries with an empty body, as
// sent by admin webhooks registered with ExcludeBody. Without it, an empty
// body is answered 400 (ErrMalformedBody), which Jira does not retry.
//
// Such a delivery is verified like any other (HubSignature checks the HMAC
// of the empty body; an unsigned one is still answered 401), and duplicates
// are dropped as usual. It then becomes an Event with an empty Name, an
// empty Raw and nothing decoded but Delivery; it is passed to the callbacks
// registered with OnAny only, never to those registered with On. The URL
// variables in Delivery.URL (see URLVariablesOf) say what the event was
// about. Only a body of zero bytes counts as empty: whitespace is still
// malformed. Handler.Replay treats a FailedWebhook with an empty Body the
// same way.
func AllowEmptyBody() HandlerOption {
	return func(h *Handler) { h.allowEmpty = true }
}

// NewHandler returns a Handler that verifies deliveries with v. A nil v
// refuses every delivery with 500 (ErrVerifierUnavailable): there is no
// way to switch verification off by accident.
func NewHandler(v Verifier, opts ...HandlerOption) *Handler {
	h := &Handler{
		verifier: v,
		maxBody:  DefaultMaxBodySize,
		store:    NewMemoryStore(0, 0),
		logger:   slog.New(slog.DiscardHandler),
		on:       make(map[EventName][]Callback),
	}
	for _, opt := range opts {
		opt(h)
	}
	return h
}

// On registers fn for events named name. Several callbacks for one name run
// in registration order.
func (h *Handler) On(name EventName, fn func(context.Context, *Event) error) {
	if fn == nil {
		panic("webhooks: On with a nil callback")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.on[name] = append(h.on[name], fn)
}

// OnAny registers fn for every event, after the callbacks registered with On
// for its name. Events with no callback at all are acknowledged with 200.
func (h *Handler) OnAny(fn func(context.Context, *Event) error) {
	if fn == nil {
		panic("webhooks: OnAny with a nil callback")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onAny = append(h.onAny, fn)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := Delivery{
		ID:   r.Header.Get("X-Atlassian-Webhook-Identifier"),
		Flow: r.Header.Get("X-Atlassian-Webhook-Flow"),
		URL:  deliveryURL(r.URL),
	}
	if n, err := strconv.Atoi(r.Header.Get("X-Atlassian-Webhook-Retry")); err == nil && n >= 0 {
		d.Retry = n
	}
	var name EventName
	status, err := h.serve(w, r, &d, &name)
	if err != nil && h.onError != nil {
		h.onError(r.WithContext(WithDelivery(r.Context(), d)), status, err)
	}
	switch {
	case status == http.StatusOK && err == nil:
		w.WriteHeader(http.StatusOK)
		h.log(r.Context(), slog.LevelDebug, "webhooks: delivery handled", d, name, status, nil)
		return
	case status == http.StatusOK: // a duplicate
		w.WriteHeader(http.StatusOK)
		h.log(r.Context(), slog.LevelInfo, "webhooks: duplicate delivery dropped", d, name, status, err)
		return
	case status == http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
	}
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	h.log(r.Context(), level, "webhooks: delivery refused", d, name, status, err)
	http.Error(w, http.StatusText(status), status)
}

// log logs one delivery outcome. Errors of this package never contain a
// body, a signature or a token.
func (h *Handler) log(ctx context.Context, level slog.Level, msg string, d Delivery, name EventName, status int, err error) {
	if !h.logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("delivery", d.ID),
		slog.Int("retry", d.Retry),
		slog.String("tenant", d.Tenant),
		slog.String("event", string(name)),
	}
	if d.Replay {
		attrs = append(attrs, slog.Bool("replay", true))
	} else {
		attrs = append(attrs, slog.Int("status", status))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	h.logger.LogAttrs(ctx, level, msg, attrs...)
}

// serve handles one request and returns the status to answer and why.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, d *Delivery, name *EventName) (int, error) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, ErrMethodNotAllowed
	}
	body, status, err := h.readBody(w, r)
	if err != nil {
		return status, err
	}

	if h.verifier == nil {
		return http.StatusInternalServerError, fmt.Errorf("%w: nil Verifier", ErrVerifierUnavailable)
	}
	if tv, ok := h.verifier.(TenantVerifier); ok {
		d.Tenant, err = tv.VerifyTenant(r, body)
	} else {
		err = h.verifier.Verify(r, body)
	}
	if err != nil {
		if errors.Is(err, ErrVerifierUnavailable) {
			return http.StatusInternalServerError, err
		}
		return http.StatusUnauthorized, err
	}
	if d.Tenant == "" && h.tenant != nil {
		d.Tenant = h.tenant(r)
	}

	e, err := h.decode(body)
	if err != nil {
		return http.StatusBadRequest, err
	}
	*name = e.Name
	return h.process(r.Context(), d, e)
}

// decode decodes a body, turning an empty one into an empty Event when
// AllowEmptyBody is set.
func (h *Handler) decode(body []byte) (*Event, error) {
	if len(body) == 0 && h.allowEmpty {
		return &Event{Raw: body}, nil
	}
	return ParseEvent(body)
}

// process runs duplicate detection and the callbacks for a verified,
// decoded delivery, and returns the status to answer and why.
func (h *Handler) process(ctx context.Context, d *Delivery, e *Event) (int, error) {
	e.Delivery = *d
	ctx = WithDelivery(ctx, *d)

	dedupe := h.store != nil && d.ID != ""
	if dedupe {
		switch err := h.store.Reserve(ctx, d.Tenant, d.ID); {
		case errors.Is(err, ErrDuplicate):
			return http.StatusOK, err
		case errors.Is(err, ErrDeliveryInProgress):
			return http.StatusConflict, err
		case err != nil:
			return http.StatusInternalServerError, fmt.Errorf("webhooks: dedupe store: %w", err)
		}
	}
	handled := false
	if dedupe {
		// Release the reservation on every way out but success, panics
		// included, so that Jira's retry is handled.
		defer func() {
			if !handled {
				if err := h.store.Release(context.WithoutCancel(ctx), d.Tenant, d.ID); err != nil {
					h.log(ctx, slog.LevelError, "webhooks: could not release delivery", *d, e.Name, http.StatusInternalServerError, err)
				}
			}
		}()
	}
	if err := h.dispatch(ctx, e); err != nil {
		return http.StatusInternalServerError, err
	}
	handled = true
	if dedupe {
		if err := h.store.Commit(context.WithoutCancel(ctx), d.Tenant, d.ID); err != nil {
			// The work is done; a retry would repeat it, but answering 500
			// would make Jira retry for sure.
			h.log(ctx, slog.LevelWarn, "webhooks: could not record delivery as handled", *d, e.Name, http.StatusOK, err)
		}
	}
	return http.StatusOK, nil
}

// readBody reads the whole body within the limit.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	if r.ContentLength > h.maxBody {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, r.ContentLength, h.maxBody)
	}
	if r.Body == nil {
		return nil, 0, nil
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		// Trust the declared length only up to a typical event's size: the
		// sender is not authenticated yet, and memory should follow the
		// bytes that actually arrive.
		buf.Grow(int(min(r.ContentLength, preallocBody)))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: limit %d", ErrBodyTooLarge, h.maxBody)
	case err != nil && !errors.Is(err, io.EOF):
		return nil, http.StatusBadRequest, fmt.Errorf("%w: reading body: %v", ErrMalformedBody, err)
	}
	return buf.Bytes(), 0, nil
}

// dispatch runs the callbacks for e, stopping at the first error, and turns
// a panic into an error.
func (h *Handler) dispatch(ctx context.Context, e *Event) error {
	h.mu.RLock()
	named, catchAll := h.on[e.Name], h.onAny
	h.mu.RUnlock()
	if len(e.Raw) == 0 {
		named = nil // no body, no event name: OnAny callbacks only
	}
	for _, fns := range [2][]Callback{named, catchAll} {
		for _, fn := range fns {
			if err := h.call(ctx, fn, e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *Handler) call(ctx context.Context, fn Callback, e *Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler { //nolint:errorlint // compared as net/http does
				panic(p)
			}
			h.logger.LogAttrs(ctx, slog.LevelError, "webhooks: callback panicked",
				slog.String("delivery", e.Delivery.ID), slog.String("event", string(e.Name)),
				slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("%w: panic: %v", ErrCallback, p)
		}
	}()
	if err := fn(ctx, e); err != nil {
		return fmt.Errorf("%w: %w", ErrCallback, err)
	}
	return nil
}
