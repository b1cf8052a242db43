package jiratest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()

	b.Run("baseline=Server.Emit", func(b *testing.B) {
		for b.Loop() {
			ev, _ := jiratest.SampleEvent("jira:issue_updated", jiratest.Issue{Key: "PRJ-1"})
			if len(s.Emit(ev)) != 1 {
				b.Fatal("not delivered")
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
				b.Fatal(err, resp)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			s.ResetLogs()
		}
	})
}
