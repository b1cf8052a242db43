package keepalive

import (
	"math"
	"math/rand/v2"
	"time"
)

// Timing the Refresher keeps to itself.
const (
	// minRetry is the shortest wait after a sync, failed or not: never a
	// tight loop.
	minRetry = 30 * time.Second
	// expirySafety: a failing site is retried at least this long before its
	// earliest expiry, whatever the backoff says.
	expirySafety = time.Hour
	// settleDelay: after registering, the site is listed again this much
	// later (plus jitter) to read the new webhooks' expiry from Jira and to
	// remove duplicates that replicas registered at the same moment.
	settleDelay = time.Minute
	// idleInterval: how often a site with nothing to keep alive is listed,
	// and how long Run sleeps with no site at all.
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
)

// policy is the Refresher's settings that decide when a site is due,
// with the defaults and caps applied.
type policy struct {
	margin        time.Duration
	maxJitter     time.Duration
	riskThreshold time.Duration
	checkInterval time.Duration // 0: none
	maxBackoff    time.Duration
}

func (r *Refresher) policy() policy {
	p := policy{
		margin:        DefaultMargin,
		riskThreshold: DefaultRiskThreshold,
		checkInterval: max(r.CheckInterval, 0),
		maxBackoff:    DefaultMaxBackoff,
	}
	if r.Margin > 0 {
		p.margin = min(r.Margin, maxMargin)
	}
	switch {
	case r.Jitter < 0:
	case r.Jitter > 0:
		// Past the cap, a refresh would be due again at once, and the
		// site refreshed every minRetry.
		p.maxJitter = min(r.Jitter, maxMargin-p.margin)
	default:
		p.maxJitter = min(DefaultJitter, p.margin/2)
	}
	if r.RiskThreshold > 0 {
		p.riskThreshold = r.RiskThreshold
	}
	if r.MaxBackoff > 0 {
		p.maxBackoff = r.MaxBackoff
	}
	return p
}

// drawJitter draws the jitter of a site's next refresh cycle.
func (p policy) drawJitter() time.Duration {
	if p.maxJitter > 0 {
		return rand.N(p.maxJitter)
	}
	return 0
}

// refreshAt is when webhooks whose earliest expiry is earliest are due for
// a refresh, in a cycle of the given jitter.
func (p policy) refreshAt(earliest time.Time, jitter time.Duration) time.Time {
	return earliest.Add(-p.margin - jitter)
}

// outcome is what the scheduler needs to know of one sync of a site.
type outcome struct {
	// failures counts the consecutive failed syncs, this one included; 0
	// after a success.
	failures int
	// retryAfter is the wait Jira asked for, on a failure.
	retryAfter time.Duration
	// earliest is the earliest expiry of the site's kept webhooks; zero
	// when there are none (or, on a failure, none known).
	earliest time.Time
	// jitter is the current refresh cycle's jitter.
	jitter time.Duration
	// registered tells whether the sync registered webhooks, whose expiry
	// Jira has not listed yet.
	registered bool
	// luck, in [0, 1), spreads settle checks and backoffs at random.
	luck float64
}

// luck draws an outcome's luck.
func luck() float64 { return rand.Float64() }

// nextDue is the one place that decides when a site is due next, after a
// sync ended at now with outcome o. It is a pure function.
//
// After a success: at the refresh time of the earliest expiry, or a settle
// check a minute or two after registering, or a daily look at a site with
// nothing to keep alive, whichever comes first; at least every
// CheckInterval.
//
// After a failure: capped, jittered exponential backoff, at least
// Retry-After, but before the earliest expiry: an hour before it at the
// latest, then at half the time left. Past the expiry the webhooks are gone
// and the backoff alone decides.
//
// Either way, never sooner than 30 seconds.
func (p policy) nextDue(now time.Time, o outcome) time.Time {
	var next time.Time
	if o.failures > 0 {
		next = now.Add(max(p.backoff(o.failures, o.luck), o.retryAfter))
		if e := o.earliest; !e.IsZero() && now.Before(e) {
			deadline := e.Add(-expirySafety)
			if !now.Before(deadline) {
				deadline = now.Add(e.Sub(now) / 2)
			}
			next = earliestOf(next, deadline)
		}
	} else {
		if !o.earliest.IsZero() {
			next = p.refreshAt(o.earliest, o.jitter)
		}
		if o.registered {
			settle := settleDelay + time.Duration(o.luck*float64(settleDelay))
			next = earliestOf(next, now.Add(settle))
		}
		if next.IsZero() {
			next = now.Add(idleInterval)
		}
		if c := p.checkInterval; c > 0 {
			next = earliestOf(next, now.Add(c))
		}
	}
	if floor := now.Add(minRetry); next.Before(floor) {
		next = floor
	}
	return next
}

