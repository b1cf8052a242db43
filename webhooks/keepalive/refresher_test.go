package keepalive_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
	if err != nil {
		t.Fatal(err)
	}
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
	s := newRFSite(t)
	want := rfDeclarations(3)
	clock := s.srv.Clock()
	start := clock.Now()

	first := &keepalive.Refresher{Clock: clock, Logger: rfQuiet, Jitter: -1}
	first.AddSite("acme", s.client(t), want...)
	if err := first.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.srv.Webhooks(s.app)); n != 3 {
		t.Fatalf("%d webhooks after the first sync, want 3", n)
	}

	// The app restarts 20 days later with nothing saved.
	clock.Advance(20 * rfDay)
	s.srv.ResetLogs()
	var ev rfEvents
	second := &keepalive.Refresher{Clock: clock, Logger: rfQuiet, Jitter: -1, OnEvent: ev.on}
	second.AddSite("acme", s.client(t), want...)
	if err := second.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.srv.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("restart sent %s %s; it should only list", r.Method, r.Path)
		}
	}
	st := second.Stats().Sites[0]
	expiry := start.Add(jiratest.Lifetime)
	if st.Webhooks != 3 || !st.EarliestExpiry.Equal(expiry) {
		t.Errorf("after restart: %d webhooks expiring %v, want 3 expiring %v (from Jira)", st.Webhooks, st.EarliestExpiry, expiry)
	}
	if want := expiry.Add(-keepalive.DefaultMargin); !st.NextDue.Equal(want) {
		t.Errorf("next due %v, want %v", st.NextDue, want)
	}

	// When due, it refreshes what the first process registered.
	clock.Advance(st.NextDue.Sub(clock.Now()))
	if err := second.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, h := range s.srv.Webhooks(s.app) {
		if !h.ExpirationDate.Equal(clock.Now().Add(jiratest.Lifetime)) {
			t.Errorf("webhook %d expires %v, want %v", h.ID, h.ExpirationDate, clock.Now().Add(jiratest.Lifetime))
		}
	}
	if got := len(ev.of(keepalive.Refreshed, "")); got != 1 {
		t.Errorf("%d refreshed rfEvents, want 1", got)
	}
	if got := len(ev.of(keepalive.Registered, "")); got != 0 {
		t.Errorf("%d registered rfEvents after a restart, want 0", got)
	}

	// Down for longer than 30 days: everything expired; a new process
	// registers it all again.
	clock.Advance(40 * rfDay)
	third := &keepalive.Refresher{Clock: clock, Logger: rfQuiet}
	third.AddSite("acme", s.client(t), want...)
	if err := third.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.srv.Webhooks(s.app)); n != 3 {
		t.Errorf("%d webhooks after a long outage of the app, want 3", n)
	}
}

// rfSimClock drives a Refresher's Run through simulated time on a
// jiratest.Clock: Sleep advances the clock, doing the scripted actions at
// their times on the way and calling check after each sleep, and cancels
// Run once the end is reached. Run calls Sleep only while no sync is in
// flight, so the actions never race with the Refresher.
type rfSimClock struct {
	*jiratest.Clock
	end     time.Time
	cancel  context.CancelFunc
	actions []rfSimAction // in time order
	check   func()
}

type rfSimAction struct {
	at time.Time
	do func()
}

func (c *rfSimClock) at(t time.Time, do func()) {
	c.actions = append(c.actions, rfSimAction{t, do})
	slices.SortStableFunc(c.actions, func(a, b rfSimAction) int { return a.at.Compare(b.at) })
}

func (c *rfSimClock) advanceTo(t time.Time) {
	if d := t.Sub(c.Now()); d > 0 {
		c.Advance(d)
	}
}

func (c *rfSimClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	target := c.Now().Add(d)
	limit := target
	if c.end.Before(limit) {
		limit = c.end
	}
	for len(c.actions) > 0 && !c.actions[0].at.After(limit) {
		a := c.actions[0]
		c.actions = c.actions[1:]
		c.advanceTo(a.at)
		a.do()
		if c.check != nil {
			c.check()
		}
	}
	if target.After(c.end) {
		c.advanceTo(c.end)
		c.cancel()
		return context.Canceled
	}
	c.advanceTo(target)
	if c.check != nil {
		c.check()
	}
	return nil
}

