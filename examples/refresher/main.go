// Command refresher is a small app that embeds a keepalive.Refresher: it
// declares the dynamic webhooks it wants on every Jira site it is installed
// on, runs the Refresher in the background so that they never expire, logs
// its events, and serves its counters as JSON on /status.
//
// By default it runs on three in-memory Jira sites (package jiratest) whose
// clock runs fast, a simulated day every 50ms: within seconds you see the
// webhooks registered, refreshed about every 27 days, a webhook that "Jira"
// deletes on day 40 registered again, and a declaration Jira refuses:
//
//	go run ./examples/refresher
//	go run ./examples/refresher -days 365 -day 10ms
//
// On real sites it uses the OAuth 2.0 grant stored by examples/oauth3lo
// (same -dir and -key) and keeps the webhooks alive on every site the grant
// covers, until interrupted:
//
//	export JIRA_CLIENT_ID=... JIRA_CLIENT_SECRET=...
//	export JIRA_WEBHOOK_URL=https://your-app.example.com/jira/events
//	go run ./examples/refresher -jql 'project = ACME'
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jirahooks/jirahooks/auth"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address of the status server (GET /status)")
	jql := flag.String("jql", "project = ACME", "JQL filter of the declared webhooks")
	days := flag.Int("days", 120, "demo: simulated days to run")
	dayLen := flag.Duration("day", 50*time.Millisecond, "demo: real time per simulated day")
	dir := flag.String("dir", defaultDir(), "real sites: directory of the token store of examples/oauth3lo")
	key := flag.String("key", "default", "real sites: key of the grant in the token store")
	flag.Parse()
	log.SetFlags(0)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	r := &keepalive.Refresher{
		Logger: logger,
		// Alerts: a real app pages someone here.
		OnEvent: func(e keepalive.Event) {
			if e.Kind == keepalive.AtRisk || e.Kind == keepalive.Lost {
				fmt.Fprintf(os.Stderr, "ALERT %s on %s\n", e.Kind, e.Site)
			}
		},
	}

	var err error
	if os.Getenv("JIRA_CLIENT_ID") != "" {
		err = addRealSites(ctx, r, *dir, *key, *jql)
	} else {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		err = addDemoSites(r, *jql, *days, *dayLen, cancel)
	}
	if err != nil {
		log.Fatal(err)
	}

	// The app's own server: here only /status; a real app also mounts its
	// webhooks.Handler for the deliveries.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(r.Stats())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	logger.Info("status server", "url", "http://"+ln.Addr().String()+"/status")

	// The Refresher runs beside the app until the app stops.
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	<-ctx.Done()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		log.Print(err)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)

	st := r.Stats()
	fmt.Printf("calls: %d list, %d register, %d refresh, %d delete; %d syncs, %d failed; %d registered, %d refused, %d lost\n",
		st.ListCalls, st.RegisterCalls, st.RefreshCalls, st.DeleteCalls, st.Syncs, st.Failures, st.Registered, st.Refused, st.Lost)
	for _, s := range st.Sites {
		fmt.Printf("%s: %d webhooks, expiring %s, next sync %s\n", s.Name, s.Webhooks,
			s.EarliestExpiry.Format(time.DateTime), s.NextDue.Format(time.DateTime))
	}
}

// declarations are the webhooks the app wants on each site, delivered to
// url.
func declarations(url, jql string) []keepalive.Declaration {
	return []keepalive.Declaration{
		{URL: url, Details: webhooks.Details{
			Events:    []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated, webhooks.IssueDeleted},
			JQLFilter: jql,
		}},
		{URL: url, Details: webhooks.Details{
			Events:    []webhooks.EventName{webhooks.CommentCreated, webhooks.CommentUpdated},
			JQLFilter: jql,
		}},
	}
}

