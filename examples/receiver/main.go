// Command receiver is a small net/http app that receives Jira webhooks with
// webhooks.Handler: it verifies each delivery, decodes it, drops Jira's
// duplicate retries, and calls the app's callbacks, one per event.
//
// Run it as is and it shows itself at work on an in-memory Jira (package
// jiratest): it registers a webhook, Jira sends three events, and the app
// logs what it understood.
//
//	go run ./examples/receiver
//
// To receive from a real Jira site, give it the OAuth 2.0 app's client
// secret (deliveries to OAuth apps are JWTs signed with it) and expose the
// address through HTTPS (Jira Cloud calls public URLs on port 443 only):
//
//	JIRA_CLIENT_SECRET=... go run ./examples/receiver -serve -addr 127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

// newApp returns the app's HTTP routes: the webhook receiver at
// POST /jira/events and a health check. Everything the app does with an
// event is in the callbacks; log is where it reports.
func newApp(clientSecret []byte, log *slog.Logger) http.Handler {
	h := webhooks.NewHandler(webhooks.OAuthJWT(clientSecret),
		webhooks.WithLogger(log), // refused deliveries, without bodies or tokens
	)

	h.On(webhooks.IssueCreated, func(ctx context.Context, e *webhooks.Event) error {
		log.Info("new issue", "key", e.Issue.Key, "summary", e.Issue.Fields.Summary)
		return nil
	})
	h.On(webhooks.IssueUpdated, func(ctx context.Context, e *webhooks.Event) error {
		if e.Changelog == nil {
			return nil
		}
		for _, c := range e.Changelog.Items {
			if c.Field == "status" {
				log.Info("issue moved", "key", e.Issue.Key, "from", c.FromString, "to", c.ToString)
			}
		}
		return nil
	})
	h.On(webhooks.CommentCreated, func(ctx context.Context, e *webhooks.Event) error {
		d, _ := webhooks.DeliveryFrom(ctx) // the delivery's ID, retry count, tenant
		log.Info("new comment", "issue", e.Issue.Key, "text", e.Comment.Body.String(), "delivery", d.ID)
		return nil // an error here answers 500, and Jira delivers again later
	})

	mux := http.NewServeMux()
	mux.Handle("POST /jira/events", h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	return mux
}

func main() {
	serve := flag.Bool("serve", false, "serve until interrupted instead of running the demo")
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve on, with -serve")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // shorter lines
			}
			return a
		},
	}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var err error
	if *serve {
		secret := os.Getenv("JIRA_CLIENT_SECRET")
		if secret == "" {
			log.Fatal("set JIRA_CLIENT_SECRET to the OAuth 2.0 app's client secret")
		}
		err = serveApp(ctx, *addr, newApp([]byte(secret), logger))
	} else {
		err = demo(ctx, os.Stdout, logger)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// serveApp serves app on addr until ctx ends.
func serveApp(ctx context.Context, addr string, app http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: app, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("receiving Jira webhooks at http://%s/jira/events", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// demo runs the app against an in-memory Jira: register a webhook, let
// Jira deliver three events, and check that each was answered 200.
func demo(ctx context.Context, w io.Writer, logger *slog.Logger) error {
	jira := jiratest.NewServer()
	defer jira.Close()
	secret := []byte("the-oauth-app-client-secret")
	app := jira.AddOAuthApp("receiver-example", secret)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newApp(secret, logger), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	hookURL := "http://" + ln.Addr().String() + "/jira/events"
	fmt.Fprintf(w, "app listening at %s; Jira (in memory) at %s\n", hookURL, jira.URL())

	client, err := webhooks.NewClient(jira.URL(), webhooks.WithHTTPClient(app.HTTPClient()))
	if err != nil {
		return err
	}
	regs, err := client.Register(ctx, hookURL, webhooks.Details{
		Events:    []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated, webhooks.CommentCreated},
		JQLFilter: "project = SHOP",
	})
	if err != nil {
		return err
	}
	if !regs[0].OK() {
		return fmt.Errorf("the webhook was refused by Jira: %s", strings.Join(regs[0].Errors, "; "))
	}

	issue := jiratest.Issue{Key: "SHOP-21", Summary: "Refunds are booked twice"}
	var sent []jiratest.Delivery
	sent = append(sent, jira.Emit(jiratest.IssueEvent("jira:issue_created", issue))...)
	issue.Status = "In Progress"
	sent = append(sent, jira.Emit(jiratest.IssueEvent("jira:issue_updated", issue).Change("status", "To Do", "In Progress"))...)
	sent = append(sent, jira.Emit(jiratest.CommentEvent("comment_created", issue, jiratest.Comment{Body: "Found it: the retry job."}))...)
	for _, d := range sent {
		if !d.OK() {
			return fmt.Errorf("delivery %s (%s) answered %d", d.ID, d.Event, d.Status)
		}
	}
	if len(sent) != 3 {
		return fmt.Errorf("%d deliveries, want 3", len(sent))
	}
	fmt.Fprintf(w, "Jira made %d deliveries; the app answered 200 to each\n", len(sent))
	return nil
}
