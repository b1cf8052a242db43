package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redisstore "github.com/jirahooks/jirahooks/stores/redis"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

// Redis (appendonly, fsync always) is killed after the handler reserved a
// delivery and before it recorded it as handled, and stays down longer than
// the reservation lives. Once it is back, copies of the delivery must be
// dropped as duplicates: the callback ran once and must not run again.
func TestRedisKilledBetweenReserveAndCommitRunsNoCallbackTwice(t *testing.T) {
	t.Parallel()
	rs := startRedisAOF(t)
	const reservationTTL = time.Second
	store := redisstore.NewDedupeStore(rs.client(t), &redisstore.DedupeOptions{ReservationTTL: reservationTTL})
	var runs atomic.Int64
	killed := make(chan struct{})
	h := webhooks.NewHandler(webhooks.HubSignature(hubSecret),
		webhooks.WithDedupeStore(store),
		webhooks.WithTenant(func(r *http.Request) string { return r.URL.Query().Get("site") }))
	h.OnAny(func(context.Context, *webhooks.Event) error {
		if runs.Add(1) == 1 {
			rs.stop() // Reserve went through; Commit will not
			close(killed)
		}
		return nil
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	r := &replica{srv: srv, h: h}

	id := webhookstest.NewDeliveryID()
	first := make(chan int, 1)
	go func() { first <- deliver(t, r, id, 0) }()
	<-killed
	// Down past the reservation's life, so that the reservation the AOF
	// restores has expired and only a Commit made after the restart keeps
	// copies out; and past the retries go-redis makes by itself (about a
	// second with the default options).
	time.Sleep(reservationTTL + 2*time.Second)
	rs.start()

	select {
	case st := <-first:
		assert.Equal(t, http.StatusOK, st, "the callback succeeded")
	case <-time.After(webhooks.DefaultCommitRetry + 5*time.Second):
		require.FailNow(t, "the handler did not answer within its commit retry time")
	}
	for retry := 1; retry <= 3; retry++ {
		assert.Equal(t, http.StatusOK, deliver(t, r, id, retry), "copy %d", retry)
	}
	assert.Equal(t, int64(1), runs.Load(), "the callback ran again for a delivery handled while Redis was down")

	// Another replica agrees: the delivery is recorded as handled.
	other := redisstore.NewDedupeStore(rs.client(t), nil)
	assert.ErrorIs(t, other.Reserve(t.Context(), "acme", id), webhooks.ErrDuplicate)
}
