package keepalive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jirahooks/jirahooks/webhooks"
)

// listPageSize is the page size asked of Jira when listing, and
// maxListPages the most pages read (a listing that does not end is an
// error).
const (
	listPageSize = 100
	maxListPages = 1000
)

// site is one Jira site the Refresher looks after.
type site struct {
	name  string
	api   Client
	decls []Declaration // deduplicated; nil for a refresh-only site; shared, read-only
	keys  []string      // keys[i] is the match key of decls[i]; shared, read-only
	set   *declSet      // where decls and keys come from; nil for a refresh-only site

	busy sync.Mutex // held during a sync

	// Guarded by Refresher.mu.
	st      siteState
	seq     uint64 // order of AddSite calls
	gen     uint64 // the generation of s's live slot in the schedule
	queued  bool   // s has a live slot in the schedule
	removed bool   // RemoveSite was called

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
	atRisk   bool      // AtRisk raised, not yet cleared by a refresh
}

// siteMemory is what a sync carries over to the next one, guarded by
// site.busy. Like siteState, it can be lost. The maps are made when first
// needed: most sites never need them.
type siteMemory struct {
	jitter  time.Duration   // jitter of the current cycle
	had     []int64         // had[i]: ID kept for declaration i at the last sync, 0 if none
	refused map[int]refused // declaration -> when to try it again
	pending map[int64]int   // ID registered, not listed since -> declaration
	learned map[string]int  // Jira's spelling of a declaration -> declaration
	known   []knownHook     // what each webhook listed at the last sync matched, by ID
	spare   []knownHook     // the array of known before the last sync, to reuse
}

// knownHook is a webhook listed before: the declaration it matched, or -1.
type knownHook struct {
	id   int64
	decl int32
}

// refused is a declaration Jira refused n times in a row; it is not tried
// again before until.
type refused struct {
	n     int
	until time.Time
}

// newSite checks and copies the declarations of a new site.
func newSite(name string, c Client, want []Declaration) (*site, error) {
	s := &site{name: name, api: c}
	seen := make(map[string]bool, len(want))
	for i, d := range want {
		if d.URL == "" {
			return nil, fmt.Errorf("keepalive: AddSite %q: declaration %d has no URL", name, i)
		}
		k := declKey(d.URL, d.Details)
		if seen[k] {
			continue
		}
		seen[k] = true
		s.decls = append(s.decls, cloneDeclaration(d))
		s.keys = append(s.keys, k)
	}
	s.mem.had = make([]int64, len(s.decls))
	return s, nil
}

// declSet is the declarations of the sites that declared the same
// webhooks, in the same order: an app most often declares the same on every
// site, and its sites then share one copy (read-only) instead of holding a
// thousand bytes of strings each.
type declSet struct {
	id    string // the key in Refresher.declSets
	decls []Declaration
	keys  []string
	sites int // how many sites share it
}

// shareDeclsLocked makes s use the declSet of its declarations, made if
// none exists. The caller holds r.mu.
func (r *Refresher) shareDeclsLocked(s *site) {
	if s.decls == nil {
		return
	}
	var b []byte
	for _, k := range s.keys {
		b = strconv.AppendInt(b, int64(len(k)), 10)
		b = append(b, ':')
		b = append(b, k...)
	}
	set, ok := r.declSets[string(b)]
	if !ok {
		if r.declSets == nil {
			r.declSets = map[string]*declSet{}
		}
		set = &declSet{id: string(b), decls: s.decls, keys: s.keys}
		r.declSets[set.id] = set
	}
	set.sites++
	s.decls, s.keys, s.set = set.decls, set.keys, set
}

// unshareDeclsLocked lets go of s's declSet, forgotten once no site uses
// it. The caller holds r.mu.
func (r *Refresher) unshareDeclsLocked(s *site) {
	if set := s.set; set != nil {
		if set.sites--; set.sites == 0 {
			delete(r.declSets, set.id)
		}
	}
}

