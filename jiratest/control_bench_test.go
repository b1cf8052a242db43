package jiratest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
)

// BenchmarkEmit compares emitting one delivered event through the control
// API (what a non-Go suite pays) with the baseline, Server.Emit.
func BenchmarkEmit(b *testing.B) {
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer recv.Close()
	s := jiratest.NewServer(jiratest.WithControlAPI())
	defer s.Close()
	app := s.AddOAuthApp("app", []byte("secret"))
	body := `{"url": "` + recv.URL + `", "webhooks": [{"events": ["jira:issue_updated"], "jqlFilter": "project = PRJ"}]}`
	resp, err := app.HTTPClient().Post(s.URL()+"/rest/api/3/webhook", "application/json", strings.NewReader(body))
	require.NoError(b, err, "registering the webhook")
	resp.Body.Close()
	require.Equal(b, http.StatusOK, resp.StatusCode, "registering the webhook: %s", resp.Status)

	// The checks inside the timed loops stay behind a plain if and call
	// require only once they have failed: require marks itself a test helper
	// on every call, a cost the loops would otherwise measure.

	b.Run("baseline=Server.Emit", func(b *testing.B) {
		for b.Loop() {
			ev, _ := jiratest.SampleEvent("jira:issue_updated", jiratest.Issue{Key: "PRJ-1"})
			if got := s.Emit(ev); len(got) != 1 {
				require.Len(b, got, 1, "deliveries of Server.Emit")
			}
			s.ResetLogs() // both loops keep memory flat
		}
	})
	b.Run("control-api", func(b *testing.B) {
		c := s.Client()
		for b.Loop() {
			resp, err := c.Post(s.URL()+jiratest.ControlPrefix+"/events", "application/json",
				strings.NewReader(`{"event": "jira:issue_updated", "issueKey": "PRJ-1"}`))
			if err != nil || resp.StatusCode != http.StatusOK {
				require.NoError(b, err, "POST events")
				require.Equal(b, http.StatusOK, resp.StatusCode, "POST events: %s", resp.Status)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			s.ResetLogs()
		}
	})
}
