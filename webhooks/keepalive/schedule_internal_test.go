package keepalive

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/pagination"
	"github.com/jirahooks/jirahooks/webhooks"
)

func TestNextDue(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := (&Refresher{}).policy()
	inDays := func(d float64) time.Time { return now.Add(time.Duration(d * float64(rfDay))) }
	for _, tc := range []struct {
		name string
		p    policy
		o    outcome
		want time.Time
	}{
		{"success: the refresh time of the earliest expiry",
			p, outcome{earliest: inDays(30), jitter: 2 * time.Hour}, inDays(27).Add(-2 * time.Hour)},
		{"success with registrations: a settle check a minute or two later",
			p, outcome{earliest: inDays(30), registered: true, luck: 0.5}, now.Add(90 * time.Second)},
		{"success with nothing kept: a daily look",
			p, outcome{}, now.Add(idleInterval)},
		{"success: CheckInterval bounds the wait",
			policy{margin: DefaultMargin, checkInterval: 6 * time.Hour}, outcome{earliest: inDays(30)}, now.Add(6 * time.Hour)},
		{"success past the refresh time: never sooner than 30 seconds",
			p, outcome{earliest: inDays(1)}, now.Add(minRetry)},
		{"first failure: half to all of 30 seconds, floored at 30 seconds",
			p, outcome{failures: 1, earliest: inDays(20), luck: 0}, now.Add(minRetry)},
		{"fifth failure: 8 minutes, drawn from its upper half",
			p, outcome{failures: 5, earliest: inDays(20), luck: 0.5}, now.Add(6 * time.Minute)},
		{"many failures: capped at MaxBackoff",
			p, outcome{failures: 40, earliest: inDays(20), luck: 0.999999999}, now.Add(DefaultMaxBackoff).Add(-2 * time.Microsecond)},
		{"Retry-After longer than the backoff is honoured",
			p, outcome{failures: 1, retryAfter: 50 * time.Minute, earliest: inDays(20)}, now.Add(50 * time.Minute)},
		{"but an hour before the expiry at the latest",
			p, outcome{failures: 1, retryAfter: 5 * time.Hour, earliest: now.Add(90 * time.Minute)}, now.Add(30 * time.Minute)},
		{"in the last hour: at half the time left",
			p, outcome{failures: 3, retryAfter: time.Hour, earliest: now.Add(40 * time.Minute)}, now.Add(20 * time.Minute)},
		{"past the expiry: the backoff alone",
			p, outcome{failures: 40, earliest: now.Add(-time.Hour), luck: 0}, now.Add(DefaultMaxBackoff / 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.p.nextDue(now, tc.o)
			assert.WithinDuration(t, tc.want, got, time.Millisecond, "next due %v from now", got.Sub(now))
		})
	}
}

func TestPolicyCapsAndDefaults(t *testing.T) {
	t.Parallel()
	p := (&Refresher{}).policy()
	assert.Equal(t, DefaultMargin, p.margin)
	assert.Equal(t, DefaultJitter, p.maxJitter)
	p = (&Refresher{Margin: 365 * rfDay, Jitter: 365 * rfDay}).policy()
	assert.Equal(t, maxMargin, p.margin)
	assert.Zero(t, p.maxJitter, "with the margin at its cap no jitter is left")
	p = (&Refresher{Margin: rfDay, Jitter: -1}).policy()
	assert.Equal(t, rfDay, p.margin)
	assert.Zero(t, p.maxJitter)
	assert.Zero(t, p.drawJitter())
}

func TestScheduleTakesDueInOrderAndCompacts(t *testing.T) {
	t.Parallel()
	var q schedule
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sites := make([]*site, 200)
	for i := range sites {
		sites[i] = &site{seq: uint64(i)}
		q.put(sites[i], t0.Add(time.Duration(len(sites)-i)*time.Minute))
	}
	// Rescheduling leaves stale slots, which compaction drops once they
	// outnumber the live ones.
	for round := range 3 {
		for i, s := range sites {
			q.put(s, t0.Add(time.Duration(i%10+round)*time.Minute))
		}
	}
	for i, s := range sites {
		q.put(s, t0.Add(time.Duration(i%10)*time.Minute))
	}
	assert.LessOrEqual(t, len(q.slots), 2*len(sites)+1, "slots after rescheduling each site 4 times")
	q.drop(sites[0])
	due := q.takeDue(t0.Add(4 * time.Minute))
	require.Len(t, due, 99, "sites due within 4 minutes, less the one dropped")
	for i := 1; i < len(due); i++ {
		a, b := due[i-1], due[i]
		assert.True(t, a.seq%10 < b.seq%10 || a.seq%10 == b.seq%10 && a.seq < b.seq, "order: %d before %d", a.seq, b.seq)
		assert.False(t, a.queued)
	}
	assert.Equal(t, uint64(5), q.first().seq%10)
	assert.Empty(t, q.takeDue(t0.Add(4*time.Minute)))
}

// RemoveSite wakes a Run sleeping until the removed site was due, which
// then sleeps as long as the other sites allow.
func TestRemoveSiteWakesRun(t *testing.T) {
	t.Parallel()
	c, sleeping := newRFBlockingClock()
	f := newRFJira(c.Clock)
	r := &Refresher{Clock: c, Logger: rfQuiet, Jitter: -1}
	d := rfDecl("https://app.example/h", "project = A", webhooks.IssueCreated)
	f.add(d.URL, d.Details, c.Now().Add(30*rfDay))
	require.NoError(t, r.AddSite("s", f, d))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	require.Equal(t, 27*rfDay, <-sleeping, "sleep after the first sync")
	require.True(t, r.RemoveSite("s"))
	select {
	case d := <-sleeping:
		assert.Equal(t, idleInterval, d, "sleep with no site left")
	case <-time.After(5 * time.Second):
		require.FailNow(t, "RemoveSite did not wake Run")
	}
	assert.Zero(t, r.Stats().NextDue)
}

