package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/jirahooks/jirahooks/internal/retry"
)

// DefaultMaxBodySize is the largest body a Handler accepts unless
// WithMaxBodySize says otherwise: 1 MiB, well above Jira's largest issue
// events.
const DefaultMaxBodySize = 1 << 20

// DefaultBodyReadTimeout is how long a Handler waits for a request's body
// unless WithBodyReadTimeout says otherwise. Jira sends a whole event in
// well under a second; a client that trickles its body holds a connection
// and a goroutine no longer than this.
const DefaultBodyReadTimeout = 10 * time.Second

// DefaultCommitRetry is how long a Handler keeps trying to record a
// delivery as handled, after its callbacks succeeded, while the DedupeStore
// fails, unless WithCommitRetry says otherwise: long enough for a Redis
// restart or a failover.
const DefaultCommitRetry = 15 * time.Second

// commitBackoff spaces the attempts of a failing Commit: 50 ms doubling up
// to 2 s, with jitter.
var commitBackoff = retry.Policy{Base: 50 * time.Millisecond, Cap: 2 * time.Second}

// preallocBody bounds the buffer readBody allocates up front from a
// request's Content-Length; larger bodies grow it as they are read.
const preallocBody = 64 << 10

// Handler is the http.Handler an app mounts where Jira delivers webhooks.
// For each request it:
//
//  1. accepts POST only (405 otherwise);
//  2. reads at most the body limit (413 beyond it), within the body read
//     timeout (408, which Jira retries; see WithBodyReadTimeout);
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
// It answers 200 when every callback succeeded, after recording the
// delivery as handled in its DedupeStore. A callback error or panic answers
// 500, so that Jira retries the delivery, which is then handled again:
// callbacks run at least once per delivery, and, when there are several,
// one may run again after another one failed. Error responses carry only
// the status text.
//
// Once the callbacks succeeded, a failing DedupeStore (Redis restarting, a
// failover) must not let a later copy of the delivery run them again, so
// Commit is retried with backoff for up to the commit retry time
// (DefaultCommitRetry, see WithCommitRetry), whether or not the request's
// context ends meanwhile. The handler answers only after that: a response
// sent first would leave the outcome to a goroutine that a shutdown or a
// crash would cut short, whereas http.Server.Shutdown waits for handlers.
// The cost is latency during an outage only: such a response may take up
// to the commit retry time, and if Jira gives up waiting first it counts
// the attempt as failed and retries it, which finds the delivery reserved
// (409, retried later) or recorded (200, dropped), never runs it again.
// Past the commit retry time the handler still answers 200 (the work is
// done; a 500 would make Jira retry for sure), logs an error and calls the
// error hook with an error wrapping ErrNotRecorded; the delivery stays
// reserved until the store's reservation expires, after which a copy of it
// would run the callbacks again.
//
// Replay hands a failed delivery, fetched with Client.ListFailed, to the
// same duplicate detection and callbacks, without an HTTP request.
//
// Register callbacks before serving; On and OnAny are safe to call
// concurrently with deliveries, though.
type Handler struct {
	verifier    Verifier
	maxBody     int64
	readTimeout time.Duration
	commitFor   time.Duration
	allowEmpty  bool
	store       DedupeStore
	logger      *slog.Logger
	tenant      func(*http.Request) string
	onError     func(r *http.Request, status int, err error)

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

// WithBodyReadTimeout bounds the time the handler spends reading a request's
// body, from the moment it starts: a body that has not arrived whole by
// then is answered 408 (ErrBodyTimeout), which Jira retries, and the
// callbacks are not called. d <= 0 keeps DefaultBodyReadTimeout.
//
// The bound is the connection's read deadline, set through
// http.ResponseController and cleared once the body is read, so that it
// never limits the callbacks. It applies when the ResponseWriter supports
// read deadlines (net/http's own do, HTTP/1 and HTTP/2; middleware must
// implement Unwrap); with one that does not, the body is read without this
// bound. An http.Server whose ReadTimeout is d or less already bounds the
// whole request, and the handler leaves its deadline alone.
func WithBodyReadTimeout(d time.Duration) HandlerOption {
	return func(h *Handler) {
		if d > 0 {
			h.readTimeout = d
		}
	}
}

// WithCommitRetry sets for how long the handler retries recording a
// delivery as handled, once its callbacks succeeded, while the DedupeStore
// fails; see Handler for what happens during and past that time. Keep it
// well below the store's reservation time to live. d <= 0 keeps
// DefaultCommitRetry.
func WithCommitRetry(d time.Duration) HandlerOption {
	return func(h *Handler) {
		if d > 0 {
			h.commitFor = d
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
// ErrCallback), for dropped duplicates (status 200, ErrDuplicate), and for
// deliveries handled but not recorded as such (status 200, ErrNotRecorded).
// Use it for metrics or alerts. It runs before the response is written; r's
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
		verifier:    v,
		maxBody:     DefaultMaxBodySize,
		readTimeout: DefaultBodyReadTimeout,
		commitFor:   DefaultCommitRetry,
		store:       NewMemoryStore(0, 0),
		logger:      slog.New(slog.DiscardHandler),
		on:          make(map[EventName][]Callback),
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
	case status == http.StatusOK && errors.Is(err, ErrNotRecorded):
		w.WriteHeader(http.StatusOK)
		h.log(r.Context(), slog.LevelError, "webhooks: delivery handled but not recorded", d, name, status, err)
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
		// The work is done: answering 500 would make Jira retry for sure,
		// so whatever the store does, the answer is 200.
		if err := h.commit(ctx, d, e.Name); err != nil {
			return http.StatusOK, err
		}
	}
	return http.StatusOK, nil
}

// commit records a delivery whose callbacks succeeded as handled, retrying
// with backoff for up to h.commitFor while the store fails, even if ctx
// ends meanwhile. It returns an error wrapping ErrNotRecorded and the
// store's last error when it gives up.
func (h *Handler) commit(ctx context.Context, d *Delivery, name EventName) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.commitFor)
	defer cancel()
	for attempt := 0; ; attempt++ {
		err := h.store.Commit(ctx, d.Tenant, d.ID)
		if err == nil {
			if attempt > 0 {
				h.log(ctx, slog.LevelInfo, "webhooks: delivery recorded after retrying", *d, name, http.StatusOK, nil)
			}
			return nil
		}
		if attempt == 0 {
			h.log(ctx, slog.LevelWarn, "webhooks: could not record delivery as handled, retrying", *d, name, http.StatusOK, err)
		}
		if retry.Sleep(ctx, commitBackoff.Backoff(attempt)) != nil {
			return fmt.Errorf("%w: %d attempts in %v: %w", ErrNotRecorded, attempt+1, h.commitFor, err)
		}
	}
}

