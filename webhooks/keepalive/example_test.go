package keepalive_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

// An app declares the webhooks it wants on a site; the Refresher registers
// the missing ones, reports the ones Jira refuses, and keeps them alive.
// An app runs it with go r.Run(ctx); this example makes one pass with Sync.
func ExampleRefresher() {
	// An in-memory Jira site with the app installed. A real app builds its
	// client with webhooks.WithHTTPClient and an OAuth 2.0 or Connect
	// transport (see package auth).
	site := jiratest.NewServer()
	defer site.Close()
	app := site.AddOAuthApp("my-app", []byte("client-secret"))
	client, err := webhooks.NewClient(site.URL(), webhooks.WithHTTPClient(app.HTTPClient()))
	if err != nil {
		log.Fatal(err)
	}

	r := &keepalive.Refresher{
		Logger: slog.New(slog.DiscardHandler), // events are printed below
		OnEvent: func(e keepalive.Event) {
			switch e.Kind {
			case keepalive.Registered:
				fmt.Printf("registered %q\n", e.Declaration.Details.JQLFilter)
			case keepalive.Refused:
				fmt.Printf("refused %q: %v\n", e.Declaration.Details.JQLFilter, e.Errors)
			case keepalive.AtRisk, keepalive.Lost:
				// Page someone: webhooks are about to expire, or did.
			}
		},
	}
	const callback = "https://my-app.example.com/jira/events"
	err = r.AddSite("acme.atlassian.net", client,
		keepalive.Declaration{URL: callback, Details: webhooks.Details{
			Events:    []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated},
			JQLFilter: "project = ACME",
		}},
		keepalive.Declaration{URL: callback, Details: webhooks.Details{
			Events:    []webhooks.EventName{webhooks.CommentCreated},
			JQLFilter: "watchCount > 2", // not in the JQL subset of dynamic webhooks
		}},
	)
	if err != nil {
		log.Fatal(err)
	}

	if err := r.Sync(context.Background()); err != nil {
		log.Fatal(err)
	}
	st := r.Stats()
	fmt.Println("webhooks kept alive:", st.Sites[0].Webhooks)
	fmt.Println("calls: list", st.ListCalls, "register", st.RegisterCalls, "refresh", st.RefreshCalls)
	// Output:
	// registered "project = ACME"
	// refused "watchCount > 2": [The clause watchCount is unsupported]
	// webhooks kept alive: 1
	// calls: list 1 register 1 refresh 0
}