// backoff is the wait after the n-th consecutive failure: 30s doubling up
// to maxBackoff, then taken from its upper half by luck.
func (p policy) backoff(n int, luck float64) time.Duration {
	d := minRetry
	for i := 1; i < n && d < p.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.maxBackoff)
	return d/2 + time.Duration(luck*float64(d/2))
}

// earliestOf returns the earlier of a and b, a zero time counting as
// unset.
func earliestOf(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// schedule is when each site is due: a 4-ary min-heap of slots by due
// time, ties in the order the sites were added. A slot holds what the heap
// compares, so sifting does not touch the sites, and four children share two
// cache lines, so a sift at 100,000 sites reads 9 levels, not 17.
// Rescheduling a site pushes a new slot and leaves the old one stale (its gen
// is no longer the site's), to be dropped when it reaches the top, or by a
// compaction once stale slots outnumber live ones.
type schedule struct {
	slots []slot
	stale int
}

// slot says site s is due at at (Unix nanoseconds), if gen is still s.gen.
type slot struct {
	at  int64
	seq uint64
	gen uint64
	s   *site
}

// before tells whether a is due before b.
func (a *slot) before(b *slot) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// arity is the number of children of a slot in the heap.
const arity = 4

// put schedules s at t, replacing its slot if it has one. The caller
// holds Refresher.mu, as for every method of schedule.
func (q *schedule) put(s *site, t time.Time) {
	if s.queued {
		q.stale++
	}
	s.gen++
	s.queued = true
	q.slots = append(q.slots, slot{at: unixNano(t), seq: s.seq, gen: s.gen, s: s})
	q.up(len(q.slots) - 1)
	q.compact()
}

// drop takes s off the schedule.
func (q *schedule) drop(s *site) {
	if s.queued {
		s.gen++
		s.queued = false
		q.stale++
		q.compact()
	}
}

// first returns the site due first, or nil.
func (q *schedule) first() *site {
	for len(q.slots) > 0 {
		// With no stale slot, the top is live: no need to read its site.
		if top := &q.slots[0]; q.stale == 0 || top.gen == top.s.gen {
			return top.s
		}
		q.pop()
		q.stale--
	}
	return nil
}

// takeDue takes the sites due at now off the schedule, earliest first.
func (q *schedule) takeDue(now time.Time) []*site {
	var due []*site
	for s := q.first(); s != nil && q.slots[0].at <= unixNano(now); s = q.first() {
		q.pop()
		s.queued = false
		due = append(due, s)
	}
	return due
}

// pop removes the top slot.
func (q *schedule) pop() {
	last := len(q.slots) - 1
	q.slots[0] = q.slots[last]
	q.slots[last] = slot{}
	q.slots = q.slots[:last]
	if last > 0 {
		q.down(0)
	}
}

// up moves the slot at i up to its place.
func (q *schedule) up(i int) {
	h := q.slots
	x := h[i]
	for i > 0 {
		parent := (i - 1) / arity
		if !x.before(&h[parent]) {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = x
}

// down moves the slot at i down to its place.
func (q *schedule) down(i int) {
	h := q.slots
	x := h[i]
	for {
		c := arity*i + 1
		if c >= len(h) {
			break
		}
		least := c
		for k := c + 1; k < min(c+arity, len(h)); k++ {
			if h[k].before(&h[least]) {
				least = k
			}
		}
		if !h[least].before(&x) {
			break
		}
		h[i] = h[least]
		i = least
	}
	h[i] = x
}

// compact drops the stale slots once they outnumber the live ones.
func (q *schedule) compact() {
	if q.stale < 64 || q.stale <= len(q.slots)/2 {
		return
	}
	live := q.slots[:0]
	for _, sl := range q.slots {
		if sl.gen == sl.s.gen {
			live = append(live, sl)
		}
	}
	clear(q.slots[len(live):])
	q.slots, q.stale = live, 0
	if n := len(live); n > 1 {
		for i := (n - 2) / arity; i >= 0; i-- { // the last parent first
			q.down(i)
		}
	}
}

// unixNano is t in Unix nanoseconds; the zero time (due now) is the least.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}
