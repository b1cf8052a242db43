package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the Refresher's settings, used when a field is left zero.
const (
	// DefaultRefreshMargin is how long before the earliest expiry a site's
	// webhooks are refreshed. Jira keeps a webhook 30 days after its
	// registration or last refresh, so the webhooks are refreshed about every
	// 27 days, and a site can fail for three days before anything expires.
	DefaultRefreshMargin = 3 * 24 * time.Hour
	// DefaultRefreshJitter is the most that is taken, at random, off each
	// refresh time, so that a fleet of apps does not call Jira at one moment.
	DefaultRefreshJitter = 6 * time.Hour
	// DefaultRiskThreshold is how close to expiry a webhook must be, with
	// its refresh still failing, for the Refresher to raise RefresherAtRisk.
	DefaultRiskThreshold = 24 * time.Hour
	// DefaultMaxBackoff caps the wait between two attempts on a failing site.
	DefaultMaxBackoff = time.Hour
	// DefaultRefreshBatchSize is how many webhook IDs go into one refresh or
	// delete call.
	DefaultRefreshBatchSize = 100
	// DefaultRefreshConcurrency is how many sites are synced at once.
	DefaultRefreshConcurrency = 4
)

// Timing the Refresher keeps to itself.
const (
	// minRetry is the shortest wait after a failure: never a tight loop.
	minRetry = 30 * time.Second
	// expirySafety: a failing site is retried at least this long before its
	// earliest expiry, whatever the backoff says.
	expirySafety = time.Hour
	// settleDelay: after registering, the site is listed again this much
	// later (plus jitter) to read the new webhooks' expiry from Jira and to
	// remove duplicates that replicas registered at the same moment.
	settleDelay = time.Minute
	// idleInterval: how often a site with nothing to keep alive is listed.
	idleInterval = 24 * time.Hour
	// refusedRetry: a declaration Jira refused is tried again this much
	// later, doubling each time it is refused again, up to
	// maxRefusedRetry.
	refusedRetry    = 24 * time.Hour
	maxRefusedRetry = 30 * 24 * time.Hour
	// syncTimeout bounds one sync of one site, in real time, so that a site
	// that hangs cannot stall the others for ever.
	syncTimeout = 5 * time.Minute
	// maxMargin caps Margin, so that a refresh always buys time.
	maxMargin = 20 * 24 * time.Hour
	// listPageSize is the page size asked of Jira when listing, and
	// maxListPages the most pages read (a listing that does not end is an
	// error).
	listPageSize = 100
	maxListPages = 1000
)

// ErrRefresherRunning is returned by Run when the Refresher is already
// running.
var ErrRefresherRunning = errors.New("webhooks: refresher is already running")

// A Declaration is one webhook an app wants on a site: where Jira delivers,
// and what it delivers. The Refresher matches it against the webhooks Jira
// lists by URL, event set, JQL filter, field ID filter and issue property
// filter; the order of events and filters does not matter, nor does
// whitespace around the JQL.
type Declaration struct {
	// URL is where Jira delivers: the app's one webhook URL on the site.
	URL string
	// Details are the events and filters of the webhook.
	Details Details
}

