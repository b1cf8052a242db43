package keepalive_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/testclock"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

const rfDay = 24 * time.Hour

var rfQuiet = slog.New(slog.DiscardHandler)

// rfSite is one jiratest site with one OAuth app installed.
type rfSite struct {
	srv *jiratest.Server
	app *jiratest.App
	hc  *http.Client
}

func newRFSite(t *testing.T, opts ...jiratest.Option) *rfSite {
	t.Helper()
	srv := jiratest.NewServer(opts...)
	t.Cleanup(srv.Close)
	app := srv.AddOAuthApp("acme-app", []byte("client-secret"))
	return &rfSite{srv: srv, app: app, hc: app.HTTPClient()}
}

// client returns a new client of the site's app, as a replica would have.
func (s *rfSite) client(t *testing.T) *webhooks.Client {
	t.Helper()
	c, err := webhooks.NewClient(s.srv.URL(),
		webhooks.WithHTTPClient(s.app.HTTPClient()),
		webhooks.WithClock(s.srv.Clock())) // retry waits pass on the fake clock
	require.NoError(t, err)
	return c
}

// rfKey is a webhook's identity for duplicate checks.
func rfKey(h jiratest.Webhook) string {
	ev := slices.Clone(h.Events)
	slices.Sort(ev)
	return h.URL + "|" + strings.Join(ev, ",") + "|" + h.JQLFilter
}

// rfDuplicates counts webhooks beyond the first of each identity.
func rfDuplicates(hooks []jiratest.Webhook) int {
	seen := map[string]bool{}
	n := 0
	for _, h := range hooks {
		if seen[rfKey(h)] {
			n++
		}
		seen[rfKey(h)] = true
	}
	return n
}

// rfDeclarations returns n rfDeclarations for one URL, one project each.
func rfDeclarations(n int) []keepalive.Declaration {
	out := make([]keepalive.Declaration, n)
	for i := range out {
		out[i] = keepalive.Declaration{
			URL: "https://app.example.com/jira/rfEvents",
			Details: webhooks.Details{
				Events:    []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated},
				JQLFilter: fmt.Sprintf("project = P%03d", i),
			},
		}
	}
	return out
}

// rfEvents records a Refresher's rfEvents by kind.
type rfEvents struct {
	mu  sync.Mutex
	all []keepalive.Event
}

func (e *rfEvents) on(ev keepalive.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *rfEvents) of(kind keepalive.EventKind, site string) []keepalive.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []keepalive.Event
	for _, ev := range e.all {
		if ev.Kind == kind && (site == "" || ev.Site == site) {
			out = append(out, ev)
		}
	}
	return out
}

