// Command replay recovers the deliveries Jira gave up on: it lists them
// (GET /rest/api/3/webhook/failed, Connect apps only, kept about 72 hours)
// and hands each one to the handler live deliveries reach, with
// Handler.Replay: same callbacks, same duplicate store, no signature to
// check (the bodies come from Jira's API). A cursor saved after each run
// makes the next run read only newer failures; the duplicate store makes a
// failure that was somehow handled already a no-op.
//
// Run as is, it shows itself on an in-memory Jira: the app is down while
// two issues change, Jira retries for about an hour and gives up, and the
// replay delivers both.
//
//	go run ./examples/replay
//
// Against a real site, as a Connect app (a daily cron job, say), pass
// -real; without it the program never leaves the machine, whatever the
// environment holds:
//
//	JIRA_BASE_URL=https://your-domain.atlassian.net JIRA_APP_KEY=... JIRA_SHARED_SECRET=... \
//	  go run ./examples/replay -real -cursor-file replay.cursor
//
// Exit status: 0 on success, 1 on failure, 2 for a usage error.
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
	"strings"
	"sync/atomic"
	"time"

	"github.com/jirahooks/jirahooks/auth"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

// app is the Connect app's receiving side.
type app struct {
	// live is mounted where Jira delivers: it verifies Connect JWTs. The
	// replay job hands it failed deliveries too, with live.Replay.
	live *webhooks.Handler
	// clientKey is the installation's: the tenant live deliveries are
	// deduplicated under (the JWT's issuer), so replays use it too.
	clientKey string
}

// newApp returns the app for one installation (clientKey, sharedSecret).
// In production the duplicate store would be shared by the app's replicas
// (Redis, a database), so that a replay job sees what any replica handled.
func newApp(clientKey string, sharedSecret []byte, log *slog.Logger) *app {
	seen := webhooks.NewMemoryStore(webhooks.DefaultDedupeTTL, webhooks.DefaultDedupeEntries)
	a := &app{
		live: webhooks.NewHandler(webhooks.ConnectJWT(func(key string) ([]byte, error) {
			if key != clientKey {
				return nil, webhooks.ErrUnknownTenant
			}
			return sharedSecret, nil
		}), webhooks.WithDedupeStore(seen)),
		clientKey: clientKey,
	}
	a.live.OnAny(func(ctx context.Context, e *webhooks.Event) error {
		d, _ := webhooks.DeliveryFrom(ctx)
		key := "-"
		if e.Issue != nil {
			key = e.Issue.Key
		}
		log.Info("handled", "event", e.Name, "issue", key, "delivery", d.ID, "replay", d.Replay)
		return nil
	})
	return a
}

// errReplay reports deliveries the callbacks failed on.
var errReplay = errors.New("replay: callbacks failed")

// replayFailed replays the failures listed after cursor ("" for all that
// Jira keeps) and returns the cursor to resume from next time and how many
// it handled (duplicates of deliveries handled already do not count). If a
// callback fails, it returns the cursor it was given, so that the next run
// tries again; the ones handled meanwhile are then dropped as duplicates.
func replayFailed(ctx context.Context, c *webhooks.Client, a *app, cursor string, log *slog.Logger) (string, int, error) {
	failed := c.ListFailed(&webhooks.FailedOptions{Cursor: cursor})
	handled := 0
	var failures []string
	for f, err := range failed.All(ctx) {
		if err != nil {
			return cursor, handled, err
		}
		if f.Body == "" {
			log.Warn("failed delivery without a body (the webhook excludes bodies); skipped", "delivery", f.ID)
			continue
		}
		switch err := a.live.Replay(ctx, a.clientKey, f); {
		case err == nil:
			handled++
		case errors.Is(err, webhooks.ErrDuplicate):
			log.Info("handled already; dropped", "delivery", f.ID)
		default:
			failures = append(failures, fmt.Sprintf("%s (%v)", f.ID, err))
		}
	}
	if len(failures) > 0 {
		return cursor, handled, fmt.Errorf("%w: %s", errReplay, strings.Join(failures, ", "))
	}
	return failed.Cursor(), handled, nil
}