// Refresher keeps an app's dynamic webhooks alive and as declared, on one
// Jira site or many. An app embeds it:
//
//	r := &webhooks.Refresher{OnEvent: alert}
//	r.AddSite("acme", client, webhooks.Declaration{URL: u, Details: d})
//	go r.Run(ctx)
//
// For each site, when due, the Refresher lists the webhooks Jira has; when
// their earliest expiry is within Margin, it refreshes all of the site's
// declared webhooks, in batches, so that they expire together; it deletes
// duplicates of a declaration (keeping the lowest ID); and it registers the
// declared webhooks that are missing (Jira deleted them, or they expired
// while the app was down), one call per URL. The next sync is due at the
// earliest expiry, minus Margin, minus a random jitter. Expiry dates come
// from Jira, so a restarted app needs no local state.
//
// A site added with no declarations is refresh-only: the Refresher keeps
// alive whatever webhooks the app has there, and registers or deletes
// nothing. On a declared site, webhooks that match no declaration are left
// alone: neither refreshed nor deleted, they expire within 30 days.
//
// A failing site is retried with capped, jittered exponential backoff (at
// least Retry-After when Jira sent one, and never sooner than 30 seconds),
// but always before its earliest expiry: an hour before it at the latest,
// then at half the time left. Alerts (RefresherAtRisk, RefresherLost,
// RefresherRefused) go to OnEvent and to Logger; every event does.
//
// Several replicas of an app may run a Refresher on the same sites: refresh
// is idempotent, and after registering, a Refresher lists the site again a
// minute later and deletes all but the lowest ID of each declaration, so
// concurrent registrations converge to one webhook each.
//
// Set the fields before the first call of AddSite, Run or Sync, and do not
// change them afterwards. The methods are safe for concurrent use. A
// Refresher must not be copied after first use.
type Refresher struct {
	// Margin: a site is refreshed when its earliest expiry is this close.
	// Zero means DefaultRefreshMargin; more than 20 days counts as 20 days.
	Margin time.Duration
	// Jitter: each refresh time is moved earlier by a random duration
	// under Jitter. Zero means DefaultRefreshJitter (but at most half of
	// Margin); negative means no jitter. A Jitter over 20 days minus
	// Margin counts as that, so that a refresh always buys time.
	Jitter time.Duration
	// RiskThreshold: when a site's earliest expiry is this close and the
	// site is failing, RefresherAtRisk is raised. Zero means
	// DefaultRiskThreshold.
	RiskThreshold time.Duration
	// CheckInterval, when positive, makes the Refresher list each site at
	// least that often, to notice deleted webhooks sooner. Zero means a
	// site is listed only when a refresh is due, about every 27 days.
	CheckInterval time.Duration
	// MaxBackoff caps the wait between attempts on a failing site. Zero
	// means DefaultMaxBackoff.
	MaxBackoff time.Duration
	// BatchSize is the most IDs per refresh or delete call. Zero means
	// DefaultRefreshBatchSize.
	BatchSize int
	// Concurrency is how many sites are synced at once. Zero means
	// DefaultRefreshConcurrency.
	Concurrency int
	// Clock is the source of time. Nil means the real time.
	Clock Clock
	// Logger receives a record for each event: Info for routine work, Warn
	// for failures and refusals, Error for webhooks at risk or lost. Nil
	// means slog.Default(); to silence it, use
	// slog.New(slog.DiscardHandler).
	Logger *slog.Logger
	// OnEvent, when set, is called for each event, one call at a time. It
	// must not block for long (syncs wait for it) nor call Sync; it may
	// call Stats.
	OnEvent func(RefresherEvent)

	mu      sync.Mutex
	sites   map[string]*site
	order   []string           // sites in the order they were added
	wake    context.CancelFunc // ends Run's current sleep; nil when not sleeping
	wakeAt  time.Time          // when Run's current sleep ends, by the clock
	running atomic.Bool
	eventMu sync.Mutex
	counts  counters
}

// counters are the Refresher's totals; see RefresherStats.
type counters struct {
	list, register, refresh, delete atomic.Int64
	syncs, failures                 atomic.Int64
	registered, refreshed, deleted  atomic.Int64
	refused, lost                   atomic.Int64
}

// site is one Jira site the Refresher looks after.
type site struct {
	name  string
	api   siteAPI
	decls []Declaration // deduplicated; nil for a refresh-only site
	keys  []string      // keys[i] is the match key of decls[i]

	busy sync.Mutex // held during a sync

	st  siteState  // guarded by Refresher.mu
	mem siteMemory // guarded by busy
}

