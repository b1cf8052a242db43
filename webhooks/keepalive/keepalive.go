package keepalive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jirahooks/jirahooks/pagination"
	"github.com/jirahooks/jirahooks/webhooks"
)

// Defaults of the Refresher's settings, used when a field is left zero.
const (
	// DefaultMargin is how long before the earliest expiry a site's
	// webhooks are refreshed. Jira keeps a webhook 30 days after its
	// registration or last refresh, so the webhooks are refreshed about every
	// 27 days, and a site can fail for three days before anything expires.
	DefaultMargin = 3 * 24 * time.Hour
	// DefaultJitter is the most that is taken, at random, off each refresh
	// time, so that a fleet of apps does not call Jira at one moment.
	DefaultJitter = 6 * time.Hour
	// DefaultRiskThreshold is how close to expiry a webhook must be, with
	// its refresh still failing, for the Refresher to raise AtRisk.
	DefaultRiskThreshold = 24 * time.Hour
	// DefaultMaxBackoff caps the wait between two attempts on a failing site.
	DefaultMaxBackoff = time.Hour
	// DefaultBatchSize is how many webhook IDs go into one refresh or
	// delete call.
	DefaultBatchSize = 100
	// DefaultConcurrency is how many sites are synced at once.
	DefaultConcurrency = 4
)

// ErrRunning is returned by Run when the Refresher is already running.
var ErrRunning = errors.New("keepalive: refresher is already running")

// Client is what the Refresher needs of a Jira client: the four dynamic
// webhook calls, as *webhooks.Client has them. Tests and wrappers (one that
// meters calls, say) may provide their own.
type Client interface {
	// List returns a pager over the app's webhooks on the site.
	List(opts *webhooks.ListOptions) *pagination.Pager[webhooks.Webhook]
	// Register registers webhooks delivering to url, reporting per item
	// what Jira refused.
	Register(ctx context.Context, url string, hooks ...webhooks.Details) ([]webhooks.Registration, error)
	// Refresh extends the life of the webhooks and returns their new expiry.
	Refresh(ctx context.Context, ids ...int64) (time.Time, error)
	// Delete deletes the webhooks.
	Delete(ctx context.Context, ids ...int64) error
}

var _ Client = (*webhooks.Client)(nil)

// A Declaration is one webhook an app wants on a site: where Jira delivers,
// and what it delivers. The Refresher matches it against the webhooks Jira
// lists by URL, event set, JQL filter, field ID filter and issue property
// filter; the order of events and filters does not matter, nor does
// whitespace around the JQL.
type Declaration struct {
	// URL is where Jira delivers: the app's one webhook URL on the site.
	URL string
	// Details are the events and filters of the webhook.
	Details webhooks.Details
}

// Refresher keeps an app's dynamic webhooks alive and as declared, on one
// Jira site or many.
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
// then at half the time left. Alerts (AtRisk, Lost, Refused) go to OnEvent
// and to Logger; every event does.
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
	// Zero means DefaultMargin; more than 20 days counts as 20 days.
	Margin time.Duration
	// Jitter: each refresh time is moved earlier by a random duration
	// under Jitter. Zero means DefaultJitter (but at most half of Margin);
	// negative means no jitter. A Jitter over 20 days minus Margin counts
	// as that, so that a refresh always buys time.
	Jitter time.Duration
	// RiskThreshold: when a site's earliest expiry is this close and the
	// site is failing, AtRisk is raised. Zero means DefaultRiskThreshold.
	RiskThreshold time.Duration
	// CheckInterval, when positive, makes the Refresher list each site at
	// least that often, to notice deleted webhooks sooner. Zero means a
	// site is listed only when a refresh is due, about every 27 days.
	CheckInterval time.Duration
	// MaxBackoff caps the wait between attempts on a failing site. Zero
	// means DefaultMaxBackoff.
	MaxBackoff time.Duration
	// BatchSize is the most IDs per refresh or delete call. Zero means
	// DefaultBatchSize.
	BatchSize int
	// Concurrency is how many sites are synced at once. Zero means
	// DefaultConcurrency.
	Concurrency int
	// Clock is the source of time; a *jiratest.Clock shares the fake
	// Jira's. Nil means the real time.
	Clock webhooks.Clock
	// Logger receives a record for each event: Info for routine work, Warn
	// for failures and refusals, Error for webhooks at risk or lost. Nil
	// means slog.Default(); to silence it, use
	// slog.New(slog.DiscardHandler).
	Logger *slog.Logger
	// OnEvent, when set, is called for each event, one call at a time. It
	// must not block for long (syncs wait for it) nor call Sync; it may
	// call Stats.
	OnEvent func(Event)

	mu       sync.Mutex
	sites    map[string]*site
	declSets map[string]*declSet // by the declarations' match keys
	order    []*site             // sites in the order they were added
	due      schedule            // min-heap of the sites not being synced by Run
	seq      uint64              // the next site's place in order
	wake     context.CancelFunc  // ends Run's current sleep; nil when not sleeping
	wakeAt   time.Time           // when Run's current sleep ends, by the clock
	running  atomic.Bool
	eventMu  sync.Mutex
	counts   counters
}

