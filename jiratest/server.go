package jiratest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/jirahooks/jirahooks/openapi"
)

// Lifetime is how long a dynamic webhook lives after its registration or its
// last refresh. Jira: "Webhooks registered through the REST API expire after
// 30 days."
const Lifetime = 30 * 24 * time.Hour

// FailureRetention is how long a failed delivery stays listed by
// GET /webhook/failed. Jira: "After 72 hours the failure may no longer be
// returned by this operation."
const FailureRetention = 72 * time.Hour

// DefaultMaxResults is the page size Jira uses when a request names none,
// and the default cap on the page size (see [WithMaxResults]).
const DefaultMaxResults = 100

// DefaultEvents are the events a dynamic webhook may register by default:
// the eight of the official definition (issue, comment and issue property
// events) and the sprint and version events added to the enum in 2026.
// Change the set with [WithKnownEvents].
var DefaultEvents = []string{
	"jira:issue_created", "jira:issue_updated", "jira:issue_deleted",
	"comment_created", "comment_updated", "comment_deleted",
	"issue_property_set", "issue_property_deleted",
	"sprint_created", "sprint_updated", "sprint_closed", "sprint_deleted", "sprint_started",
	"jira:version_released", "jira:version_unreleased", "jira:version_created",
	"jira:version_moved", "jira:version_updated", "jira:version_merged", "jira:version_deleted",
}

// Server is an in-memory Jira Cloud site listening on a loopback address. It
// serves the dynamic webhook API on /rest/api/2 and /rest/api/3 and the admin
// webhook API on /rest/webhooks/1.0/webhook, and delivers webhooks when a
// test calls [Server.Emit]. Create it with [NewServer] and stop it with
// [Server.Close]. All methods are safe for concurrent use.
type Server struct {
	hs     *httptest.Server
	clock  *Clock
	cfg    config
	client *http.Client // for deliveries
	cloud  string

	mu          sync.Mutex
	apps        []*App
	byToken     map[string]*App
	byKey       map[string]*App
	users       map[string]*user
	hooks       map[int64]*hook
	byApp       map[*App][]*hook
	minExpiry   time.Time
	nextID      int64
	admin       map[int64]*adminHook
	nextAdminID int64
	failures    []*failure
	requests    []Request
	deliveries  []Delivery
	pending     []*pending
	deliverySeq int64
	pendingSeq  int64
	faults      map[Endpoint]*faultPlan
	rng         *rand.Rand // faults and default retry delays
	ids         *rand.Rand // delivery identifiers
	closed      bool
}

type config struct {
	clock           *Clock
	maxResults      int
	events          map[string]bool
	retries         int
	backoff         func(retry int) time.Duration
	seed            uint64
	seeded          bool
	limit           int
	deliveryTimeout time.Duration
	listener        net.Listener
	control         bool
}

// Option configures a [Server].
type Option func(*config)

// WithClock makes the server follow c. Servers that share a Clock form a
// consistent world (useful for many sites). By default each server has its
// own Clock starting at the wall-clock time of NewServer, to the
// millisecond, so that tokens it signs are valid for real-time verifiers.
func WithClock(c *Clock) Option { return func(o *config) { o.clock = c } }

// WithMaxResults caps the page size of GET /webhook and GET /webhook/failed
// at n (default [DefaultMaxResults]): a request asking for more gets n, and
// the answer's maxResults says so.
func WithMaxResults(n int) Option {
	return func(o *config) {
		if n > 0 {
			o.maxResults = n
		}
	}
}

// WithKnownEvents replaces the set of events dynamic webhooks may register
// (default [DefaultEvents]). Registering another event yields a per-item
// error. Admin webhooks accept any event.
func WithKnownEvents(events ...string) Option {
	return func(o *config) {
		o.events = map[string]bool{}
		for _, e := range events {
			o.events[e] = true
		}
	}
}

// WithRetries sets how often a delivery is retried after a retryable
// failure (408, 409, 425, 429, 5xx, connection error, timeout) and the
// delay before retry number n (1-based), on the server's [Clock]. The
// default is 5 retries, each 5 to 15 minutes after the previous attempt
// (drawn from the seeded generator, see [WithSeed]), as Jira Cloud does.
// A delay of 0 makes the retry happen at once, inside [Server.Emit].
func WithRetries(n int, backoff func(retry int) time.Duration) Option {
	return func(o *config) {
		if n < 0 {
			n = 0
		}
		o.retries = n
		if backoff != nil {
			o.backoff = backoff
		}
	}
}