// siteState is what the Refresher remembers of a site between syncs, for
// scheduling and stats. All of it can be lost: the next sync rebuilds it
// from Jira.
type siteState struct {
	next     time.Time // when the next sync is due; zero: now
	earliest time.Time // earliest known expiry of the kept webhooks
	kept     int       // webhooks kept alive
	failures int       // consecutive failed syncs
	lastErr  error
	lastSync time.Time // end of the last successful sync
	atRisk   bool      // RefresherAtRisk raised, not yet cleared by a refresh
}

// siteMemory is what a sync carries over to the next one, guarded by
// site.busy. Like siteState, it can be lost.
type siteMemory struct {
	jitter  time.Duration   // jitter of the current cycle
	had     map[int]int64   // declaration -> ID kept at the last sync
	refused map[int]refused // declaration -> when to try it again
	pending map[int64]int   // ID registered, not listed since -> declaration
	learned map[string]int  // Jira's spelling of a declaration -> declaration
}

// refused is a declaration Jira refused n times in a row; it is not tried
// again before until.
type refused struct {
	n     int
	until time.Time
}

// siteAPI is what the Refresher needs of a client; *Client provides it
// through clientAPI, and tests through fakes.
type siteAPI interface {
	// list returns every webhook of the app on the site and the number of
	// pages it took.
	list(ctx context.Context) ([]Webhook, int, error)
	register(ctx context.Context, url string, hooks ...Details) ([]Registration, error)
	refresh(ctx context.Context, ids ...int64) (time.Time, error)
	delete(ctx context.Context, ids ...int64) error
}

// clientAPI adapts *Client to siteAPI.
type clientAPI struct{ c *Client }

func (a clientAPI) list(ctx context.Context) ([]Webhook, int, error) {
	p := a.c.List(&ListOptions{MaxResults: listPageSize})
	var all []Webhook
	pages := 0
	for p.More() {
		if pages == maxListPages {
			return nil, pages, fmt.Errorf("webhooks: listing did not end after %d pages", pages)
		}
		page, err := p.Next(ctx)
		pages++
		if err != nil {
			return nil, pages, err
		}
		all = append(all, page...)
	}
	return all, pages, nil
}

func (a clientAPI) register(ctx context.Context, url string, hooks ...Details) ([]Registration, error) {
	return a.c.Register(ctx, url, hooks...)
}

func (a clientAPI) refresh(ctx context.Context, ids ...int64) (time.Time, error) {
	return a.c.Refresh(ctx, ids...)
}

func (a clientAPI) delete(ctx context.Context, ids ...int64) error {
	return a.c.Delete(ctx, ids...)
}

// AddSite puts a Jira site in the Refresher's care: name identifies it in
// events, logs and stats; c is a client for that site; want are the webhooks
// the app wants there. With no declarations the site is refresh-only.
// Identical declarations count once.
//
// AddSite may be called while Run runs; the new site is synced at once.
// It fails when name is already taken, c is nil, or a declaration has no URL.
func (r *Refresher) AddSite(name string, c *Client, want ...Declaration) error {
	if c == nil {
		return fmt.Errorf("webhooks: AddSite %q: nil client", name)
	}
	return r.addSite(name, clientAPI{c}, want...)
}

