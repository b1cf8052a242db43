package testclock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/testclock"
	"github.com/jirahooks/jirahooks/jiratest"
)

var start = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func TestSleepAdvancesAndRecords(t *testing.T) {
	t.Parallel()
	c := testclock.New(start)
	require.NoError(t, c.Sleep(t.Context(), time.Minute))
	require.NoError(t, c.Sleep(t.Context(), time.Hour))
	assert.Equal(t, []time.Duration{time.Minute, time.Hour}, c.Waits(), "waits")
	assert.Equal(t, start.Add(time.Hour+time.Minute), c.Now(), "time after the waits")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, c.Sleep(ctx, time.Hour), context.Canceled, "Sleep on an ended context")
	assert.Equal(t, start.Add(time.Hour+time.Minute), c.Now(), "an ended Sleep moved the clock")
	assert.Len(t, c.Waits(), 3, "the ended Sleep is recorded too")
}

func TestWaitReplacesTheAdvance(t *testing.T) {
	t.Parallel()
	c := testclock.New(start)
	var got []time.Duration
	c.Wait = func(ctx context.Context, d time.Duration) error {
		got = append(got, d)
		return nil
	}
	require.NoError(t, c.Sleep(t.Context(), time.Hour))
	assert.Equal(t, []time.Duration{time.Hour}, got, "waits handed to Wait")
	assert.Equal(t, start, c.Now(), "Sleep with Wait moved the clock")
	assert.Empty(t, c.Waits(), "waits handed to Wait are not recorded")
}

func TestOfSharesTheServersTime(t *testing.T) {
	t.Parallel()
	base := jiratest.NewClock(start)
	c := testclock.Of(base)
	require.NoError(t, c.Sleep(t.Context(), 2*time.Hour))
	assert.Equal(t, start.Add(2*time.Hour), base.Now(), "the jiratest clock's time")
}

func TestParkWaitsForTheContext(t *testing.T) {
	t.Parallel()
	c := testclock.New(start)
	c.Wait = testclock.Park
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- c.Sleep(ctx, time.Hour) }()
	select {
	case err := <-done:
		require.FailNow(t, "Park returned before its context ended", "err %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled, "Park's error")
	assert.Equal(t, start, c.Now(), "Park moved the clock")
}