// list returns every webhook of the app on s, and counts the pages.
func (r *Refresher) list(ctx context.Context, s *site) ([]webhooks.Webhook, error) {
	p := s.api.List(&webhooks.ListOptions{MaxResults: listPageSize})
	var all []webhooks.Webhook
	for pages := 0; p.More(); pages++ {
		if pages == maxListPages {
			return nil, fmt.Errorf("listing did not end after %d pages", pages)
		}
		page, err := p.Next(ctx)
		r.counts.list.Add(1)
		if err != nil {
			return nil, err
		}
		if all == nil {
			// Most sites list in one page: no copy. The capacity is cut
			// so that a second page never writes into the client's array.
			all = page[:len(page):len(page)]
		} else {
			all = append(all, page...)
		}
	}
	return all, nil
}

// sync is one pass over one site: list, compare with the declarations,
// refresh when due, delete duplicates, register what is missing, and
// schedule the next pass. Refreshing comes first: keeping alive what exists
// matters most, and must not wait on a registration that keeps failing. The
// caller holds s.busy.
func (r *Refresher) sync(ctx context.Context, s *site) error {
	clock := r.clock()
	pol := r.policy()
	hooks, err := r.list(ctx, s)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	now := clock.Now()
	mem := &s.mem
	p := makePlan(s, hooks)
	defer p.release()

	// Declarations present at the previous sync and gone now were lost:
	// deleted by someone, or expired.
	for _, i := range p.missing {
		if id := mem.had[i]; id != 0 {
			r.counts.lost.Add(1)
			d := s.decls[i]
			r.emit(Event{Kind: Lost, Site: s.name, Time: now, IDs: []int64{id}, Declaration: &d})
		}
	}
	clear(mem.had)
	for j, i := range p.keepDecl {
		mem.had[i] = p.keep[j].ID
	}

	// Refresh every kept webhook when the earliest expiry is within the
	// margin, so that they all expire together. Jira gave no expiry for a
	// webhook: refresh it now.
	var earliest time.Time
	for _, h := range p.keep {
		e := h.ExpirationDate
		if e.IsZero() {
			e = now
		}
		earliest = earliestOf(earliest, e)
	}
	r.mu.Lock()
	s.st.earliest, s.st.kept = earliest, len(p.keep)
	r.mu.Unlock()
	if len(p.keep) > 0 && !now.Before(pol.refreshAt(earliest, mem.jitter)) {
		ids := make([]int64, len(p.keep))
		for j, h := range p.keep {
			ids[j] = h.ID
		}
		var expiry time.Time
		for batch := range slices.Chunk(ids, r.batchSize()) {
			r.counts.refresh.Add(1)
			e, err := s.api.Refresh(ctx, batch...)
			if err != nil {
				return fmt.Errorf("refresh: %w", err)
			}
			r.counts.refreshed.Add(int64(len(batch)))
			expiry = earliestOf(expiry, e)
		}
		earliest = expiry
		mem.jitter = pol.drawJitter()
		r.mu.Lock()
		s.st.earliest, s.st.atRisk = earliest, false
		r.mu.Unlock()
		r.emit(Event{Kind: Refreshed, Site: s.name, Time: clock.Now(), IDs: ids, Expiry: expiry})
	}

	// Duplicates of a declaration: keep the lowest ID, delete the others.
	for batch := range slices.Chunk(p.dups, r.batchSize()) {
		r.counts.delete.Add(1)
		if err := s.api.Delete(ctx, batch...); err != nil {
			return fmt.Errorf("delete duplicates: %w", err)
		}
		r.counts.deleted.Add(int64(len(batch)))
		r.emit(Event{Kind: Deduplicated, Site: s.name, Time: clock.Now(), IDs: batch})
	}

	registered, err := r.register(ctx, s, p.missing, now)
	if err != nil {
		return err
	}

	now = clock.Now()
	next := pol.nextDue(now, outcome{earliest: earliest, jitter: mem.jitter, registered: registered > 0, luck: luck()})
	r.mu.Lock()
	r.scheduleLocked(s, next)
	s.st.kept = len(p.keep) + registered
	s.st.failures = 0
	s.st.lastErr = nil
	s.st.lastSync = now
	if earliest.Sub(now) >= pol.riskThreshold {
		s.st.atRisk = false
	}
	r.mu.Unlock()
	return nil
}

