package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

const keepaliveUsage = `
Usage: jirahooks keepalive [--url URL --events E1,E2 --jql JQL | --body JSON|@FILE|-] [--once]

Keeps the app's webhooks alive until Ctrl-C, with the loop an app embeds
(keepalive.Refresher, package webhooks/keepalive): it refreshes them about
three days before they would expire, and prints what it does, one line per
event.

Without a declaration it keeps alive whatever webhooks the app has, and
registers or deletes nothing. With one (the flags, or --body in register's
format for several), it also registers the declared webhooks that are missing
(expired, or deleted behind the app's back) and deletes duplicates; webhooks
that match no declaration are left alone.

--once syncs once and exits: for a daily cron job instead of a daemon. It
exits 3 when Jira refused a declared webhook, as register does.
`

func cmdKeepalive(c *cli, args []string) int {
	var o conn
	fs := newFlagSet("keepalive", keepaliveUsage)
	body := fs.String("body", "", "webhooks to keep, in register's `JSON`, @file, or - for standard input")
	hookURL := fs.String("url", "", "declared webhook: the `URL` Jira delivers to")
	events := fs.String("events", "", "declared webhook: comma-separated event `names`")
	jql := fs.String("jql", "", "declared webhook: its JQL `filter`")
	fieldIDs := fs.String("field-ids", "", "declared webhook: comma-separated field `IDs`")
	propKeys := fs.String("property-keys", "", "declared webhook: comma-separated issue property `keys`")
	once := fs.Bool("once", false, "sync once and exit")
	check := fs.Duration("check-interval", 0, "list the webhooks at least this `often` to notice deletions sooner (default: only when a refresh is due)")
	allowUnknown := fs.Bool("allow-unknown-events", false, "declare event names Jira does not document (newer than this tool)")
	o.register(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return c.fail("keepalive", err)
	}
	if len(pos) > 0 {
		return c.fail("keepalive", usagef("unexpected argument %q", pos[0]))
	}

	var decls []keepalive.Declaration
	switch {
	case *body != "":
		if *events != "" || *jql != "" || *fieldIDs != "" || *propKeys != "" {
			return c.fail("keepalive", usagef("declare the webhooks either in --body or with --events and --jql, not both"))
		}
		data, err := c.readBody(*body)
		if err != nil {
			return c.fail("keepalive", err)
		}
		var req registerBody
		if err := decodeBody(bodySource(*body), data, &req, registerExample); err != nil {
			return c.fail("keepalive", err)
		}
		if *hookURL != "" {
			req.URL = *hookURL
		}
		if req.URL == "" || len(req.Webhooks) == 0 {
			return c.fail("keepalive", usagef("--body %s needs a \"url\" and at least one webhook; expected JSON like %s", bodySource(*body), registerExample))
		}
		for _, h := range req.Webhooks {
			decls = append(decls, keepalive.Declaration{URL: req.URL, Details: webhooks.Details{
				Events: toEvents(h.Events), JQLFilter: h.JQLFilter,
				FieldIDsFilter: h.FieldIDsFilter, IssuePropertyKeysFilter: h.IssuePropertyKeysFilter,
			}})
		}
	case *hookURL != "" || *events != "" || *jql != "":
		if *hookURL == "" || *events == "" || *jql == "" {
			return c.fail("keepalive", usagef("a declared webhook needs --url, --events and --jql"))
		}
		decls = []keepalive.Declaration{{URL: *hookURL, Details: webhooks.Details{
			Events: toEvents(splitList(*events)), JQLFilter: *jql,
			FieldIDsFilter: splitList(*fieldIDs), IssuePropertyKeysFilter: splitList(*propKeys),
		}}}
	}

	for _, d := range decls {
		if err := checkEvents(eventStrings(d.Details.Events), *allowUnknown); err != nil {
			return c.fail("keepalive", err)
		}
	}
	wc, err := o.client(c)
	if err != nil {
		return c.fail("keepalive", err)
	}
	site := siteName(o.baseURL)
	out := &lineWriter{w: c.stdout}
	refused := 0 // read after Sync returns; OnEvent calls are serialised
	r := &keepalive.Refresher{
		CheckInterval: *check,
		Clock:         c.clock,
		Logger:        slog.New(slog.DiscardHandler), // every event is printed below
		OnEvent: func(e keepalive.Event) {
			if e.Kind == keepalive.Refused {
				refused++
			}
			if o.json {
				out.printJSON(refresherLine(e))
			} else {
				out.printf("%s\n", describe(e))
			}
		},
	}
	if err := r.AddSite(site, wc, decls...); err != nil {
		return c.fail("keepalive", usagef("%v", err))
	}

	if *once {
		ctx, cancel := o.context(c)
		defer cancel()
		err := r.Sync(ctx)
		if st := r.Stats(); len(st.Sites) == 1 {
			s := st.Sites[0]
			switch {
			case o.json:
				now := time.Now()
				if c.clock != nil {
					now = c.clock.Now()
				}
				out.printJSON(syncSummary{Time: now.UTC(), Kind: "summary", Site: site, Webhooks: s.Webhooks, EarliestExpiry: s.EarliestExpiry.UTC()})
			case s.EarliestExpiry.IsZero():
				out.printf("%s: %d webhook%s kept alive\n", site, s.Webhooks, plural(s.Webhooks))
			default:
				out.printf("%s: %d webhook%s kept alive, the earliest expiring %s UTC\n",
					site, s.Webhooks, plural(s.Webhooks), fmtTime(s.EarliestExpiry))
			}
		}
		if err != nil {
			return c.fail("keepalive", err)
		}
		if refused > 0 {
			return exitRefused // a cron job must notice a declaration Jira will not take
		}
		return exitOK
	}

	what := "every webhook of the app"
	if len(decls) > 0 {
		what = fmt.Sprintf("%d declared webhook%s", len(decls), plural(len(decls)))
	}
	fmt.Fprintf(c.stderr, "keeping %s alive on %s; Ctrl-C to stop\n", what, site)
	if err := r.Run(c.ctx); err != nil && !errors.Is(err, c.ctx.Err()) {
		return c.fail("keepalive", err)
	}
	return exitOK
}