func (r *Refresher) addSite(name string, api siteAPI, want ...Declaration) error {
	s := &site{name: name, api: api}
	s.mem = siteMemory{
		jitter:  r.newJitter(),
		had:     map[int]int64{},
		refused: map[int]refused{},
		pending: map[int64]int{},
		learned: map[string]int{},
	}
	seen := map[string]bool{}
	for i, d := range want {
		if d.URL == "" {
			return fmt.Errorf("webhooks: AddSite %q: declaration %d has no URL", name, i)
		}
		k := declKey(d.URL, d.Details)
		if seen[k] {
			continue
		}
		seen[k] = true
		s.decls = append(s.decls, cloneDeclaration(d))
		s.keys = append(s.keys, k)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sites == nil {
		r.sites = map[string]*site{}
	}
	if _, dup := r.sites[name]; dup {
		return fmt.Errorf("webhooks: AddSite %q: site already added", name)
	}
	r.sites[name] = s
	r.order = append(r.order, name)
	if r.wake != nil {
		r.wake()
	}
	return nil
}

// RemoveSite takes a site out of the Refresher's care (the app was
// uninstalled there, say). Its webhooks are left as they are. It reports
// whether the site was there. A sync of that site in progress completes.
func (r *Refresher) RemoveSite(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.sites[name]; !ok {
		return false
	}
	delete(r.sites, name)
	for i, n := range r.order {
		if n == name {
			r.order = append(r.order[:i:i], r.order[i+1:]...)
			break
		}
	}
	return true
}

// Run keeps the webhooks of every site alive until ctx ends, then returns
// ctx's error once every sync it started has stopped; it leaves no goroutine
// behind. Sites are synced when due (a site just added is due at once), at
// most Concurrency at a time. Run returns ErrRefresherRunning if the
// Refresher is already running.
func (r *Refresher) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return ErrRefresherRunning
	}
	defer r.running.Store(false)
	clock := r.clock()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := clock.Now()
		sleepCtx, cancel := context.WithCancel(ctx)
		due, wait := r.dueSites(now, cancel)
		if len(due) > 0 {
			cancel()
			r.syncSites(ctx, due)
			continue
		}
		_ = clock.Sleep(sleepCtx, wait)
		r.mu.Lock()
		r.wake = nil
		r.mu.Unlock()
		cancel()
	}
}

// Sync syncs every site once, now, whether due or not: list, register what
// is missing, delete duplicates, and refresh if the earliest expiry is within
// Margin. It returns the sites' errors joined. It suits apps that run from a
// scheduler (a daily job) rather than embedding Run; it is safe to call while
// Run runs.
func (r *Refresher) Sync(ctx context.Context) error {
	r.mu.Lock()
	all := make([]*site, 0, len(r.order))
	for _, n := range r.order {
		all = append(all, r.sites[n])
	}
	r.mu.Unlock()
	return r.syncSites(ctx, all)
}

// dueSites returns the sites due at now, earliest first. When none is due,
// it returns how long Run may sleep, until the earliest due time, and
// installs wake to end that sleep early, in the same critical section, so
// that a site added or rescheduled meanwhile cannot go unnoticed.
func (r *Refresher) dueSites(now time.Time, wake context.CancelFunc) (due []*site, sleep time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var next time.Time
	for _, n := range r.order {
		s := r.sites[n]
		if !s.st.next.After(now) {
			due = append(due, s)
		} else if next.IsZero() || s.st.next.Before(next) {
			next = s.st.next
		}
	}
	if len(due) > 0 {
		sort.SliceStable(due, func(i, j int) bool { return due[i].st.next.Before(due[j].st.next) })
		return due, 0
	}
	if next.IsZero() {
		next = now.Add(idleInterval)
	}
	r.wake, r.wakeAt = wake, next
	return nil, next.Sub(now)
}

// setNextLocked sets when s is due next, and ends Run's sleep if s is now
// due before it ends (a Sync called beside Run failed, say). The caller
// holds r.mu.
func (r *Refresher) setNextLocked(s *site, next time.Time) {
	s.st.next = next
	if r.wake != nil && next.Before(r.wakeAt) {
		r.wake()
	}
}

