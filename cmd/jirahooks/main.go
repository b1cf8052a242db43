// Command jirahooks manages a Jira Cloud app's dynamic webhooks from the
// shell, and receives them locally while you develop.
//
// It covers the five calls of Jira's webhook API (what `jr webhook` offers)
// and adds a local receiver and the keep-alive loop:
//
//	jirahooks register  --body '{"url":"https://...","webhooks":[...]}'   (or @file, or - for stdin)
//	jirahooks list      [--max-results N] [--start-at N]
//	jirahooks delete    ID...
//	jirahooks refresh   ID... | --all
//	jirahooks failed    [--after TIME] [--cursor CURSOR]
//	jirahooks listen    --addr 127.0.0.1:8080 --client-secret ...
//	jirahooks keepalive --url ... --events ... --jql ...
//	jirahooks admin     list | get ID | create --name ... --url ... | delete ID...
//	jirahooks fake      [--addr 127.0.0.1:8080] [--seed N]   (an in-memory Jira site)
//	jirahooks trigger   EVENT --to URL [--secret S | --client-secret S | --shared-secret S --app-key K]
//
// Every command takes --json for output meant for scripts. Credentials come
// from flags or, better, the environment: JIRA_BASE_URL with
// JIRA_ACCESS_TOKEN (an OAuth 2.0 app), JIRA_APP_KEY and JIRA_SHARED_SECRET
// (a Connect app), or JIRA_EMAIL and JIRA_API_TOKEN (basic auth, which Jira
// accepts for admin webhooks only). Run `jirahooks help` for the details and
// the exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
