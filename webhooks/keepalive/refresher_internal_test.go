package keepalive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/testclock"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/pagination"
	"github.com/jirahooks/jirahooks/webhooks"
)

const rfDay = 24 * time.Hour

// rfStart is where the tests' clocks start.
var rfStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newRFClock returns the fake clock of one test: jiratest's, whose Sleep
// moves time forward at once.
func newRFClock() *jiratest.Clock { return jiratest.NewClock(rfStart) }

// rfSet moves c forward to at, which must not be before c's time.
func rfSet(t *testing.T, c *jiratest.Clock, at time.Time) {
	t.Helper()
	now := c.Now()
	require.False(t, at.Before(now), "the clock would go back from %v to %v", now, at)
	c.Advance(at.Sub(now))
}

// rfJira is an in-memory site implementing siteAPI, with Jira's expiry
// rules, a call log and injectable failures.
type rfJira struct {
	clock *jiratest.Clock

	mu                    sync.Mutex
	nextID                int64
	hooks                 map[int64]*webhooks.Webhook
	calls                 map[string]int
	fail                  map[string][]error                // op -> errors returned by the next calls
	refuse                func(d webhooks.Details) []string // non-nil errors: refused
	spell                 func(jql string) string           // how Jira stores a JQL filter
	before                func(op string)                   // called before each op, unlocked
	inFlight, maxInFlight atomic.Int32
}

func newRFJira(c *jiratest.Clock) *rfJira {
	return &rfJira{clock: c, nextID: 10000, hooks: map[int64]*webhooks.Webhook{}, calls: map[string]int{}, fail: map[string][]error{}}
}

func (f *rfJira) enter(op string) error {
	n := f.inFlight.Add(1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if f.before != nil {
		f.before(op)
	}
	f.mu.Lock()
	f.calls[op]++
	if q := f.fail[op]; len(q) > 0 {
		f.fail[op] = q[1:]
		if q[0] != nil {
			f.mu.Unlock()
			return q[0]
		}
	}
	// Jira deletes expired webhooks.
	now := f.clock.Now()
	for id, h := range f.hooks {
		if !now.Before(h.ExpirationDate) {
			delete(f.hooks, id)
		}
	}
	return nil
}

func (f *rfJira) leave() {
	f.mu.Unlock()
	f.inFlight.Add(-1)
}

// List serves every webhook on one page.
func (f *rfJira) List(*webhooks.ListOptions) *pagination.Pager[webhooks.Webhook] {
	return onePage(f.list)
}

// onePage is a pager with one page, what list returns.
func onePage(list func() ([]webhooks.Webhook, error)) *pagination.Pager[webhooks.Webhook] {
	last := true
	return pagination.NewOffset(0, 0, func(ctx context.Context, _ int64, _ int) (pagination.OffsetPage[webhooks.Webhook], error) {
		hooks, err := list()
		return pagination.OffsetPage[webhooks.Webhook]{Values: hooks, IsLast: &last}, err
	})
}

func (f *rfJira) list() ([]webhooks.Webhook, error) {
	if err := f.enter("list"); err != nil {
		f.inFlight.Add(-1)
		return nil, err
	}
	defer f.leave()
	var out []webhooks.Webhook
	for _, h := range f.hooks {
		out = append(out, *h)
	}
	slices.SortFunc(out, byID)
	return out, nil
}

func (f *rfJira) Register(ctx context.Context, url string, hooks ...webhooks.Details) ([]webhooks.Registration, error) {
	if err := f.enter("register"); err != nil {
		f.inFlight.Add(-1)
		return nil, err
	}
	defer f.leave()
	regs := make([]webhooks.Registration, len(hooks))
	for i, d := range hooks {
		if f.refuse != nil {
			if errs := f.refuse(d); errs != nil {
				regs[i].Errors = errs
				continue
			}
		}
		f.nextID++
		jql := d.JQLFilter
		if f.spell != nil {
			jql = f.spell(jql)
		}
		f.hooks[f.nextID] = &webhooks.Webhook{ID: f.nextID, URL: url, Events: d.Events, JQLFilter: jql,
			FieldIDsFilter: d.FieldIDsFilter, IssuePropertyKeysFilter: d.IssuePropertyKeysFilter,
			ExpirationDate: f.clock.Now().Add(30 * rfDay)}
		regs[i].ID = f.nextID
	}
	return regs, nil
}

func (f *rfJira) Refresh(ctx context.Context, ids ...int64) (time.Time, error) {
	if err := f.enter("refresh"); err != nil {
		f.inFlight.Add(-1)
		return time.Time{}, err
	}
	defer f.leave()
	exp := f.clock.Now().Add(30 * rfDay)
	for _, id := range ids {
		if h, ok := f.hooks[id]; ok {
			h.ExpirationDate = exp
		}
	}
	return exp, nil
}

func (f *rfJira) Delete(ctx context.Context, ids ...int64) error {
	if err := f.enter("delete"); err != nil {
		f.inFlight.Add(-1)
		return err
	}
	defer f.leave()
	for _, id := range ids {
		delete(f.hooks, id)
	}
	return nil
}

// add registers a webhook directly, as another component or replica would.
func (f *rfJira) add(url string, d webhooks.Details, expires time.Time) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.hooks[f.nextID] = &webhooks.Webhook{ID: f.nextID, URL: url, Events: d.Events, JQLFilter: d.JQLFilter,
		FieldIDsFilter: d.FieldIDsFilter, IssuePropertyKeysFilter: d.IssuePropertyKeysFilter, ExpirationDate: expires}
	return f.nextID
}