func TestRefresherRestartNeedsNoLocalState(t *testing.T) {
	t.Parallel()
	s := newRFSite(t)
	want := rfDeclarations(3)
	clock := s.srv.Clock()
	start := clock.Now()

	first := &keepalive.Refresher{Clock: clock, Logger: rfQuiet, Jitter: -1}
	require.NoError(t, first.AddSite("acme", s.client(t), want...))
	require.NoError(t, first.Sync(t.Context()))
	require.Len(t, s.srv.Webhooks(s.app), 3, "webhooks after the first sync")

	// The app restarts 20 days later with nothing saved.
	clock.Advance(20 * rfDay)
	s.srv.ResetLogs()
	var ev rfEvents
	second := &keepalive.Refresher{Clock: clock, Logger: rfQuiet, Jitter: -1, OnEvent: ev.on}
	require.NoError(t, second.AddSite("acme", s.client(t), want...))
	require.NoError(t, second.Sync(t.Context()))
	for _, r := range s.srv.Requests() {
		assert.Equal(t, http.MethodGet, r.Method, "restart sent %s %s; it should only list", r.Method, r.Path)
	}
	st := second.Stats().Sites[0]
	expiry := start.Add(jiratest.Lifetime)
	assert.Equal(t, 3, st.Webhooks, "webhooks after restart")
	assert.True(t, st.EarliestExpiry.Equal(expiry), "after restart: webhooks expiring %v, want %v (from Jira)", st.EarliestExpiry, expiry)
	wantNext := expiry.Add(-keepalive.DefaultMargin)
	assert.True(t, st.NextDue.Equal(wantNext), "next due %v, want %v", st.NextDue, wantNext)

	// When due, it refreshes what the first process registered.
	clock.Advance(st.NextDue.Sub(clock.Now()))
	require.NoError(t, second.Sync(t.Context()))
	rfAssertExpire(t, s, clock.Now().Add(jiratest.Lifetime))
	assert.Len(t, ev.of(keepalive.Refreshed, ""), 1, "refreshed events")
	assert.Empty(t, ev.of(keepalive.Registered, ""), "registered events after a restart")

	// Down for longer than 30 days: everything expired; a new process
	// registers it all again.
	clock.Advance(40 * rfDay)
	third := &keepalive.Refresher{Clock: clock, Logger: rfQuiet}
	require.NoError(t, third.AddSite("acme", s.client(t), want...))
	require.NoError(t, third.Sync(t.Context()))
	assert.Len(t, s.srv.Webhooks(s.app), 3, "webhooks after a long outage of the app")
}

// rfAssertExpire checks that every webhook of the site's app expires at
// want.
func rfAssertExpire(t *testing.T, s *rfSite, want time.Time) {
	t.Helper()
	for _, h := range s.srv.Webhooks(s.app) {
		assert.True(t, h.ExpirationDate.Equal(want), "webhook %d expires %v, want %v", h.ID, h.ExpirationDate, want)
	}
}

// rfSim drives a Refresher's Run through simulated time on a
// jiratest.Clock. Its clock's Sleep advances the time, doing the scripted
// actions at their times on the way and calling check after each action
// and each sleep, and cancels Run once the end is reached. Run calls Sleep
// only while no sync is in flight, so the actions never race with the
// Refresher.
type rfSim struct {
	clock   *testclock.Clock // the Refresher's clock
	end     time.Time
	cancel  context.CancelFunc
	actions []rfSimAction // in time order
	check   func()
}

type rfSimAction struct {
	at time.Time
	do func()
}

// newRFSim returns a simulation on c that ends at end by calling cancel.
func newRFSim(c *jiratest.Clock, end time.Time, cancel context.CancelFunc) *rfSim {
	s := &rfSim{clock: testclock.Of(c), end: end, cancel: cancel}
	s.clock.Wait = s.sleep
	return s
}

// at schedules do at time t.
func (s *rfSim) at(t time.Time, do func()) {
	s.actions = append(s.actions, rfSimAction{t, do})
	slices.SortStableFunc(s.actions, func(a, b rfSimAction) int { return a.at.Compare(b.at) })
}

func (s *rfSim) advanceTo(t time.Time) {
	if d := t.Sub(s.clock.Now()); d > 0 {
		s.clock.Advance(d)
	}
}

func (s *rfSim) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	target := s.clock.Now().Add(d)
	limit := target
	if s.end.Before(limit) {
		limit = s.end
	}
	for len(s.actions) > 0 && !s.actions[0].at.After(limit) {
		a := s.actions[0]
		s.actions = s.actions[1:]
		s.advanceTo(a.at)
		a.do()
		if s.check != nil {
			s.check()
		}
	}
	if target.After(s.end) {
		s.advanceTo(s.end)
		s.cancel()
		return context.Canceled
	}
	s.advanceTo(target)
	if s.check != nil {
		s.check()
	}
	return nil
}