func main() {
	realSite := flag.Bool("real", false, "replay the failures of the real site in JIRA_BASE_URL instead of showing a replay on an in-memory Jira")
	cursorFile := flag.String("cursor-file", "", "file to read the cursor from and save it to (with -real)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "replay: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	err := run(context.Background(), *realSite, *cursorFile, os.Stdout, os.Stderr, os.Getenv, logger)
	if errors.Is(err, errUsage) {
		fmt.Fprintf(os.Stderr, "replay: %v\n", err)
		os.Exit(2)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// errUsage marks a mistake on the command line (exit status 2).
var errUsage = errors.New("usage")

// run replays the failures of the site in JIRA_BASE_URL if realSite is
// set, and shows a replay on an in-memory Jira otherwise.
func run(ctx context.Context, realSite bool, cursorFile string, stdout, stderr io.Writer, getenv func(string) string, logger *slog.Logger) error {
	if !realSite {
		if getenv("JIRA_BASE_URL") != "" {
			fmt.Fprintln(stderr, "replay: JIRA_BASE_URL is set, but this is the in-memory demo; add -real to replay that site's failures")
		}
		return demo(ctx, stdout, logger)
	}
	if getenv("JIRA_BASE_URL") == "" {
		return fmt.Errorf("%w: -real needs JIRA_BASE_URL, the site to read failed deliveries from (https://your-domain.atlassian.net)", errUsage)
	}
	return replayReal(ctx, cursorFile, getenv, logger)
}

// replayReal replays the failures of a real site, resuming from cursorFile.
func replayReal(ctx context.Context, cursorFile string, getenv func(string) string, logger *slog.Logger) error {
	base, key, secret := getenv("JIRA_BASE_URL"), getenv("JIRA_APP_KEY"), getenv("JIRA_SHARED_SECRET")
	clientKey := getenv("JIRA_CLIENT_KEY") // the installation's clientKey, for duplicate detection
	if key == "" || secret == "" {
		return errors.New("set JIRA_APP_KEY and JIRA_SHARED_SECRET: Jira lists failed deliveries to Connect apps only")
	}
	hc, err := auth.Connect{AppKey: key, SharedSecret: []byte(secret), BaseURL: base}.Client()
	if err != nil {
		return err
	}
	client, err := webhooks.NewClient(base, webhooks.WithHTTPClient(hc))
	if err != nil {
		return err
	}
	var cursor string
	if cursorFile != "" {
		b, err := os.ReadFile(cursorFile)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		cursor = strings.TrimSpace(string(b))
	}
	next, n, err := replayFailed(ctx, client, newApp(clientKey, []byte(secret), logger), cursor, logger)
	logger.Info("replayed", "deliveries", n)
	if cursorFile != "" && next != cursor {
		if err := os.WriteFile(cursorFile, []byte(next+"\n"), 0o600); err != nil {
			return err
		}
	}
	return err
}

// demo shows a replay on an in-memory Jira.
func demo(ctx context.Context, w io.Writer, logger *slog.Logger) error {
	const appKey, clientKey = "com.example.replay", "acme-installation"
	secret := []byte("the-installation-shared-secret")
	jira := jiratest.NewServer()
	defer jira.Close()
	jira.AddConnectApp(appKey, secret, jiratest.WithClientKey(clientKey))

	// The app, behind a switch that makes it answer 503, as during a bad
	// deploy.
	a := newApp(clientKey, secret, logger)
	var down atomic.Bool
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(rw, "deploying", http.StatusServiceUnavailable)
			return
		}
		a.live.ServeHTTP(rw, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	hc, err := auth.Connect{AppKey: appKey, SharedSecret: secret, BaseURL: jira.URL()}.Client()
	if err != nil {
		return err
	}
	client, err := webhooks.NewClient(jira.URL(), webhooks.WithHTTPClient(hc))
	if err != nil {
		return err
	}
	regs, err := client.Register(ctx, "http://"+ln.Addr().String()+"/jira/events",
		webhooks.Details{Events: []webhooks.EventName{webhooks.IssueUpdated}, JQLFilter: "project = OPS"})
	if err != nil {
		return err
	}
	if !regs[0].OK() {
		return fmt.Errorf("the webhook was refused by Jira: %v", regs[0].Errors)
	}

	down.Store(true)
	for _, key := range []string{"OPS-7", "OPS-8"} {
		jira.Emit(jiratest.IssueEvent("jira:issue_updated", jiratest.Issue{Key: key}).Change("priority", "Medium", "High"))
	}
	jira.Advance(3 * time.Hour) // Jira retries, minutes apart, then gives up
	down.Store(false)
	fmt.Fprintf(w, "the app was down: Jira gave up on %d deliveries\n", len(jira.Failed(nil)))

	cursor, n, err := replayFailed(ctx, client, a, "", logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "replayed %d; next time, resume from %s\n", n, cursor)
	if n != 2 {
		return fmt.Errorf("replayed %d deliveries, want 2", n)
	}

	_, again, err := replayFailed(ctx, client, a, cursor, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "a second run from that cursor replays %d\n", again)
	if again != 0 {
		return fmt.Errorf("second run replayed %d deliveries, want 0", again)
	}
	return nil
}
