package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jirahooks/jirahooks/webhooks"
)

const listenUsage = `
Usage: jirahooks listen [--addr 127.0.0.1:8080] [--path /] VERIFIER [--json]

Runs a local webhook receiver: each delivery is verified, decoded and printed
on one line (or, with --json, as one JSON object per line, with the raw body).
Refused deliveries are reported on standard error. Stop it with Ctrl-C.

VERIFIER says who may deliver, as in webhooks.Handler:
  --client-secret S   an OAuth 2.0 app: Authorization: Bearer <JWT> ($JIRA_CLIENT_SECRET)
  --shared-secret S   a Connect app: Authorization: JWT <JWT with qsh> ($JIRA_SHARED_SECRET)
  --secret S          an admin webhook with a secret: X-Hub-Signature ($JIRA_WEBHOOK_SECRET)
  --no-verify         accept anything (for looking at payloads; never in production)
The environment is read only when no flag chooses; with several secrets set
(as after sourcing 'jirahooks fake'), JIRA_AUTH=oauth or connect picks one.

Jira Cloud delivers to public HTTPS URLs only: put a tunnel in front of the
address (cloudflared, ngrok, ...) and register the tunnel's URL.
`

func cmdListen(c *cli, args []string) int {
	fs := newFlagSet("listen", listenUsage)
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on")
	path := fs.String("path", "/", "URL `path` to receive on (and below it)")
	clientSecret := fs.String("client-secret", "", "OAuth 2.0 client `secret` ($JIRA_CLIENT_SECRET)")
	sharedSecret := fs.String("shared-secret", "", "Connect shared `secret` ($JIRA_SHARED_SECRET)")
	clientKey := fs.String("client-key", "", "with --shared-secret: accept only this installation's `clientKey`")
	contextPath := fs.String("context-path", "", "with --shared-secret: the `path` of the Connect app's base URL")
	hubSecret := fs.String("secret", "", "admin webhook `secret` ($JIRA_WEBHOOK_SECRET)")
	noVerify := fs.Bool("no-verify", false, "accept unsigned deliveries (never in production)")
	asJSON := fs.Bool("json", false, "print each event as a JSON line with its raw body")
	pos, err := c.parse(fs, args)
	if err != nil {
		return c.fail("listen", err)
	}
	if len(pos) > 0 {
		return c.fail("listen", usagef("unexpected argument %q", pos[0]))
	}

	// Flags first; the environment only when no flag chose a verifier.
	// JIRA_AUTH (as 'jirahooks fake' sets it) picks the app kind whose
	// secret to use when the environment holds several.
	if *clientSecret == "" && *sharedSecret == "" && *hubSecret == "" && !*noVerify {
		switch auth := strings.TrimSpace(c.getenv("JIRA_AUTH")); auth {
		case "oauth":
			*clientSecret = c.getenv("JIRA_CLIENT_SECRET")
		case "connect":
			*sharedSecret = c.getenv("JIRA_SHARED_SECRET")
		default:
			*clientSecret = c.getenv("JIRA_CLIENT_SECRET")
			*sharedSecret = c.getenv("JIRA_SHARED_SECRET")
			*hubSecret = c.getenv("JIRA_WEBHOOK_SECRET")
		}
	}
	var v webhooks.Verifier
	var kinds []string
	if *clientSecret != "" {
		v = webhooks.OAuthJWT([]byte(*clientSecret))
		kinds = append(kinds, "OAuth 2.0 JWTs")
	}
	if *sharedSecret != "" {
		secret, key := []byte(*sharedSecret), *clientKey
		lookup := func(k string) ([]byte, error) {
			if key != "" && k != key {
				return nil, fmt.Errorf("%w: clientKey %q", webhooks.ErrUnknownTenant, k)
			}
			return secret, nil
		}
		v = webhooks.ConnectJWTWithContextPath(*contextPath, lookup)
		kinds = append(kinds, "Connect JWTs")
	}
	if *hubSecret != "" {
		v = webhooks.HubSignature([]byte(*hubSecret))
		kinds = append(kinds, "X-Hub-Signature")
	}
	if *noVerify {
		v = acceptAll{}
		kinds = append(kinds, "nothing (--no-verify)")
	}
	switch len(kinds) {
	case 0:
		return c.fail("listen", usagef("how should deliveries be verified? give --client-secret (OAuth 2.0 app), --shared-secret (Connect app) or --secret (admin webhook), or --no-verify to look at payloads"))
	case 1:
	default:
		return c.fail("listen", usagef("more than one way to verify (%s): choose one", strings.Join(kinds, ", ")))
	}
	if !strings.HasPrefix(*path, "/") {
		return c.fail("listen", usagef("--path %q must start with /", *path))
	}

	out := &lineWriter{w: c.stdout}
	errOut := &lineWriter{w: c.stderr}
	h := webhooks.NewHandler(v, webhooks.WithErrorHook(func(r *http.Request, status int, err error) {
		d, _ := webhooks.DeliveryFrom(r.Context())
		if errors.Is(err, webhooks.ErrDuplicate) {
			errOut.printf("%s  duplicate of delivery %s (retry %d), dropped\n", clock(), d.ID, d.Retry)
			return
		}
		errOut.printf("%s  REFUSED %d from %s: %v\n", clock(), status, r.RemoteAddr, err)
	}))
	h.OnAny(func(ctx context.Context, ev *webhooks.Event) error {
		if *asJSON {
			out.printJSON(eventLine(ev))
		} else {
			out.printf("%s\n", summary(ev))
		}
		return nil
	})

	ln, err := listenTCP(*addr)
	if err != nil {
		return c.fail("listen", err)
	}
	mux := http.NewServeMux()
	p := strings.TrimSuffix(*path, "/")
	mux.Handle(p+"/", h)
	if p != "" {
		mux.Handle(p, h)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errOut.printf("listening on http://%s%s, verifying %s; Ctrl-C to stop\n", ln.Addr(), *path, kinds[0])
	if *noVerify {
		errOut.printf("warning: --no-verify accepts deliveries from anyone\n")
	}

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return c.fail("listen", err)
	case <-c.ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	<-done
	return exitOK
}

// listenTCP listens on addr, a --addr value. A malformed address is a usage
// error; an address that cannot be had (in use, not this machine's, a
// privileged port) is a local error whose hint names the fix.
func listenTCP(addr string) (net.Listener, error) {
	const example = "give host:port, such as 127.0.0.1:8080, or 127.0.0.1:0 for a free port"
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usagef("--addr %q: %s", addr, example)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, usagef("--addr %q: the port must be a number from 0 to 65535; %s", addr, example)
	}
	ln, err := net.Listen("tcp", addr)
	switch {
	case err == nil:
		return ln, nil
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, &localError{err, fmt.Sprintf("another program listens on %s: stop it or choose another --addr (port 0 picks a free one)", addr)}
	case errors.Is(err, syscall.EACCES):
		return nil, &localError{err, "ports below 1024 need privileges: choose a higher port with --addr"}
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return nil, &localError{err, fmt.Sprintf("%s is not an address of this machine: use 127.0.0.1 (or localhost) in --addr", host)}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return nil, &localError{err, fmt.Sprintf("%q is not a host name this machine knows: use 127.0.0.1 in --addr", host)}
	}
	return nil, &localError{err, "choose another --addr, such as 127.0.0.1:8080"}
}

