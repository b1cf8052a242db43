package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := addDemoSites(r, "project = ACME", 50, time.Millisecond, cancel); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled at the end of the demo", err)
	}
	st := r.Stats()
	if len(st.Sites) != 3 {
		t.Fatalf("%d sites, want 3", len(st.Sites))
	}
	for _, s := range st.Sites {
		if s.Webhooks != 2 || s.Failures != 0 {
			t.Errorf("%s: %d webhooks, %d failures; want 2 and 0", s.Name, s.Webhooks, s.Failures)
		}
	}
	if len(lost) != 1 || lost[0].Site != "demo-site-2" {
		t.Errorf("lost events %+v, want one on demo-site-2", lost)
	}
	if len(refused) == 0 || refused[0].Site != "demo-site-3" {
		t.Errorf("refused events %+v, want demo-site-3's watchCount filter", refused)
	}
	if st.Registered != 7 { // 3 sites x 2, and the one deleted on day 40
		t.Errorf("%d webhooks registered, want 7", st.Registered)
	}
}
