// Command quickstart shows the whole jirahooks library at work in one run,
// with no Jira account: it starts an in-memory Jira (package jiratest) and a
// webhook receiver, then
//
//  1. registers webhooks, one of which Jira refuses for its JQL;
//  2. pages through them;
//  3. receives a signed event in the built-in handler, and refuses a forged
//     one;
//  4. lets 29 simulated days pass while the Refresher keeps the webhooks
//     alive, next to one left without it, which Jira deletes;
//  5. reads the deliveries Jira gave up on while the receiver was down,
//     and replays them;
//  6. cleans up.
//
// Every step checks its outcome; the exit status is 0 only if all of them
// behaved as they should.
//
//	go run ./examples/quickstart
//
// With JIRA_BASE_URL set, it runs the steps that make sense on a real site
// instead (see real.go): set JIRA_ACCESS_TOKEN (OAuth 2.0 app) or
// JIRA_APP_KEY and JIRA_SHARED_SECRET (Connect app), and JIRA_WEBHOOK_URL,
// a URL the app may register webhooks for.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintf(os.Stderr, "quickstart: %v\n", err)
		stop()
		os.Exit(1)
	}
}

// run runs the demo, writing its report to w, and returns an error if any
// step did not behave as it should. With JIRA_BASE_URL in the environment
// it runs against that site; otherwise on an in-memory Jira.
func run(ctx context.Context, w io.Writer, getenv func(string) string) error {
	if getenv("JIRA_BASE_URL") != "" {
		return runReal(ctx, w, getenv)
	}
	return runDemo(ctx, w)
}
