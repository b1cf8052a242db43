package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jirahooks/jirahooks/auth"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

const (
	day       = 24 * time.Hour
	appKey    = "com.example.quickstart" // our Connect app
	clientKey = "acme-site-installation" // its installation on the site
)

// runDemo runs the six steps on an in-memory Jira.
func runDemo(ctx context.Context, w io.Writer) error {
	rep := &report{w: w}

	// An in-memory Jira Cloud site with our Connect app installed. Jira
	// gave the installation a shared secret: the app signs its API calls
	// with it, and Jira signs deliveries to the app with it.
	jira := jiratest.NewServer()
	defer jira.Close()
	sharedSecret := []byte(rand.Text())
	jira.AddConnectApp(appKey, sharedSecret, jiratest.WithClientKey(clientKey))
	start := jira.Now()
	dayOf := func(t time.Time) int { return int(t.Sub(start) / day) }

	// The app: a receiver for deliveries, and a client for the webhook API.
	rc := newReceiver(clientKey, sharedSecret)
	hookURL, stop, err := rc.serve()
	if err != nil {
		return err
	}
	defer stop()
	hc, err := auth.Connect{AppKey: appKey, SharedSecret: sharedSecret, BaseURL: jira.URL()}.Client()
	if err != nil {
		return err
	}
	client, err := webhooks.NewClient(jira.URL(), webhooks.WithHTTPClient(hc))
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "jirahooks quickstart: an in-memory Jira at %s\n", jira.URL())
	fmt.Fprintf(w, "and our app's webhook receiver at %s\n", hookURL)

	// 1. Register.
	rep.step("Register webhooks (POST /rest/api/3/webhook)")
	want := []webhooks.Details{
		{Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = DEMO"},
		{Events: []webhooks.EventName{webhooks.CommentCreated}, JQLFilter: "project = DEMO AND status = Done"},
		{Events: []webhooks.EventName{webhooks.IssueDeleted}, JQLFilter: "project = DEMO"},
		{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "watchCount > 1"},
	}
	regs, err := client.Register(ctx, hookURL, want...)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	var live []int64 // registered webhook IDs
	for i, r := range regs {
		what := fmt.Sprintf("%-40s %s", eventNames(want[i].Events), want[i].JQLFilter)
		switch {
		case !r.OK():
			rep.note("refused  %s", what)
			rep.note("         %s", strings.Join(r.Errors, "; "))
		case i == 2:
			rep.note("%-8d %s   (no Refresher for this one: see step 4)", r.ID, what)
		default:
			rep.note("%-8d %s", r.ID, what)
		}
		if r.OK() {
			live = append(live, r.ID)
		}
	}
	if !rep.check(len(regs) == 4 && len(live) == 3 && !regs[3].OK(), "Jira registered 3 and refused 1: dynamic webhooks support only a subset of JQL") {
		return rep.done()
	}
	kept, unkept := live[:2], live[2] // the Refresher will look after kept only

	// 2. List, two per page.
	rep.step("List them, two per page (GET /rest/api/3/webhook)")
	listed, err := listByPages(ctx, client, 2, rep)
	if err != nil {
		return err
	}
	rep.check(slices.Equal(listed, live), "%d webhooks on %d pages, every one expiring on day 30 unless refreshed", len(listed), (len(listed)+1)/2)

	// 3. Receive.
	rep.step("Receive a signed event in webhooks.Handler")
	sent := jira.Emit(jiratest.IssueEvent("jira:issue_created",
		jiratest.Issue{Key: "DEMO-7", Summary: "Checkout button does nothing on Safari"}))
	got := rc.received()
	if rep.check(len(sent) == 1 && sent[0].OK() && len(got) == 1, "Jira delivered jira:issue_created; the handler answered %d", status(sent)) {
		ev := got[0]
		rep.check(ev.Name == webhooks.IssueCreated && ev.Issue != nil && ev.Issue.Key == "DEMO-7" &&
			ev.Delivery.Tenant == clientKey && slices.Equal(ev.MatchedWebhookIDs, live[:1]),
			"Connect JWT verified (tenant %s): %s %q, matched webhook %s",
			ev.Delivery.Tenant, issueKey(ev), issueSummary(ev), ids(ev.MatchedWebhookIDs))
	}
	other := jira.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "OPS-1"}))
	rep.check(len(other) == 0, "OPS-1 was created too; no webhook's JQL matches it, so Jira sent nothing")
	code, err := forge(ctx, hookURL)
	rep.check(err == nil && code == http.StatusUnauthorized && len(rc.received()) == 1,
		"a forged delivery (signed with a guessed secret) was refused: %d, no callback", code)

	// 4. Keep alive for 29 days.
	rep.step("Let 29 simulated days pass with a keepalive.Refresher running")
	refreshed, err := keepAlive(ctx, jira, client, hookURL, want[:2], start.Add(29*day))
	if err != nil {
		return err
	}
	if rep.check(len(refreshed) == 1 && slices.Equal(refreshed[0].IDs, kept),
		"day %d: the Refresher refreshed %s in one call", dayOf(firstTime(refreshed)), ids(kept)) {
		rep.note("(Jira deletes webhooks 30 days after registration or the last refresh)")
	}
	expiry, err := expiries(ctx, client)
	if err != nil {
		return err
	}
	rep.check(dayOf(expiry[kept[0]]) == 57 && dayOf(expiry[kept[1]]) == 57,
		"day 29: %s now expire on day %d", ids(kept), dayOf(expiry[kept[0]]))
	rep.check(dayOf(expiry[unkept]) == 30,
		"day 29: %d, left without the Refresher, expires on day %d", unkept, dayOf(expiry[unkept]))
	jira.Advance(day)
	expiry, err = expiries(ctx, client)
	if err != nil {
		return err
	}
	_, unkeptLeft := expiry[unkept]
	rep.check(!unkeptLeft && len(expiry) == 2,
		"day 30: Jira deleted %d without a word; %s live on", unkept, ids(kept))

	// 5. Failed deliveries.
	rep.step("Read the deliveries Jira gave up on (GET /rest/api/3/webhook/failed)")
	rc.down.Store(true)
	first := jira.Emit(jiratest.IssueEvent("jira:issue_updated",
		jiratest.Issue{Key: "DEMO-7", Status: "In Progress"}).Change("status", "To Do", "In Progress"))
	jira.Advance(3 * time.Hour) // Jira retries a few times, minutes apart, then gives up
	rc.down.Store(false)
	attempts := attemptsOf(jira, first)
	if len(attempts) > 0 {
		last := attempts[len(attempts)-1]
		rep.check(last.Final && !last.OK(), "our receiver was down (503): Jira tried %d times over %d minutes, then gave up",
			len(attempts), int(last.Time.Sub(attempts[0].Time).Minutes()))
	} else {
		rep.check(false, "Jira delivered jira:issue_updated")
	}
	failed := client.ListFailed(nil)
	var failures []webhooks.FailedWebhook
	for f, err := range failed.All(ctx) {
		if err != nil {
			return fmt.Errorf("list failed: %w", err)
		}
		failures = append(failures, f)
	}
	cursor := failed.Cursor()
	if !rep.check(len(failures) == 1 && len(first) == 1 && failures[0].ID == first[0].ID,
		"Jira lists %d failed deliver%s, identified as the delivery was", len(failures), map[bool]string{true: "y", false: "ies"}[len(failures) == 1]) {
		return rep.done()
	}
	f := failures[0]
	rep.note("delivery %s: %s, failed on day %d", f.ID, eventOf(f.Body), dayOf(f.FailureTime))
	before := len(rc.received())
	replayErr := rc.replayFailed(ctx, f)
	after := rc.received()
	if rep.check(replayErr == nil && len(after) == before+1, "replayed into the handler (Handler.Replay)") {
		ev := after[len(after)-1]
		rep.note("%s %s: %s", ev.Name, issueKey(ev), changes(ev))
	} else if replayErr != nil {
		rep.note("%v", replayErr)
	}
	replayErr = rc.replayFailed(ctx, f)
	rep.check(errors.Is(replayErr, webhooks.ErrDuplicate) && len(rc.received()) == before+1,
		"replayed again: dropped as a duplicate (same X-Atlassian-Webhook-Identifier)")
	var newer int
	for _, err := range client.ListFailed(&webhooks.FailedOptions{Cursor: cursor}).All(ctx) {
		if err != nil {
			return fmt.Errorf("list failed: %w", err)
		}
		newer++
	}
	rep.check(newer == 0, "listing again from the saved cursor: nothing new")

	// 6. Clean up.
	rep.step("Clean up (DELETE /rest/api/3/webhook)")
	if err := client.Delete(ctx, kept...); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	left, err := expiries(ctx, client)
	if err != nil {
		return err
	}
	rep.check(len(left) == 0, "deleted %s; the app has no webhooks left", ids(kept))

	if err := rep.done(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Next: read examples/quickstart/demo.go, then README.md; 'go run ./cmd/jirahooks help' for the CLI.")
	return nil
}

