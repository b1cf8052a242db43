package jiratest

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/internal/jwtsign"
)

// Delivery is one attempt to deliver a callback, for inspection.
type Delivery struct {
	ID         string    // X-Atlassian-Webhook-Identifier, the same for all attempts
	URL        string    // where it was sent
	Event      string    // webhookEvent
	App        string    // receiving app ("" for an admin webhook)
	WebhookIDs []int64   // matchedWebhookIds (the admin webhook's id for admin webhooks)
	Attempt    int       // 0 for the first attempt, then the retry number
	Time       time.Time // fake time of the attempt
	Status     int       // HTTP status answered, 0 when the connection failed
	Err        string    // the connection error, if any
	Answer     []byte    // the start of the receiver's answer body, at most [MaxAnswer] bytes
	Final      bool      // no further attempt will follow
	Body       []byte    // the body sent
}

// MaxAnswer bounds how much of a receiver's answer a [Delivery] keeps.
const MaxAnswer = 1 << 10

// OK reports whether the attempt succeeded (a 2xx answer).
func (d Delivery) OK() bool { return d.Status >= 200 && d.Status < 300 }

// Deliveries returns every delivery attempt made so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// pending is a delivery with attempts to come.
type pending struct {
	id      string
	url     string
	event   string
	body    []byte
	app     *App       // dynamic webhook delivery
	admin   *adminHook // admin webhook delivery
	ids     []int64
	attempt int
	due     time.Time
	seq     int64
}

