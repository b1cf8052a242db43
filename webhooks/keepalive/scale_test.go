package keepalive_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/cputime"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/pagination"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

// largeScale tells whether JIRAHOOKS_SCALE=large asks for the large sizes.
func largeScale() bool { return os.Getenv("JIRAHOOKS_SCALE") == "large" }

const (
	scaleDays    = 120 // simulated days per run
	scalePerSite = 5   // webhooks per site
	lifetime     = 30 * rfDay
)

// TestScale runs Run over 120 simulated days on N sites of 5 webhooks each,
// through an in-memory client (memSite) so that the Refresher's own work is
// what is measured, not HTTP. The webhooks were registered before the run
// (an app restarting), with expiries spread over 30 days, so the run
// lists, refreshes, and registers nothing.
//
// A cycle is one refresh of every site: cycles = refresh calls / N (each
// site's 5 webhooks go in one call). It prints, per size,
//
//	keepalive-scale: sites=N cycles=C cpu_per_site_cycle=Xus heap_per_site=YB
//
// where X is the process CPU time (user + system) of the run divided by
// N*C, and Y the live heap the Refresher holds (after GC, at the end of the
// run, less the heap before the Refresher was made) divided by N. A second
// line splits X:
//
//	keepalive-scale-parts: sites=N gc_per_site_cycle=Gus touch_per_site_cycle=Bus
//
// G is the GC's share of X (the runtime's estimate): near zero while the
// heap stays under the runtime's 4 MB minimum goal, then about flat, as the
// GC's work follows what a sync allocates. B is a baseline of the memory
// hierarchy, in the same run: the time to read, in a random order as Run's,
// what a sync reads of each site and nothing more (touchSites). The test
// logs X's ratios to the smallest size, raw and less G and B.
//
// CI runs 100 and 1,000 sites; JIRAHOOKS_SCALE=large adds 10,000 and
// 100,000, and repeats the small sizes so that each measures at least
// 100,000 site-runs (the heap in the first).
//
// It asserts behaviour only: every site refreshed at every cycle (never
// more than 30 days between two refreshes of a site, nor before the
// first), nothing expired, lost or registered, and the heap under 4 KB a
// site. The CPU figures are reported, never asserted.
func TestScale(t *testing.T) {
	sizes := []int{100, 1_000}
	if largeScale() {
		sizes = append(sizes, 10_000, 100_000)
	}
	cpu := map[int]float64{}
	rest := map[int]float64{} // cpu less the GC's share and the baseline
	for _, n := range sizes {
		repeat := 1
		if largeScale() {
			repeat = max(1, 100_000/n)
		}
		var total scaleResult
		for i := range repeat {
			res := runScale(t, n, i == 0)
			total.cpu += res.cpu
			total.gc += res.gc
			total.touch += res.touch
			total.siteCycles += res.siteCycles
			total.cycles = res.cycles
			total.heap = max(total.heap, res.heap)
		}
		perSiteCycle := func(d time.Duration) float64 {
			return float64(d.Nanoseconds()) / 1e3 / float64(total.siteCycles)
		}
		cpu[n] = perSiteCycle(total.cpu)
		rest[n] = perSiteCycle(total.cpu - total.gc - total.touch)
		fmt.Printf("keepalive-scale: sites=%d cycles=%.2f cpu_per_site_cycle=%.2fus heap_per_site=%dB\n",
			n, total.cycles, cpu[n], total.heap/int64(n))
		fmt.Printf("keepalive-scale-parts: sites=%d gc_per_site_cycle=%.2fus touch_per_site_cycle=%.3fus\n",
			n, perSiteCycle(total.gc), perSiteCycle(total.touch))
		if n >= 1_000 {
			assert.LessOrEqual(t, total.heap/int64(n), int64(4096), "heap per site at %d sites", n)
		}
	}
	if base := cpu[sizes[0]]; base > 0 {
		for _, n := range sizes[1:] {
			t.Logf("CPU per site per cycle at %d sites: %.2fx that at %d; less GC and baseline: %.2fx",
				n, cpu[n]/base, sizes[0], rest[n]/rest[sizes[0]])
		}
	}
}

type scaleResult struct {
	cpu        time.Duration
	gc         time.Duration // of cpu, the GC's estimated share
	touch      time.Duration // the baseline: see touchSites
	siteCycles int64
	cycles     float64
	heap       int64 // bytes the Refresher holds; 0 when not measured
}