// keepAlive runs a Refresher for the declared webhooks on a simulated clock
// until the site's time reaches until, and returns its refresh events.
func keepAlive(ctx context.Context, jira *jiratest.Server, client *webhooks.Client,
	url string, want []webhooks.Details, until time.Time) ([]keepalive.Event, error) {
	var mu sync.Mutex
	var refreshed []keepalive.Event
	clock := &simClock{Clock: jira.Clock(), until: until, reached: make(chan struct{})}
	r := &keepalive.Refresher{
		Clock:  clock,
		Jitter: -1, // no random jitter: the same output on every run
		Logger: slog.New(slog.DiscardHandler),
		OnEvent: func(e keepalive.Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Kind == keepalive.Refreshed {
				refreshed = append(refreshed, e)
			}
		},
	}
	decls := make([]keepalive.Declaration, len(want))
	for i, d := range want {
		decls[i] = keepalive.Declaration{URL: url, Details: d}
	}
	if err := r.AddSite("acme", client, decls...); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	select {
	case <-clock.reached:
	case err := <-done:
		return nil, fmt.Errorf("refresher stopped early: %w", err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("refresher: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	return refreshed, nil
}

// simClock is the Refresher's clock in the demo: sleeping moves the
// simulated time of the site forward, up to until, where the sleeper waits
// for the end.
type simClock struct {
	*jiratest.Clock
	until   time.Time
	once    sync.Once
	reached chan struct{} // closed when the time reaches until
}

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if wake := c.Now().Add(d); wake.After(c.until) {
		c.Advance(c.until.Sub(c.Now()))
		c.once.Do(func() { close(c.reached) })
		<-ctx.Done()
		return ctx.Err()
	}
	c.Advance(d)
	return nil
}

// forge posts a delivery signed with a wrong secret and returns the status.
func forge(ctx context.Context, url string) (int, error) {
	req, err := webhookstest.NewClientRequest(url, webhookstest.Payload("issue_updated"),
		webhookstest.Connect{ClientKey: clientKey, SharedSecret: []byte("guessed")})
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// expiries lists the app's webhooks: their expiry by ID.
func expiries(ctx context.Context, c *webhooks.Client) (map[int64]time.Time, error) {
	out := map[int64]time.Time{}
	for h, err := range c.List(nil).All(ctx) {
		if err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		out[h.ID] = h.ExpirationDate
	}
	return out, nil
}

// attemptsOf returns every attempt of the first delivery in first.
func attemptsOf(jira *jiratest.Server, first []jiratest.Delivery) []jiratest.Delivery {
	if len(first) == 0 {
		return nil
	}
	var out []jiratest.Delivery
	for _, d := range jira.Deliveries() {
		if d.ID == first[0].ID {
			out = append(out, d)
		}
	}
	return out
}

func status(ds []jiratest.Delivery) int {
	if len(ds) == 0 {
		return 0
	}
	return ds[0].Status
}

func firstTime(evs []keepalive.Event) time.Time {
	if len(evs) == 0 {
		return time.Time{}
	}
	return evs[0].Time
}

func eventNames(evs []webhooks.EventName) string {
	s := make([]string, len(evs))
	for i, e := range evs {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}

func eventOf(body string) webhooks.EventName {
	ev, err := webhooks.ParseEvent([]byte(body))
	if err != nil {
		return "(not an event)"
	}
	return ev.Name
}

func issueKey(ev *webhooks.Event) string {
	if ev.Issue == nil {
		return "-"
	}
	return ev.Issue.Key
}

func issueSummary(ev *webhooks.Event) string {
	if ev.Issue == nil {
		return ""
	}
	return ev.Issue.Fields.Summary
}

// changes describes an update's changelog, as "status To Do → In Progress".
func changes(ev *webhooks.Event) string {
	if ev.Changelog == nil || len(ev.Changelog.Items) == 0 {
		return "no changes"
	}
	var s []string
	for _, it := range ev.Changelog.Items {
		s = append(s, fmt.Sprintf("%s %s → %s", it.Field, it.FromString, it.ToString))
	}
	return strings.Join(s, ", ")
}
