package jiratest

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/jirahooks/jirahooks/internal/jiratime"
	"github.com/jirahooks/jirahooks/internal/jql"
	"github.com/jirahooks/jirahooks/openapi"
)

// hook is a dynamic webhook.
type hook struct {
	id       int64
	app      *App
	url      string
	events   []string
	jql      string
	query    *jql.Query
	fieldIDs []string
	propKeys []string
	created  time.Time
	expires  time.Time
}

// Webhook is a registered dynamic webhook, for inspection.
type Webhook struct {
	ID                      int64     // the id Jira answered at registration
	App                     string    // the owning app's name
	URL                     string    // where it delivers, the app's one URL
	Events                  []string  // events it is registered for
	JQLFilter               string    // the jqlFilter as registered
	FieldIDsFilter          []string  // fieldIdsFilter, nil for none
	IssuePropertyKeysFilter []string  // issuePropertyKeysFilter, nil for none
	Created                 time.Time // registration, by the server's clock
	ExpirationDate          time.Time // Lifetime after registration or the last refresh
}

func (h *hook) public() Webhook {
	return Webhook{
		ID: h.id, App: h.app.name, URL: h.url, Events: clone(h.events), JQLFilter: h.jql,
		FieldIDsFilter: clone(h.fieldIDs), IssuePropertyKeysFilter: clone(h.propKeys),
		Created: h.created, ExpirationDate: h.expires,
	}
}

func clone(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

// Webhooks returns the live (unexpired) dynamic webhooks of app, or of all
// apps when app is nil, in id order.
func (s *Server) Webhooks(app *App) []Webhook {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	var out []Webhook
	for _, h := range s.sortedHooksLocked(app) {
		out = append(out, h.public())
	}
	return out
}

// expireLocked forgets webhooks whose expiry has come: Jira deletes them
// silently. It scans only when the earliest known expiry has passed.
func (s *Server) expireLocked(now time.Time) {
	if now.Before(s.minExpiry) || len(s.hooks) == 0 {
		return
	}
	var next time.Time
	for id, h := range s.hooks {
		if !now.Before(h.expires) {
			s.removeLocked(id)
			continue
		}
		if next.IsZero() || h.expires.Before(next) {
			next = h.expires
		}
	}
	s.minExpiry = next
}

// addLocked stores a new webhook; ids increase, so per-app lists stay in id
// order.
func (s *Server) addLocked(h *hook) {
	s.hooks[h.id] = h
	s.byApp[h.app] = append(s.byApp[h.app], h)
	if s.minExpiry.IsZero() || h.expires.Before(s.minExpiry) {
		s.minExpiry = h.expires
	}
}

func (s *Server) removeLocked(id int64) {
	h := s.hooks[id]
	if h == nil {
		return
	}
	delete(s.hooks, id)
	list := s.byApp[h.app]
	if i := slices.Index(list, h); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(s.byApp, h.app)
	} else {
		s.byApp[h.app] = list
	}
}

// sortedHooksLocked returns the webhooks of app (all apps if nil) in id
// order. The slice must not be kept or changed past the lock.
func (s *Server) sortedHooksLocked(app *App) []*hook {
	if app != nil {
		return s.byApp[app]
	}
	hs := make([]*hook, 0, len(s.hooks))
	for _, h := range s.hooks {
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].id < hs[j].id })
	return hs
}

// dynamic wraps a handler of the dynamic webhook API: only apps may call it.
func (s *Server) dynamic(base string, h func(w http.ResponseWriter, r *http.Request, app *App, base string)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, info *reqInfo) {
		if !s.authenticate(w, r, info) {
			return
		}
		if info.app == nil {
			writeErrors(w, http.StatusForbidden, msgOnlyApps)
			return
		}
		h(w, r, info.app, base)
	}
}