func TestRefresherReRegistersWebhookDeletedBehindItsBack(t *testing.T) {
	s := newRFSite(t)
	want := rfDeclarations(3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := s.srv.Now()
	clock := &rfSimClock{Clock: s.srv.Clock(), end: start.Add(4 * rfDay), cancel: cancel}
	var victim jiratest.Webhook
	clock.at(start.Add(2*rfDay), func() {
		victim = s.srv.Webhooks(s.app)[1]
		if err := s.client(t).Delete(context.Background(), victim.ID); err != nil {
			t.Error(err)
		}
	})
	var ev rfEvents
	r := &keepalive.Refresher{Clock: clock, Logger: rfQuiet, OnEvent: ev.on, CheckInterval: rfDay}
	r.AddSite("acme", s.client(t), want...)
	if err := r.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	lost := ev.of(keepalive.Lost, "acme")
	if len(lost) != 1 || lost[0].IDs[0] != victim.ID || lost[0].Declaration.Details.JQLFilter != victim.JQLFilter {
		t.Fatalf("lost rfEvents = %+v, want one for webhook %d", lost, victim.ID)
	}
	if d := lost[0].Time.Sub(start.Add(2 * rfDay)); d > rfDay {
		t.Errorf("noticed %v after the deletion, want within CheckInterval (1 rfDay)", d)
	}
	if got := len(ev.of(keepalive.Registered, "acme")); got != 4 {
		t.Errorf("%d registered rfEvents, want 3 + 1", got)
	}
	hooks := s.srv.Webhooks(s.app)
	if len(hooks) != 3 || rfDuplicates(hooks) != 0 {
		t.Errorf("after re-registering: %+v", hooks)
	}
}

func TestRefresherReportsRefusedRegistrations(t *testing.T) {
	s := newRFSite(t)
	good := rfDeclarations(2)
	bad := keepalive.Declaration{URL: good[0].URL, Details: webhooks.Details{
		Events:    []webhooks.EventName{webhooks.IssueUpdated},
		JQLFilter: "watchCount > 2",
	}}
	otherURL := keepalive.Declaration{URL: "https://elsewhere.example.com/hook", Details: good[0].Details}
	var ev rfEvents
	r := &keepalive.Refresher{Clock: s.srv.Clock(), Logger: rfQuiet, OnEvent: ev.on}
	r.AddSite("acme", s.client(t), good[0], bad, good[1], otherURL)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatalf("refusals are not failures: %v", err)
	}
	refused := ev.of(keepalive.Refused, "acme")
	if len(refused) != 2 {
		t.Fatalf("refused rfEvents = %+v, want 2", refused)
	}
	if d := refused[0].Declaration; d.Details.JQLFilter != "watchCount > 2" ||
		!slices.ContainsFunc(refused[0].Errors, func(e string) bool { return strings.Contains(e, "watchCount") }) {
		t.Errorf("first refusal: %+v %q", d, refused[0].Errors)
	}
	// One URL per app: Jira refuses the whole second request (400).
	if d := refused[1].Declaration; d.URL != otherURL.URL || len(refused[1].Errors) == 0 {
		t.Errorf("second refusal: %+v %q", d, refused[1].Errors)
	}
	if n := len(s.srv.Webhooks(s.app)); n != 2 {
		t.Errorf("%d webhooks registered, want the 2 good ones", n)
	}
	st := r.Stats()
	if st.Refused != 2 || st.Registered != 2 || st.Failures != 0 || st.Sites[0].LastError != nil {
		t.Errorf("stats: %+v", st)
	}
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
		if err != nil {
			t.Fatal(err)
		}
		r := &keepalive.Refresher{Clock: clock, Logger: rfQuiet}
		r.AddSite("acme", c, want...)
		rs = append(rs, r)
	}
	syncAll := func() {
		var done sync.WaitGroup
		for _, r := range rs {
			done.Add(1)
			go func() {
				defer done.Done()
				if err := r.Sync(context.Background()); err != nil {
					t.Error(err)
				}
			}()
		}
		done.Wait()
	}
	syncAll()
	hooks := s.srv.Webhooks(s.app)
	if len(hooks) != replicas*len(want) {
		t.Fatalf("%d webhooks after concurrent first syncs, want %d: the test meant them all to register", len(hooks), replicas*len(want))
	}
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
	if len(hooks) != len(want) || rfDuplicates(hooks) != 0 {
		t.Fatalf("after the settling syncs: %d webhooks, %d rfDuplicates; want %d and 0", len(hooks), rfDuplicates(hooks), len(want))
	}
	for _, h := range hooks {
		if h.ID != lowest[rfKey(h)] {
			t.Errorf("kept webhook %d, not the lowest ID %d", h.ID, lowest[rfKey(h)])
		}
	}
	// Refreshing at once is harmless: they stay as they are.
	clock.Advance(28 * rfDay)
	syncAll()
	if hooks := s.srv.Webhooks(s.app); len(hooks) != len(want) || rfDuplicates(hooks) != 0 {
		t.Errorf("after concurrent refreshes: %+v", hooks)
	}
	// One replica's refresh is enough: a replica that lists after another
	// refreshed finds nothing due.
	refreshes := int64(0)
	for _, r := range rs {
		st := r.Stats()
		refreshes += st.RefreshCalls
		if st.Failures != 0 {
			t.Errorf("replica stats: %+v", st)
		}
	}
	if refreshes < 1 || refreshes > replicas {
		t.Errorf("%d refresh calls from %d replicas", refreshes, replicas)
	}
	for _, h := range s.srv.Webhooks(s.app) {
		if !h.ExpirationDate.Equal(clock.Now().Add(jiratest.Lifetime)) {
			t.Errorf("webhook %d expires %v, want %v", h.ID, h.ExpirationDate, clock.Now().Add(jiratest.Lifetime))
		}
	}
}

func TestRefresherRunStopsOnCancel(t *testing.T) {
	s := newRFSite(t)
	c := s.client(t)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
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
		if err := r.AddSite(fmt.Sprint("site-", i), c, rfDeclarations(1)...); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }() // real clock: it sleeps for minutes
	<-synced
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	s.srv.Client().CloseIdleConnections()
	s.hc.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	for i := 0; runtime.NumGoroutine() > before; i++ {
		if i == 300 {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before Run:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
