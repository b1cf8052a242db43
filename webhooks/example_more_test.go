package webhooks_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

// xmSite returns an in-memory Jira with an OAuth app, a client for it, and
// the IDs of two webhooks registered by it. A real app builds its client
// with an OAuth 2.0 or Connect transport from package auth.
func xmSite() (*jiratest.Server, *webhooks.Client, []int64) {
	jira := jiratest.NewServer()
	app := jira.AddOAuthApp("example-app", []byte("client-secret"))
	client, err := webhooks.NewClient(jira.URL(), webhooks.WithHTTPClient(app.HTTPClient()))
	if err != nil {
		log.Fatal(err)
	}
	regs, err := client.Register(context.Background(), "https://app.example.com/jira/events",
		webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = ABC"},
		webhooks.Details{Events: []webhooks.EventName{webhooks.CommentCreated}, JQLFilter: "project = ABC"},
	)
	if err != nil {
		log.Fatal(err)
	}
	return jira, client, []int64{regs[0].ID, regs[1].ID}
}

// Jira deletes a webhook 30 days after its registration or last refresh.
// Refresh moves the expiry 30 days from now; keepalive.Refresher calls it
// for you when due.
func ExampleClient_Refresh() {
	jira, client, ids := xmSite()
	defer jira.Close()
	ctx := context.Background()

	jira.Advance(25 * 24 * time.Hour) // 25 days later, 5 to go
	expiry, err := client.Refresh(ctx, ids...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("refreshed %v: they expire in %.0f days\n", ids, expiry.Sub(jira.Now()).Hours()/24)
	// Output:
	// refreshed [10000 10001]: they expire in 30 days
}

// Delete removes the app's webhooks by ID. IDs of other apps' webhooks are
// ignored, as Jira ignores them.
func ExampleClient_Delete() {
	jira, client, ids := xmSite()
	defer jira.Close()
	ctx := context.Background()

	if err := client.Delete(ctx, ids[0]); err != nil {
		log.Fatal(err)
	}
	for w, err := range client.List(nil).All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("left:", w.ID, w.Events)
	}
	// Output:
	// left: 10001 [comment_created]
}

// An OAuth 2.0 app receives deliveries with "Authorization: Bearer <JWT>",
// signed with its client secret.
func ExampleOAuthJWT() {
	clientSecret := []byte("the-app-client-secret")
	h := webhooks.NewHandler(webhooks.OAuthJWT(clientSecret))
	h.OnAny(func(ctx context.Context, e *webhooks.Event) error {
		fmt.Println("verified:", e.Name, e.Issue.Key)
		return nil
	})

	for _, secret := range []string{"the-app-client-secret", "a guess"} {
		req := webhookstest.NewRequest("/jira/events", webhookstest.Payload("issue_updated"),
			webhookstest.OAuth{ClientSecret: []byte(secret)})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// verified: jira:issue_updated PAY-142
	// 200
	// 401
}

// Jira delivers at least once: it retries when an answer is late or lost,
// with the same X-Atlassian-Webhook-Identifier. Handlers that share a
// DedupeStore (the replicas of an app, with a store in Redis or a
// database) call back once per delivery.
func ExampleWithDedupeStore() {
	secret := []byte("It's a Secret to Everybody")
	shared := webhooks.NewMemoryStore(time.Hour, 10000)
	calls := 0
	var replicas []*webhooks.Handler
	for range 2 {
		h := webhooks.NewHandler(webhooks.HubSignature(secret), webhooks.WithDedupeStore(shared))
		h.OnAny(func(context.Context, *webhooks.Event) error { calls++; return nil })
		replicas = append(replicas, h)
	}

	// The first attempt reaches one replica, Jira's retry the other.
	for retry, h := range replicas {
		req := webhookstest.NewRequest("/jira/events", webhookstest.Payload("issue_updated"), webhookstest.Hub{Secret: secret})
		webhookstest.SetDelivery(req, "delivery-7", retry)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println("attempt", retry+1, "answered", rec.Code)
	}
	fmt.Println("callbacks:", calls)
	// Output:
	// attempt 1 answered 200
	// attempt 2 answered 200
	// callbacks: 1
}
