package webhooks

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// DedupeStore remembers which deliveries a Handler has handled, so that
// Jira's retries of a delivery that already succeeded are answered without
// calling the callbacks again. Deliveries are identified by tenant and the
// X-Atlassian-Webhook-Identifier header, which stays the same across
// retries.
//
// A store shared by several processes (Redis, a database) makes duplicate
// detection work across replicas; NewMemoryStore works within one process.
// Implementations must be safe for concurrent use.
type DedupeStore interface {
	// Reserve claims the delivery before its callbacks run. It returns nil
	// if the caller should handle it; an error wrapping ErrDuplicate if it
	// was handled already (committed); an error wrapping
	// ErrDeliveryInProgress if another caller holds the reservation; any
	// other error if the store failed.
	Reserve(ctx context.Context, tenant, id string) error
	// Commit records that the reserved delivery was handled.
	Commit(ctx context.Context, tenant, id string) error
	// Release drops a reservation without committing, so that a retry of
	// the delivery is handled.
	Release(ctx context.Context, tenant, id string) error
}

// Defaults of NewMemoryStore.
const (
	// DefaultDedupeTTL is how long a handled delivery is remembered: longer
	// than Jira keeps retrying one.
	DefaultDedupeTTL = 24 * time.Hour
	// DefaultDedupeEntries bounds how many deliveries are remembered.
	DefaultDedupeEntries = 100_000
	// reservationTTL frees a reservation whose holder never finished.
	reservationTTL = 5 * time.Minute
)

// MemoryStore is an in-memory DedupeStore with a time to live and a bound
// on its size: it forgets a delivery after the TTL or, when full, the oldest
// first. It is what NewHandler uses by default.
type MemoryStore struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]memEntry
	queue   []queued // in expiry order; may hold stale records
	head    int
}

type memEntry struct {
	expires time.Time
	done    bool
}

type queued struct {
	key     string
	expires time.Time
}

// NewMemoryStore returns a MemoryStore that remembers handled deliveries for
// ttl and at most maxEntries of them. Zero or negative values select
// DefaultDedupeTTL and DefaultDedupeEntries.
func NewMemoryStore(ttl time.Duration, maxEntries int) *MemoryStore {
	if ttl <= 0 {
		ttl = DefaultDedupeTTL
	}
	if maxEntries <= 0 {
		maxEntries = DefaultDedupeEntries
	}
	return &MemoryStore{ttl: ttl, max: maxEntries, now: time.Now, entries: make(map[string]memEntry)}
}

// dedupeKey joins tenant and id unambiguously: the tenant's length comes
// first, so no other pair gives the same key whatever bytes they hold.
func dedupeKey(tenant, id string) string {
	return strconv.Itoa(len(tenant)) + ":" + tenant + id
}

// Reserve implements DedupeStore.
func (s *MemoryStore) Reserve(_ context.Context, tenant, id string) error {
	key := dedupeKey(tenant, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.evict(now)
	if e, ok := s.entries[key]; ok && now.Before(e.expires) {
		if e.done {
			return ErrDuplicate
		}
		return ErrDeliveryInProgress
	}
	s.put(key, memEntry{expires: now.Add(min(reservationTTL, s.ttl))})
	s.evict(now)
	return nil
}

// Commit implements DedupeStore.
func (s *MemoryStore) Commit(_ context.Context, tenant, id string) error {
	key := dedupeKey(tenant, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.put(key, memEntry{expires: now.Add(s.ttl), done: true})
	s.evict(now)
	return nil
}

// Release implements DedupeStore.
func (s *MemoryStore) Release(_ context.Context, tenant, id string) error {
	key := dedupeKey(tenant, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[key]; ok && !e.done {
		delete(s.entries, key)
	}
	return nil
}

// Len returns how many deliveries the store holds, handled or reserved.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

func (s *MemoryStore) put(key string, e memEntry) {
	s.entries[key] = e
	s.queue = append(s.queue, queued{key, e.expires})
}

// evict drops expired entries, then the oldest while the store is over its
// bound, and compacts the queue. Called with mu held.
func (s *MemoryStore) evict(now time.Time) {
	for s.head < len(s.queue) {
		q := s.queue[s.head]
		e, ok := s.entries[q.key]
		stale := !ok || !e.expires.Equal(q.expires)
		switch {
		case stale:
		case !now.Before(q.expires) || len(s.entries) > s.max:
			delete(s.entries, q.key)
		default:
			// Reservations expire sooner than handled entries, so the queue
			// is only roughly ordered; stopping at the first live entry
			// keeps eviction O(1) amortised at the price of keeping a few
			// expired reservations a little longer.
			s.compact()
			return
		}
		s.queue[s.head] = queued{}
		s.head++
	}
	s.compact()
}

func (s *MemoryStore) compact() {
	if s.head > 0 && s.head >= len(s.queue)/2 {
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue = s.queue[:n]
		s.head = 0
	}
	// Released reservations and replaced entries leave stale records that
	// eviction only drops once they reach the head, which a long-lived
	// entry can block for the whole TTL. When they outnumber the entries,
	// drop them all; the threshold keeps this O(1) amortised.
	if len(s.queue)-s.head > 4*len(s.entries)+64 {
		kept := s.queue[:0]
		for _, q := range s.queue[s.head:] {
			if e, ok := s.entries[q.key]; ok && e.expires.Equal(q.expires) {
				kept = append(kept, q)
			}
		}
		clear(s.queue[len(kept):])
		s.queue = kept
		s.head = 0
	}
}
