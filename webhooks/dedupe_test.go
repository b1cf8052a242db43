package webhooks

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// fakeClock is a settable clock for MemoryStore.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestStore(ttl time.Duration, max int) (*MemoryStore, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}
	s := NewMemoryStore(ttl, max)
	s.now = c.now
	return s, c
}

func TestMemoryStoreLifecycle(t *testing.T) {
	ctx := context.Background()
	s, clock := newTestStore(time.Hour, 10)
	if err := s.Reserve(ctx, "t", "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "t", "a"); !errors.Is(err, ErrDeliveryInProgress) {
		t.Fatalf("reserved twice: %v", err)
	}
	if err := s.Reserve(ctx, "other", "a"); err != nil {
		t.Fatalf("other tenant: %v", err)
	}
	if err := s.Release(ctx, "t", "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "t", "a"); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if err := s.Commit(ctx, "t", "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "t", "a"); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("after commit: %v", err)
	}
	// Release after commit does not forget the delivery.
	_ = s.Release(ctx, "t", "a")
	if err := s.Reserve(ctx, "t", "a"); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("release after commit: %v", err)
	}
	clock.advance(time.Hour - time.Second)
	if err := s.Reserve(ctx, "t", "a"); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("before the TTL: %v", err)
	}
	clock.advance(time.Second)
	if err := s.Reserve(ctx, "t", "a"); err != nil {
		t.Fatalf("after the TTL: %v", err)
	}
}

func TestMemoryStoreAbandonedReservationExpires(t *testing.T) {
	ctx := context.Background()
	s, clock := newTestStore(time.Hour, 10)
	_ = s.Reserve(ctx, "", "stuck")
	clock.advance(reservationTTL)
	if err := s.Reserve(ctx, "", "stuck"); err != nil {
		t.Fatalf("abandoned reservation still held: %v", err)
	}
}

func TestMemoryStoreBounded(t *testing.T) {
	ctx := context.Background()
	const max = 100
	s, clock := newTestStore(time.Hour, max)
	for i := range 10 * max {
		id := fmt.Sprint(i)
		if err := s.Reserve(ctx, "", id); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			_ = s.Release(ctx, "", id)
		} else {
			_ = s.Commit(ctx, "", id)
		}
		clock.advance(time.Millisecond)
		if n := s.Len(); n > max {
			t.Fatalf("%d entries, bound %d", n, max)
		}
		if q := len(s.queue) - s.head; q > 3*max {
			t.Fatalf("queue holds %d records for %d entries", q, s.Len())
		}
	}
	// The newest are remembered, the oldest forgotten.
	if err := s.Reserve(ctx, "", fmt.Sprint(10*max-2)); !errors.Is(err, ErrDuplicate) {
		t.Errorf("recent delivery forgotten: %v", err)
	}
	if err := s.Reserve(ctx, "", "1"); err != nil {
		t.Errorf("oldest delivery not evicted: %v", err)
	}
	// Everything expires.
	clock.advance(2 * time.Hour)
	_ = s.Reserve(ctx, "", "last")
	if n := s.Len(); n != 1 {
		t.Errorf("%d entries after the TTL, want 1", n)
	}
}

// TestMemoryStoreQueueBoundedUnderReleases checks that deliveries whose
// callbacks fail (reserved, then released) do not pile up records behind a
// long-lived handled entry: the store's memory stays bounded by its entries,
// not by the number of failed attempts within the TTL.
func TestMemoryStoreQueueBoundedUnderReleases(t *testing.T) {
	ctx := context.Background()
	const max = 100
	s, clock := newTestStore(time.Hour, max)
	if err := s.Reserve(ctx, "", "handled"); err != nil {
		t.Fatal(err)
	}
	_ = s.Commit(ctx, "", "handled")
	for i := range 100 * max {
		id := fmt.Sprint(i)
		if err := s.Reserve(ctx, "", id); err != nil {
			t.Fatal(err)
		}
		_ = s.Release(ctx, "", id)
		clock.advance(time.Millisecond)
		if q := len(s.queue) - s.head; q > 3*max {
			t.Fatalf("after %d failed deliveries the queue holds %d records for %d entries", i+1, q, s.Len())
		}
	}
	if err := s.Reserve(ctx, "", "handled"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("handled delivery forgotten: %v", err)
	}
}

// TestMemoryStoreKeysUnambiguous checks that a tenant and an id are never
// confused with another pair that concatenates to the same bytes.
func TestMemoryStoreKeysUnambiguous(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(time.Hour, 10)
	if err := s.Reserve(ctx, "a\x00b", "c"); err != nil {
		t.Fatal(err)
	}
	_ = s.Commit(ctx, "a\x00b", "c")
	if err := s.Reserve(ctx, "a", "b\x00c"); err != nil {
		t.Errorf("another tenant's delivery taken for a duplicate: %v", err)
	}
}
