package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"
)

// sync is one pass over one site: list, compare with the declarations,
// refresh when due, delete duplicates, register what is missing, and
// schedule the next pass. Refreshing comes first: keeping alive what exists
// matters most, and must not wait on a registration that keeps failing. The
// caller holds s.busy.
func (r *Refresher) sync(ctx context.Context, s *site) error {
	clock := r.clock()
	hooks, pages, err := s.api.list(ctx)
	r.counts.list.Add(int64(pages))
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	now := clock.Now()
	mem := &s.mem
	p := makePlan(s, hooks)

	// Declarations present at the previous sync and gone now were lost:
	// deleted by someone, or expired.
	present := make(map[int]int64, len(p.keepDecl))
	for j, i := range p.keepDecl {
		present[i] = p.keep[j].ID
	}
	for _, i := range p.missing {
		if id, ok := mem.had[i]; ok {
			r.counts.lost.Add(1)
			d := s.decls[i]
			r.emit(RefresherEvent{Kind: RefresherLost, Site: s.name, Time: now, IDs: []int64{id}, Declaration: &d})
		}
	}
	mem.had = present

	// Refresh every kept webhook when the earliest expiry is within the
	// margin, so that they all expire together. Jira gave no expiry for a
	// webhook: refresh it now.
	var earliest time.Time
	for _, h := range p.keep {
		e := h.ExpirationDate
		if e.IsZero() {
			e = now
		}
		if earliest.IsZero() || e.Before(earliest) {
			earliest = e
		}
	}
	r.mu.Lock()
	s.st.earliest, s.st.kept = earliest, len(p.keep)
	r.mu.Unlock()
	margin := r.margin()
	if len(p.keep) > 0 && !now.Before(earliest.Add(-margin-mem.jitter)) {
		ids := make([]int64, len(p.keep))
		for j, h := range p.keep {
			ids[j] = h.ID
		}
		var expiry time.Time
		for batch := range slices.Chunk(ids, r.batchSize()) {
			r.counts.refresh.Add(1)
			e, err := s.api.refresh(ctx, batch...)
			if err != nil {
				return fmt.Errorf("refresh: %w", err)
			}
			r.counts.refreshed.Add(int64(len(batch)))
			if expiry.IsZero() || e.Before(expiry) {
				expiry = e
			}
		}
		earliest = expiry
		mem.jitter = r.newJitter()
		r.mu.Lock()
		s.st.earliest, s.st.atRisk = earliest, false
		r.mu.Unlock()
		r.emit(RefresherEvent{Kind: RefresherRefreshed, Site: s.name, Time: clock.Now(), IDs: ids, Expiry: expiry})
	}

	// Duplicates of a declaration: keep the lowest ID, delete the others.
	for batch := range slices.Chunk(p.dups, r.batchSize()) {
		r.counts.delete.Add(1)
		if err := s.api.delete(ctx, batch...); err != nil {
			return fmt.Errorf("delete duplicates: %w", err)
		}
		r.counts.deleted.Add(int64(len(batch)))
		r.emit(RefresherEvent{Kind: RefresherDeduplicated, Site: s.name, Time: clock.Now(), IDs: batch})
	}

	// Register what is missing, one call per URL (and batch), skipping
	// declarations Jira refused lately.
	registered := 0
	var todo []int
	for _, i := range p.missing {
		if ref, ok := mem.refused[i]; ok && now.Before(ref.until) {
			continue
		}
		todo = append(todo, i)
	}
	for _, group := range groupByURL(s.decls, todo) {
		for batch := range slices.Chunk(group, r.batchSize()) {
			details := make([]Details, len(batch))
			for j, i := range batch {
				details[j] = s.decls[i].Details
			}
			url := s.decls[batch[0]].URL
			r.counts.register.Add(1)
			regs, err := s.api.register(ctx, url, details...)
			if reasons, refused := refusal(err); refused {
				// Jira refused the request as a whole (a second URL,
				// say): as if it refused each webhook, for the same
				// reasons.
				regs, err = make([]Registration, len(batch)), nil
				for j := range regs {
					regs[j].Errors = reasons
				}
			}
			if err != nil {
				return fmt.Errorf("register: %w", err)
			}
			if len(regs) != len(batch) {
				return fmt.Errorf("register: Jira answered %d results for %d webhooks", len(regs), len(batch))
			}
			at := clock.Now()
			for j, i := range batch {
				d := s.decls[i]
				if reg := regs[j]; reg.ID != 0 {
					registered++
					r.counts.registered.Add(1)
					mem.pending[reg.ID] = i
					mem.had[i] = reg.ID
					delete(mem.refused, i)
					r.emit(RefresherEvent{Kind: RefresherRegistered, Site: s.name, Time: at, IDs: []int64{reg.ID}, Declaration: &d})
				} else {
					r.counts.refused.Add(1)
					ref := mem.refused[i]
					wait := refusedRetry << min(ref.n, 5)
					ref.n++
					ref.until = now.Add(min(wait, maxRefusedRetry))
					mem.refused[i] = ref
					r.emit(RefresherEvent{Kind: RefresherRefused, Site: s.name, Time: at, Declaration: &d, Errors: slices.Clone(reg.Errors)})
				}
			}
		}
	}

	// Schedule the next sync.
	now = clock.Now()
	var next time.Time
	if len(p.keep) > 0 {
		next = earliest.Add(-margin - mem.jitter)
	}
	if registered > 0 {
		settle := now.Add(settleDelay + rand.N(settleDelay))
		if next.IsZero() || settle.Before(next) {
			next = settle
		}
	}
	if next.IsZero() {
		next = now.Add(idleInterval)
	}
	if c := r.CheckInterval; c > 0 && now.Add(c).Before(next) {
		next = now.Add(c)
	}
	if floor := now.Add(minRetry); next.Before(floor) {
		next = floor
	}

	r.mu.Lock()
	r.setNextLocked(s, next)
	s.st.kept = len(p.keep) + registered
	s.st.failures = 0
	s.st.lastErr = nil
	s.st.lastSync = now
	if earliest.Sub(now) >= r.riskThreshold() {
		s.st.atRisk = false
	}
	r.mu.Unlock()
	return nil
}