func TestRefresherReRegistersWebhookDeletedBehindItsBack(t *testing.T) {
	t.Parallel()
	s := newRFSite(t)
	want := rfDeclarations(3)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	start := s.srv.Now()
	sim := newRFSim(s.srv.Clock(), start.Add(4*rfDay), cancel)
	var victim jiratest.Webhook
	sim.at(start.Add(2*rfDay), func() {
		victim = s.srv.Webhooks(s.app)[1]
		assert.NoError(t, s.client(t).Delete(t.Context(), victim.ID), "deleting webhook %d", victim.ID)
	})
	var ev rfEvents
	r := &keepalive.Refresher{Clock: sim.clock, Logger: rfQuiet, OnEvent: ev.on, CheckInterval: rfDay}
	require.NoError(t, r.AddSite("acme", s.client(t), want...))
	require.ErrorIs(t, r.Run(ctx), context.Canceled, "Run")
	lost := ev.of(keepalive.Lost, "acme")
	require.Len(t, lost, 1, "lost events, want one for webhook %d", victim.ID)
	require.Equal(t, victim.ID, lost[0].IDs[0], "lost event %+v", lost[0])
	require.Equal(t, victim.JQLFilter, lost[0].Declaration.Details.JQLFilter, "lost event %+v", lost[0])
	assert.LessOrEqual(t, lost[0].Time.Sub(start.Add(2*rfDay)), rfDay, "noticed after the deletion, want within CheckInterval (1 day)")
	assert.Len(t, ev.of(keepalive.Registered, "acme"), 4, "registered events, want 3 + 1")
	hooks := s.srv.Webhooks(s.app)
	assert.Len(t, hooks, 3, "after re-registering: %+v", hooks)
	assert.Zero(t, rfDuplicates(hooks), "after re-registering: %+v", hooks)
}

func TestRefresherReportsRefusedRegistrations(t *testing.T) {
	t.Parallel()
	s := newRFSite(t)
	good := rfDeclarations(2)
	bad := keepalive.Declaration{URL: good[0].URL, Details: webhooks.Details{
		Events:    []webhooks.EventName{webhooks.IssueUpdated},
		JQLFilter: "watchCount > 2",
	}}
	otherURL := keepalive.Declaration{URL: "https://elsewhere.example.com/hook", Details: good[0].Details}
	var ev rfEvents
	r := &keepalive.Refresher{Clock: s.srv.Clock(), Logger: rfQuiet, OnEvent: ev.on}
	require.NoError(t, r.AddSite("acme", s.client(t), good[0], bad, good[1], otherURL))
	require.NoError(t, r.Sync(t.Context()), "refusals are not failures")
	refused := ev.of(keepalive.Refused, "acme")
	require.Len(t, refused, 2, "refused events")
	assert.Equal(t, "watchCount > 2", refused[0].Declaration.Details.JQLFilter, "first refusal")
	assert.True(t, slices.ContainsFunc(refused[0].Errors, func(e string) bool { return strings.Contains(e, "watchCount") }),
		"first refusal's errors %q name watchCount", refused[0].Errors)
	// One URL per app: Jira refuses the whole second request (400).
	assert.Equal(t, otherURL.URL, refused[1].Declaration.URL, "second refusal")
	assert.NotEmpty(t, refused[1].Errors, "second refusal's errors")
	assert.Len(t, s.srv.Webhooks(s.app), 2, "webhooks registered, want the 2 good ones")
	st := r.Stats()
	assert.EqualValues(t, 2, st.Refused, "stats %+v", st)
	assert.EqualValues(t, 2, st.Registered, "stats %+v", st)
	assert.Zero(t, st.Failures, "stats %+v", st)
	assert.NoError(t, st.Sites[0].LastError, "stats %+v", st)
}

// rfBarrier holds each replica's first listing until all replicas have
// listed, so that they all find the site empty and all register.
type rfBarrier struct {
	base http.RoundTripper
	wg   *sync.WaitGroup
	once sync.Once
}

func (b *rfBarrier) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(r)
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/webhook") {
		b.once.Do(func() { b.wg.Done(); b.wg.Wait() })
	}
	return resp, err
}

