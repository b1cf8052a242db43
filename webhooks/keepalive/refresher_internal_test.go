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

	"github.com/jirahooks/jirahooks/pagination"
	"github.com/jirahooks/jirahooks/webhooks"
)

const rfDay = 24 * time.Hour

// rfClock is a fake clock whose Sleep moves time forward at once.
type rfClock struct {
	mu  sync.Mutex
	now time.Time
}

func newRFClock() *rfClock {
	return &rfClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *rfClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *rfClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *rfClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *rfClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// rfJira is an in-memory site implementing siteAPI, with Jira's expiry
// rules, a call log and injectable failures.
type rfJira struct {
	clock *rfClock

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

func newRFJira(c *rfClock) *rfJira {
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

func newRFRefresher(c *rfClock) (*Refresher, *rfRecorder) {
	rec := &rfRecorder{}
	return &Refresher{Clock: c, Logger: rfQuiet, OnEvent: rec.on, Jitter: -1}, rec
}

// rfSiteOf returns the only site of r.
func rfSiteOf(t *testing.T, r *Refresher, name string) *site {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sites[name]
	if !ok {
		t.Fatalf("no site %q", name)
	}
	return s
}

// rfAssertDeclared checks that the fake holds exactly one webhook per
// declaration and nothing else.
func rfAssertDeclared(t *testing.T, f *rfJira, want ...Declaration) {
	t.Helper()
	got := f.snapshot()
	var keys []string
	for _, h := range got {
		keys = append(keys, hookKey(h))
	}
	var wantKeys []string
	for _, d := range want {
		wantKeys = append(wantKeys, declKey(d.URL, d.Details))
	}
	slices.Sort(keys)
	slices.Sort(wantKeys)
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("site holds %d webhooks %q, want %d %q", len(keys), keys, len(wantKeys), wantKeys)
	}
}

func TestDeclKeyNormalises(t *testing.T) {
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
	if a != b {
		t.Errorf("equivalent declarations have different keys:\n%q\n%q", a, b)
	}
	for name, d := range map[string]webhooks.Details{
		"events":     {Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = A AND status = Done", FieldIDsFilter: []string{"summary", "description"}},
		"jql":        {Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = B AND status = Done", FieldIDsFilter: []string{"summary", "description"}},
		"fields":     {Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = A AND status = Done"},
		"properties": {Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = A AND status = Done", FieldIDsFilter: []string{"summary", "description"}, IssuePropertyKeysFilter: []string{"p"}},
	} {
		if declKey("https://a.example/h", d) == b {
			t.Errorf("declarations differing in %s share a key", name)
		}
	}
	if declKey("https://b.example/h", webhooks.Details{}) == declKey("https://a.example/h", webhooks.Details{}) {
		t.Error("declarations differing in URL share a key")
	}
	// A field list must not be confused with the JQL next to it.
	if declKey("u", webhooks.Details{JQLFilter: "x", FieldIDsFilter: []string{"y"}}) == declKey("u", webhooks.Details{JQLFilter: "x\x1ey"}) {
		t.Error("key parts run into each other")
	}
}

func TestSyncRegistersMissingThenSettles(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	r, rec := newRFRefresher(c)
	want := []Declaration{
		rfDecl("https://app.example/a", "project = A"),
		rfDecl("https://app.example/b", "project = B"),
		rfDecl("https://app.example/a", "project = C", webhooks.CommentCreated),
		rfDecl("https://app.example/a", "project = A"), // same as the first: counts once
	}
	if err := r.AddSite("s", f, want...); err != nil {
		t.Fatal(err)
	}
	start := c.Now()
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	rfAssertDeclared(t, f, want[:3]...)
	if got := f.count("register"); got != 2 {
		t.Errorf("register calls = %d, want 2 (one per URL)", got)
	}
	if got := len(rec.kinds(Registered)); got != 3 {
		t.Errorf("registered events = %d, want 3", got)
	}
	if f.count("refresh") != 0 {
		t.Error("refreshed webhooks that were just registered")
	}
	// The site is checked again about a minute later.
	st := r.Stats()
	if next := st.Sites[0].NextDue; next.Before(start.Add(settleDelay)) || next.After(start.Add(2*settleDelay)) {
		t.Errorf("next due %v after registering, want within 1-2 minutes", next.Sub(start))
	}
	c.Set(st.Sites[0].NextDue)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	st = r.Stats()
	if f.count("register") != 2 || f.count("refresh") != 0 {
		t.Errorf("the settling sync called register %d, refresh %d times", f.count("register"), f.count("refresh"))
	}
	wantNext := start.Add(30*rfDay - DefaultMargin)
	if got := st.Sites[0].NextDue; !got.Equal(wantNext) {
		t.Errorf("next due = %v after start, want %v (expiry - margin)", got.Sub(start), wantNext.Sub(start))
	}
	if st.Sites[0].Webhooks != 3 || !st.Sites[0].EarliestExpiry.Equal(start.Add(30*rfDay)) {
		t.Errorf("site stats = %+v", st.Sites[0])
	}
	if st.RegisterCalls != 2 || st.ListCalls != 2 || st.Registered != 3 || st.Syncs != 2 {
		t.Errorf("stats = %+v", st)
	}
}

func TestSyncRefreshesAllInBatchesWhenDue(t *testing.T) {
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
	r.AddSite("s", f, want...)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.count("refresh") != 0 {
		t.Fatal("refreshed 20 days before expiry")
	}
	next := r.Stats().Sites[0].NextDue
	if want := c.Now().Add(20*rfDay - DefaultMargin); !next.Equal(want) {
		t.Fatalf("next due %v, want %v", next, want)
	}
	c.Set(next)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.count("refresh"); got != 3 {
		t.Errorf("refresh calls = %d, want 3 (5 ids in batches of 2)", got)
	}
	// All of them, not only the one due, so they expire together.
	for _, h := range f.snapshot() {
		if !h.ExpirationDate.Equal(next.Add(30 * rfDay)) {
			t.Errorf("webhook %d expires %v, want %v", h.ID, h.ExpirationDate, next.Add(30*rfDay))
		}
	}
	ev := rec.kinds(Refreshed)
	if len(ev) != 1 || len(ev[0].IDs) != 5 || !ev[0].Expiry.Equal(next.Add(30*rfDay)) {
		t.Errorf("refreshed events = %+v", ev)
	}
	if got := r.Stats().Sites[0].NextDue; !got.Equal(next.Add(30*rfDay - DefaultMargin)) {
		t.Errorf("next due after refresh = %v", got)
	}
}

func TestSyncDeletesDuplicatesKeepingLowestID(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	r, rec := newRFRefresher(c)
	d := rfDecl("https://app.example/h", "project = A")
	exp := c.Now().Add(29 * rfDay)
	low := f.add(d.URL, d.Details, exp)
	f.add(d.URL, d.Details, exp)
	f.add(d.URL, webhooks.Details{Events: []webhooks.EventName{webhooks.IssueUpdated, webhooks.IssueCreated}, JQLFilter: " project  = A "}, exp)
	r.AddSite("s", f, d)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := f.snapshot()
	if len(got) != 1 || got[0].ID != low {
		t.Fatalf("after sync: %+v, want only %d", got, low)
	}
	if ev := rec.kinds(Deduplicated); len(ev) != 1 || len(ev[0].IDs) != 2 {
		t.Errorf("deduplicated events = %+v", ev)
	}
	if f.count("register") != 0 {
		t.Error("registered although the declaration was present")
	}
}

func TestSyncReportsRefusedAndRetriesLater(t *testing.T) {
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
	r.AddSite("s", f, good, bad)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatalf("a refusal is not a failure: %v", err)
	}
	ev := rec.kinds(Refused)
	if len(ev) != 1 || ev[0].Declaration.Details.JQLFilter != bad.Details.JQLFilter ||
		!slices.Equal(ev[0].Errors, []string{"The clause watchCount is unsupported"}) {
		t.Fatalf("refused events = %+v", ev)
	}
	rfAssertDeclared(t, f, good)
	// The settling sync a minute later does not try again...
	c.Advance(2 * time.Minute)
	r.Sync(context.Background())
	if got := len(rec.kinds(Refused)); got != 1 || f.count("register") != 1 {
		t.Errorf("retried a refused declaration after 2 minutes (refused %d, register %d)", got, f.count("register"))
	}
	// ...a sync a rfDay later does.
	c.Advance(rfDay)
	r.Sync(context.Background())
	if got := len(rec.kinds(Refused)); got != 2 {
		t.Errorf("refused events after a rfDay = %d, want 2", got)
	}
	// Refused again: the next try waits two days, then four.
	c.Advance(rfDay)
	r.Sync(context.Background())
	if got := len(rec.kinds(Refused)); got != 2 {
		t.Errorf("refused events a day after the second refusal = %d, want still 2", got)
	}
	c.Advance(rfDay)
	r.Sync(context.Background())
	if got := len(rec.kinds(Refused)); got != 3 {
		t.Errorf("refused events two days after the second refusal = %d, want 3", got)
	}
	c.Advance(3 * rfDay)
	r.Sync(context.Background())
	if got := len(rec.kinds(Refused)); got != 3 {
		t.Errorf("refused events three days after the third refusal = %d, want still 3", got)
	}
	if st := r.Stats(); st.Refused != 3 || st.Failures != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestSyncReRegistersLostWebhook(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	r, rec := newRFRefresher(c)
	a, b := rfDecl("https://app.example/h", "project = A"), rfDecl("https://app.example/h", "project = B")
	r.AddSite("s", f, a, b)
	r.Sync(context.Background())
	victim := f.snapshot()[0].ID
	f.Delete(context.Background(), victim) // behind the refresher's back
	c.Advance(time.Hour)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev := rec.kinds(Lost)
	if len(ev) != 1 || ev[0].IDs[0] != victim {
		t.Fatalf("lost events = %+v, want one for %d", ev, victim)
	}
	rfAssertDeclared(t, f, a, b)
	if r.Stats().Lost != 1 {
		t.Error("Stats().Lost != 1")
	}
}

func TestSyncRefreshOnlySite(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	r, _ := newRFRefresher(c)
	f.add("https://x.example/1", webhooks.Details{JQLFilter: "project = X"}, c.Now().Add(2*rfDay))
	f.add("https://y.example/2", webhooks.Details{JQLFilter: "project = Y"}, c.Now().Add(9*rfDay))
	r.AddSite("s", f)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.count("register") != 0 || f.count("delete") != 0 {
		t.Error("a refresh-only site registered or deleted")
	}
	if f.count("refresh") != 1 {
		t.Fatalf("refresh calls = %d, want 1", f.count("refresh"))
	}
	for _, h := range f.snapshot() {
		if !h.ExpirationDate.Equal(c.Now().Add(30 * rfDay)) {
			t.Errorf("webhook %d not refreshed", h.ID)
		}
	}
}

func TestSyncLeavesUndeclaredAlone(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	r, _ := newRFRefresher(c)
	other := f.add("https://other.example/h", webhooks.Details{JQLFilter: "project = O"}, c.Now().Add(rfDay))
	d := rfDecl("https://app.example/h", "project = A")
	f.add(d.URL, d.Details, c.Now().Add(rfDay))
	r.AddSite("s", f, d)
	r.Sync(context.Background())
	for _, h := range f.snapshot() {
		if h.ID == other && !h.ExpirationDate.Equal(c.Now().Add(rfDay)) {
			t.Error("refreshed an undeclared webhook")
		}
		if h.ID != other && !h.ExpirationDate.Equal(c.Now().Add(30*rfDay)) {
			t.Error("did not refresh the declared webhook")
		}
	}
	if len(f.snapshot()) != 2 {
		t.Error("deleted an undeclared webhook")
	}
}

func TestSyncLearnsJiraSpelling(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	f.spell = strings.ToUpper // Jira stores the JQL its own way
	r, _ := newRFRefresher(c)
	d := rfDecl("https://app.example/h", "project = a")
	r.AddSite("s", f, d)
	for range 5 {
		if err := r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.Advance(10 * time.Minute)
	}
	if n := len(f.snapshot()); n != 1 || f.count("register") != 1 {
		t.Errorf("webhooks = %d, register calls = %d; want 1 and 1", n, f.count("register"))
	}
}

func TestFailureBackoffAndAtRisk(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	r, rec := newRFRefresher(c)
	d := rfDecl("https://app.example/h", "project = A")
	f.add(d.URL, d.Details, c.Now().Add(30*rfDay))
	r.AddSite("s", f, d)
	r.Sync(context.Background())
	s := rfSiteOf(t, r, "s")
	due := r.Stats().Sites[0].NextDue
	c.Set(due)

	boom := errors.New("connection reset")
	prev := time.Duration(0)
	for i := 1; i <= 10; i++ {
		f.failNext("list", boom)
		if err := r.syncSite(context.Background(), s); !errors.Is(err, boom) {
			t.Fatalf("attempt %d: err = %v", i, err)
		}
		st := r.Stats().Sites[0]
		wait := st.NextDue.Sub(c.Now())
		if wait < minRetry/2 || wait > DefaultMaxBackoff {
			t.Errorf("attempt %d: retry in %v, want within [%v, %v]", i, wait, minRetry/2, DefaultMaxBackoff)
		}
		if i > 1 && i < 6 && wait < prev/2 {
			t.Errorf("attempt %d: backoff shrank from %v to %v", i, prev, wait)
		}
		prev = wait
		if st.Failures != i || !errors.Is(st.LastError, boom) {
			t.Errorf("attempt %d: stats %+v", i, st)
		}
		c.Set(st.NextDue)
	}
	if ev := rec.kinds(Failed); len(ev) != 10 {
		t.Errorf("failed events = %d, want 10", len(ev))
	}

	// Retry-After longer than the backoff is honoured...
	f.failNext("list", &webhooks.APIError{StatusCode: 429, RetryAfter: 50 * time.Minute})
	r.syncSite(context.Background(), s)
	if wait := r.Stats().Sites[0].NextDue.Sub(c.Now()); wait < 50*time.Minute {
		t.Errorf("retry in %v despite Retry-After 50m", wait)
	}
	// ...but never past the expiry.
	expiry := r.Stats().Sites[0].EarliestExpiry
	c.Set(expiry.Add(-90 * time.Minute))
	f.failNext("list", &webhooks.APIError{StatusCode: 429, RetryAfter: 5 * time.Hour})
	r.syncSite(context.Background(), s)
	if next := r.Stats().Sites[0].NextDue; !next.Equal(expiry.Add(-expirySafety)) {
		t.Errorf("retry at %v before expiry, want %v", expiry.Sub(next), expirySafety)
	}
	// Inside the risk threshold: one alert, not one per failure.
	if ev := rec.kinds(AtRisk); len(ev) != 1 || !ev[0].Expiry.Equal(expiry) {
		t.Fatalf("at-risk events = %+v", ev)
	}
	c.Advance(30 * time.Minute)
	f.failNext("list", boom)
	r.syncSite(context.Background(), s)
	if next := r.Stats().Sites[0].NextDue; next.Sub(c.Now()) < minRetry {
		t.Errorf("retry in %v, under the floor %v", next.Sub(c.Now()), minRetry)
	}
	if len(rec.kinds(AtRisk)) != 1 {
		t.Error("at-risk raised twice")
	}
	// Recovery refreshes and clears the alert.
	if err := r.syncSite(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	st := r.Stats().Sites[0]
	if st.AtRisk || st.Failures != 0 || st.LastError != nil || !st.EarliestExpiry.Equal(c.Now().Add(30*rfDay)) {
		t.Errorf("after recovery: %+v", st)
	}
}

func TestFailureMidSyncResumes(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	r, _ := newRFRefresher(c)
	a, b := rfDecl("https://app.example/a", "project = A"), rfDecl("https://app.example/b", "project = B")
	r.AddSite("s", f, a, b)
	f.failNext("register", nil, errors.New("dropped")) // first URL works, second fails
	if err := r.Sync(context.Background()); err == nil {
		t.Fatal("no error")
	}
	c.Advance(time.Minute)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	rfAssertDeclared(t, f, a, b)
}

// rfBlockingClock is a real-looking clock whose Sleep blocks until ctx ends,
// telling the test each time it starts sleeping.
type rfBlockingClock struct {
	rfClock
	sleeping chan time.Duration
}

func (c *rfBlockingClock) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case c.sleeping <- d:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-ctx.Done()
	return ctx.Err()
}

func TestRunCancelLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	c := &rfBlockingClock{rfClock: *newRFClock(), sleeping: make(chan time.Duration)}
	f := newRFJira(&c.rfClock)
	r := &Refresher{Clock: c, Logger: rfQuiet}
	for i := range 10 {
		r.AddSite(fmt.Sprint("site", i), f, rfDecl("https://app.example/h", fmt.Sprintf("project = P%d", i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	<-c.sleeping // all ten synced, sleeping till the settle check
	if got := f.count("register"); got != 10 {
		t.Errorf("register calls = %d, want 10", got)
	}
	if err := r.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: %v, want ErrRunning", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
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
			t.Fatalf("%d goroutines left, want %d:\n%s", got, n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunCancelDuringSync(t *testing.T) {
	before := runtime.NumGoroutine()
	c := newRFClock()
	f := newRFJira(c)
	ctx, cancel := context.WithCancel(context.Background())
	f.before = func(op string) { cancel() }
	r := &Refresher{Clock: c, Logger: rfQuiet}
	r.AddSite("s", f, rfDecl("https://app.example/h", "project = A"))
	f.failNext("list", context.Canceled)
	if err := r.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v", err)
	}
	if st := r.Stats(); st.Failures != 0 {
		t.Errorf("shutdown counted as a site failure: %+v", st)
	}
	rfWaitGoroutines(t, before)
}

func TestAddSiteWakesRun(t *testing.T) {
	c := &rfBlockingClock{rfClock: *newRFClock(), sleeping: make(chan time.Duration)}
	f := newRFJira(&c.rfClock)
	r := &Refresher{Clock: c, Logger: rfQuiet}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	if d := <-c.sleeping; d != idleInterval {
		t.Errorf("with no sites, sleeps %v, want %v", d, idleInterval)
	}
	if err := r.AddSite("late", f, rfDecl("https://app.example/h", "project = A")); err != nil {
		t.Fatal(err)
	}
	<-c.sleeping
	if f.count("register") != 1 {
		t.Error("the site added while sleeping was not synced")
	}
	if err := r.AddSite("late", f); err == nil {
		t.Error("AddSite accepted a name twice")
	}
	if !r.RemoveSite("late") || r.RemoveSite("late") {
		t.Error("RemoveSite")
	}
	cancel()
	<-done
}

func TestRunBoundsConcurrency(t *testing.T) {
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
		r.AddSite(fmt.Sprint("site", i), f)
	}
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := f.maxInFlight.Load(); m != 3 {
		t.Errorf("at most %d calls ran at once, want 3", m)
	}
	if f.count("list") != 20 {
		t.Errorf("list calls = %d, want 20", f.count("list"))
	}
}

func TestAddSiteValidates(t *testing.T) {
	var r Refresher
	if err := r.AddSite("x", nil); err == nil {
		t.Error("nil client accepted")
	}
	if err := r.AddSite("x", newRFJira(newRFClock()), Declaration{}); err == nil {
		t.Error("declaration without URL accepted")
	}
	if s := AtRisk.String(); s != "at-risk" {
		t.Errorf("String = %q", s)
	}
	if s := EventKind(99).String(); s != "EventKind(99)" {
		t.Errorf("String = %q", s)
	}
}

// TestRunKeepsAliveForAYear runs the scheduler on the fake for a year with
// a site that fails now and then, and checks nothing ever expires.
func TestRunKeepsAliveForAYear(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	start := c.Now()
	end := start.Add(365 * rfDay)
	var want []Declaration
	for i := range 10 {
		want = append(want, rfDecl("https://app.example/h", fmt.Sprintf("project = P%d", i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	f.before = func(op string) {
		n++
		if n%7 == 0 {
			f.failNext(op, errors.New("flaky"))
		}
	}
	stop := &rfStopClock{rfClock: c, end: end, cancel: cancel}
	r := &Refresher{Clock: stop, Logger: rfQuiet}
	r.AddSite("s", f, want...)
	var expired int
	stop.check = func() {
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
	r.Run(ctx)
	if expired != 0 {
		t.Errorf("webhooks missing at %d wake-ups", expired)
	}
	rfAssertDeclared(t, f, want...)
	if got := f.count("refresh"); got > 14 {
		t.Errorf("%d refresh calls in a year", got)
	}
}

// rfStopClock advances a rfClock, checks the world before each sleep, and
// cancels when the end is reached.
type rfStopClock struct {
	*rfClock
	end    time.Time
	cancel context.CancelFunc
	check  func()
}

func (c *rfStopClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.check != nil {
		c.check()
	}
	if c.Now().Add(d).After(c.end) {
		c.cancel()
		return context.Canceled
	}
	return c.rfClock.Sleep(ctx, d)
}

func TestFailureNearAndAfterExpiry(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	r, _ := newRFRefresher(c)
	d := rfDecl("https://app.example/h", "project = A")
	f.add(d.URL, d.Details, c.Now().Add(30*rfDay))
	r.AddSite("s", f, d)
	r.Sync(context.Background())
	s := rfSiteOf(t, r, "s")
	expiry := r.Stats().Sites[0].EarliestExpiry
	boom := errors.New("down")

	// In the last hour: retried at half the time left, so several times.
	c.Set(expiry.Add(-40 * time.Minute))
	for range 10 {
		f.failNext("list", boom)
		r.syncSite(context.Background(), s)
		next := r.Stats().Sites[0].NextDue
		if left := expiry.Sub(c.Now()); left > 2*minRetry && next.After(expiry) {
			t.Fatalf("with %v left, retry after the expiry", left)
		}
		c.Set(next)
	}
	// Past the expiry the backoff alone decides: it reaches MaxBackoff, it
	// does not stay at the floor.
	for range 12 {
		f.failNext("list", boom)
		r.syncSite(context.Background(), s)
		c.Set(r.Stats().Sites[0].NextDue)
	}
	f.failNext("list", boom)
	r.syncSite(context.Background(), s)
	if wait := r.Stats().Sites[0].NextDue.Sub(c.Now()); wait < DefaultMaxBackoff/2 {
		t.Errorf("long after expiry, retry in %v, want about %v", wait, DefaultMaxBackoff)
	}
}

func TestSyncIgnoresAWebhookListedTwice(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	d := rfDecl("https://app.example/h", "project = A")
	id := f.add(d.URL, d.Details, c.Now().Add(29*rfDay))
	r, rec := newRFRefresher(c)
	twice := &listedTwice{rfJira: f}
	r.AddSite("s", twice, d)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.snapshot(); len(got) != 1 || got[0].ID != id {
		t.Errorf("after sync: %+v, want webhook %d kept", got, id)
	}
	if ev := rec.kinds(Deduplicated); len(ev) != 0 {
		t.Errorf("deduplicated a webhook against itself: %+v", ev)
	}
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
	c := &rfBlockingClock{rfClock: *newRFClock(), sleeping: make(chan time.Duration)}
	f := newRFJira(&c.rfClock)
	r := &Refresher{Clock: c, Logger: rfQuiet, Jitter: -1}
	f.add("https://app.example/h", webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = A"}, c.Now().Add(30*rfDay))
	if err := r.AddSite("s", f, rfDecl("https://app.example/h", "project = A", webhooks.IssueCreated)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if d := <-c.sleeping; d != 27*rfDay {
		t.Fatalf("Run sleeps %v after the first sync, want 27 days", d)
	}
	f.failNext("list", errors.New("boom"))
	if err := r.Sync(context.Background()); err == nil {
		t.Fatal("Sync succeeded, want the injected failure")
	}
	select {
	case d := <-c.sleeping:
		if d < minRetry/2 || d > time.Hour {
			t.Errorf("after the failed Sync, Run sleeps %v, want the retry's backoff", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run slept on for 27 days past the failed site's retry")
	}
}

// A Jitter too large for the webhooks' lifetime is capped: with it a
// refresh would be due again at once, and a site refreshed every 30
// seconds.
func TestHugeJitterIsCapped(t *testing.T) {
	c := newRFClock()
	f := newRFJira(c)
	r := &Refresher{Clock: c, Logger: rfQuiet, Jitter: 365 * rfDay}
	d := rfDecl("https://app.example/h", "project = A", webhooks.IssueCreated)
	f.add(d.URL, d.Details, c.Now().Add(2*rfDay)) // due for a refresh
	if err := r.AddSite("s", f, d); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if next := r.Stats().NextDue; next.Sub(c.Now()) < 10*rfDay {
			t.Fatalf("next sync due %v after a refresh, want at least 10 days", next.Sub(c.Now()))
		}
	}
	if n := f.count("refresh"); n != 1 {
		t.Errorf("%d refresh calls in 20 syncs at one moment, want 1", n)
	}
}
