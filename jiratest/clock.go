package jiratest

import (
	"context"
	"sync"
	"time"
)

// Clock is the fake time of one or more [Server]s. Webhook expiry, the
// 72-hour memory of failed deliveries, failure times and delivery retries all
// follow it, never the wall clock, so a test can cover a year in
// milliseconds. It is safe for concurrent use.
//
// Several servers may share one Clock (pass it to each with [WithClock]):
// [Clock.Advance] then runs the due retries of all of them in time order.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	subs []scheduler
}

// scheduler is what a Clock drives: a server with retries waiting.
type scheduler interface {
	nextDue() (time.Time, bool)
	runDue(now time.Time)
}

// NewClock returns a Clock that reads start until advanced.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the fake current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (a negative d does nothing). On the
// way it stops at every moment a delivery retry of a subscribed server is
// due, sets the time to that moment and makes the retry, synchronously, so
// that when Advance returns every retry due by the new time has been made
// and failure times are the times the last retries failed.
//
// Concurrent Advances are allowed (time never moves backwards); each retry
// is made once, by whichever Advance reaches it first.
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		d = 0
	}
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		subs := append([]scheduler(nil), c.subs...)
		c.mu.Unlock()
		var (
			earliest time.Time
			found    bool
		)
		for _, s := range subs {
			if t, ok := s.nextDue(); ok && !t.After(target) && (!found || t.Before(earliest)) {
				earliest, found = t, true
			}
		}
		if !found {
			break
		}
		c.mu.Lock()
		if earliest.After(c.now) {
			c.now = earliest
		}
		now := c.now
		c.mu.Unlock()
		for _, s := range subs {
			s.runDue(now)
		}
	}
	c.mu.Lock()
	if target.After(c.now) {
		c.now = target
	}
	c.mu.Unlock()
}

// Sleep is [Clock.Advance] for code that sleeps: it moves the clock forward
// by d and returns at once, or returns ctx.Err() without moving it when ctx
// has ended. With it a *Clock is a webhooks.Clock, so a Refresher or a
// Client (webhooks.WithClock) can share the fake Jira's time: their waits
// pass instantly while deliveries, expiry and retries happen on the way.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

func (c *Clock) subscribe(s scheduler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs = append(c.subs, s)
}

func (c *Clock) unsubscribe(s scheduler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.subs {
		if x == s {
			c.subs = append(c.subs[:i:i], c.subs[i+1:]...)
			return
		}
	}
}