// runScale runs one Refresher over n memSites for scaleDays and checks it
// kept every webhook alive. With measureHeap, it measures the heap the
// Refresher holds, forcing two GCs before the run and two after; the
// repeats of a small size do not, so that the GC's pacing goes on from
// run to run as in a long-lived Refresher, instead of each run starting
// on a fresh heap that it never fills enough to start a GC.
func runScale(t *testing.T, n int, measureHeap bool) scaleResult {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sim := newRFSim(jiratest.NewClock(start), start.Add(scaleDays*rfDay), cancel)
	want := rfDeclarations(scalePerSite)
	sites := make([]*memSite, n)
	rnd := rand.New(rand.NewPCG(uint64(n), 1))
	for i := range sites {
		// Registered before the run, at some moment of the last 27 days.
		sites[i] = newMemSite(sim.clock.Clock, want, start.Add(3*rfDay+time.Duration(rnd.Int64N(int64(27*rfDay)))))
	}
	var before int64
	if measureHeap {
		before = liveHeap()
	}

	var lost, registered atomic.Int64
	r := &keepalive.Refresher{Clock: sim.clock, Logger: rfQuiet, OnEvent: func(e keepalive.Event) {
		switch e.Kind {
		case keepalive.Lost:
			lost.Add(1)
		case keepalive.Registered:
			registered.Add(1)
		}
	}}
	for i, s := range sites {
		require.NoError(t, r.AddSite(fmt.Sprintf("site-%06d", i), s, want...))
	}
	cpu0, gc0 := cputime.Process(), gcCPU()
	err := r.Run(ctx)
	cpu, gc := cputime.Process()-cpu0, gcCPU()-gc0
	require.ErrorIs(t, err, context.Canceled)
	var heap int64
	if measureHeap {
		heap = liveHeap() - before
	}
	runtime.KeepAlive(r)

	st := r.Stats()
	assert.Zero(t, lost.Load(), "webhooks lost")
	assert.Zero(t, registered.Load(), "webhooks registered")
	assert.Zero(t, st.Failures)
	end := sim.clock.Now()
	var refreshes int64
	for i, s := range sites {
		s.mu.Lock()
		gap, expired, calls := s.maxGap(end), s.expired, s.refreshes
		s.mu.Unlock()
		refreshes += int64(calls)
		if !assert.Less(t, gap, lifetime, "site %d: longest time without a refresh", i) ||
			!assert.Zero(t, expired, "site %d: webhooks expired", i) ||
			!assert.GreaterOrEqual(t, calls, 4, "site %d: refreshes in %d days", i, scaleDays) {
			break
		}
	}
	require.Equal(t, st.RefreshCalls, refreshes, "refresh calls the sites saw")
	return scaleResult{
		cpu:        cpu,
		gc:         gc,
		touch:      touchSites(r, sites, refreshes),
		siteCycles: refreshes,
		cycles:     float64(refreshes) / float64(n),
		heap:       heap,
	}
}

// touchSites is the baseline of a run's memory traffic: as many site
// visits as the run made refreshes, each site about once a pass, the passes
// in a random order as a run's (by due time) is, one visit after the other,
// each visit reading what a sync
// reads of the site's state in the Refresher (keepalive.TouchSite) and in
// its memSite, and doing nothing with it. It returns the wall time of the
// visits: one goroutine that allocates nothing, so no GC runs.
func touchSites(r *keepalive.Refresher, sites []*memSite, visits int64) time.Duration {
	order := rand.New(rand.NewPCG(uint64(len(sites)), 2)).Perm(len(sites))
	var sum int64
	start := time.Now()
	for v := int64(0); v < visits; {
		for _, i := range order[:min(int64(len(order)), visits-v)] {
			// The visit waits on the last one, as a sync follows the one
			// before: without this the processor overlaps the visits' cache
			// misses, as it cannot overlap syncs. (The top bit of sum is
			// as good as random; sometimes it moves the visit one site on.)
			i = (i + int(uint64(sum)>>63)) % len(sites)
			s := sites[i]
			s.mu.Lock()
			for _, h := range s.hooks {
				sum += h.ID + h.ExpirationDate.UnixNano() + int64(len(h.Events))
			}
			s.mu.Unlock()
			sum += keepalive.TouchSite(r, i)
			v++
		}
	}
	d := time.Since(start)
	runtime.KeepAlive(sum)
	return d
}

// gcCPU is the runtime's estimate of the CPU time the GC has used.
func gcCPU() time.Duration {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration(s[0].Value.Float64() * 1e9)
}

// liveHeap returns the bytes of live heap objects, after a full GC.
func liveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// memSite is one site's webhooks in memory, a keepalive.Client with
// Jira's expiry rule (a webhook lives 30 days after its registration or
// last refresh) and as little work as can be. It records the refreshes and
// any webhook that expired.
type memSite struct {
	clk   *jiratest.Clock
	mu    sync.Mutex
	hooks []webhooks.Webhook
	// The refresh history, kept in constant space so as not to count in
	// the Refresher's heap: the last refresh (or the registration), the
	// longest gap between two, how many, and webhooks found expired.
	last      time.Time
	gap       time.Duration
	refreshes int
	expired   int
}