// refusal tells whether a registration error is Jira refusing the request
// (a 4xx answer other than 401, 403 and 429), which trying again will not
// change, and gives Jira's reasons.
func refusal(err error) (reasons []string, ok bool) {
	var ae *APIError
	if !errors.As(err, &ae) {
		return nil, false
	}
	switch c := ae.StatusCode; {
	case c < 400 || c >= 500, c == http.StatusUnauthorized, c == http.StatusForbidden, c == http.StatusTooManyRequests:
		return nil, false
	}
	reasons = ae.messages()
	if len(reasons) == 0 {
		reasons = []string{ae.Error()}
	}
	return reasons, true
}

// plan is what a sync found: the webhooks to keep alive, and what to fix.
type plan struct {
	keep     []Webhook // webhooks to keep alive, sorted by ID
	keepDecl []int     // declared sites: keepDecl[j] is keep[j]'s declaration
	dups     []int64   // duplicates of a declaration, to delete
	missing  []int     // declarations with no webhook
}

// makePlan compares the webhooks Jira listed with s's declarations. It
// learns how Jira spells the declarations it registered (Jira may rewrite a
// JQL filter), so that their webhooks are not taken for missing.
func makePlan(s *site, hooks []Webhook) plan {
	// Offset pages shift when webhooks come and go between two pages, so
	// a webhook may be listed twice: it must not pass for its own
	// duplicate.
	seen := make(map[int64]bool, len(hooks))
	hooks = slices.DeleteFunc(slices.Clone(hooks), func(h Webhook) bool {
		dup := seen[h.ID]
		seen[h.ID] = true
		return dup
	})
	var p plan
	if s.decls == nil { // refresh-only
		p.keep = slices.Clone(hooks)
		slices.SortFunc(p.keep, func(a, b Webhook) int { return cmpID(a.ID, b.ID) })
		return p
	}
	mem := &s.mem
	index := make(map[string]int, len(s.keys))
	for i, k := range s.keys {
		index[k] = i
	}
	for _, h := range hooks {
		if i, ok := mem.pending[h.ID]; ok {
			if k := hookKey(h); k != s.keys[i] {
				if _, taken := index[k]; !taken {
					mem.learned[k] = i
				}
			}
		}
	}
	clear(mem.pending)

	byDecl := make([][]Webhook, len(s.decls))
	for _, h := range hooks {
		k := hookKey(h)
		i, ok := index[k]
		if !ok {
			i, ok = mem.learned[k]
		}
		if ok {
			byDecl[i] = append(byDecl[i], h)
		}
	}
	for i, hs := range byDecl {
		if len(hs) == 0 {
			p.missing = append(p.missing, i)
			continue
		}
		slices.SortFunc(hs, func(a, b Webhook) int { return cmpID(a.ID, b.ID) })
		p.keep = append(p.keep, hs[0])
		p.keepDecl = append(p.keepDecl, i)
		for _, h := range hs[1:] {
			p.dups = append(p.dups, h.ID)
		}
	}
	slices.Sort(p.dups)
	return p
}