func (f *rfJira) snapshot() []webhooks.Webhook {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []webhooks.Webhook
	for _, h := range f.hooks {
		out = append(out, *h)
	}
	slices.SortFunc(out, byID)
	return out
}

func (f *rfJira) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *rfJira) failNext(op string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[op] = append(f.fail[op], errs...)
}

// rfRecorder collects a Refresher's events.
type rfRecorder struct {
	mu     sync.Mutex
	events []Event
}

func (rec *rfRecorder) on(e Event) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.events = append(rec.events, e)
}

func (rec *rfRecorder) kinds(k EventKind) []Event {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []Event
	for _, e := range rec.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

var rfQuiet = slog.New(slog.DiscardHandler)

func rfDecl(url, jql string, events ...webhooks.EventName) Declaration {
	if len(events) == 0 {
		events = []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}
	}
	return Declaration{URL: url, Details: webhooks.Details{Events: events, JQLFilter: jql}}
}

func newRFRefresher(c *jiratest.Clock) (*Refresher, *rfRecorder) {
	rec := &rfRecorder{}
	return &Refresher{Clock: c, Logger: rfQuiet, OnEvent: rec.on, Jitter: -1}, rec
}

// rfSiteOf returns the only site of r.
func rfSiteOf(t *testing.T, r *Refresher, name string) *site {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sites[name]
	require.True(t, ok, "no site %q", name)
	return s
}

// rfAssertDeclared checks that the fake holds exactly one webhook per
// declaration and nothing else.
func rfAssertDeclared(t *testing.T, f *rfJira, want ...Declaration) {
	t.Helper()
	var keys []string
	for _, h := range f.snapshot() {
		keys = append(keys, hookKey(h))
	}
	var wantKeys []string
	for _, d := range want {
		wantKeys = append(wantKeys, declKey(d.URL, d.Details))
	}
	slices.Sort(keys)
	slices.Sort(wantKeys)
	require.Equal(t, wantKeys, keys, "the webhooks the site holds")
}