func newMemSite(clk *jiratest.Clock, want []keepalive.Declaration, expires time.Time) *memSite {
	s := &memSite{clk: clk, last: expires.Add(-lifetime)}
	for i, d := range want {
		s.hooks = append(s.hooks, webhooks.Webhook{ID: int64(10000 + i), URL: d.URL, Events: d.Details.Events,
			JQLFilter: d.Details.JQLFilter, ExpirationDate: expires})
	}
	return s
}

// expireLocked drops the webhooks whose time has come, as Jira does.
func (s *memSite) expireLocked() {
	now := s.clk.Now()
	n := len(s.hooks)
	s.hooks = slices.DeleteFunc(s.hooks, func(h webhooks.Webhook) bool { return !now.Before(h.ExpirationDate) })
	s.expired += n - len(s.hooks)
}

func (s *memSite) List(*webhooks.ListOptions) *pagination.Pager[webhooks.Webhook] {
	last := true
	return pagination.NewOffset(0, 0, func(context.Context, int64, int) (pagination.OffsetPage[webhooks.Webhook], error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.expireLocked()
		// The page is the site's own slice, as little work as can be: the
		// Refresher neither writes into a page nor keeps it
		// (TestSyncLeavesTheClientsSliceAlone), and nothing expires in the
		// scale run.
		return pagination.OffsetPage[webhooks.Webhook]{Values: s.hooks, IsLast: &last}, nil
	})
}

func (s *memSite) Register(context.Context, string, ...webhooks.Details) ([]webhooks.Registration, error) {
	return nil, errors.New("memSite: the scale run registers nothing")
}

func (s *memSite) Refresh(_ context.Context, ids ...int64) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	now := s.clk.Now()
	exp := now.Add(lifetime)
	for i := range s.hooks {
		if slices.Contains(ids, s.hooks[i].ID) {
			s.hooks[i].ExpirationDate = exp
		}
	}
	s.refreshes++
	s.gap = max(s.gap, now.Sub(s.last))
	s.last = now
	return exp, nil
}

func (s *memSite) Delete(context.Context, ...int64) error {
	return errors.New("memSite: the scale run deletes nothing")
}

// maxGap is the longest time the site went without a refresh, from its
// registration to end.
func (s *memSite) maxGap(end time.Time) time.Duration {
	return max(s.gap, end.Sub(s.last))
}

// TestScaleJiratest is TestScale's run through HTTP: N OAuth apps on one
// jiratest server, each a site with 5 declared webhooks that the Refresher
// registers and then keeps alive for 120 simulated days, with
// webhooks.Client doing the calls. It prints the process CPU time (client
// and server together) per API call Jira answered:
//
//	keepalive-jiratest: sites=N calls=C cpu_per_call=Xus
//
// It asserts that no webhook expired (none lost, each registered once) and
// that every site holds its 5 webhooks at the end. CI runs 100 sites;
// JIRAHOOKS_SCALE=large adds 10,000.
func TestScaleJiratest(t *testing.T) {
	sizes := []int{100}
	if largeScale() {
		sizes = append(sizes, 10_000)
	}
	for _, n := range sizes {
		calls, cpu := runScaleJiratest(t, n)
		fmt.Printf("keepalive-jiratest: sites=%d calls=%d cpu_per_call=%.1fus\n",
			n, calls, float64(cpu.Nanoseconds())/1e3/float64(calls))
	}
}

func runScaleJiratest(t *testing.T, n int) (calls int, cpu time.Duration) {
	t.Helper()
	clk := jiratest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := jiratest.NewServer(jiratest.WithClock(clk))
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sim := newRFSim(clk, clk.Now().Add(scaleDays*rfDay), cancel)
	var ev rfEvents
	r := &keepalive.Refresher{Clock: sim.clock, Logger: rfQuiet, OnEvent: ev.on}
	want := rfDeclarations(scalePerSite)
	apps := make([]*jiratest.App, n)
	for i := range apps {
		apps[i] = srv.AddOAuthApp(fmt.Sprintf("app-%05d", i), []byte("client-secret"))
		c, err := webhooks.NewClient(srv.URL(), webhooks.WithHTTPClient(apps[i].HTTPClient()), webhooks.WithClock(clk))
		require.NoError(t, err)
		require.NoError(t, r.AddSite(fmt.Sprintf("site-%05d", i), c, want...))
	}
	cpu0 := cputime.Process()
	require.ErrorIs(t, r.Run(ctx), context.Canceled)
	cpu = cputime.Process() - cpu0

	assert.Empty(t, ev.of(keepalive.Lost, ""), "webhooks lost")
	assert.Len(t, ev.of(keepalive.Registered, ""), n*scalePerSite, "webhooks registered")
	for i, app := range apps {
		if !assert.Len(t, srv.Webhooks(app), scalePerSite, "site %d at the end", i) {
			break
		}
	}
	st := r.Stats()
	assert.GreaterOrEqual(t, st.RefreshCalls, int64(4*n), "refresh calls in %d days", scaleDays)
	return len(srv.Requests()), cpu
}
