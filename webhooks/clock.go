package webhooks

import (
	"context"
	"time"
)

// Clock is a source of time for a [Client]'s waits between retries,
// through [WithClock], and for the keep-alive loop (keepalive.Refresher's
// Clock). Tests give both one fake clock so that months pass in
// milliseconds; a *jiratest.Clock is one, and then the app and the fake
// Jira share one time. The real time is used when none is given.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx ends, in which case it returns
	// ctx.Err() (possibly early). keepalive.Refresher ends a sleep through
	// ctx when a site is added, so Sleep must honour ctx promptly.
	Sleep(ctx context.Context, d time.Duration) error
}