// addRealSites adds every site the stored OAuth 2.0 grant covers.
func addRealSites(ctx context.Context, r *keepalive.Refresher, dir, key, jql string) error {
	url := os.Getenv("JIRA_WEBHOOK_URL")
	if url == "" {
		return errors.New("set JIRA_WEBHOOK_URL to the public URL where the app receives deliveries")
	}
	store, err := auth.NewFileStore(dir)
	if err != nil {
		return err
	}
	cfg := auth.NewConfig(os.Getenv("JIRA_CLIENT_ID"), os.Getenv("JIRA_CLIENT_SECRET"), "")
	hc := auth.NewTokenSource(cfg, store, key).Client()
	sites, err := auth.Sites(ctx, hc)
	if err != nil {
		return fmt.Errorf("listing the grant's sites (run examples/oauth3lo first): %w", err)
	}
	for _, s := range sites {
		c, err := webhooks.NewClient(s.BaseURL(), webhooks.WithHTTPClient(hc))
		if err != nil {
			return err
		}
		if err := r.AddSite(s.URL, c, declarations(url, jql)...); err != nil {
			return err
		}
	}
	if len(sites) == 0 {
		return errors.New("the grant covers no Jira site")
	}
	return nil
}

// addDemoSites starts three in-memory Jira sites on one fast clock and adds
// them. On day 40 a webhook of the second site is deleted behind the app's
// back; the third site refuses one declaration. cancel ends the demo.
func addDemoSites(r *keepalive.Refresher, jql string, days int, dayLen time.Duration, cancel context.CancelFunc) error {
	clock := jiratest.NewClock(time.Now().UTC().Truncate(time.Second))
	fast := &fastClock{Clock: clock, dayLen: dayLen, end: clock.Now().Add(time.Duration(days) * 24 * time.Hour), cancel: cancel}
	r.Clock = fast
	r.CheckInterval = 24 * time.Hour // notice deleted webhooks within a day
	const url = "https://demo-app.example.com/jira/events"
	for i := range 3 {
		site := jiratest.NewServer(jiratest.WithClock(clock))
		app := site.AddOAuthApp("demo-app", []byte("demo-client-secret"))
		c, err := webhooks.NewClient(site.URL(), webhooks.WithHTTPClient(app.HTTPClient()))
		if err != nil {
			return err
		}
		want := declarations(url, jql)
		if i == 2 {
			want = append(want, keepalive.Declaration{URL: url, Details: webhooks.Details{
				Events:    []webhooks.EventName{webhooks.IssueUpdated},
				JQLFilter: "watchCount > 10", // not in the JQL subset of dynamic webhooks
			}})
		}
		if err := r.AddSite(fmt.Sprintf("demo-site-%d", i+1), c, want...); err != nil {
			return err
		}
		if i == 1 {
			fast.at(clock.Now().Add(40*24*time.Hour), func() {
				if hooks := site.Webhooks(app); len(hooks) > 0 {
					fmt.Fprintf(os.Stderr, "demo: day 40, deleting webhook %d of demo-site-2 behind the app's back\n", hooks[0].ID)
					c.Delete(context.Background(), hooks[0].ID)
				}
			})
		}
	}
	return nil
}

// fastClock is a jiratest.Clock that the Refresher sleeps on at dayLen of
// real time per simulated day, doing a scripted action on the way and
// ending the demo at end.
type fastClock struct {
	*jiratest.Clock
	dayLen time.Duration
	end    time.Time
	cancel context.CancelFunc
	when   time.Time
	action func()
}

func (c *fastClock) at(t time.Time, f func()) { c.when, c.action = t, f }

func (c *fastClock) Sleep(ctx context.Context, d time.Duration) error {
	target := c.Now().Add(d)
	if target.After(c.end) {
		target = c.end
	}
	wait := time.Duration(float64(target.Sub(c.Now())) / float64(24*time.Hour) * float64(c.dayLen))
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	if c.action != nil && !c.when.After(target) {
		c.Advance(c.when.Sub(c.Now()))
		c.action()
		c.action = nil
	}
	c.Advance(target.Sub(c.Now()))
	if !c.Now().Before(c.end) {
		c.cancel()
		return context.Canceled
	}
	return nil
}

func defaultDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "jirahooks-oauth3lo")
	}
	return ".jirahooks-tokens"
}