// siteName names a site in the Refresher's output: the host of its URL,
// or the cloud ID of a gateway URL.
func siteName(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return base
	}
	if strings.HasPrefix(u.Path, "/ex/jira/") {
		return strings.Trim(strings.TrimPrefix(u.Path, "/ex/jira/"), "/")
	}
	return u.Host
}

// describe puts a Refresher event on one line.
func describe(e keepalive.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %-12s %s", fmtTime(e.Time), e.Kind, e.Site)
	if len(e.IDs) > 0 {
		fmt.Fprintf(&b, "  %s", joinIDs(e.IDs))
	}
	if e.Declaration != nil {
		fmt.Fprintf(&b, "  (%s, %s)", eventList(e.Declaration.Details.Events), e.Declaration.Details.JQLFilter)
	}
	switch e.Kind {
	case keepalive.Refreshed:
		fmt.Fprintf(&b, "  now expire %s UTC", fmtTime(e.Expiry))
	case keepalive.Refused:
		fmt.Fprintf(&b, "  Jira refused: %s", strings.Join(e.Errors, "; "))
	case keepalive.Failed:
		fmt.Fprintf(&b, "  %v; retrying at %s UTC (failure %d)", e.Err, fmtTime(e.Retry), e.Failures)
	case keepalive.AtRisk:
		fmt.Fprintf(&b, "  ALERT: expiring %s UTC and refresh failing: %v", fmtTime(e.Expiry), e.Err)
	case keepalive.Lost:
		b.WriteString("  ALERT: gone since the last sync; registering it again")
	}
	return b.String()
}

// syncSummary is the last line of keepalive --once --json: what the sync
// left, even when nothing was due.
type syncSummary struct {
	Time           time.Time `json:"time"`
	Kind           string    `json:"kind"` // "summary"
	Site           string    `json:"site"`
	Webhooks       int       `json:"webhooks"`
	EarliestExpiry time.Time `json:"earliestExpiry,omitzero"`
}

// refresherJSON is one line of keepalive --json.
type refresherJSON struct {
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`
	Site      string    `json:"site"`
	IDs       []int64   `json:"ids,omitempty"`
	URL       string    `json:"url,omitempty"`
	Events    []string  `json:"events,omitempty"`
	JQLFilter string    `json:"jqlFilter,omitempty"`
	Errors    []string  `json:"errors,omitempty"`
	Expiry    time.Time `json:"expiry,omitzero"`
	Error     string    `json:"error,omitempty"`
	Retry     time.Time `json:"retry,omitzero"`
	Failures  int       `json:"failures,omitempty"`
}

func refresherLine(e keepalive.Event) refresherJSON {
	j := refresherJSON{
		Time: e.Time.UTC(), Kind: e.Kind.String(), Site: e.Site, IDs: e.IDs, Errors: e.Errors,
		Expiry: e.Expiry, Retry: e.Retry, Failures: e.Failures,
	}
	if e.Declaration != nil {
		j.URL = e.Declaration.URL
		j.Events = eventStrings(e.Declaration.Details.Events)
		j.JQLFilter = e.Declaration.Details.JQLFilter
	}
	if e.Err != nil {
		j.Error = e.Err.Error()
	}
	return j
}