// WithSeed seeds the random generators behind random faults, the default
// retry delays and the delivery identifiers (X-Atlassian-Webhook-Identifier),
// so that a run can be reproduced, identifiers included.
//
// Without it, faults and retry delays follow seed 1, and delivery
// identifiers are random, as Jira's are: two servers then never deliver the
// same identifier, so a handler that receives from several sites never
// drops one site's delivery as a duplicate of another's. Servers given the
// same seed do repeat each other's identifiers.
func WithSeed(seed uint64) Option {
	return func(o *config) { o.seed, o.seeded = seed, true }
}

// WithListener makes the server accept connections on ln instead of a
// fresh loopback port, for example to serve a fixed address, as
// `jirahooks fake --addr` does. The server closes ln on Close.
func WithListener(ln net.Listener) Option { return func(o *config) { o.listener = ln } }

// WithWebhookLimit limits how many live dynamic webhooks one app may have on
// the site; registrations beyond it get a per-item error. The default, 0,
// means no limit.
func WithWebhookLimit(n int) Option { return func(o *config) { o.limit = n } }

// WithDeliveryTimeout bounds one delivery attempt in real time (default 10
// seconds). A timeout counts as a connection failure and is retried.
func WithDeliveryTimeout(d time.Duration) Option {
	return func(o *config) {
		if d > 0 {
			o.deliveryTimeout = d
		}
	}
}

