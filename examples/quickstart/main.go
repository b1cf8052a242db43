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
// With -real, it runs the steps that make sense on a real site instead
// (see real.go), on the site JIRA_BASE_URL names: set JIRA_ACCESS_TOKEN
// (OAuth 2.0 app) or JIRA_APP_KEY and JIRA_SHARED_SECRET (Connect app), and
// JIRA_WEBHOOK_URL, a URL the app may register webhooks for. Without -real
// it never leaves the machine, whatever the environment holds.
//
//	go run ./examples/quickstart -real
//
// Exit status: 0 if every check passed, 1 if one failed, 2 for a usage
// error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:], os.Getenv)
	switch {
	case err == nil:
		return
	case errors.Is(err, flag.ErrHelp):
		stop()
		os.Exit(0)
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "quickstart: %v\n", err)
		stop()
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "quickstart: %v\n", err)
		stop()
		os.Exit(1)
	}
}

// errUsage marks a mistake on the command line (exit status 2).
var errUsage = errors.New("usage")

// run runs the demo, writing its report to stdout, and returns an error if
// any step did not behave as it should. With -real among args it runs
// against the site in JIRA_BASE_URL; otherwise on an in-memory Jira.
func run(ctx context.Context, stdout, stderr io.Writer, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	realSite := fs.Bool("real", false, "run against the real site in JIRA_BASE_URL instead of an in-memory Jira")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (the only flag is -real)", errUsage, fs.Arg(0))
	}
	if !*realSite {
		if getenv("JIRA_BASE_URL") != "" {
			fmt.Fprintln(stderr, "quickstart: JIRA_BASE_URL is set, but this is the in-memory demo; add -real to run against that site")
		}
		return runDemo(ctx, stdout)
	}
	if getenv("JIRA_BASE_URL") == "" {
		return fmt.Errorf("%w: -real needs JIRA_BASE_URL, the site to run against (https://your-domain.atlassian.net, or https://api.atlassian.com/ex/jira/{cloudId} for an OAuth 2.0 app)", errUsage)
	}
	return runReal(ctx, stdout, getenv)
}