// register registers the missing declarations, one call per URL (and
// batch), skipping those Jira refused lately, and returns how many it
// registered. now is the time of the listing.
func (r *Refresher) register(ctx context.Context, s *site, missing []int, now time.Time) (registered int, err error) {
	mem := &s.mem
	var todo []int
	for _, i := range missing {
		if ref, ok := mem.refused[i]; ok && now.Before(ref.until) {
			continue
		}
		todo = append(todo, i)
	}
	for _, group := range groupByURL(s.decls, todo) {
		for batch := range slices.Chunk(group, r.batchSize()) {
			details := make([]webhooks.Details, len(batch))
			for j, i := range batch {
				details[j] = s.decls[i].Details
			}
			url := s.decls[batch[0]].URL
			r.counts.register.Add(1)
			regs, err := s.api.Register(ctx, url, details...)
			if reasons, refused := refusal(err); refused {
				// Jira refused the request as a whole (a second URL,
				// say): as if it refused each webhook, for the same
				// reasons.
				regs, err = make([]webhooks.Registration, len(batch)), nil
				for j := range regs {
					regs[j].Errors = reasons
				}
			}
			if err != nil {
				return registered, fmt.Errorf("register: %w", err)
			}
			if len(regs) != len(batch) {
				return registered, fmt.Errorf("register: Jira answered %d results for %d webhooks", len(regs), len(batch))
			}
			at := r.clock().Now()
			for j, i := range batch {
				d := s.decls[i]
				reg := regs[j]
				if reg.ID == 0 {
					r.counts.refused.Add(1)
					if mem.refused == nil {
						mem.refused = map[int]refused{}
					}
					ref := mem.refused[i]
					ref.until = now.Add(min(refusedRetry<<min(ref.n, 5), maxRefusedRetry))
					ref.n++
					mem.refused[i] = ref
					r.emit(Event{Kind: Refused, Site: s.name, Time: at, Declaration: &d, Errors: slices.Clone(reg.Errors)})
					continue
				}
				registered++
				r.counts.registered.Add(1)
				if mem.pending == nil {
					mem.pending = map[int64]int{}
				}
				mem.pending[reg.ID] = i
				mem.had[i] = reg.ID
				delete(mem.refused, i)
				r.emit(Event{Kind: Registered, Site: s.name, Time: at, IDs: []int64{reg.ID}, Declaration: &d})
			}
		}
	}
	return registered, nil
}

// refusal tells whether a registration error is Jira refusing the request
// (a 4xx answer other than 401, 403 and 429), which trying again will not
// change, and gives Jira's reasons.
func refusal(err error) (reasons []string, ok bool) {
	ae, ok := errors.AsType[*webhooks.APIError](err)
	if !ok {
		return nil, false
	}
	switch c := ae.StatusCode; {
	case c < 400 || c >= 500, c == http.StatusUnauthorized, c == http.StatusForbidden, c == http.StatusTooManyRequests:
		return nil, false
	}
	reasons = slices.Clone(ae.ErrorMessages)
	for _, field := range slices.Sorted(maps.Keys(ae.Errors)) {
		reasons = append(reasons, field+": "+ae.Errors[field])
	}
	if len(reasons) == 0 {
		reasons = []string{ae.Error()}
	}
	return reasons, true
}

// plan is what a sync found: the webhooks to keep alive, and what to fix.
// Plans come from a pool and go back at the end of the sync (release), so
// that a sync in the steady state allocates none; nothing in a plan may
// outlive the sync, except dups, which events carry and is never reused.
type plan struct {
	keep     []kept  // webhooks to keep alive
	keepDecl []int   // declared sites: keepDecl[j] is keep[j]'s declaration
	dups     []int64 // duplicates of a declaration, to delete; not pooled
	missing  []int   // declarations with no webhook
	first    []int   // makePlan's scratch
}

var plans = sync.Pool{New: func() any { return new(plan) }}