// Emit sends ev to every webhook it matches and returns the first attempts
// made. Matching: the webhook is live and registered for ev.Name; its JQL
// filter matches ev.Issue (events without an issue ignore JQL filters); for
// jira:issue_updated a fieldIdsFilter needs a changed field among its ids;
// for issue property events an issuePropertyKeysFilter needs the property's
// key. All dynamic webhooks of one app that match (one app has one URL) get
// one callback listing them in matchedWebhookIds; each matching admin
// webhook gets its own.
//
// Emit delivers synchronously: it returns once each first attempt has been
// answered. A retryable failure (408, 409, 425, 429, 5xx, connection error)
// schedules a retry on the server's clock (see [WithRetries]); advancing the
// clock makes it. Once the retries are spent, or on another status, the
// delivery fails and, for dynamic webhooks, is kept for GET /webhook/failed.
func (s *Server) Emit(ev *Event) []Delivery {
	if ev == nil {
		return nil
	}
	now := s.clock.Now()
	base := s.hs.URL
	var issue *Issue
	if ev.Issue != nil {
		n := ev.Issue.normalized(ev.Timestamp)
		issue = &n
	}
	changed := map[string]bool{}
	if ev.Changelog != nil {
		for _, it := range ev.Changelog.Items {
			changed[it.Field] = true
			changed[it.FieldID] = true
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.expireLocked(now)
	byApp := map[*App][]*hook{}
	for _, h := range s.sortedHooksLocked(nil) {
		if !slices.Contains(h.events, ev.Name) {
			continue
		}
		if issue != nil && h.query != nil && !h.query.Match(issueValues{*issue}) {
			continue
		}
		if ev.Name == "jira:issue_updated" && len(h.fieldIDs) > 0 && !anyIn(h.fieldIDs, changed) {
			continue
		}
		if (ev.Name == "issue_property_set" || ev.Name == "issue_property_deleted") && len(h.propKeys) > 0 && !slices.Contains(h.propKeys, ev.PropertyKey) {
			continue
		}
		byApp[h.app] = append(byApp[h.app], h)
	}
	var admins []*adminHook
	for _, a := range s.sortedAdminLocked() {
		if !a.enabled || !slices.Contains(a.events, ev.Name) && !slices.Contains(a.events, "*") {
			continue
		}
		if issue != nil && a.query != nil && !a.query.Match(issueValues{*issue}) {
			continue
		}
		admins = append(admins, a)
	}
	s.mu.Unlock()

	if len(byApp) == 0 && len(admins) == 0 {
		return nil
	}
	body := ev.render(base, now)
	var batch []*pending
	apps := make([]*App, 0, len(byApp))
	for a := range byApp {
		apps = append(apps, a)
	}
	sort.Slice(apps, func(i, j int) bool { return byApp[apps[i]][0].id < byApp[apps[j]][0].id })
	for _, a := range apps {
		hs := byApp[a]
		ids := make([]int64, len(hs))
		for i, h := range hs {
			ids[i] = h.id
		}
		b := withMatched(body, ids)
		batch = append(batch, &pending{url: hs[0].url, event: ev.Name, body: b, app: a, ids: ids})
	}
	for _, a := range admins {
		var b []byte
		if !a.excludeBody {
			b, _ = json.Marshal(body)
		}
		batch = append(batch, &pending{url: expandURL(a.url, ev, issue), event: ev.Name, body: b, admin: a, ids: []int64{a.id}})
	}
	s.mu.Lock()
	for _, p := range batch {
		s.deliverySeq++
		p.id = s.newDeliveryID()
	}
	s.mu.Unlock()
	var out []Delivery
	for _, p := range batch {
		out = append(out, s.attempt(p, now))
	}
	s.runDue(s.clock.Now())
	return out
}

func anyIn(list []string, set map[string]bool) bool {
	for _, x := range list {
		if set[x] {
			return true
		}
	}
	return false
}

func withMatched(body map[string]any, ids []int64) []byte {
	m := make(map[string]any, len(body)+1)
	for k, v := range body {
		m[k] = v
	}
	m["matchedWebhookIds"] = ids
	b, err := json.Marshal(m)
	if err != nil {
		b = []byte(`{}`)
	}
	return b
}

// expandURL replaces the variables Jira supports in admin webhook URLs.
func expandURL(u string, ev *Event, is *Issue) string {
	if !strings.Contains(u, "${") {
		return u
	}
	// Values are escaped for where they land: as a path segment before the
	// "?", as a query value after it.
	var pathPairs, queryPairs []string
	add := func(k, v string) {
		pathPairs = append(pathPairs, "${"+k+"}", url.PathEscape(v))
		queryPairs = append(queryPairs, "${"+k+"}", url.QueryEscape(v))
	}
	if is != nil {
		add("issue.id", is.ID)
		add("issue.key", is.Key)
		add("project.id", is.Project.ID)
		add("project.key", is.Project.Key)
	}
	if ev.Sprint != nil {
		add("sprint.id", strconv.FormatInt(max(ev.Sprint.ID, 1), 10))
		add("board.id", strconv.FormatInt(max(ev.Sprint.OriginBoardID, 1), 10))
	}
	if ev.Version != nil {
		id := ev.Version.ID
		if id == "" {
			id = "10000"
		}
		add("version.id", id)
	}
	if ev.MergedTo != nil {
		add("mergedVersion.id", ev.MergedTo.ID)
	}
	u2 := ev.User
	if u2 == nil && is != nil {
		u2 = is.Reporter
	}
	add("modifiedUser.accountId", u2.orDefault().AccountID)
	path, query, hasQuery := strings.Cut(u, "?")
	path = strings.NewReplacer(pathPairs...).Replace(path)
	if !hasQuery {
		return path
	}
	return path + "?" + strings.NewReplacer(queryPairs...).Replace(query)
}

// retryable reports whether Jira retries after this status.
func retryable(status int) bool {
	switch status {
	case 0, http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return status >= 500
}

// attempt makes one delivery attempt of p at now, records it, and schedules
// the next attempt or records the failure.
func (s *Server) attempt(p *pending, now time.Time) Delivery {
	d := Delivery{ID: p.id, URL: p.url, Event: p.event, WebhookIDs: p.ids, Attempt: p.attempt, Time: now, Body: p.body}
	if p.app != nil {
		d.App = p.app.name
	}
	status, answer, err := s.send(p, now)
	d.Status, d.Answer = status, answer
	if err != nil {
		d.Err = err.Error()
	}
	retry := !d.OK() && retryable(status) && p.attempt < s.cfg.retries
	var delay time.Duration
	if retry {
		delay = s.cfg.backoff(p.attempt + 1) // may lock s.mu
		if delay < 0 {
			delay = 0
		}
	}
	d.Final = !retry
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries = append(s.deliveries, d)
	if s.closed {
		return d
	}
	switch {
	case retry:
		p.attempt++
		p.due = now.Add(delay)
		s.pendingSeq++
		p.seq = s.pendingSeq
		s.pending = append(s.pending, p)
	case !d.OK() && p.app != nil:
		s.pendingSeq++
		s.failures = append(s.failures, &failure{
			id: p.id, app: p.app, url: p.url, body: string(p.body),
			time: now.Truncate(time.Millisecond), seq: s.pendingSeq,
		})
	}
	return d
}

// send POSTs the callback with its headers and credentials.
func (s *Server) send(p *pending, now time.Time) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(p.body))
	if err != nil {
		return 0, nil, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", "Atlassian Webhook HTTP Client")
	h.Set("X-Atlassian-Webhook-Identifier", p.id)
	h.Set("X-Atlassian-Webhook-Retry", strconv.Itoa(p.attempt))
	h.Set("X-Atlassian-Webhook-Flow", "Primary")
	switch {
	case p.app != nil && p.app.kind == OAuthApp:
		tok, err := jwtsign.OAuthToken(p.app.secret, now, 5*time.Minute, map[string]any{"aud": p.app.name, "iss": s.cloud})
		if err != nil {
			return 0, nil, err
		}
		h.Set("Authorization", "Bearer "+tok)
	case p.app != nil && p.app.kind == ConnectApp:
		tok, err := jwtsign.ConnectToken(p.app.secret, p.app.clientKey, http.MethodPost, req.URL, p.app.contextPath, now, 3*time.Minute)
		if err != nil {
			return 0, nil, err
		}
		h.Set("Authorization", "JWT "+tok)
	case p.admin != nil && len(p.admin.secret) > 0:
		h.Set("X-Hub-Signature", jwtsign.HubSignature(p.admin.secret, p.body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, answer, nil
}

// nextDue implements scheduler.
func (s *Server) nextDue() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t time.Time
	for i, p := range s.pending {
		if i == 0 || p.due.Before(t) {
			t = p.due
		}
	}
	return t, len(s.pending) > 0
}

// runDue implements scheduler: it makes every attempt due by now, including
// attempts that become due by now while it runs.
func (s *Server) runDue(now time.Time) {
	for {
		s.mu.Lock()
		var due, rest []*pending
		for _, p := range s.pending {
			if !p.due.After(now) {
				due = append(due, p)
			} else {
				rest = append(rest, p)
			}
		}
		s.pending = rest
		s.mu.Unlock()
		if len(due) == 0 {
			return
		}
		sort.Slice(due, func(i, j int) bool {
			if !due[i].due.Equal(due[j].due) {
				return due[i].due.Before(due[j].due)
			}
			return due[i].seq < due[j].seq
		})
		for _, p := range due {
			s.attempt(p, now)
		}
	}
}

// RunDue makes the delivery retries due at the clock's current time. Emit
// and [Clock.Advance] call it; tests rarely need to.
func (s *Server) RunDue() { s.runDue(s.clock.Now()) }

// Pending returns how many deliveries wait for a retry.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// newDeliveryID returns a delivery identifier shaped like Jira's, a random
// (version 4) UUID: from a generator seeded with [WithSeed] when one was
// given, so that a run is reproducible, else from a random one. The caller
// holds s.mu.
func (s *Server) newDeliveryID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.ids.Uint64())
	binary.BigEndian.PutUint64(b[8:], s.ids.Uint64())
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