// abs returns the absolute URL of path on this server.
func (s *Server) abs(path string, q url.Values) string {
	u := s.hs.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

type registration struct {
	URL      *string                   `json:"url"`
	Webhooks *[]openapi.WebhookDetails `json:"webhooks"`
}

const msgOneURL = "Only a single URL per app is allowed to be registered."

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request, app *App, _ string) {
	var req registration
	if !decodeBody(w, r, &req) {
		return
	}
	if req.URL == nil || *req.URL == "" {
		writeErrors(w, http.StatusBadRequest, "The webhook URL is required.")
		return
	}
	if req.Webhooks == nil {
		writeErrors(w, http.StatusBadRequest, "The list of webhooks is required.")
		return
	}
	target := *req.URL
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		writeErrors(w, http.StatusBadRequest, "The webhook URL is not a valid http or https URL.")
		return
	}
	if app.baseURL != "" && target != app.baseURL && !hasPathPrefix(target, app.baseURL) {
		writeErrors(w, http.StatusBadRequest, "The webhook URL must use the same base URL as the Connect app.")
		return
	}
	// Parse outside the lock.
	type item struct {
		q    *jql.Query
		errs []string
	}
	items := make([]item, len(*req.Webhooks))
	for i, d := range *req.Webhooks {
		q, err := jql.Parse(d.JQLFilter)
		if err != nil {
			items[i].errs = append(items[i].errs, err.Error())
		}
		items[i].q = q
		if len(d.Events) == 0 {
			items[i].errs = append(items[i].errs, "At least one event is required.")
		}
		for _, e := range d.Events {
			if !s.cfg.events[string(e)] {
				items[i].errs = append(items[i].errs, "The event "+string(e)+" is not supported.")
			}
		}
	}
	now := s.clock.Now()
	s.mu.Lock()
	s.expireLocked(now)
	live := 0
	for _, h := range s.byApp[app] {
		live++
		if h.url != target {
			s.mu.Unlock()
			writeErrors(w, http.StatusBadRequest, msgOneURL)
			return
		}
	}
	res := openapi.ContainerForRegisteredWebhooks{WebhookRegistrationResult: make([]openapi.RegisteredWebhook, len(items))}
	for i, d := range *req.Webhooks {
		it := items[i]
		if len(it.errs) == 0 && s.cfg.limit > 0 && live >= s.cfg.limit {
			it.errs = append(it.errs, "The app has reached the limit of "+strconv.Itoa(s.cfg.limit)+" webhooks on this site.")
		}
		if len(it.errs) > 0 {
			res.WebhookRegistrationResult[i] = openapi.RegisteredWebhook{Errors: it.errs}
			continue
		}
		id := s.nextID
		s.nextID++
		events := make([]string, len(d.Events))
		for j, e := range d.Events {
			events[j] = string(e)
		}
		s.addLocked(&hook{
			id: id, app: app, url: target, events: events, jql: d.JQLFilter, query: it.q,
			fieldIDs: clone(d.FieldIDsFilter), propKeys: clone(d.IssuePropertyKeysFilter),
			created: now, expires: now.Add(Lifetime),
		})
		live++
		res.WebhookRegistrationResult[i] = openapi.RegisteredWebhook{CreatedWebhookID: &id}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, res)
}

func hasPathPrefix(u, base string) bool {
	return len(u) > len(base) && u[:len(base)] == base && (u[len(base)] == '/' || u[len(base)] == '?')
}

// intParam reads a non-negative integer query parameter; ok is false (and
// a 400 answered) when it is present but not one.
func intParam(w http.ResponseWriter, q url.Values, name string, def int64) (int64, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		writeErrors(w, http.StatusBadRequest, "The value '"+v+"' is not valid for "+name+".")
		return 0, false
	}
	return n, true
}

func (s *Server) pageSize(requested int64) int {
	if requested > int64(s.cfg.maxResults) {
		return s.cfg.maxResults
	}
	return int(requested)
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, app *App, base string) {
	q := r.URL.Query()
	startAt, ok := intParam(w, q, "startAt", 0)
	if !ok {
		return
	}
	max, ok := intParam(w, q, "maxResults", DefaultMaxResults)
	if !ok {
		return
	}
	size := s.pageSize(max)
	now := s.clock.Now()
	s.mu.Lock()
	s.expireLocked(now)
	hs := s.sortedHooksLocked(app)
	total := int64(len(hs))
	values := []openapi.Webhook{}
	for i := startAt; i < total && len(values) < size; i++ {
		h := hs[i]
		events := make([]openapi.WebhookEvent, len(h.events))
		for j, e := range h.events {
			events[j] = openapi.WebhookEvent(e)
		}
		exp := jiratime.Time{Time: h.expires}
		values = append(values, openapi.Webhook{
			ID: h.id, URL: h.url, Events: events, JQLFilter: h.jql, ExpirationDate: &exp,
			FieldIDsFilter: clone(h.fieldIDs), IssuePropertyKeysFilter: clone(h.propKeys),
		})
	}
	s.mu.Unlock()
	isLast := startAt+int64(len(values)) >= total
	max32 := int32(size)
	page := openapi.PageBeanWebhook{
		StartAt: &startAt, MaxResults: &max32, Total: &total, IsLast: &isLast, Values: values,
		Self: ptr(s.abs(base, url.Values{"startAt": {strconv.FormatInt(startAt, 10)}, "maxResults": {strconv.Itoa(size)}})),
	}
	if !isLast {
		next := startAt + int64(len(values))
		page.NextPage = ptr(s.abs(base, url.Values{"startAt": {strconv.FormatInt(next, 10)}, "maxResults": {strconv.Itoa(size)}}))
	}
	writeJSON(w, http.StatusOK, webhookPage{PageBeanWebhook: page, Values: values})
}

