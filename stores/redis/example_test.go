package redisstore_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jirahooks/jirahooks/auth"
	redisstore "github.com/jirahooks/jirahooks/stores/redis"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

// An app running several replicas shares its receiver's duplicate
// detection, its OAuth tokens and its refresher through one Redis.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()

	// Receiving: a delivery retried on another replica is recognised.
	h := webhooks.NewHandler(webhooks.OAuthJWT([]byte("client-secret")),
		webhooks.WithDedupeStore(redisstore.NewDedupeStore(rdb, nil)))
	h.On(webhooks.IssueUpdated, func(ctx context.Context, e *webhooks.Event) error {
		log.Printf("%s updated", e.Issue.Key)
		return nil
	})
	http.Handle("/jira/events", h)

	// Calling Jira: one replica at a time refreshes the rotating token.
	cfg := auth.NewConfig("client-id", "client-secret", "https://app.example.com/callback")
	tokens := auth.NewTokenSource(cfg, redisstore.NewTokenStore(rdb, nil), "site:acme")
	client, err := webhooks.NewClient("https://api.atlassian.com/ex/jira/11223344-a1b2-3b33-c444-def123456789",
		webhooks.WithHTTPClient(tokens.Client()))
	if err != nil {
		log.Fatal(err)
	}

	// Keeping webhooks alive: one replica at a time runs the Refresher; if
	// it dies, another takes over within about 30 seconds.
	refresher := &keepalive.Refresher{}
	if err := refresher.AddSite("acme", client); err != nil {
		log.Fatal(err)
	}
	lease := redisstore.NewLease(rdb, "refresher", nil)
	go func() {
		if err := lease.Run(ctx, refresher.Run); err != nil && ctx.Err() == nil {
			log.Print(err)
		}
	}()

	srv := &http.Server{Addr: ":8080", ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