// readBody reads the whole body within the size limit and the read
// timeout.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	if r.ContentLength > h.maxBody {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, r.ContentLength, h.maxBody)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0, nil
	}
	clearDeadline := h.setReadDeadline(w, r)
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
	case isTimeout(err):
		return nil, http.StatusRequestTimeout, fmt.Errorf("%w: %d bytes read in %v", ErrBodyTimeout, buf.Len(), h.readTimeout)
	case err != nil && !errors.Is(err, io.EOF):
		return nil, http.StatusBadRequest, fmt.Errorf("%w: reading body: %v", ErrMalformedBody, err)
	}
	// Only now: after a failed read the deadline stays, so that net/http
	// does not wait for the rest of a trickled body before answering, and
	// the connection is closed.
	clearDeadline()
	return buf.Bytes(), 0, nil
}

// setReadDeadline bounds the body's read through the connection's read
// deadline and returns the function that clears it again, which does
// nothing when it set none: the server's ReadTimeout is as strict already,
// or w does not support deadlines.
func (h *Handler) setReadDeadline(w http.ResponseWriter, r *http.Request) (clearDeadline func()) {
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 && srv.ReadTimeout <= h.readTimeout {
		return func() {}
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(h.readTimeout)); err != nil {
		return func() {} // http.ErrNotSupported: read without the bound
	}
	// The deadline is for the body only: cleared, it cannot reach the
	// callbacks, whatever the protocol does with a deadline left in place.
	return func() { _ = rc.SetReadDeadline(time.Time{}) }
}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
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
