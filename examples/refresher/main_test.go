package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

// TestDemo runs the demo's 50 simulated days at a millisecond a day: every
// site gets its webhooks, the one deleted on day 40 is noticed and
// registered again, and the unsupported JQL is refused.
func TestDemo(t *testing.T) {
	var lost, refused []keepalive.Event
	r := &keepalive.Refresher{
		Logger: slog.New(slog.DiscardHandler),
		OnEvent: func(e keepalive.Event) {
			switch e.Kind {
			case keepalive.Lost:
				lost = append(lost, e)
			case keepalive.Refused:
				refused = append(refused, e)
			}
		},
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	require.NoError(t, addDemoSites(r, "project = ACME", 50, time.Millisecond, cancel))
	require.ErrorIs(t, r.Run(ctx), context.Canceled, "Run: want context.Canceled at the end of the demo")
	st := r.Stats()
	require.Len(t, st.Sites, 3, "sites")
	for _, s := range st.Sites {
		assert.Equal(t, 2, s.Webhooks, "%s: webhooks", s.Name)
		assert.Equal(t, 0, s.Failures, "%s: failures", s.Name)
	}
	if assert.Len(t, lost, 1, "lost events %+v, want one on demo-site-2", lost) {
		assert.Equal(t, "demo-site-2", lost[0].Site, "lost events")
	}
	if assert.NotEmpty(t, refused, "refused events: want demo-site-3's watchCount filter") {
		assert.Equal(t, "demo-site-3", refused[0].Site, "refused events %+v, want demo-site-3's watchCount filter", refused)
	}
	assert.Equal(t, int64(7), st.Registered, "webhooks registered") // 3 sites x 2, and the one deleted on day 40
}