// Sites Run took off the schedule and had not synced when its context
// ended are due again for the next Run.
func TestRunCancelledKeepsSitesScheduled(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	f := newRFJira(c)
	ctx, cancel := context.WithCancel(t.Context())
	f.before = func(string) { cancel() }
	r := &Refresher{Clock: c, Logger: rfQuiet, Concurrency: 1}
	for _, name := range []string{"a", "b", "c"} {
		require.NoError(t, r.AddSite(name, f))
	}
	f.failNext("list", context.Canceled)
	require.ErrorIs(t, r.Run(ctx), context.Canceled)
	require.Equal(t, 1, f.count("list"), "lists before the cancellation")

	f.before = nil
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	r.Clock = newRFStopClock(c, c.Now().Add(time.Hour), cancel2, nil) // no Run in flight: safe to change here, in a test
	require.ErrorIs(t, r.Run(ctx2), context.Canceled)
	assert.Equal(t, 4, f.count("list"), "each site listed once more by the second Run")
	assert.Zero(t, r.Stats().Failures, "a shutdown is not a failure")
}

// sharedList lists the very slice it keeps, out of ID order, perPage
// webhooks a page, as a careless client might.
type sharedList struct {
	*rfJira
	hooks   []webhooks.Webhook
	perPage int
}

func (l *sharedList) List(*webhooks.ListOptions) *pagination.Pager[webhooks.Webhook] {
	return pagination.NewOffset(0, l.perPage, func(_ context.Context, at int64, n int) (pagination.OffsetPage[webhooks.Webhook], error) {
		end := min(int(at)+n, len(l.hooks))
		last := end == len(l.hooks)
		return pagination.OffsetPage[webhooks.Webhook]{Values: l.hooks[at:end], IsLast: &last}, nil
	})
}

func TestSyncLeavesTheClientsSliceAlone(t *testing.T) {
	t.Parallel()
	for _, perPage := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d a page", perPage), func(t *testing.T) {
			t.Parallel()
			c := newRFClock()
			exp := c.Now().Add(20 * rfDay)
			a, b := rfDecl("https://app.example/h", "project = A"), rfDecl("https://app.example/h", "project = B")
			hooks := []webhooks.Webhook{
				{ID: 30, URL: b.URL, Events: b.Details.Events, JQLFilter: b.Details.JQLFilter, ExpirationDate: exp},
				{ID: 20, URL: a.URL, Events: a.Details.Events, JQLFilter: a.Details.JQLFilter, ExpirationDate: exp},
			}
			orig := slices.Clone(hooks)
			l := &sharedList{rfJira: newRFJira(c), hooks: hooks, perPage: perPage}
			r, _ := newRFRefresher(c)
			require.NoError(t, r.AddSite("s", l, a, b))
			require.NoError(t, r.Sync(t.Context()))
			assert.Equal(t, orig, l.hooks, "the client's slice after a sync")
			assert.Equal(t, 2, r.Stats().Sites[0].Webhooks)
			assert.Zero(t, l.count("register"), "both declarations were listed")
		})
	}
}

// The 4-ary heap against a sort: random due times with ties, reschedules
// and drops, taken off in (due time, order added) order, each live site
// once.
func TestScheduleMatchesASort(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(13, 1))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var q schedule
	sites := make([]*site, 1000)
	want := map[*site]time.Time{}
	for i := range sites {
		sites[i] = &site{seq: uint64(i)}
	}
	for range 5000 {
		s := sites[rnd.IntN(len(sites))]
		if rnd.IntN(5) == 0 {
			q.drop(s)
			delete(want, s)
			continue
		}
		at := t0.Add(time.Duration(rnd.IntN(300)) * time.Minute)
		q.put(s, at)
		want[s] = at
	}
	got := q.takeDue(t0.Add(300 * time.Minute))
	require.Len(t, got, len(want), "each live site once")
	assert.True(t, slices.IsSortedFunc(got, func(a, b *site) int {
		return cmp.Or(want[a].Compare(want[b]), cmp.Compare(a.seq, b.seq))
	}), "sites in due order, ties in the order added")
	assert.Nil(t, q.first())
}

func TestSitesShareTheirDeclarations(t *testing.T) {
	t.Parallel()
	c := newRFClock()
	r, _ := newRFRefresher(c)
	a, b := rfDecl("https://app.example/h", "project = A"), rfDecl("https://app.example/h", "project = B")
	require.NoError(t, r.AddSite("one", newRFJira(c), a, b))
	require.NoError(t, r.AddSite("two", newRFJira(c), a, b, a))
	require.NoError(t, r.AddSite("three", newRFJira(c), b, a))
	require.NoError(t, r.AddSite("refresh-only", newRFJira(c)))
	one, two, three := r.sites["one"], r.sites["two"], r.sites["three"]
	assert.Same(t, one.set, two.set, "the same declarations, one repeated")
	assert.Same(t, &one.decls[0], &two.decls[0])
	assert.NotSame(t, one.set, three.set, "the same declarations in another order")
	assert.Nil(t, r.sites["refresh-only"].set)
	assert.Len(t, r.declSets, 2)

	require.True(t, r.RemoveSite("one"))
	assert.Len(t, r.declSets, 2, "two still uses the set")
	require.True(t, r.RemoveSite("two"))
	require.True(t, r.RemoveSite("refresh-only"))
	assert.Len(t, r.declSets, 1, "a set no site uses is let go")
	require.NoError(t, r.AddSite("one", newRFJira(c), a, b))
	assert.Len(t, r.declSets, 2)
}