// acceptAll is the verifier of --no-verify.
type acceptAll struct{}

func (acceptAll) Verify(*http.Request, []byte) error { return nil }

// lineWriter serialises the lines of concurrent deliveries.
type lineWriter struct {
	mu sync.Mutex
	w  interface{ Write([]byte) (int, error) }
}

func (l *lineWriter) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, a...)
}

func (l *lineWriter) printJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"error": %q}`, err.Error()))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write(append(b, '\n'))
}

func clock() string { return time.Now().Format("15:04:05") }

// eventJSON is one line of listen --json.
type eventJSON struct {
	Received   time.Time       `json:"received"`
	Event      string          `json:"event"`
	Delivery   string          `json:"delivery,omitempty"`
	Retry      int             `json:"retry"`
	Tenant     string          `json:"tenant,omitempty"`
	WebhookIDs []int64         `json:"matchedWebhookIds,omitempty"`
	Body       json.RawMessage `json:"body"`
}

func eventLine(ev *webhooks.Event) eventJSON {
	return eventJSON{
		Received: time.Now().UTC(), Event: string(ev.Name), Delivery: ev.Delivery.ID, Retry: ev.Delivery.Retry,
		Tenant: ev.Delivery.Tenant, WebhookIDs: ev.MatchedWebhookIDs, Body: json.RawMessage(ev.Raw),
	}
}

// summary describes an event on one line: time, name, subject, who, and
// the delivery.
func summary(ev *webhooks.Event) string {
	parts := []string{clock(), string(ev.Name)}
	switch {
	case ev.Issue != nil:
		s := ev.Issue.Key
		if sum := ev.Issue.Fields.Summary; sum != "" {
			s += fmt.Sprintf(" %q", shorten(sum, 60))
		}
		parts = append(parts, s)
	case ev.Worklog != nil:
		parts = append(parts, "worklog "+ev.Worklog.ID+" on issue "+ev.Worklog.IssueID)
	case ev.Sprint != nil:
		parts = append(parts, fmt.Sprintf("sprint %q", ev.Sprint.Name))
	case ev.Version != nil:
		parts = append(parts, fmt.Sprintf("version %q", ev.Version.Name))
	case ev.Project != nil:
		parts = append(parts, "project "+ev.Project.Key)
	case ev.Board != nil:
		parts = append(parts, fmt.Sprintf("board %q", ev.Board.Name))
	}
	if ev.Comment != nil {
		parts = append(parts, "comment "+ev.Comment.ID)
	}
	if ev.Changelog != nil {
		var ch []string
		for _, it := range ev.Changelog.Items {
			ch = append(ch, fmt.Sprintf("%s: %s → %s", it.Field, orDash(it.FromString), orDash(it.ToString)))
		}
		if len(ch) > 0 {
			parts = append(parts, strings.Join(ch, ", "))
		}
	}
	if ev.User != nil && ev.User.DisplayName != "" {
		parts = append(parts, "by "+ev.User.DisplayName)
	}
	d := fmt.Sprintf("[delivery %s", orDash(ev.Delivery.ID))
	if ev.Delivery.Retry > 0 {
		d += fmt.Sprintf(", retry %d", ev.Delivery.Retry)
	}
	if len(ev.MatchedWebhookIDs) > 0 {
		d += ", " + strings.ToLower(joinIDs(ev.MatchedWebhookIDs))
	}
	if ev.Delivery.Tenant != "" {
		d += ", tenant " + ev.Delivery.Tenant
	}
	parts = append(parts, d+"]")
	return strings.Join(parts, "  ")
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
