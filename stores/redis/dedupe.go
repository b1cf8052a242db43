package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jirahooks/jirahooks/webhooks"
)

// DefaultReservationTTL is how long a DedupeStore keeps a delivery reserved
// while its callbacks run, unless DedupeOptions says otherwise. A replica
// that dies while handling a delivery blocks Jira's retries (they are
// answered 409 and retried again later) for at most this long.
const DefaultReservationTTL = 5 * time.Minute

// Values of a dedupe key: "d" once handled, "r:<token>" while reserved.
const (
	dedupeDone    = "d"
	dedupeReserve = "r:"
)

// reserveScript sets the key to a reservation if it is absent and returns
// nil, or returns what the key holds.
var reserveScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
	return v
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`)

// unreserveScript deletes the key if it holds the reservation ARGV[1], or,
// when ARGV[1] is empty, any reservation; a handled delivery stays.
var unreserveScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and (v == ARGV[1] or (ARGV[1] == '' and string.sub(v, 1, 2) == 'r:')) then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// DedupeOptions configures NewDedupeStore. The zero value selects the
// defaults.
type DedupeOptions struct {
	// Prefix is the first segment of the keys; empty means DefaultPrefix.
	Prefix string
	// TTL is how long a handled delivery is remembered; zero means
	// webhooks.DefaultDedupeTTL (24 hours), longer than Jira retries.
	TTL time.Duration
	// ReservationTTL is how long a delivery stays reserved if its handler
	// neither commits nor releases it (the replica died, or Redis stayed
	// unreachable past the handler's commit retry time); zero means
	// DefaultReservationTTL. Make it longer than the slowest callback plus
	// the handler's commit retry time (webhooks.DefaultCommitRetry, 15 s).
	ReservationTTL time.Duration
}

// DedupeStore is a webhooks.DedupeStore on Redis, shared by every replica
// that points at the same Redis: a delivery retried by Jira on another
// replica is recognised there. Pass it to webhooks.WithDedupeStore.
//
// Each delivery is one key, prefix:dedupe:<tenant>:<id> (see the package
// documentation), holding a reservation for ReservationTTL while the
// callbacks run and "handled" for TTL after they succeeded. Reserve is one
// atomic script (set if absent, else report what is there); Release deletes
// only the reservation this store made, so a late Release after the
// reservation expired and another replica took over does not free the
// other replica's claim.
//
// Errors from Redis are returned as they are (wrapped). When Reserve fails
// the Handler answers 500 and Jira retries the delivery later, so nothing
// is dropped while Redis is unreachable. When Commit fails, the callbacks
// have run already: the Handler retries Commit (see
// webhooks.WithCommitRetry), so that a Redis restart or failover in
// between does not let a copy of the delivery run them again. With a Redis
// that keeps its data across a restart (appendonly yes, appendfsync
// always), a delivery is then handled once through a crash of Redis at any
// point; without persistence, a restart forgets handled deliveries. It is
// safe for concurrent use.
type DedupeStore struct {
	rdb            redis.UniversalClient
	prefix         string
	ttl            time.Duration
	reservationTTL time.Duration

	mu       sync.Mutex
	reserved map[string]string // key -> token of the reservation this store holds
}

var _ webhooks.DedupeStore = (*DedupeStore)(nil)

// NewDedupeStore returns a DedupeStore on rdb (a *redis.Client,
// *redis.ClusterClient or failover client). o may be nil.
func NewDedupeStore(rdb redis.UniversalClient, o *DedupeOptions) *DedupeStore {
	if o == nil {
		o = &DedupeOptions{}
	}
	s := &DedupeStore{
		rdb:            rdb,
		prefix:         prefixOr(o.Prefix),
		ttl:            o.TTL,
		reservationTTL: o.ReservationTTL,
		reserved:       make(map[string]string),
	}
	if s.ttl <= 0 {
		s.ttl = webhooks.DefaultDedupeTTL
	}
	if s.reservationTTL <= 0 {
		s.reservationTTL = DefaultReservationTTL
	}
	return s
}

// Key returns the Redis key of a delivery, for inspection.
func (s *DedupeStore) Key(tenant, id string) string {
	return keyName(s.prefix, "dedupe", tenant, id)
}

// Reserve implements webhooks.DedupeStore: it claims the delivery, or
// returns an error wrapping webhooks.ErrDuplicate (handled already),
// webhooks.ErrDeliveryInProgress (reserved by another caller, perhaps on
// another replica) or Redis's error.
func (s *DedupeStore) Reserve(ctx context.Context, tenant, id string) error {
	key := s.Key(tenant, id)
	token := dedupeReserve + newToken()
	v, err := reserveScript.Run(ctx, s.rdb, []string{key}, token, s.reservationTTL.Milliseconds()).Text()
	switch {
	case errors.Is(err, redis.Nil):
		s.mu.Lock()
		s.reserved[key] = token
		s.mu.Unlock()
		return nil
	case err != nil:
		return fmt.Errorf("redisstore: reserving delivery: %w", err)
	case v == dedupeDone:
		return webhooks.ErrDuplicate
	case strings.HasPrefix(v, dedupeReserve):
		return webhooks.ErrDeliveryInProgress
	default:
		return fmt.Errorf("redisstore: reserving delivery: key %s holds an unexpected value", key)
	}
}

// Commit implements webhooks.DedupeStore: the delivery is remembered as
// handled for TTL.
func (s *DedupeStore) Commit(ctx context.Context, tenant, id string) error {
	key := s.Key(tenant, id)
	s.forget(key)
	if err := s.rdb.Set(ctx, key, dedupeDone, s.ttl).Err(); err != nil {
		return fmt.Errorf("redisstore: committing delivery: %w", err)
	}
	return nil
}

// Release implements webhooks.DedupeStore: the reservation is dropped, so
// that Jira's retry is handled. When this DedupeStore value made the
// reservation, only that one is dropped (if it expired and another replica
// reserved the delivery since, the other replica's stays); otherwise any
// reservation of the delivery is. A handled delivery stays handled.
func (s *DedupeStore) Release(ctx context.Context, tenant, id string) error {
	key := s.Key(tenant, id)
	token := s.forget(key)
	if err := unreserveScript.Run(ctx, s.rdb, []string{key}, token).Err(); err != nil {
		return fmt.Errorf("redisstore: releasing delivery: %w", err)
	}
	return nil
}

// forget drops and returns the token of this store's reservation of key.
func (s *DedupeStore) forget(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.reserved[key]
	delete(s.reserved, key)
	return t
}
