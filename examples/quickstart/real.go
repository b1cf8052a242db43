package main

// The quickstart against a real Jira site, run with -real.
// It runs the steps a real site allows: register, list, refresh, failed
// deliveries (Connect apps only) and clean up. Receiving needs a public URL
// Jira can reach, and 29 days cannot be simulated, so those steps are
// skipped. It deletes only the webhooks it registered.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/auth"
	"github.com/jirahooks/jirahooks/webhooks"
	"golang.org/x/oauth2"
)

func runReal(ctx context.Context, w io.Writer, getenv func(string) string) error {
	base := getenv("JIRA_BASE_URL")
	hookURL := getenv("JIRA_WEBHOOK_URL")
	if hookURL == "" {
		return errors.New("set JIRA_WEBHOOK_URL to a URL your app may register webhooks for (for a Connect app, under its base URL)")
	}
	var hc *http.Client
	connect := false
	switch {
	case getenv("JIRA_ACCESS_TOKEN") != "":
		hc = oauth2.NewClient(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: getenv("JIRA_ACCESS_TOKEN")}))
	case getenv("JIRA_APP_KEY") != "" && getenv("JIRA_SHARED_SECRET") != "":
		var err error
		hc, err = auth.Connect{AppKey: getenv("JIRA_APP_KEY"), SharedSecret: []byte(getenv("JIRA_SHARED_SECRET")), BaseURL: base}.Client()
		if err != nil {
			return err
		}
		connect = true
	default:
		return errors.New("set JIRA_ACCESS_TOKEN (OAuth 2.0 app; JIRA_BASE_URL https://api.atlassian.com/ex/jira/{cloudId}) or JIRA_APP_KEY and JIRA_SHARED_SECRET (Connect app)")
	}
	client, err := webhooks.NewClient(base, webhooks.WithHTTPClient(hc), webhooks.WithUserAgent("jirahooks-quickstart"))
	if err != nil {
		return err
	}
	rep := &report{w: w}
	fmt.Fprintf(w, "jirahooks quickstart against %s, delivering to %s\n", base, hookURL)

	rep.step("Register webhooks")
	want := []webhooks.Details{
		{Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = DEMO"},
		{Events: []webhooks.EventName{webhooks.CommentCreated}, JQLFilter: "project = DEMO AND status = Done"},
		{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "watchCount > 1"},
	}
	regs, err := client.Register(ctx, hookURL, want...)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	var mine []int64
	for i, r := range regs {
		what := fmt.Sprintf("%-40s %s", eventNames(want[i].Events), want[i].JQLFilter)
		if r.OK() {
			rep.note("%-8d %s", r.ID, what)
			mine = append(mine, r.ID)
		} else {
			rep.note("refused  %s", what)
			rep.note("         %s", strings.Join(r.Errors, "; "))
		}
	}
	// Whatever happens next, delete what was registered.
	defer func() {
		if len(mine) > 0 {
			_ = client.Delete(context.WithoutCancel(ctx), mine...)
		}
	}()
	if !rep.check(len(regs) == 3 && len(mine) == 2 && !regs[2].OK(), "Jira registered 2 and refused the unsupported JQL") {
		return rep.done()
	}

	rep.step("List the app's webhooks, two per page")
	listed, err := listByPages(ctx, client, 2, rep)
	if err != nil {
		return err
	}
	rep.check(slices.Contains(listed, mine[0]) && slices.Contains(listed, mine[1]), "both new webhooks are listed (%d in all)", len(listed))

	rep.step("Receive an event")
	rep.note("skipped: needs Jira to reach %s; run the embedded demo, or 'jirahooks listen' behind a tunnel", hookURL)

	rep.step("Refresh")
	exp, err := client.Refresh(ctx, mine...)
	if err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	left := time.Until(exp)
	rep.check(left > 29*day && left < 31*day, "refreshed %s: they expire at %s", ids(mine), exp.Format(time.RFC3339))

	rep.step("Failed deliveries")
	if !connect {
		rep.note("skipped: Jira lists failed deliveries to Connect apps only")
	} else {
		p := client.ListFailed(nil)
		n := 0
		for _, err := range p.All(ctx) {
			if err != nil {
				return fmt.Errorf("list failed: %w", err)
			}
			n++
		}
		rep.check(true, "%d failed deliveries in the last 72 hours; resume cursor %s", n, p.Cursor())
	}

	rep.step("Clean up")
	err = client.Delete(ctx, mine...)
	if rep.check(err == nil, "deleted %s", ids(mine)) {
		mine = nil
	}
	return rep.done()
}