func cmpID(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// groupByURL splits declaration indices into groups that share a URL, in
// order of first appearance.
func groupByURL(decls []Declaration, idx []int) [][]int {
	var groups [][]int
	at := map[string]int{}
	for _, i := range idx {
		u := decls[i].URL
		g, ok := at[u]
		if !ok {
			g = len(groups)
			at[u] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// declKey is the match key of a declaration: URL, event set, JQL with its
// whitespace collapsed, and the two filter sets.
func declKey(url string, d Details) string {
	events := make([]string, len(d.Events))
	for i, e := range d.Events {
		events[i] = string(e)
	}
	var b strings.Builder
	b.WriteString(strings.TrimSpace(url))
	for _, part := range [][]string{
		events,
		{strings.Join(strings.Fields(d.JQLFilter), " ")},
		d.FieldIDsFilter,
		d.IssuePropertyKeysFilter,
	} {
		set := slices.Clone(part)
		slices.Sort(set)
		set = slices.Compact(set)
		b.WriteByte(0x1e)
		b.WriteString(strings.Join(set, "\x1f"))
	}
	return b.String()
}

// hookKey is the match key of a listed webhook.
func hookKey(h Webhook) string {
	return declKey(h.URL, Details{
		Events:                  h.Events,
		JQLFilter:               h.JQLFilter,
		FieldIDsFilter:          h.FieldIDsFilter,
		IssuePropertyKeysFilter: h.IssuePropertyKeysFilter,
	})
}

func cloneDeclaration(d Declaration) Declaration {
	d.Details.Events = slices.Clone(d.Details.Events)
	d.Details.FieldIDsFilter = slices.Clone(d.Details.FieldIDsFilter)
	d.Details.IssuePropertyKeysFilter = slices.Clone(d.Details.IssuePropertyKeysFilter)
	return d
}

// RefresherEventKind says what a RefresherEvent reports.
type RefresherEventKind int

// The kinds of RefresherEvent. RefresherAtRisk, RefresherLost and
// RefresherRefused are alerts: something needs a human.
const (
	// RefresherRefreshed: the site's webhooks (IDs) were refreshed and now
	// expire at Expiry.
	RefresherRefreshed RefresherEventKind = iota + 1
	// RefresherRegistered: Declaration was missing and is now registered
	// as IDs[0].
	RefresherRegistered
	// RefresherRefused: Jira refused to register Declaration, for Errors.
	// It is tried again at a later sync: a day later at the soonest, then
	// two, four... up to 30 days while Jira keeps refusing it.
	RefresherRefused
	// RefresherDeduplicated: IDs were duplicates of a declaration (two
	// replicas registered it at once, say) and were deleted.
	RefresherDeduplicated
	// RefresherLost: the webhook IDs[0] of Declaration, present at the
	// previous sync, is gone: deleted behind the app's back, or expired.
	// The Refresher registers it again in the same sync.
	RefresherLost
	// RefresherFailed: a sync failed with Err; the site is tried again at
	// Retry, after Failures consecutive failures.
	RefresherFailed
	// RefresherAtRisk: the site keeps failing and its earliest webhook
	// expires at Expiry, under RiskThreshold from now. Raised once until a
	// refresh succeeds.
	RefresherAtRisk
)

var refresherEventNames = [...]string{
	RefresherRefreshed:    "refreshed",
	RefresherRegistered:   "registered",
	RefresherRefused:      "refused",
	RefresherDeduplicated: "deduplicated",
	RefresherLost:         "lost",
	RefresherFailed:       "failed",
	RefresherAtRisk:       "at-risk",
}

// String returns the kind's name, such as "refreshed" or "at-risk".
func (k RefresherEventKind) String() string {
	if k > 0 && int(k) < len(refresherEventNames) {
		return refresherEventNames[k]
	}
	return fmt.Sprintf("RefresherEventKind(%d)", int(k))
}

// RefresherEvent is something a Refresher did or found. Which fields are
// set depends on Kind; see the kinds.
type RefresherEvent struct {
	Kind        RefresherEventKind // what happened; says which fields are set
	Site        string             // the name given to AddSite
	Time        time.Time          // by the Refresher's clock
	IDs         []int64            // the webhooks concerned
	Declaration *Declaration       // for Registered, Refused, Lost
	Errors      []string           // for Refused: Jira's reasons
	Expiry      time.Time          // for Refreshed: the new expiry; AtRisk: the earliest
	Err         error              // for Failed and AtRisk: the failure
	Retry       time.Time          // for Failed: the next attempt
	Failures    int                // for Failed: consecutive failures so far
}

// emit sends e to OnEvent and to the logger.
func (r *Refresher) emit(e RefresherEvent) {
	level := slog.LevelInfo
	attrs := []slog.Attr{slog.String("site", e.Site)}
	switch e.Kind {
	case RefresherFailed, RefresherRefused:
		level = slog.LevelWarn
	case RefresherAtRisk, RefresherLost:
		level = slog.LevelError
	}
	if len(e.IDs) == 1 {
		attrs = append(attrs, slog.Int64("id", e.IDs[0]))
	} else if len(e.IDs) > 1 {
		attrs = append(attrs, slog.Int("webhooks", len(e.IDs)))
	}
	if e.Declaration != nil {
		attrs = append(attrs, slog.String("url", e.Declaration.URL), slog.Any("events", e.Declaration.Details.Events),
			slog.String("jql", e.Declaration.Details.JQLFilter))
	}
	if len(e.Errors) > 0 {
		attrs = append(attrs, slog.Any("errors", e.Errors))
	}
	if !e.Expiry.IsZero() {
		attrs = append(attrs, slog.Time("expiry", e.Expiry))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("err", e.Err.Error()))
	}
	if !e.Retry.IsZero() {
		attrs = append(attrs, slog.Time("retry", e.Retry), slog.Int("failures", e.Failures))
	}
	r.logger().LogAttrs(context.Background(), level, "webhooks refresher: "+e.Kind.String(), attrs...)
	if r.OnEvent != nil {
		r.eventMu.Lock()
		defer r.eventMu.Unlock()
		r.OnEvent(e)
	}
}

// RefresherStats are a Refresher's counters since it was made, and the state
// of each site.
type RefresherStats struct {
	// Calls the Refresher made through the clients: list pages, register,
	// refresh and delete calls. The client may send each more than once
	// (its own retries).
	ListCalls, RegisterCalls, RefreshCalls, DeleteCalls int64
	// Syncs and Failures count site syncs that succeeded and failed.
	Syncs, Failures int64
	// Webhooks registered, refreshed (counted once per refresh), deleted
	// as duplicates, refused by Jira, and found lost.
	Registered, Refreshed, Deleted, Refused, Lost int64
	// NextDue is the earliest time a site is due; zero with no sites.
	NextDue time.Time
	// Sites, in the order they were added.
	Sites []SiteStats
}

// SiteStats is the state of one site in a Refresher.
type SiteStats struct {
	// Name is the name given to AddSite.
	Name string
	// Webhooks kept alive, as of the last successful sync, including
	// those it registered.
	Webhooks int
	// EarliestExpiry of the webhooks Jira listed at the last sync; zero
	// if none (webhooks just registered are listed a minute later).
	EarliestExpiry time.Time
	// NextDue is when the site is synced next (or retried, when failing).
	NextDue time.Time
	// LastSync is when the last successful sync ended.
	LastSync time.Time
	// Failures is the number of consecutive failed syncs.
	Failures int
	// LastError is the error of the latest failed sync, nil after a
	// success.
	LastError error
	// AtRisk tells whether RefresherAtRisk was raised and not yet cleared.
	AtRisk bool
}

// Stats returns the Refresher's counters and the state of its sites.
func (r *Refresher) Stats() RefresherStats {
	st := RefresherStats{
		ListCalls:     r.counts.list.Load(),
		RegisterCalls: r.counts.register.Load(),
		RefreshCalls:  r.counts.refresh.Load(),
		DeleteCalls:   r.counts.delete.Load(),
		Syncs:         r.counts.syncs.Load(),
		Failures:      r.counts.failures.Load(),
		Registered:    r.counts.registered.Load(),
		Refreshed:     r.counts.refreshed.Load(),
		Deleted:       r.counts.deleted.Load(),
		Refused:       r.counts.refused.Load(),
		Lost:          r.counts.lost.Load(),
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.order {
		s := r.sites[n]
		st.Sites = append(st.Sites, SiteStats{
			Name:           n,
			Webhooks:       s.st.kept,
			EarliestExpiry: s.st.earliest,
			NextDue:        s.st.next,
			LastSync:       s.st.lastSync,
			Failures:       s.st.failures,
			LastError:      s.st.lastErr,
			AtRisk:         s.st.atRisk,
		})
		if st.NextDue.IsZero() || s.st.next.Before(st.NextDue) {
			st.NextDue = s.st.next
		}
	}
	return st
}