// counters are the Refresher's totals; see Stats.
type counters struct {
	list, register, refresh, delete atomic.Int64
	syncs, failures                 atomic.Int64
	registered, refreshed, deleted  atomic.Int64
	refused, lost                   atomic.Int64
}

// AddSite puts a Jira site in the Refresher's care: name identifies it in
// events, logs and stats; c is a client for that site (a *webhooks.Client);
// want are the webhooks the app wants there. With no declarations the site
// is refresh-only. Identical declarations count once.
//
// AddSite may be called while Run runs; the new site is synced at once.
// It fails when name is already taken, c is nil, or a declaration has no URL.
func (r *Refresher) AddSite(name string, c Client, want ...Declaration) error {
	if c == nil {
		return fmt.Errorf("keepalive: AddSite %q: nil client", name)
	}
	s, err := newSite(name, c, want)
	if err != nil {
		return err
	}
	s.mem.jitter = r.policy().drawJitter()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sites == nil {
		r.sites = map[string]*site{}
	}
	if _, dup := r.sites[name]; dup {
		return fmt.Errorf("keepalive: AddSite %q: site already added", name)
	}
	r.sites[name] = s
	r.shareDeclsLocked(s)
	s.seq = r.seq
	r.seq++
	r.order = append(r.order, s)
	r.scheduleLocked(s, time.Time{}) // due now
	return nil
}

// RemoveSite takes a site out of the Refresher's care (the app was
// uninstalled there, say). Its webhooks are left as they are. It reports
// whether the site was there. A sync of that site in progress completes.
func (r *Refresher) RemoveSite(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sites[name]
	if !ok {
		return false
	}
	delete(r.sites, name)
	r.unshareDeclsLocked(s)
	s.removed = true
	r.due.drop(s)
	for i, o := range r.order {
		if o == s {
			r.order = append(r.order[:i:i], r.order[i+1:]...)
			break
		}
	}
	// Run may have been sleeping until this site was due: let it work out
	// its sleep again.
	if r.wake != nil {
		r.wake()
	}
	return true
}

// Run keeps the webhooks of every site alive until ctx ends, then returns
// ctx's error once every sync it started has stopped; it leaves no goroutine
// behind. Sites are synced when due (a site just added is due at once), at
// most Concurrency at a time. Run returns ErrRunning if the Refresher is
// already running.
func (r *Refresher) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer r.running.Store(false)
	clock := r.clock()
	// sleepCtx ends a sleep early when cancelled (a wake). It serves until
	// a wake cancels it, not one context per sleep: most sleeps end on
	// time.
	var sleepCtx context.Context
	cancel := context.CancelFunc(func() {})
	defer func() { cancel() }()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if sleepCtx == nil || sleepCtx.Err() != nil {
			cancel()
			sleepCtx, cancel = context.WithCancel(ctx)
		}
		due, wait := r.takeDue(clock.Now(), cancel)
		if len(due) > 0 {
			_ = r.syncSites(ctx, due)
			continue
		}
		_ = clock.Sleep(sleepCtx, wait)
		r.mu.Lock()
		r.wake = nil
		r.mu.Unlock()
	}
}