// webhookPage is a page of GET /webhook as Jira sends it: "values" is
// present even when empty ("values": []), where the generated type omits
// an empty list; jira.js 6 rejects a page without it.
type webhookPage struct {
	openapi.PageBeanWebhook
	Values []openapi.Webhook `json:"values"`
}

func ptr[T any](v T) *T { return &v }

type idList struct {
	WebhookIDs *[]int64 `json:"webhookIds"`
}

func (s *Server) readIDs(w http.ResponseWriter, r *http.Request) ([]int64, bool) {
	var req idList
	if !decodeBody(w, r, &req) {
		return nil, false
	}
	if req.WebhookIDs == nil {
		writeErrors(w, http.StatusBadRequest, "The list of webhook IDs is required.")
		return nil, false
	}
	return *req.WebhookIDs, true
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, app *App, _ string) {
	ids, ok := s.readIDs(w, r)
	if !ok {
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	s.expireLocked(now)
	for _, id := range ids {
		if h := s.hooks[id]; h != nil && h.app == app {
			s.removeLocked(id)
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request, app *App, _ string) {
	ids, ok := s.readIDs(w, r)
	if !ok {
		return
	}
	now := s.clock.Now()
	exp := now.Add(Lifetime)
	s.mu.Lock()
	s.expireLocked(now)
	for _, id := range ids {
		if h := s.hooks[id]; h != nil && h.app == app {
			h.expires = exp
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, openapi.WebhooksExpirationDate{ExpirationDate: &jiratime.Time{Time: exp}})
}

// failure is a delivery Jira gave up on.
type failure struct {
	id   string
	app  *App
	url  string
	body string
	time time.Time // to the millisecond
	seq  int64
}

func (s *Server) forgetFailuresLocked(now time.Time) {
	cut := now.Add(-FailureRetention)
	keep := s.failures[:0]
	for _, f := range s.failures {
		if f.time.After(cut) {
			keep = append(keep, f)
		}
	}
	clear(s.failures[len(keep):])
	s.failures = keep
}

func (s *Server) handleFailed(w http.ResponseWriter, r *http.Request, app *App, base string) {
	if app.kind != ConnectApp {
		writeErrors(w, http.StatusForbidden, msgOnlyConnect)
		return
	}
	q := r.URL.Query()
	max, ok := intParam(w, q, "maxResults", DefaultMaxResults)
	if !ok {
		return
	}
	// The docs and the next links say failedAfter; the definition says after.
	name := "failedAfter"
	if q.Get(name) == "" {
		name = "after"
	}
	after, ok := intParam(w, q, name, -1)
	if !ok {
		return
	}
	size := s.pageSize(max)
	now := s.clock.Now()
	s.mu.Lock()
	s.forgetFailuresLocked(now)
	var mine []*failure
	for _, f := range s.failures {
		if f.app == app && f.time.UnixMilli() > after {
			mine = append(mine, f)
		}
	}
	s.mu.Unlock()
	sort.Slice(mine, func(i, j int) bool {
		if !mine[i].time.Equal(mine[j].time) {
			return mine[i].time.Before(mine[j].time)
		}
		return mine[i].seq < mine[j].seq
	})
	n := min(size, len(mine))
	// Never split failures that share a failure time.
	for n > 0 && n < len(mine) && mine[n].time.Equal(mine[n-1].time) {
		n++
	}
	page := openapi.FailedWebhooks{MaxResults: int32(size), Values: []openapi.FailedWebhook{}}
	for _, f := range mine[:n] {
		page.Values = append(page.Values, openapi.FailedWebhook{ID: f.id, URL: f.url, Body: ptr(f.body), FailureTime: f.time.UnixMilli()})
	}
	if n > 0 {
		last := mine[n-1].time.UnixMilli()
		page.Next = ptr(s.abs(base+"/failed", url.Values{"failedAfter": {strconv.FormatInt(last, 10)}, "maxResults": {strconv.Itoa(size)}}))
	}
	writeJSON(w, http.StatusOK, page)
}

// FailedDelivery is a delivery Jira gave up on, as GET /webhook/failed
// lists it.
type FailedDelivery struct {
	ID          string    // the X-Atlassian-Webhook-Identifier of the delivery
	App         string    // the receiving app's name
	URL         string    // where the delivery was sent
	Body        string    // the callback body
	FailureTime time.Time // when the last attempt failed, to the millisecond
}

// Failed returns the failed deliveries of app (all apps if nil) that Jira
// still remembers, oldest first.
func (s *Server) Failed(app *App) []FailedDelivery {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetFailuresLocked(now)
	var out []FailedDelivery
	for _, f := range s.failures {
		if app == nil || f.app == app {
			out = append(out, FailedDelivery{ID: f.id, App: f.app.name, URL: f.url, Body: f.body, FailureTime: f.time})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].FailureTime.Before(out[j].FailureTime) })
	return out
}