// NewServer starts a Jira site on a loopback address. It panics if it cannot
// listen, as httptest.NewServer does.
func NewServer(opts ...Option) *Server {
	cfg := config{
		maxResults:      DefaultMaxResults,
		retries:         5,
		seed:            1,
		deliveryTimeout: 10 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.events == nil {
		cfg.events = map[string]bool{}
		for _, e := range DefaultEvents {
			cfg.events[e] = true
		}
	}
	if cfg.clock == nil {
		cfg.clock = NewClock(time.Now().UTC().Truncate(time.Millisecond))
	}
	s := &Server{
		clock:   cfg.clock,
		cfg:     cfg,
		byToken: map[string]*App{},
		byKey:   map[string]*App{},
		users:   map[string]*user{},
		hooks:   map[int64]*hook{},
		byApp:   map[*App][]*hook{},
		nextID:  10000,
		admin:   map[int64]*adminHook{},
		faults:  map[Endpoint]*faultPlan{},
		rng:     rand.New(rand.NewPCG(cfg.seed, 0x6a697261)),
		ids:     rand.New(rand.NewPCG(cfg.seed, 0x69647321)),
		cloud:   randomUUID(),
	}
	if !cfg.seeded {
		s.ids = rand.New(rand.NewChaCha8(randomSeed()))
	}
	if s.cfg.backoff == nil {
		s.cfg.backoff = func(int) time.Duration {
			s.mu.Lock()
			defer s.mu.Unlock()
			return 5*time.Minute + time.Duration(s.rng.Int64N(int64(10*time.Minute)))
		}
	}
	// Deliveries get a transport of their own, so that Close can drop its
	// idle connections to the app's receivers.
	s.client = &http.Client{Timeout: cfg.deliveryTimeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.hs.Config.ReadHeaderTimeout = 10 * time.Second // a long-lived fake meets slow clients too
	if cfg.listener != nil {
		_ = s.hs.Listener.Close()
		s.hs.Listener = cfg.listener
	}
	s.hs.Start()
	s.clock.subscribe(s)
	return s
}

// URL returns the site's base URL, for example "http://127.0.0.1:41234",
// the baseURL to give webhooks.NewClient.
func (s *Server) URL() string { return s.hs.URL }

// CloudID returns the site's id, a random UUID.
func (s *Server) CloudID() string { return s.cloud }

// Clock returns the server's fake clock.
func (s *Server) Clock() *Clock { return s.clock }

// Now returns the server's fake current time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// Advance advances the server's clock by d; see [Clock.Advance].
func (s *Server) Advance(d time.Duration) { s.clock.Advance(d) }

// Client returns an *http.Client without credentials that talks to the
// server. Each [App] has an authenticated one, see [App.HTTPClient].
func (s *Server) Client() *http.Client { return s.hs.Client() }

// Close shuts the server down, waiting for requests in progress, and drops
// retries still waiting.
func (s *Server) Close() {
	s.clock.unsubscribe(s)
	s.mu.Lock()
	s.closed = true
	s.pending = nil
	s.mu.Unlock()
	s.hs.Close()
	s.client.CloseIdleConnections()
}

// Request is one API request the server received, for inspection.
type Request struct {
	Time   time.Time // fake time of arrival
	Method string    // HTTP method
	Path   string    // URL path, for example "/rest/api/3/webhook"
	Query  string    // raw query
	App    string    // name of the calling app, "" if none
	User   string    // email of a basic-auth user, "" if none
	Status int       // status answered; 0 for a dropped connection
	Fault  FaultKind // the injected fault, NoFault for a normal answer
}

// Requests returns the API requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetLogs forgets the requests and deliveries recorded so far (not the
// failed deliveries Jira keeps). Long simulations call it to bound memory.
func (s *Server) ResetLogs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.deliveries = nil
}

// reqInfo collects what a handler learns about a request, for the log.
type reqInfo struct {
	app    *App
	user   *user
	status int
	fault  FaultKind
	logged bool
}

// recorder logs the request as its status is written, before the client
// can see the answer, so Requests never lags behind what a client saw.
type recorder struct {
	http.ResponseWriter
	info *reqInfo
	log  func()
}

func (r *recorder) WriteHeader(code int) {
	if r.info.status == 0 {
		r.info.status = code
		r.log()
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.info.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.control && (r.URL.Path == ControlPrefix || strings.HasPrefix(r.URL.Path, ControlPrefix+"/")) {
		s.serveControl(w, r)
		return
	}
	info := &reqInfo{}
	log := func() {
		if info.logged {
			return
		}
		info.logged = true
		req := Request{
			Time: s.clock.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Status: info.status, Fault: info.fault,
		}
		if info.app != nil {
			req.App = info.app.name
		}
		if info.user != nil {
			req.User = info.user.email
		}
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.mu.Unlock()
	}
	defer log()
	rec := &recorder{ResponseWriter: w, info: info, log: log}
	ep, handler := s.route(r)
	if ep != "" {
		if f, ok := s.pickFault(ep); ok {
			info.fault = f.Kind
			if f.Kind == Drop {
				log()
			}
			if s.applyFault(rec, r, f) {
				return
			}
		}
	}
	handler(rec, r, info)
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, info *reqInfo)

// route finds the handler of a request and the fault endpoint it belongs to.
func (s *Server) route(r *http.Request) (Endpoint, handlerFunc) {
	p := r.URL.Path
	for _, v := range []string{"2", "3"} {
		prefix := "/rest/api/" + v + "/webhook"
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		base := prefix
		switch rest {
		case "", "/":
			switch r.Method {
			case http.MethodGet:
				return EndpointList, s.dynamic(base, s.handleList)
			case http.MethodPost:
				return EndpointRegister, s.dynamic(base, s.handleRegister)
			case http.MethodDelete:
				return EndpointDelete, s.dynamic(base, s.handleDelete)
			}
			return "", methodNotAllowed("GET, POST, DELETE")
		case "/failed":
			if r.Method == http.MethodGet {
				return EndpointFailed, s.dynamic(base, s.handleFailed)
			}
			return "", methodNotAllowed("GET")
		case "/refresh":
			if r.Method == http.MethodPut {
				return EndpointRefresh, s.dynamic(base, s.handleRefresh)
			}
			return "", methodNotAllowed("PUT")
		}
	}
	if rest, ok := strings.CutPrefix(p, adminPath); ok && (rest == "" || rest[0] == '/') {
		return EndpointAdmin, s.handleAdmin
	}
	return "", func(w http.ResponseWriter, r *http.Request, _ *reqInfo) {
		writeErrors(w, http.StatusNotFound, "null for uri: "+r.URL.Path)
	}
}

func methodNotAllowed(allow string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ *reqInfo) {
		w.Header().Set("Allow", allow)
		writeErrors(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed here.")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(openapi.ErrorCollection{ErrorMessages: []string{err.Error()}})
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeErrors(w http.ResponseWriter, status int, msgs ...string) {
	writeJSON(w, status, openapi.ErrorCollection{ErrorMessages: msgs})
}

// maxBody bounds request bodies the server reads.
const maxBody = 1 << 20

// decodeBody reads r's JSON body into v. On failure it answers 400 (or 413)
// with an ErrorCollection and returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "Could not read the request body.")
		return false
	}
	if len(b) > maxBody {
		writeErrors(w, http.StatusRequestEntityTooLarge, "The request body is too large.")
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		writeErrors(w, http.StatusBadRequest, "No content to map due to end-of-input.")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		writeErrors(w, http.StatusBadRequest, "The request body is not valid JSON: "+jsonErrText(err))
		return false
	}
	if dec.More() {
		writeErrors(w, http.StatusBadRequest, "The request body is not valid JSON: trailing data after the value.")
		return false
	}
	return true
}

func jsonErrText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("field %s cannot hold a JSON %s.", te.Field, te.Value)
		}
		return fmt.Sprintf("cannot decode a JSON %s here.", te.Value)
	}
	return err.Error()
}
