package jiratest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
)

// The control API lets a test suite in any language drive the server over
// HTTP: here, move the fake clock by 30 days, as a Python or TypeScript
// test would with its own HTTP client.
func ExampleWithControlAPI() {
	jira := jiratest.NewServer(jiratest.WithControlAPI())
	defer jira.Close()
	start := jira.Now()

	resp, err := http.Post(jira.URL()+jiratest.ControlPrefix+"/clock/advance", "application/json",
		strings.NewReader(`{"duration": "720h"}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var clock struct{ Now time.Time }
	_ = json.NewDecoder(resp.Body).Decode(&clock)
	fmt.Println(resp.StatusCode, clock.Now.Sub(start), jira.Now().Equal(clock.Now))
	// Output: 200 720h0m0s true
}

// SampleEvent and Payload build the body Jira would send for an event,
// without a server, for example to post it to a receiver yourself.
func ExampleSampleEvent() {
	ev, err := jiratest.SampleEvent("jira:issue_updated", jiratest.Issue{Key: "ABC-7", Status: "Done"})
	if err != nil {
		panic(err)
	}
	body, _ := ev.Payload("https://your-domain.atlassian.net", time.UnixMilli(1767225600000), 10001)
	var v struct {
		WebhookEvent      string
		Timestamp         int64
		MatchedWebhookIDs []int64 `json:"matchedWebhookIds"`
		Issue             struct{ Key, Self string }
		Changelog         struct {
			Items []struct{ Field, FromString, ToString string }
		}
	}
	_ = json.Unmarshal(body, &v)
	fmt.Println(v.WebhookEvent, v.Timestamp, v.MatchedWebhookIDs, v.Issue.Key, v.Issue.Self)
	fmt.Println(v.Changelog.Items)
	// Output:
	// jira:issue_updated 1767225600000 [10001] ABC-7 https://your-domain.atlassian.net/rest/api/2/issue/10007
	// [{status To Do Done}]
}
