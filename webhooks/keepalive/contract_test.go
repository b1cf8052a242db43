package keepalive_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

// The public API of the keep-alive loop, which apps and the rest of this
// repository (the CLI, stores/redis's Lease) are written against. This file
// stops compiling if one of them changes.
var (
	_ func(*keepalive.Refresher, string, keepalive.Client, ...keepalive.Declaration) error = (*keepalive.Refresher).AddSite
	_ func(*keepalive.Refresher, string) bool                                              = (*keepalive.Refresher).RemoveSite
	_ func(*keepalive.Refresher, context.Context) error                                    = (*keepalive.Refresher).Run
	_ func(*keepalive.Refresher, context.Context) error                                    = (*keepalive.Refresher).Sync
	_ func(*keepalive.Refresher) keepalive.Stats                                           = (*keepalive.Refresher).Stats

	// The client and jiratest's clock fit what the Refresher takes.
	_ keepalive.Client = (*webhooks.Client)(nil)
	_ webhooks.Clock   = (*jiratest.Clock)(nil)
	// Lease.Run takes a func(context.Context) error: Run is one.
	_ func(context.Context) error = (&keepalive.Refresher{}).Run
	_ error                       = keepalive.ErrRunning
)

// TestContractFields builds a Refresher and an Event from the fields apps
// set and read.
func TestContractFields(t *testing.T) {
	t.Parallel()
	r := &keepalive.Refresher{
		Margin: keepalive.DefaultMargin, Jitter: keepalive.DefaultJitter, RiskThreshold: keepalive.DefaultRiskThreshold,
		MaxBackoff: keepalive.DefaultMaxBackoff, BatchSize: keepalive.DefaultBatchSize, Concurrency: keepalive.DefaultConcurrency,
		Clock: jiratest.NewClock(time.Now()), OnEvent: func(keepalive.Event) {},
	}
	assert.Empty(t, r.Stats().Sites)
	e := keepalive.Event{Kind: keepalive.Refreshed, Site: "s", IDs: []int64{1},
		Declaration: &keepalive.Declaration{URL: "u", Details: webhooks.Details{JQLFilter: "project = A"}}}
	assert.Equal(t, "refreshed", e.Kind.String())
	for k, name := range map[keepalive.EventKind]string{
		keepalive.Registered: "registered", keepalive.Refused: "refused", keepalive.Deduplicated: "deduplicated",
		keepalive.Lost: "lost", keepalive.Failed: "failed", keepalive.AtRisk: "at-risk", keepalive.EventKind(99): "EventKind(99)",
	} {
		assert.Equal(t, name, k.String())
	}
}