// Sync syncs every site once, now, whether due or not: list, register what
// is missing, delete duplicates, and refresh if the earliest expiry is within
// Margin. It returns the sites' errors joined. It suits apps that run from a
// scheduler (a daily job) rather than embedding Run; it is safe to call while
// Run runs.
func (r *Refresher) Sync(ctx context.Context) error {
	r.mu.Lock()
	all := make([]*site, len(r.order))
	copy(all, r.order)
	r.mu.Unlock()
	return r.syncSites(ctx, all)
}

// takeDue takes the sites due at now off the heap, earliest first. When
// none is due, it returns how long Run may sleep, until the earliest due
// time, and installs wake to end that sleep early, in the same critical
// section, so that a site added or rescheduled meanwhile cannot go
// unnoticed.
func (r *Refresher) takeDue(now time.Time, wake context.CancelFunc) (due []*site, sleep time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if due = r.due.takeDue(now); len(due) > 0 {
		return due, 0
	}
	next := now.Add(idleInterval)
	if s := r.due.first(); s != nil {
		next = s.st.next
	}
	r.wake, r.wakeAt = wake, next
	return nil, next.Sub(now)
}

// scheduleLocked sets when s is due next and puts it on the schedule (Run
// took it off to sync it), unless it was removed meanwhile; it ends Run's
// sleep if s is now due before that sleep ends (a site was added, or a Sync
// called beside Run failed). The caller holds r.mu.
func (r *Refresher) scheduleLocked(s *site, next time.Time) {
	s.st.next = next
	if s.removed {
		return
	}
	r.due.put(s, next)
	r.wakeLocked(next)
}

// wakeLocked ends Run's sleep if it lasts past t. The caller holds r.mu.
func (r *Refresher) wakeLocked(t time.Time) {
	if r.wake != nil && t.Before(r.wakeAt) {
		r.wake()
	}
}

// syncSites syncs the given sites, Concurrency at a time, waits for all of
// them, and returns their errors joined. Each site is scheduled again
// afterwards, synced or not.
func (r *Refresher) syncSites(ctx context.Context, sites []*site) error {
	if len(sites) == 1 && ctx.Err() == nil {
		// Most often Run wakes for one site: sync it here, with no
		// goroutine, semaphore or error slice to make.
		return errors.Join(r.syncSite(ctx, sites[0]))
	}
	n := r.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	sem := make(chan struct{}, n)
	errs := make([]error, len(sites))
	var wg sync.WaitGroup
	for i, s := range sites {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			r.putBack(s)
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

// putBack schedules s again at the time it was due: it was not synced.
func (r *Refresher) putBack(s *site) {
	r.mu.Lock()
	r.scheduleLocked(s, s.st.next)
	r.mu.Unlock()
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
		r.putBack(s)
		return err
	}
	r.counts.failures.Add(1)
	r.fail(s, err)
	return fmt.Errorf("keepalive: site %q: %w", s.name, err)
}

// fail schedules a retry of a failing site and raises the alerts it calls
// for.
func (r *Refresher) fail(s *site, err error) {
	now := r.clock().Now()
	p := r.policy()
	r.mu.Lock()
	s.st.failures++
	s.st.lastErr = err
	earliest := s.st.earliest
	retry := p.nextDue(now, outcome{
		failures:   s.st.failures,
		retryAfter: retryAfter(err),
		earliest:   earliest,
		luck:       luck(),
	})
	r.scheduleLocked(s, retry)
	risk := !earliest.IsZero() && s.st.kept > 0 && earliest.Sub(now) < p.riskThreshold && !s.st.atRisk
	if risk {
		s.st.atRisk = true
	}
	failures := s.st.failures
	r.mu.Unlock()

	r.emit(Event{Kind: Failed, Site: s.name, Time: now, Err: err, Retry: retry, Failures: failures})
	if risk {
		r.emit(Event{Kind: AtRisk, Site: s.name, Time: now, Expiry: earliest, Err: err})
	}
}

// retryAfter returns how long Jira asked the caller to wait, if err says.
func retryAfter(err error) time.Duration {
	if ae, ok := errors.AsType[*webhooks.APIError](err); ok {
		return ae.RetryAfter
	}
	return 0
}

func (r *Refresher) clock() webhooks.Clock {
	if r.Clock != nil {
		return r.Clock
	}
	return realClock{}
}

func (r *Refresher) batchSize() int {
	if r.BatchSize > 0 {
		return r.BatchSize
	}
	return DefaultBatchSize
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
