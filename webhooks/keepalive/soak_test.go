package keepalive_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

// TestSoak keeps 1,000 webhooks on 10 jiratest sites alive for a simulated
// year with the Refresher's defaults, while 10% of all calls fail (429 with
// Retry-After, 500, dropped connections) and one site is down for a week
// around its first refresh. It checks that no webhook of the other sites
// ever expires, that the site that was down gets all its webhooks back
// within an hour or so of the outage's end, and that no rfDuplicates remain,
// and prints one summary line.
//
// Calls are counted from jiratest's request log. refresh_calls and
// list_calls count the requests Jira answered (the faulted ones are logged
// separately): the calls that did work. ideal_calls is the fewest answered
// calls a declarative refresher could have done with: per site, one list to
// see what exists, one register call for its 100 webhooks, then one refresh
// per 30-rfDay lifetime (12 in 365 days: the webhooks must be refreshed before
// rfDay 30, 60, ..., 360), each with the one list that must precede it to
// notice webhooks Jira deleted. That is 26 calls per site.
func TestSoak(t *testing.T) {
	t.Parallel()
	const (
		nSites     = 10
		perSite    = 100
		days       = 365
		faultRate  = 0.10
		outageSite = 3
	)
	faults := []jiratest.Fault{jiratest.Fault429, jiratest.Fault500, jiratest.FaultDrop}
	clk := jiratest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	start := clk.Now()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sim := newRFSim(clk, start.Add(days*rfDay), cancel)

	var ev rfEvents
	r := &keepalive.Refresher{Clock: sim.clock, Logger: rfQuiet, OnEvent: ev.on}
	sites := make([]*rfSite, nSites)
	name := func(i int) string { return fmt.Sprintf("site-%02d", i) }
	for i := range sites {
		sites[i] = newRFSite(t, jiratest.WithClock(clk), jiratest.WithSeed(uint64(i+1)))
		sites[i].srv.SetFaultRate(jiratest.AnyEndpoint, faultRate, faults...)
		require.NoError(t, r.AddSite(name(i), sites[i].client(t), rfDeclarations(perSite)...))
	}

	// A week of total outage on one site, over its first refresh (due
	// around rfDay 27): its webhooks expire on rfDay 30, in the middle.
	outStart, outEnd := start.Add(25*rfDay), start.Add(32*rfDay)
	sim.at(outStart, func() {
		sites[outageSite].srv.SetFaultRate(jiratest.AnyEndpoint, 1, jiratest.Fault503, jiratest.FaultDrop)
	})
	sim.at(outEnd, func() {
		sites[outageSite].srv.SetFaultRate(jiratest.AnyEndpoint, faultRate, faults...)
	})

	// After each sleep of the Refresher (and at the outage's edges): every
	// site but the one down holds all its webhooks.
	var gaps []string
	var restored time.Time
	checks := 0
	sim.check = func() {
		checks++
		now := clk.Now()
		if now.Sub(start) < time.Hour {
			return // the first registrations may need a retry or two
		}
		for i, s := range sites {
			n := len(s.srv.Webhooks(s.app))
			if i == outageSite && !now.Before(outStart) && restored.IsZero() {
				if now.After(outEnd) && n == perSite {
					restored = now
				}
				continue
			}
			if n != perSite {
				gaps = append(gaps, fmt.Sprintf("rfDay %.2f: %s holds %d webhooks", now.Sub(start).Hours()/24, name(i), n))
			}
		}
	}

	require.ErrorIs(t, r.Run(ctx), context.Canceled, "Run")

	// Count what Jira saw.
	type tally struct{ ok, faulted int }
	calls := map[string]*tally{"list": {}, "register": {}, "refresh": {}, "delete": {}, "other": {}}
	duplicatesLeft, live, outageFaulted := 0, 0, 0
	for i, s := range sites {
		for _, q := range s.srv.Requests() {
			if i == outageSite && !q.Time.Before(outStart) && q.Time.Before(outEnd) {
				outageFaulted++
				continue
			}
			op := "other"
			switch {
			case q.Method == http.MethodPut && strings.HasSuffix(q.Path, "/webhook/refresh"):
				op = "refresh"
			case q.Method == http.MethodGet && strings.HasSuffix(q.Path, "/webhook"):
				op = "list"
			case q.Method == http.MethodPost && strings.HasSuffix(q.Path, "/webhook"):
				op = "register"
			case q.Method == http.MethodDelete && strings.HasSuffix(q.Path, "/webhook"):
				op = "delete"
			}
			if q.Fault == jiratest.NoFault {
				calls[op].ok++
			} else {
				calls[op].faulted++
			}
		}
		hooks := s.srv.Webhooks(s.app)
		live += len(hooks)
		duplicatesLeft += rfDuplicates(hooks)
	}
	expired := 0
	for i := range sites {
		if i != outageSite {
			expired += len(ev.of(keepalive.Lost, name(i)))
		}
	}
	refreshesNeeded := int((days*rfDay+jiratest.Lifetime-1)/jiratest.Lifetime) - 1 // 12
	ideal := nSites * (2 + 2*refreshesNeeded)
	answered := calls["list"].ok + calls["register"].ok + calls["refresh"].ok + calls["delete"].ok
	faulted := 0
	for _, c := range calls {
		faulted += c.faulted
	}

	fmt.Printf("soak: webhooks=%d sites=%d days=%d faults=%.2f expired=%d duplicates=%d refresh_calls=%d list_calls=%d ideal_calls=%d\n",
		nSites*perSite, nSites, days, faultRate, expired, duplicatesLeft, calls["refresh"].ok, calls["list"].ok, ideal)
	st := r.Stats()
	t.Logf("answered calls %d = %.3fx ideal (list %d, register %d, refresh %d, delete %d); "+
		"with the faulted ones outside the outage %d = %.3fx (faulted: list %d, register %d, refresh %d, delete %d); "+
		"requests to the site during its outage %d; refresher: %d syncs, %d failed, %d registered, %d lost; "+
		"the site that was down was whole again %v after the outage; %d checks",
		answered, float64(answered)/float64(ideal), calls["list"].ok, calls["register"].ok, calls["refresh"].ok, calls["delete"].ok,
		answered+faulted, float64(answered+faulted)/float64(ideal),
		calls["list"].faulted, calls["register"].faulted, calls["refresh"].faulted, calls["delete"].faulted,
		outageFaulted, st.Syncs, st.Failures, st.Registered, st.Lost, restored.Sub(outEnd).Round(time.Second), checks)

	for _, g := range gaps {
		assert.Fail(t, g)
	}
	assert.Zero(t, expired, "webhooks expired outside the outage")
	assert.Equal(t, nSites*perSite, live, "live webhooks")
	assert.Zero(t, duplicatesLeft, "duplicates left")
	for i := range sites {
		reg := 0
		for _, e := range ev.of(keepalive.Registered, name(i)) {
			reg += len(e.IDs)
		}
		want := perSite
		if i == outageSite {
			want = 2 * perSite
		}
		assert.Equal(t, want, reg, "%s: webhooks registered over the year", name(i))
	}
	// The site that was down: at-risk raised before expiry, all lost, all
	// back soon after the outage.
	assert.NotEmpty(t, ev.of(keepalive.AtRisk, name(outageSite)), "at-risk alerts for the site that was down")
	assert.Len(t, ev.of(keepalive.Lost, name(outageSite)), perSite, "lost events for the site that was down")
	if assert.False(t, restored.IsZero(), "the site that was down was never whole again") {
		assert.LessOrEqual(t, restored.Sub(outEnd), 6*time.Hour,
			"the site that was down was restored after the outage, want within 6 hours (the Refresher retries at least hourly)")
	}
	assert.LessOrEqual(t, float64(answered)/float64(ideal), 1.2, "answered calls %d to the ideal %d", answered, ideal)
}
