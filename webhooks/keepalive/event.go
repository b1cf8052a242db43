package keepalive

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event. AtRisk, Lost and Refused are alerts: something needs
// a human.
const (
	// Refreshed: the site's webhooks (IDs) were refreshed and now expire at
	// Expiry.
	Refreshed EventKind = iota + 1
	// Registered: Declaration was missing and is now registered as IDs[0].
	Registered
	// Refused: Jira refused to register Declaration, for Errors. It is
	// tried again at a later sync: a day later at the soonest, then two,
	// four... up to 30 days while Jira keeps refusing it.
	Refused
	// Deduplicated: IDs were duplicates of a declaration (two replicas
	// registered it at once, say) and were deleted.
	Deduplicated
	// Lost: the webhook IDs[0] of Declaration, present at the previous
	// sync, is gone: deleted behind the app's back, or expired. The
	// Refresher registers it again in the same sync.
	Lost
	// Failed: a sync failed with Err; the site is tried again at Retry,
	// after Failures consecutive failures.
	Failed
	// AtRisk: the site keeps failing and its earliest webhook expires at
	// Expiry, under RiskThreshold from now. Raised once until a refresh
	// succeeds.
	AtRisk
)

var eventNames = [...]string{
	Refreshed:    "refreshed",
	Registered:   "registered",
	Refused:      "refused",
	Deduplicated: "deduplicated",
	Lost:         "lost",
	Failed:       "failed",
	AtRisk:       "at-risk",
}

// String returns the kind's name, such as "refreshed" or "at-risk".
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is something a Refresher did or found. Which fields are set
// depends on Kind; see the kinds.
type Event struct {
	Kind        EventKind    // what happened; says which fields are set
	Site        string       // the name given to AddSite
	Time        time.Time    // by the Refresher's clock
	IDs         []int64      // the webhooks concerned
	Declaration *Declaration // for Registered, Refused, Lost
	Errors      []string     // for Refused: Jira's reasons
	Expiry      time.Time    // for Refreshed: the new expiry; AtRisk: the earliest
	Err         error        // for Failed and AtRisk: the failure
	Retry       time.Time    // for Failed: the next attempt
	Failures    int          // for Failed: consecutive failures so far
}

// emit sends e to OnEvent and to the logger.
func (r *Refresher) emit(e Event) {
	level := slog.LevelInfo
	switch e.Kind {
	case Failed, Refused:
		level = slog.LevelWarn
	case AtRisk, Lost:
		level = slog.LevelError
	}
	if log := r.logger(); log.Enabled(context.Background(), level) {
		log.LogAttrs(context.Background(), level, "keepalive: "+e.Kind.String(), e.attrs()...)
	}
	if r.OnEvent != nil {
		r.eventMu.Lock()
		defer r.eventMu.Unlock()
		r.OnEvent(e)
	}
}

// attrs are e's fields for a log record.
func (e Event) attrs() []slog.Attr {
	attrs := []slog.Attr{slog.String("site", e.Site)}
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
	return attrs
}

// Stats are a Refresher's counters since it was made, and the state of
// each site.
type Stats struct {
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
	// AtRisk tells whether AtRisk was raised and not yet cleared.
	AtRisk bool
}

// Stats returns the Refresher's counters and the state of its sites.
func (r *Refresher) Stats() Stats {
	st := Stats{
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
	st.Sites = make([]SiteStats, 0, len(r.order))
	for _, s := range r.order {
		st.Sites = append(st.Sites, SiteStats{
			Name:           s.name,
			Webhooks:       s.st.kept,
			EarliestExpiry: s.st.earliest,
			NextDue:        s.st.next,
			LastSync:       s.st.lastSync,
			Failures:       s.st.failures,
			LastError:      s.st.lastErr,
			AtRisk:         s.st.atRisk,
		})
		st.NextDue = earliestOf(st.NextDue, s.st.next)
	}
	return st
}