// release empties p and puts it back in the pool.
func (p *plan) release() {
	*p = plan{keep: p.keep[:0], keepDecl: p.keepDecl[:0], missing: p.missing[:0], first: p.first[:0]}
	plans.Put(p)
}

// kept is what a sync needs of a webhook it keeps alive.
type kept struct {
	ID             int64
	ExpirationDate time.Time
}

func keptOf(h webhooks.Webhook) kept { return kept{h.ID, h.ExpirationDate} }

func byID(a, b webhooks.Webhook) int { return cmp.Compare(a.ID, b.ID) }

// idsAscending tells whether hooks are in ascending ID order, each once.
func idsAscending(hooks []webhooks.Webhook) bool {
	for j := 1; j < len(hooks); j++ {
		if hooks[j].ID <= hooks[j-1].ID {
			return false
		}
	}
	return true
}

// makePlan compares the webhooks Jira listed with s's declarations. It learns how Jira spells the declarations it
// registered (Jira may rewrite a JQL filter), so that their webhooks are not
// taken for missing.
//
// A webhook cannot be changed once registered, so what it matches is
// remembered by ID from one sync to the next (mem.known): a sync in the
// steady state works out no match keys.
func makePlan(s *site, hooks []webhooks.Webhook) *plan {
	// Offset pages shift when webhooks come and go between two pages, so
	// a webhook may be listed twice: it must not pass for its own
	// duplicate.
	// Jira lists in ID order; hooks belongs to the client, and is copied
	// before it is sorted.
	if !idsAscending(hooks) {
		hooks = slices.Clone(hooks)
		slices.SortStableFunc(hooks, byID)
		hooks = slices.CompactFunc(hooks, func(a, b webhooks.Webhook) bool { return a.ID == b.ID })
	}
	p := plans.Get().(*plan)
	if s.decls == nil { // refresh-only
		for _, h := range hooks {
			p.keep = append(p.keep, keptOf(h))
		}
		return p
	}
	mem := &s.mem
	var index map[string]int // match key -> declaration, made when needed
	match := func(h webhooks.Webhook) int {
		if index == nil {
			index = make(map[string]int, len(s.keys))
			for i, k := range s.keys {
				index[k] = i
			}
		}
		k := hookKey(h)
		if i, ok := mem.pending[h.ID]; ok && k != s.keys[i] {
			if _, taken := index[k]; !taken {
				if mem.learned == nil {
					mem.learned = map[string]int{}
				}
				mem.learned[k] = i
			}
		}
		if i, ok := index[k]; ok {
			return i
		}
		if i, ok := mem.learned[k]; ok {
			return i
		}
		return -1
	}

	// known is built in the array of the sync before last, which no one
	// reads any more: a sync in the steady state allocates no memory for it.
	known := slices.Grow(mem.spare[:0], len(hooks))[:len(hooks)]
	p.first = slices.Grow(p.first, len(s.decls))[:len(s.decls)]
	first := p.first // index in hooks + 1 of each declaration's lowest ID
	clear(first)
	old := mem.known // sorted by ID, as hooks are
	for j, h := range hooks {
		for len(old) > 0 && old[0].id < h.ID {
			old = old[1:]
		}
		i := -1
		if len(old) > 0 && old[0].id == h.ID {
			i = int(old[0].decl)
		} else {
			i = match(h)
		}
		known[j] = knownHook{id: h.ID, decl: int32(i)}
		switch {
		case i < 0:
		case first[i] == 0:
			first[i] = j + 1
		default:
			p.dups = append(p.dups, h.ID)
		}
	}
	mem.known, mem.spare = known, mem.known
	clear(mem.pending)
	for i, j := range first {
		if j == 0 {
			p.missing = append(p.missing, i)
			continue
		}
		p.keep = append(p.keep, keptOf(hooks[j-1]))
		p.keepDecl = append(p.keepDecl, i)
	}
	return p
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
func declKey(url string, d webhooks.Details) string {
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
func hookKey(h webhooks.Webhook) string {
	return declKey(h.URL, webhooks.Details{
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