func TestDeclKeyNormalises(t *testing.T) {
	t.Parallel()
	a := declKey("https://a.example/h", webhooks.Details{
		Events:         []webhooks.EventName{webhooks.IssueUpdated, webhooks.IssueCreated, webhooks.IssueCreated},
		JQLFilter:      "  project = A\tAND  status = Done ",
		FieldIDsFilter: []string{"summary", "description"},
	})
	b := declKey("https://a.example/h", webhooks.Details{
		Events:         []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated},
		JQLFilter:      "project = A AND status = Done",
		FieldIDsFilter: []string{"description", "summary"},
	})
	assert.Equal(t, b, a, "equivalent declarations have different keys")
	for name, d := range map[string]webhooks.Details{
		"events":     {Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = A AND status = Done", FieldIDsFilter: []string{"summary", "description"}},
		"jql":        {Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = B AND status = Done", FieldIDsFilter: []string{"summary", "description"}},
		"fields":     {Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = A AND status = Done"},
		"properties": {Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = A AND status = Done", FieldIDsFilter: []string{"summary", "description"}, IssuePropertyKeysFilter: []string{"p"}},
	} {
		assert.NotEqual(t, b, declKey("https://a.example/h", d), "declarations differing in %s share a key", name)
	}
	assert.NotEqual(t, declKey("https://a.example/h", webhooks.Details{}), declKey("https://b.example/h", webhooks.Details{}),
		"declarations differing in URL share a key")
	// A field list must not be confused with the JQL next to it.
	assert.NotEqual(t, declKey("u", webhooks.Details{JQLFilter: "x\x1ey"}), declKey("u", webhooks.Details{JQLFilter: "x", FieldIDsFilter: []string{"y"}}),
		"key parts run into each other")
}

func TestSyncRegistersMissingThenSettles(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	r, rec := newRFRefresher(c)
	want := []Declaration{
		rfDecl("https://app.example/a", "project = A"),
		rfDecl("https://app.example/b", "project = B"),
		rfDecl("https://app.example/a", "project = C", webhooks.CommentCreated),
		rfDecl("https://app.example/a", "project = A"), // same as the first: counts once
	}
	require.NoError(t, r.AddSite("s", f, want...))
	start := c.Now()
	require.NoError(t, r.Sync(t.Context()))
	rfAssertDeclared(t, f, want[:3]...)
	assert.Equal(t, 2, f.count("register"), "register calls (one per URL)")
	assert.Len(t, rec.kinds(Registered), 3, "registered events")
	assert.Zero(t, f.count("refresh"), "refreshed webhooks that were just registered")
	// The site is checked again about a minute later.
	st := r.Stats()
	next := st.Sites[0].NextDue
	assert.False(t, next.Before(start.Add(settleDelay)) || next.After(start.Add(2*settleDelay)),
		"next due %v after registering, want within 1-2 minutes", next.Sub(start))
	rfSet(t, c, next)
	require.NoError(t, r.Sync(t.Context()))
	st = r.Stats()
	assert.Equal(t, 2, f.count("register"), "the settling sync registered")
	assert.Zero(t, f.count("refresh"), "the settling sync refreshed")
	wantNext := start.Add(30*rfDay - DefaultMargin)
	assert.True(t, st.Sites[0].NextDue.Equal(wantNext), "next due = %v after start, want %v (expiry - margin)",
		st.Sites[0].NextDue.Sub(start), wantNext.Sub(start))
	assert.Equal(t, 3, st.Sites[0].Webhooks, "site stats %+v", st.Sites[0])
	assert.True(t, st.Sites[0].EarliestExpiry.Equal(start.Add(30*rfDay)), "site stats %+v", st.Sites[0])
	assert.EqualValues(t, 2, st.RegisterCalls, "stats %+v", st)
	assert.EqualValues(t, 2, st.ListCalls, "stats %+v", st)
	assert.EqualValues(t, 3, st.Registered, "stats %+v", st)
	assert.EqualValues(t, 2, st.Syncs, "stats %+v", st)
}

func TestSyncRefreshesAllInBatchesWhenDue(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	r, rec := newRFRefresher(c)
	r.BatchSize = 2
	var want []Declaration
	for i := range 5 {
		d := rfDecl("https://app.example/h", fmt.Sprintf("project = P%d", i))
		want = append(want, d)
		// Registered at different times: expiries differ.
		f.add(d.URL, d.Details, c.Now().Add(time.Duration(20+i)*rfDay))
	}
	require.NoError(t, r.AddSite("s", f, want...))
	require.NoError(t, r.Sync(t.Context()))
	require.Zero(t, f.count("refresh"), "refreshed 20 days before expiry")
	next := r.Stats().Sites[0].NextDue
	wantNext := c.Now().Add(20*rfDay - DefaultMargin)
	require.True(t, next.Equal(wantNext), "next due %v, want %v", next, wantNext)
	rfSet(t, c, next)
	require.NoError(t, r.Sync(t.Context()))
	assert.Equal(t, 3, f.count("refresh"), "refresh calls (5 ids in batches of 2)")
	// All of them, not only the one due, so they expire together.
	for _, h := range f.snapshot() {
		assert.True(t, h.ExpirationDate.Equal(next.Add(30*rfDay)), "webhook %d expires %v, want %v", h.ID, h.ExpirationDate, next.Add(30*rfDay))
	}
	ev := rec.kinds(Refreshed)
	if assert.Len(t, ev, 1, "refreshed events") {
		assert.Len(t, ev[0].IDs, 5, "refreshed event %+v", ev[0])
		assert.True(t, ev[0].Expiry.Equal(next.Add(30*rfDay)), "refreshed event %+v", ev[0])
	}
	got := r.Stats().Sites[0].NextDue
	assert.True(t, got.Equal(next.Add(30*rfDay-DefaultMargin)), "next due after refresh = %v", got)
}

func TestSyncDeletesDuplicatesKeepingLowestID(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	r, rec := newRFRefresher(c)
	d := rfDecl("https://app.example/h", "project = A")
	exp := c.Now().Add(29 * rfDay)
	low := f.add(d.URL, d.Details, exp)
	f.add(d.URL, d.Details, exp)
	f.add(d.URL, webhooks.Details{Events: []webhooks.EventName{webhooks.IssueUpdated, webhooks.IssueCreated}, JQLFilter: " project  = A "}, exp)
	require.NoError(t, r.AddSite("s", f, d))
	require.NoError(t, r.Sync(t.Context()))
	got := f.snapshot()
	require.Len(t, got, 1, "after sync: %+v, want only %d", got, low)
	require.Equal(t, low, got[0].ID, "after sync: %+v, want only %d", got, low)
	ev := rec.kinds(Deduplicated)
	if assert.Len(t, ev, 1, "deduplicated events") {
		assert.Len(t, ev[0].IDs, 2, "deduplicated event %+v", ev[0])
	}
	assert.Zero(t, f.count("register"), "registered although the declaration was present")
}

func TestSyncReportsRefusedAndRetriesLater(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	f.refuse = func(d webhooks.Details) []string {
		if strings.Contains(d.JQLFilter, "watchCount") {
			return []string{"The clause watchCount is unsupported"}
		}
		return nil
	}
	r, rec := newRFRefresher(c)
	good := rfDecl("https://app.example/h", "project = A")
	bad := rfDecl("https://app.example/h", "watchCount > 2")
	require.NoError(t, r.AddSite("s", f, good, bad))
	require.NoError(t, r.Sync(t.Context()), "a refusal is not a failure")
	ev := rec.kinds(Refused)
	require.Len(t, ev, 1, "refused events")
	require.Equal(t, bad.Details.JQLFilter, ev[0].Declaration.Details.JQLFilter, "refused event %+v", ev[0])
	require.Equal(t, []string{"The clause watchCount is unsupported"}, ev[0].Errors, "refused event %+v", ev[0])
	rfAssertDeclared(t, f, good)
	// The settling sync a minute later does not try again...
	c.Advance(2 * time.Minute)
	r.Sync(t.Context())
	assert.Len(t, rec.kinds(Refused), 1, "retried a refused declaration after 2 minutes")
	assert.Equal(t, 1, f.count("register"), "retried a refused declaration after 2 minutes")
	// ...a sync a day later does; refused again, the next try waits two
	// days, then four.
	for _, step := range []struct {
		wait    time.Duration
		refused int
		when    string
	}{
		{rfDay, 2, "a day after the first refusal"},
		{rfDay, 2, "a day after the second refusal"},
		{rfDay, 3, "two days after the second refusal"},
		{3 * rfDay, 3, "three days after the third refusal"},
	} {
		c.Advance(step.wait)
		r.Sync(t.Context())
		assert.Len(t, rec.kinds(Refused), step.refused, "refused events %s", step.when)
	}
	st := r.Stats()
	assert.EqualValues(t, 3, st.Refused, "stats %+v", st)
	assert.Zero(t, st.Failures, "stats %+v", st)
}

func TestSyncReRegistersLostWebhook(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	r, rec := newRFRefresher(c)
	a, b := rfDecl("https://app.example/h", "project = A"), rfDecl("https://app.example/h", "project = B")
	require.NoError(t, r.AddSite("s", f, a, b))
	r.Sync(t.Context())
	victim := f.snapshot()[0].ID
	require.NoError(t, f.Delete(t.Context(), victim)) // behind the refresher's back
	c.Advance(time.Hour)
	require.NoError(t, r.Sync(t.Context()))
	ev := rec.kinds(Lost)
	require.Len(t, ev, 1, "lost events, want one for %d", victim)
	require.Equal(t, victim, ev[0].IDs[0], "lost event %+v", ev[0])
	rfAssertDeclared(t, f, a, b)
	assert.EqualValues(t, 1, r.Stats().Lost, "Stats().Lost")
}

func TestSyncRefreshOnlySite(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	r, _ := newRFRefresher(c)
	f.add("https://x.example/1", webhooks.Details{JQLFilter: "project = X"}, c.Now().Add(2*rfDay))
	f.add("https://y.example/2", webhooks.Details{JQLFilter: "project = Y"}, c.Now().Add(9*rfDay))
	require.NoError(t, r.AddSite("s", f))
	require.NoError(t, r.Sync(t.Context()))
	assert.Zero(t, f.count("register"), "a refresh-only site registered")
	assert.Zero(t, f.count("delete"), "a refresh-only site deleted")
	require.Equal(t, 1, f.count("refresh"), "refresh calls")
	for _, h := range f.snapshot() {
		assert.True(t, h.ExpirationDate.Equal(c.Now().Add(30*rfDay)), "webhook %d not refreshed", h.ID)
	}
}

func TestSyncLeavesUndeclaredAlone(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	r, _ := newRFRefresher(c)
	other := f.add("https://other.example/h", webhooks.Details{JQLFilter: "project = O"}, c.Now().Add(rfDay))
	d := rfDecl("https://app.example/h", "project = A")
	f.add(d.URL, d.Details, c.Now().Add(rfDay))
	require.NoError(t, r.AddSite("s", f, d))
	r.Sync(t.Context())
	for _, h := range f.snapshot() {
		if h.ID == other {
			assert.True(t, h.ExpirationDate.Equal(c.Now().Add(rfDay)), "refreshed an undeclared webhook")
		} else {
			assert.True(t, h.ExpirationDate.Equal(c.Now().Add(30*rfDay)), "did not refresh the declared webhook")
		}
	}
	assert.Len(t, f.snapshot(), 2, "deleted an undeclared webhook")
}

func TestSyncLearnsJiraSpelling(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	f.spell = strings.ToUpper // Jira stores the JQL its own way
	r, _ := newRFRefresher(c)
	d := rfDecl("https://app.example/h", "project = a")
	require.NoError(t, r.AddSite("s", f, d))
	for range 5 {
		require.NoError(t, r.Sync(t.Context()))
		c.Advance(10 * time.Minute)
	}
	assert.Len(t, f.snapshot(), 1, "webhooks")
	assert.Equal(t, 1, f.count("register"), "register calls")
}

func TestFailureBackoffAndAtRisk(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	r, rec := newRFRefresher(c)
	d := rfDecl("https://app.example/h", "project = A")
	f.add(d.URL, d.Details, c.Now().Add(30*rfDay))
	require.NoError(t, r.AddSite("s", f, d))
	r.Sync(t.Context())
	s := rfSiteOf(t, r, "s")
	rfSet(t, c, r.Stats().Sites[0].NextDue)

	boom := errors.New("connection reset")
	prev := time.Duration(0)
	for i := 1; i <= 10; i++ {
		f.failNext("list", boom)
		require.ErrorIs(t, r.syncSite(t.Context(), s), boom, "attempt %d", i)
		st := r.Stats().Sites[0]
		wait := st.NextDue.Sub(c.Now())
		assert.GreaterOrEqual(t, wait, minRetry/2, "attempt %d: retry too soon", i)
		assert.LessOrEqual(t, wait, DefaultMaxBackoff, "attempt %d: retry too late", i)
		if i > 1 && i < 6 {
			assert.GreaterOrEqual(t, wait, prev/2, "attempt %d: backoff shrank from %v", i, prev)
		}
		prev = wait
		assert.Equal(t, i, st.Failures, "attempt %d: stats %+v", i, st)
		assert.ErrorIs(t, st.LastError, boom, "attempt %d: stats %+v", i, st)
		rfSet(t, c, st.NextDue)
	}
	assert.Len(t, rec.kinds(Failed), 10, "failed events")

	// Retry-After longer than the backoff is honoured...
	f.failNext("list", &webhooks.APIError{StatusCode: 429, RetryAfter: 50 * time.Minute})
	r.syncSite(t.Context(), s)
	assert.GreaterOrEqual(t, r.Stats().Sites[0].NextDue.Sub(c.Now()), 50*time.Minute, "retry despite Retry-After 50m")
	// ...but never past the expiry.
	expiry := r.Stats().Sites[0].EarliestExpiry
	rfSet(t, c, expiry.Add(-90*time.Minute))
	f.failNext("list", &webhooks.APIError{StatusCode: 429, RetryAfter: 5 * time.Hour})
	r.syncSite(t.Context(), s)
	next := r.Stats().Sites[0].NextDue
	assert.True(t, next.Equal(expiry.Add(-expirySafety)), "retry at %v before expiry, want %v", expiry.Sub(next), expirySafety)
	// Inside the risk threshold: one alert, not one per failure.
	ev := rec.kinds(AtRisk)
	require.Len(t, ev, 1, "at-risk events")
	require.True(t, ev[0].Expiry.Equal(expiry), "at-risk event %+v, want expiry %v", ev[0], expiry)
	c.Advance(30 * time.Minute)
	f.failNext("list", boom)
	r.syncSite(t.Context(), s)
	assert.GreaterOrEqual(t, r.Stats().Sites[0].NextDue.Sub(c.Now()), minRetry, "retry under the floor")
	assert.Len(t, rec.kinds(AtRisk), 1, "at-risk raised twice")
	// Recovery refreshes and clears the alert.
	require.NoError(t, r.syncSite(t.Context(), s))
	st := r.Stats().Sites[0]
	assert.False(t, st.AtRisk, "after recovery: %+v", st)
	assert.Zero(t, st.Failures, "after recovery: %+v", st)
	assert.NoError(t, st.LastError, "after recovery: %+v", st)
	assert.True(t, st.EarliestExpiry.Equal(c.Now().Add(30*rfDay)), "after recovery: %+v", st)
}

func TestFailureMidSyncResumes(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	r, _ := newRFRefresher(c)
	a, b := rfDecl("https://app.example/a", "project = A"), rfDecl("https://app.example/b", "project = B")
	require.NoError(t, r.AddSite("s", f, a, b))
	f.failNext("register", nil, errors.New("dropped")) // first URL works, second fails
	require.Error(t, r.Sync(t.Context()))
	c.Advance(time.Minute)
	require.NoError(t, r.Sync(t.Context()))
	rfAssertDeclared(t, f, a, b)
}

// newRFBlockingClock returns a fake clock whose Sleep blocks until ctx
// ends, sending the wait on sleeping each time it starts sleeping.
func newRFBlockingClock() (c *testclock.Clock, sleeping chan time.Duration) {
	c = testclock.New(rfStart)
	sleeping = make(chan time.Duration)
	c.Wait = func(ctx context.Context, d time.Duration) error {
		select {
		case sleeping <- d:
		case <-ctx.Done():
			return ctx.Err()
		}
		return testclock.Park(ctx, d)
	}
	return c, sleeping
}

// TestRunCancelLeavesNoGoroutine counts the process's goroutines: it runs
// serially.
func TestRunCancelLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	c, sleeping := newRFBlockingClock()
	f := newRFJira(c.Clock)
	r := &Refresher{Clock: c, Logger: rfQuiet}
	for i := range 10 {
		require.NoError(t, r.AddSite(fmt.Sprint("site", i), f, rfDecl("https://app.example/h", fmt.Sprintf("project = P%d", i))))
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	<-sleeping // all ten synced, sleeping till the settle check
	assert.Equal(t, 10, f.count("register"), "register calls")
	assert.ErrorIs(t, r.Run(ctx), ErrRunning, "second Run")
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled, "Run's error")
	rfWaitGoroutines(t, before)
}

// rfWaitGoroutines waits until no more than n goroutines run.
func rfWaitGoroutines(t *testing.T, n int) {
	t.Helper()
	for i := 0; ; i++ {
		got := runtime.NumGoroutine()
		if got <= n {
			return
		}
		if i == 200 {
			buf := make([]byte, 1<<16)
			require.FailNowf(t, "goroutines left", "%d goroutines left, want %d:\n%s", got, n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunCancelDuringSync counts the process's goroutines: it runs
// serially.
func TestRunCancelDuringSync(t *testing.T) {
	before := runtime.NumGoroutine()
	c := newRFClock()
	f := newRFJira(c)
	ctx, cancel := context.WithCancel(t.Context())
	f.before = func(op string) { cancel() }
	r := &Refresher{Clock: c, Logger: rfQuiet}
	require.NoError(t, r.AddSite("s", f, rfDecl("https://app.example/h", "project = A")))
	f.failNext("list", context.Canceled)
	assert.ErrorIs(t, r.Run(ctx), context.Canceled, "Run")
	st := r.Stats()
	assert.Zero(t, st.Failures, "shutdown counted as a site failure: %+v", st)
	rfWaitGoroutines(t, before)
}

func TestAddSiteWakesRun(t *testing.T) {
	t.Parallel()
	c, sleeping := newRFBlockingClock()
	f := newRFJira(c.Clock)
	r := &Refresher{Clock: c, Logger: rfQuiet}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	assert.Equal(t, idleInterval, <-sleeping, "with no sites, the sleep")
	require.NoError(t, r.AddSite("late", f, rfDecl("https://app.example/h", "project = A")))
	<-sleeping
	assert.Equal(t, 1, f.count("register"), "the site added while sleeping was not synced")
	assert.Error(t, r.AddSite("late", f), "AddSite accepted a name twice")
	assert.True(t, r.RemoveSite("late"), "RemoveSite of a site")
	assert.False(t, r.RemoveSite("late"), "RemoveSite of a removed site")
}

func TestRunBoundsConcurrency(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	gate := make(chan struct{})
	var started atomic.Int32
	f.before = func(op string) {
		if started.Add(1) <= 3 {
			<-gate // hold the first three calls until three run at once
		}
	}
	go func() {
		for f.inFlight.Load() < 3 {
			runtime.Gosched()
		}
		close(gate)
	}()
	r := &Refresher{Clock: c, Logger: rfQuiet, Concurrency: 3}
	for i := range 20 {
		require.NoError(t, r.AddSite(fmt.Sprint("site", i), f))
	}
	require.NoError(t, r.Sync(t.Context()))
	assert.EqualValues(t, 3, f.maxInFlight.Load(), "the most calls at once")
	assert.Equal(t, 20, f.count("list"), "list calls")
}

func TestAddSiteValidates(t *testing.T) {
	t.Parallel()
	var r Refresher
	assert.Error(t, r.AddSite("x", nil), "nil client accepted")
	assert.Error(t, r.AddSite("x", newRFJira(newRFClock()), Declaration{}), "declaration without URL accepted")
	assert.Equal(t, "at-risk", AtRisk.String())
	assert.Equal(t, "EventKind(99)", EventKind(99).String())
}

// TestRunKeepsAliveForAYear runs the scheduler on the fake for a year with
// a site that fails now and then, and checks nothing ever expires.
func TestRunKeepsAliveForAYear(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	start := c.Now()
	end := start.Add(365 * rfDay)
	var want []Declaration
	for i := range 10 {
		want = append(want, rfDecl("https://app.example/h", fmt.Sprintf("project = P%d", i)))
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	n := 0
	f.before = func(op string) {
		n++
		if n%7 == 0 {
			f.failNext(op, errors.New("flaky"))
		}
	}
	var expired int
	check := func() {
		// Nothing declared may be missing past the first hour, nor expired.
		hooks := f.snapshot()
		if c.Now().Sub(start) > time.Hour && len(hooks) != len(want) {
			expired++
		}
		for _, h := range hooks {
			if !c.Now().Before(h.ExpirationDate) {
				expired++
			}
		}
	}
	r := &Refresher{Clock: newRFStopClock(c, end, cancel, check), Logger: rfQuiet}
	require.NoError(t, r.AddSite("s", f, want...))
	r.Run(ctx)
	assert.Zero(t, expired, "wake-ups with webhooks missing")
	rfAssertDeclared(t, f, want...)
	assert.LessOrEqual(t, f.count("refresh"), 14, "refresh calls in a year")
}

// newRFStopClock returns a fake clock on c whose Sleep calls check (if
// not nil) and advances c, until a sleep would pass end: that one calls
// cancel and returns context.Canceled instead.
func newRFStopClock(c *jiratest.Clock, end time.Time, cancel context.CancelFunc, check func()) *testclock.Clock {
	stop := testclock.Of(c)
	stop.Wait = func(ctx context.Context, d time.Duration) error {
		if check != nil {
			check()
		}
		if c.Now().Add(d).After(end) {
			cancel()
			return context.Canceled
		}
		return c.Sleep(ctx, d)
	}
	return stop
}

func TestFailureNearAndAfterExpiry(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	r, _ := newRFRefresher(c)
	d := rfDecl("https://app.example/h", "project = A")
	f.add(d.URL, d.Details, c.Now().Add(30*rfDay))
	require.NoError(t, r.AddSite("s", f, d))
	r.Sync(t.Context())
	s := rfSiteOf(t, r, "s")
	expiry := r.Stats().Sites[0].EarliestExpiry
	boom := errors.New("down")

	// In the last hour: retried at half the time left, so several times.
	rfSet(t, c, expiry.Add(-40*time.Minute))
	for range 10 {
		f.failNext("list", boom)
		r.syncSite(t.Context(), s)
		next := r.Stats().Sites[0].NextDue
		if left := expiry.Sub(c.Now()); left > 2*minRetry {
			require.False(t, next.After(expiry), "with %v left, retry after the expiry", left)
		}
		rfSet(t, c, next)
	}
	// Past the expiry the backoff alone decides: it reaches MaxBackoff, it
	// does not stay at the floor.
	for range 12 {
		f.failNext("list", boom)
		r.syncSite(t.Context(), s)
		rfSet(t, c, r.Stats().Sites[0].NextDue)
	}
	f.failNext("list", boom)
	r.syncSite(t.Context(), s)
	assert.GreaterOrEqual(t, r.Stats().Sites[0].NextDue.Sub(c.Now()), DefaultMaxBackoff/2,
		"long after expiry, the retry, want about %v", DefaultMaxBackoff)
}

func TestSyncIgnoresAWebhookListedTwice(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	d := rfDecl("https://app.example/h", "project = A")
	id := f.add(d.URL, d.Details, c.Now().Add(29*rfDay))
	r, rec := newRFRefresher(c)
	twice := &listedTwice{rfJira: f}
	require.NoError(t, r.AddSite("s", twice, d))
	require.NoError(t, r.Sync(t.Context()))
	got := f.snapshot()
	if assert.Len(t, got, 1, "after sync: %+v, want webhook %d kept", got, id) {
		assert.Equal(t, id, got[0].ID, "the webhook kept")
	}
	assert.Empty(t, rec.kinds(Deduplicated), "deduplicated a webhook against itself")
}

// listedTwice lists every webhook twice, as shifting offset pages can.
type listedTwice struct{ *rfJira }

func (l *listedTwice) List(*webhooks.ListOptions) *pagination.Pager[webhooks.Webhook] {
	return onePage(func() ([]webhooks.Webhook, error) {
		hooks, err := l.rfJira.list()
		return append(hooks, hooks...), err
	})
}

// A Sync beside Run that moves a site's due time before the end of Run's
// sleep (it failed, and must be retried soon) wakes Run, which then sleeps
// only until the retry.
func TestSyncBesideRunWakesItForAnEarlierRetry(t *testing.T) {
	t.Parallel()
	c, sleeping := newRFBlockingClock()
	f := newRFJira(c.Clock)
	r := &Refresher{Clock: c, Logger: rfQuiet, Jitter: -1}
	f.add("https://app.example/h", webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = A"}, c.Now().Add(30*rfDay))
	require.NoError(t, r.AddSite("s", f, rfDecl("https://app.example/h", "project = A", webhooks.IssueCreated)))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	require.Equal(t, 27*rfDay, <-sleeping, "Run's sleep after the first sync")
	f.failNext("list", errors.New("boom"))
	require.Error(t, r.Sync(t.Context()), "Sync succeeded, want the injected failure")
	select {
	case d := <-sleeping:
		assert.GreaterOrEqual(t, d, minRetry/2, "after the failed Sync, Run's sleep, want the retry's backoff")
		assert.LessOrEqual(t, d, time.Hour, "after the failed Sync, Run's sleep, want the retry's backoff")
	case <-time.After(5 * time.Second):
		require.FailNow(t, "Run slept on for 27 days past the failed site's retry")
	}
}

// A Jitter too large for the webhooks' lifetime is capped: with it a
// refresh would be due again at once, and a site refreshed every 30
// seconds.
func TestHugeJitterIsCapped(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	r := &Refresher{Clock: c, Logger: rfQuiet, Jitter: 365 * rfDay}
	d := rfDecl("https://app.example/h", "project = A", webhooks.IssueCreated)
	f.add(d.URL, d.Details, c.Now().Add(2*rfDay)) // due for a refresh
	require.NoError(t, r.AddSite("s", f, d))
	for range 20 {
		require.NoError(t, r.Sync(t.Context()))
		next := r.Stats().NextDue
		require.GreaterOrEqual(t, next.Sub(c.Now()), 10*rfDay, "next sync due after a refresh")
	}
	assert.Equal(t, 1, f.count("refresh"), "refresh calls in 20 syncs at one moment")
}