// syncSites syncs the given sites, Concurrency at a time, waits for all of
// them, and returns their errors joined. Each sync sets its site's next due
// time.
func (r *Refresher) syncSites(ctx context.Context, sites []*site) error {
	n := r.Concurrency
	if n <= 0 {
		n = DefaultRefreshConcurrency
	}
	sem := make(chan struct{}, n)
	errs := make([]error, len(sites))
	var wg sync.WaitGroup
	for i, s := range sites {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = r.syncSite(ctx, s)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// syncSite runs one sync of s and schedules the next, or a retry.
func (r *Refresher) syncSite(ctx context.Context, s *site) error {
	s.busy.Lock()
	defer s.busy.Unlock()
	sctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	err := r.sync(sctx, s)
	if err == nil {
		r.counts.syncs.Add(1)
		return nil
	}
	if ctx.Err() != nil {
		// Shutting down: not the site's fault.
		return err
	}
	r.counts.failures.Add(1)
	r.fail(s, err)
	return fmt.Errorf("webhooks: site %q: %w", s.name, err)
}

// fail schedules a retry of a failing site and raises the alerts it calls
// for.
func (r *Refresher) fail(s *site, err error) {
	now := r.clock().Now()
	r.mu.Lock()
	s.st.failures++
	s.st.lastErr = err
	delay := backoff(s.st.failures, r.maxBackoff())
	if ra := retryAfter(err); ra > delay {
		delay = ra
	}
	// Before expiry, try again in time: an hour before it at the latest,
	// then at half the time left. After it, the webhooks are gone and the
	// backoff alone decides.
	retry := now.Add(delay)
	earliest := s.st.earliest
	if !earliest.IsZero() && now.Before(earliest) {
		deadline := earliest.Add(-expirySafety)
		if !now.Before(deadline) {
			deadline = now.Add(earliest.Sub(now) / 2)
		}
		if retry.After(deadline) {
			retry = deadline
		}
	}
	if min := now.Add(minRetry); retry.Before(min) {
		retry = min
	}
	r.setNextLocked(s, retry)
	risk := !earliest.IsZero() && s.st.kept > 0 && earliest.Sub(now) < r.riskThreshold() && !s.st.atRisk
	if risk {
		s.st.atRisk = true
	}
	failures := s.st.failures
	r.mu.Unlock()

	r.emit(RefresherEvent{Kind: RefresherFailed, Site: s.name, Time: now, Err: err, Retry: retry, Failures: failures})
	if risk {
		r.emit(RefresherEvent{Kind: RefresherAtRisk, Site: s.name, Time: now, Expiry: earliest, Err: err})
	}
}

// backoff is the wait after the n-th consecutive failure: 30s doubling up
// to max, then drawn at random from its upper half.
func backoff(n int, max time.Duration) time.Duration {
	d := minRetry
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}

// retryAfter returns how long Jira asked the caller to wait, if err says.
func retryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

func (r *Refresher) clock() Clock {
	if r.Clock != nil {
		return r.Clock
	}
	return realClock{}
}

func (r *Refresher) margin() time.Duration {
	switch {
	case r.Margin > maxMargin:
		return maxMargin
	case r.Margin > 0:
		return r.Margin
	}
	return DefaultRefreshMargin
}

func (r *Refresher) maxJitter() time.Duration {
	switch {
	case r.Jitter < 0:
		return 0
	case r.Jitter > 0:
		// Past the cap, a refresh would be due again at once, and the
		// site refreshed every minRetry.
		return min(r.Jitter, maxMargin-r.margin())
	}
	return min(DefaultRefreshJitter, r.margin()/2)
}

func (r *Refresher) newJitter() time.Duration {
	if j := r.maxJitter(); j > 0 {
		return rand.N(j)
	}
	return 0
}

func (r *Refresher) riskThreshold() time.Duration {
	if r.RiskThreshold > 0 {
		return r.RiskThreshold
	}
	return DefaultRiskThreshold
}

func (r *Refresher) maxBackoff() time.Duration {
	if r.MaxBackoff > 0 {
		return r.MaxBackoff
	}
	return DefaultMaxBackoff
}

func (r *Refresher) batchSize() int {
	if r.BatchSize > 0 {
		return r.BatchSize
	}
	return DefaultRefreshBatchSize
}

func (r *Refresher) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// realClock is the real time.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
