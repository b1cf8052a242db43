package webhooks

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
)

// newTestStore returns a MemoryStore that reads its time from a fake clock.
func newTestStore(ttl time.Duration, max int) (*MemoryStore, *jiratest.Clock) {
	clk := jiratest.NewClock(testEpoch)
	s := NewMemoryStore(ttl, max)
	s.now = clk.Now
	return s, clk
}

func TestMemoryStoreLifecycle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, clock := newTestStore(time.Hour, 10)
	require.NoError(t, s.Reserve(ctx, "t", "a"))
	require.ErrorIs(t, s.Reserve(ctx, "t", "a"), ErrDeliveryInProgress, "reserved twice")
	require.NoError(t, s.Reserve(ctx, "other", "a"), "other tenant")
	require.NoError(t, s.Release(ctx, "t", "a"))
	require.NoError(t, s.Reserve(ctx, "t", "a"), "after release")
	require.NoError(t, s.Commit(ctx, "t", "a"))
	require.ErrorIs(t, s.Reserve(ctx, "t", "a"), ErrDuplicate, "after commit")
	// Release after commit does not forget the delivery.
	_ = s.Release(ctx, "t", "a")
	require.ErrorIs(t, s.Reserve(ctx, "t", "a"), ErrDuplicate, "release after commit")
	clock.Advance(time.Hour - time.Second)
	require.ErrorIs(t, s.Reserve(ctx, "t", "a"), ErrDuplicate, "before the TTL")
	clock.Advance(time.Second)
	require.NoError(t, s.Reserve(ctx, "t", "a"), "after the TTL")
}

func TestMemoryStoreAbandonedReservationExpires(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, clock := newTestStore(time.Hour, 10)
	_ = s.Reserve(ctx, "", "stuck")
	clock.Advance(reservationTTL)
	require.NoError(t, s.Reserve(ctx, "", "stuck"), "abandoned reservation still held")
}

func TestMemoryStoreBounded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const max = 100
	s, clock := newTestStore(time.Hour, max)
	for i := range 10 * max {
		id := fmt.Sprint(i)
		require.NoError(t, s.Reserve(ctx, "", id))
		if i%3 == 0 {
			_ = s.Release(ctx, "", id)
		} else {
			_ = s.Commit(ctx, "", id)
		}
		clock.Advance(time.Millisecond)
		require.LessOrEqual(t, s.Len(), max, "entries over the bound")
		require.LessOrEqual(t, len(s.queue)-s.head, 3*max, "queue records for %d entries", s.Len())
	}
	// The newest are remembered, the oldest forgotten.
	assert.ErrorIs(t, s.Reserve(ctx, "", fmt.Sprint(10*max-2)), ErrDuplicate, "recent delivery forgotten")
	assert.NoError(t, s.Reserve(ctx, "", "1"), "oldest delivery not evicted")
	// Everything expires.
	clock.Advance(2 * time.Hour)
	_ = s.Reserve(ctx, "", "last")
	assert.Equal(t, 1, s.Len(), "entries after the TTL")
}

// TestMemoryStoreQueueBoundedUnderReleases checks that deliveries whose
// callbacks fail (reserved, then released) do not pile up records behind a
// long-lived handled entry: the store's memory stays bounded by its entries,
// not by the number of failed attempts within the TTL.
func TestMemoryStoreQueueBoundedUnderReleases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const max = 100
	s, clock := newTestStore(time.Hour, max)
	require.NoError(t, s.Reserve(ctx, "", "handled"))
	_ = s.Commit(ctx, "", "handled")
	for i := range 100 * max {
		id := fmt.Sprint(i)
		require.NoError(t, s.Reserve(ctx, "", id))
		_ = s.Release(ctx, "", id)
		clock.Advance(time.Millisecond)
		require.LessOrEqual(t, len(s.queue)-s.head, 3*max, "queue records after %d failed deliveries, for %d entries", i+1, s.Len())
	}
	assert.ErrorIs(t, s.Reserve(ctx, "", "handled"), ErrDuplicate, "handled delivery forgotten")
}

// TestMemoryStoreKeysUnambiguous checks that a tenant and an id are never
// confused with another pair that concatenates to the same bytes.
func TestMemoryStoreKeysUnambiguous(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := newTestStore(time.Hour, 10)
	require.NoError(t, s.Reserve(ctx, "a\x00b", "c"))
	_ = s.Commit(ctx, "a\x00b", "c")
	assert.NoError(t, s.Reserve(ctx, "a", "b\x00c"), "another tenant's delivery taken for a duplicate")
}