func TestRefresherReplicasConverge(t *testing.T) {
	t.Parallel()
	s := newRFSite(t)
	want := rfDeclarations(5)
	const replicas = 3
	clock := s.srv.Clock()
	var wg sync.WaitGroup
	wg.Add(replicas)
	var rs []*keepalive.Refresher
	for range replicas {
		hc := s.app.HTTPClient()
		hc.Transport = &rfBarrier{base: hc.Transport, wg: &wg}
		c, err := webhooks.NewClient(s.srv.URL(), webhooks.WithHTTPClient(hc))
		require.NoError(t, err)
		r := &keepalive.Refresher{Clock: clock, Logger: rfQuiet}
		require.NoError(t, r.AddSite("acme", c, want...))
		rs = append(rs, r)
	}
	syncAll := func() {
		var done sync.WaitGroup
		for _, r := range rs {
			done.Go(func() { assert.NoError(t, r.Sync(t.Context())) })
		}
		done.Wait()
	}
	syncAll()
	hooks := s.srv.Webhooks(s.app)
	require.Len(t, hooks, replicas*len(want), "webhooks after concurrent first syncs: the test meant them all to register")
	lowest := map[string]int64{}
	for _, h := range hooks {
		if id, ok := lowest[rfKey(h)]; !ok || h.ID < id {
			lowest[rfKey(h)] = h.ID
		}
	}
	// Each replica checks the site again a minute or two later.
	clock.Advance(2 * time.Minute)
	syncAll()
	hooks = s.srv.Webhooks(s.app)
	require.Len(t, hooks, len(want), "webhooks after the settling syncs")
	require.Zero(t, rfDuplicates(hooks), "duplicates after the settling syncs")
	for _, h := range hooks {
		assert.Equal(t, lowest[rfKey(h)], h.ID, "kept webhook %d, not the lowest ID", h.ID)
	}
	// Refreshing at once is harmless: they stay as they are.
	clock.Advance(28 * rfDay)
	syncAll()
	hooks = s.srv.Webhooks(s.app)
	assert.Len(t, hooks, len(want), "after concurrent refreshes: %+v", hooks)
	assert.Zero(t, rfDuplicates(hooks), "after concurrent refreshes: %+v", hooks)
	// One replica's refresh is enough: a replica that lists after another
	// refreshed finds nothing due.
	refreshes := int64(0)
	for _, r := range rs {
		st := r.Stats()
		refreshes += st.RefreshCalls
		assert.Zero(t, st.Failures, "replica stats: %+v", st)
	}
	assert.GreaterOrEqual(t, refreshes, int64(1), "refresh calls from %d replicas", replicas)
	assert.LessOrEqual(t, refreshes, int64(replicas), "refresh calls from %d replicas", replicas)
	rfAssertExpire(t, s, clock.Now().Add(jiratest.Lifetime))
}

// TestRefresherRunStopsOnCancel counts the process's goroutines: it runs
// serially.
func TestRefresherRunStopsOnCancel(t *testing.T) {
	s := newRFSite(t)
	c := s.client(t)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	synced := make(chan struct{}, 1)
	r := &keepalive.Refresher{Logger: rfQuiet, OnEvent: func(e keepalive.Event) {
		if e.Kind == keepalive.Registered {
			select {
			case synced <- struct{}{}:
			default:
			}
		}
	}}
	for i := range 5 {
		require.NoError(t, r.AddSite(fmt.Sprint("site-", i), c, rfDeclarations(1)...))
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }() // real clock: it sleeps for minutes
	<-synced
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled, "Run")
	s.srv.Client().CloseIdleConnections()
	s.hc.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	for i := 0; runtime.NumGoroutine() > before; i++ {
		if i == 300 {
			buf := make([]byte, 1<<16)
			require.FailNowf(t, "goroutines left", "%d goroutines, %d before Run:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
