package jiratest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

// Jira retries a delivery the receiver fails (5xx, 429, a dropped
// connection) a few times, minutes apart, and then lists it as failed.
// On the fake clock an hour of retries takes no time.
func ExampleServer_Failed() {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()

	jira := jiratest.NewServer()
	defer jira.Close()
	app := jira.AddConnectApp("my-connect-app", []byte("shared-secret"))
	client, err := webhooks.NewClient(jira.URL(), webhooks.WithHTTPClient(app.HTTPClient()))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.Register(ctx, down.URL, webhooks.Details{
		Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = PRJ",
	}); err != nil {
		log.Fatal(err)
	}

	jira.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-9"}))
	fmt.Println("waiting for a retry:", jira.Pending())
	jira.Advance(3 * time.Hour)
	fmt.Println("attempts:", len(jira.Deliveries()), "waiting:", jira.Pending())

	for f, err := range client.ListFailed(nil).All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("failed:", f.ID == jira.Deliveries()[0].ID)
	}
	// Output:
	// waiting for a retry: 1
	// attempts: 6 waiting: 0
	// failed: true
}

// Faults make the site answer like a busy Jira: here one 503, which the
// client retries.
func ExampleServer_ScriptFaults() {
	jira := jiratest.NewServer()
	defer jira.Close()
	app := jira.AddOAuthApp("my-app", []byte("client-secret"))
	client, err := webhooks.NewClient(jira.URL(), webhooks.WithHTTPClient(app.HTTPClient()),
		webhooks.WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}

	jira.ScriptFaults(jiratest.EndpointList, jiratest.Fault503)
	for _, err := range client.List(nil).All(context.Background()) {
		if err != nil {
			log.Fatal(err)
		}
	}
	for _, r := range jira.Requests() {
		fmt.Println(r.Method, r.Path, r.Status)
	}
	// Output:
	// GET /rest/api/3/webhook 503
	// GET /rest/api/3/webhook 200
}
