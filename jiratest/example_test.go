package jiratest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
)

// A test of an OAuth 2.0 app against an in-memory Jira: register a webhook,
// have Jira deliver an event to the app's receiver, and watch the webhook
// expire when nobody refreshes it.
func Example() {
	// The app's webhook receiver (in a real test: your handler).
	got := make(chan string, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			WebhookEvent      string  `json:"webhookEvent"`
			MatchedWebhookIDs []int64 `json:"matchedWebhookIds"`
			Issue             struct{ Key string }
		}
		_ = json.Unmarshal(body, &ev)
		got <- fmt.Sprintf("%s %s %v retry=%s", ev.WebhookEvent, ev.Issue.Key, ev.MatchedWebhookIDs,
			r.Header.Get("X-Atlassian-Webhook-Retry"))
	}))
	defer receiver.Close()

	// The Jira site and the app installed on it.
	jira := jiratest.NewServer()
	defer jira.Close()
	app := jira.AddOAuthApp("my-client-id", []byte("my-client-secret"))
	client := app.HTTPClient() // sends "Authorization: Bearer <token>"

	// Register a webhook, as your code would.
	resp, err := client.Post(jira.URL()+"/rest/api/3/webhook", "application/json", strings.NewReader(`{
		"url": "`+receiver.URL+`",
		"webhooks": [
			{"events": ["jira:issue_created"], "jqlFilter": "project = PRJ"},
			{"events": ["jira:issue_created"], "jqlFilter": "watchCount > 1"}
		]}`))
	if err != nil {
		panic(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(answer))

	// Something happens in Jira.
	jira.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-1", Summary: "Crash on start"}))
	fmt.Println(<-got)

	// Thirty days later, unrefreshed, the webhook is gone.
	jira.Advance(30 * 24 * time.Hour)
	fmt.Println(len(jira.Webhooks(app)), "webhooks left")
	// Output:
	// 200 {"webhookRegistrationResult":[{"createdWebhookId":10000},{"errors":["The clause watchCount is unsupported"]}]}
	// jira:issue_created PRJ-1 [10000] retry=0
	// 0 webhooks left
}
