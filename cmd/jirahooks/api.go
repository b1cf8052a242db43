package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/keepalive"
)

// registerBody is the body of Jira's POST /webhook, which --body takes.
type registerBody struct {
	URL      string        `json:"url"`
	Webhooks []webhookBody `json:"webhooks"`
}

type webhookBody struct {
	Events                  []string `json:"events"`
	JQLFilter               string   `json:"jqlFilter"`
	FieldIDsFilter          []string `json:"fieldIdsFilter,omitempty"`
	IssuePropertyKeysFilter []string `json:"issuePropertyKeysFilter,omitempty"`
}

const registerExample = `{"url": "https://app.example.com/webhooks", "webhooks": [{"events": ["jira:issue_created"], "jqlFilter": "project = ABC"}]}`

const registerUsage = `
Usage: jirahooks register --body JSON|@FILE|-  [--url URL]
       jirahooks register --url URL --events E1,E2 --jql JQL [--field-ids ...] [--property-keys ...]

Registers dynamic webhooks (POST /rest/api/3/webhook). The body is Jira's:
  ` + registerExample + `
given inline, as @file, or as - for standard input. --url sets or replaces
the body's url. Without --body, the flags describe one webhook.

Jira answers for each webhook: its new ID, or why it refused it (JQL outside
the subset dynamic webhooks support, say). Refused webhooks are listed and the
exit code is 3; the others are registered all the same.
`

func cmdRegister(c *cli, args []string) int {
	var o conn
	fs := newFlagSet("register", registerUsage)
	body := fs.String("body", "", "request `JSON`, @file, or - for standard input")
	url := fs.String("url", "", "the `URL` Jira delivers to (sets the body's url)")
	events := fs.String("events", "", "comma-separated event `names`, such as jira:issue_created,comment_created")
	jql := fs.String("jql", "", "the webhook's JQL `filter` (required by Jira), such as 'project = ABC'")
	fieldIDs := fs.String("field-ids", "", "comma-separated field `IDs` that trigger jira:issue_updated")
	propKeys := fs.String("property-keys", "", "comma-separated issue property `keys` for issue_property_* events")
	allowUnknown := fs.Bool("allow-unknown-events", false, "send event names Jira does not document (newer than this tool)")
	o.register(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return c.fail("register", err)
	}
	if len(pos) > 0 {
		return c.fail("register", usagef("unexpected argument %q", pos[0]))
	}

	var req registerBody
	switch {
	case *body != "":
		if *events != "" || *jql != "" || *fieldIDs != "" || *propKeys != "" {
			return c.fail("register", usagef("give the webhooks either in --body or with --events and --jql, not both"))
		}
		data, err := c.readBody(*body)
		if err != nil {
			return c.fail("register", err)
		}
		if err := decodeBody(bodySource(*body), data, &req, registerExample); err != nil {
			return c.fail("register", err)
		}
		if len(req.Webhooks) == 0 {
			return c.fail("register", usagef("--body %s has no webhooks; expected JSON like %s", bodySource(*body), registerExample))
		}
	case *events != "" || *jql != "":
		if *events == "" {
			return c.fail("register", usagef("--events is missing: which events should the webhook send, such as jira:issue_created?"))
		}
		req.Webhooks = []webhookBody{{
			Events:                  splitList(*events),
			JQLFilter:               *jql,
			FieldIDsFilter:          splitList(*fieldIDs),
			IssuePropertyKeysFilter: splitList(*propKeys),
		}}
	default:
		return c.fail("register", usagef("nothing to register: give --body, or --url with --events and --jql"))
	}
	if *url != "" {
		req.URL = *url
	}
	if req.URL == "" {
		return c.fail("register", usagef("no URL to deliver to: add \"url\" to the body or pass --url"))
	}
	for _, h := range req.Webhooks {
		if err := checkEvents(h.Events, *allowUnknown); err != nil {
			return c.fail("register", err)
		}
	}

	wc, err := o.client(c)
	if err != nil {
		return c.fail("register", err)
	}
	hooks := make([]webhooks.Details, len(req.Webhooks))
	for i, h := range req.Webhooks {
		hooks[i] = webhooks.Details{
			Events:                  toEvents(h.Events),
			JQLFilter:               h.JQLFilter,
			FieldIDsFilter:          h.FieldIDsFilter,
			IssuePropertyKeysFilter: h.IssuePropertyKeysFilter,
		}
	}
	ctx, cancel := o.context(c)
	defer cancel()
	regs, err := wc.Register(ctx, req.URL, hooks...)
	if err != nil && len(regs) == 0 {
		return c.fail("register", err)
	}

	refused := 0
	out := make([]registrationJSON, len(regs))
	for i, r := range regs {
		out[i] = registrationJSON{ID: r.ID, OK: r.OK(), Errors: r.Errors}
		if i < len(req.Webhooks) {
			out[i].Events = req.Webhooks[i].Events
			out[i].JQLFilter = req.Webhooks[i].JQLFilter
		}
		if !r.OK() {
			refused++
		}
	}
	if o.json {
		if err := printJSON(c.stdout, out); err != nil {
			return c.fail("register", err)
		}
	} else {
		tw := table(c.stdout)
		for _, r := range out {
			if r.OK {
				fmt.Fprintf(tw, "registered\t%d\t%s\t%s\n", r.ID, strings.Join(r.Events, ","), r.JQLFilter)
			} else {
				fmt.Fprintf(tw, "REFUSED\t-\t%s\t%s\t%s\n", strings.Join(r.Events, ","), r.JQLFilter, strings.Join(r.Errors, "; "))
			}
		}
		tw.Flush()
	}
	if err != nil { // results came back but did not match the request
		return c.fail("register", err)
	}
	if refused > 0 {
		fmt.Fprintf(c.stderr, "jirahooks register: Jira refused %d of %d webhooks (the others are registered)\n", refused, len(regs))
		return exitRefused
	}
	return exitOK
}

// registrationJSON is one line of register's --json output.
type registrationJSON struct {
	ID        int64    `json:"id,omitempty"`
	OK        bool     `json:"ok"`
	Events    []string `json:"events,omitempty"`
	JQLFilter string   `json:"jqlFilter,omitempty"`
	Errors    []string `json:"errors,omitempty"`
}

// webhookJSON is a webhook in list's --json output.
type webhookJSON struct {
	ID                      int64     `json:"id"`
	URL                     string    `json:"url,omitempty"`
	Events                  []string  `json:"events"`
	JQLFilter               string    `json:"jqlFilter,omitempty"`
	FieldIDsFilter          []string  `json:"fieldIdsFilter,omitempty"`
	IssuePropertyKeysFilter []string  `json:"issuePropertyKeysFilter,omitempty"`
	ExpirationDate          time.Time `json:"expirationDate,omitzero"`
}

const listUsage = `
Usage: jirahooks list [--max-results N] [--start-at N] [--limit N]

Lists the webhooks the app registered on the site (GET /rest/api/3/webhook),
following every page. Other apps' webhooks are not visible.
`

func cmdList(c *cli, args []string) int {
	var o conn
	fs := newFlagSet("list", listUsage)
	pageSize := fs.Int("max-results", 0, "page `size` to ask Jira for (default: Jira's)")
	startAt := fs.Int64("start-at", 0, "`offset` of the first webhook")
	limit := fs.Int("limit", 0, "stop after `N` webhooks (default: all)")
	fs.alias("maxResults", "max-results")
	fs.alias("startAt", "start-at")
	o.register(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return c.fail("list", err)
	}
	if len(pos) > 0 {
		return c.fail("list", usagef("unexpected argument %q", pos[0]))
	}
	if *pageSize < 0 || *startAt < 0 || *limit < 0 {
		return c.fail("list", usagef("--max-results, --start-at and --limit cannot be negative"))
	}
	wc, err := o.client(c)
	if err != nil {
		return c.fail("list", err)
	}
	ctx, cancel := o.context(c)
	defer cancel()
	var hooks []webhookJSON
	for w, err := range wc.List(&webhooks.ListOptions{MaxResults: *pageSize, StartAt: *startAt}).All(ctx) {
		if err != nil {
			return c.fail("list", err)
		}
		hooks = append(hooks, webhookJSON{
			ID: w.ID, URL: w.URL, Events: eventStrings(w.Events), JQLFilter: w.JQLFilter,
			FieldIDsFilter: w.FieldIDsFilter, IssuePropertyKeysFilter: w.IssuePropertyKeysFilter,
			ExpirationDate: w.ExpirationDate,
		})
		if *limit > 0 && len(hooks) == *limit {
			break
		}
	}
	if o.json {
		if hooks == nil {
			hooks = []webhookJSON{}
		}
		if err := printJSON(c.stdout, hooks); err != nil {
			return c.fail("list", err)
		}
		return exitOK
	}
	if len(hooks) == 0 {
		fmt.Fprintln(c.stdout, "no webhooks registered by this app")
		return exitOK
	}
	tw := table(c.stdout)
	fmt.Fprintln(tw, "ID\tEXPIRES (UTC)\tEVENTS\tJQL\tURL")
	for _, w := range hooks {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", w.ID, fmtTime(w.ExpirationDate), strings.Join(w.Events, ","), orDash(w.JQLFilter), orDash(w.URL))
	}
	tw.Flush()
	fmt.Fprintf(c.stdout, "%d webhook%s\n", len(hooks), plural(len(hooks)))
	return exitOK
}

// idsBody is the body of Jira's DELETE /webhook and PUT /webhook/refresh.
type idsBody struct {
	WebhookIDs []int64 `json:"webhookIds"`
}

const idsExample = `{"webhookIds": [10000, 10001]}`

// readIDs collects webhook IDs from positional arguments and --body.
func (c *cli) readIDs(pos []string, body string) ([]int64, error) {
	if body != "" && len(pos) > 0 {
		return nil, usagef("give the IDs as arguments or in --body, not both")
	}
	var ids []int64
	for _, p := range pos {
		for _, s := range splitList(p) {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return nil, usagef("%q is not a webhook ID: IDs are positive numbers, as 'jirahooks list' shows them", s)
			}
			ids = append(ids, id)
		}
	}
	if body != "" {
		data, err := c.readBody(body)
		if err != nil {
			return nil, err
		}
		var b idsBody
		if err := decodeBody(bodySource(body), data, &b, idsExample); err != nil {
			return nil, err
		}
		for _, id := range b.WebhookIDs {
			if id <= 0 {
				return nil, usagef("--body %s: %d is not a webhook ID: IDs are positive numbers", bodySource(body), id)
			}
		}
		ids = append(ids, b.WebhookIDs...)
	}
	return sortedIDs(ids), nil
}

const deleteUsage = `
Usage: jirahooks delete ID... 
       jirahooks delete --body '{"webhookIds": [10000, 10001]}'|@FILE|-

Deletes the app's webhooks with these IDs (DELETE /rest/api/3/webhook). Jira
ignores IDs that are unknown or belong to other apps, without error.
`

func cmdDelete(c *cli, args []string) int {
	var o conn
	fs := newFlagSet("delete", deleteUsage)
	body := fs.String("body", "", "request `JSON` ("+idsExample+"), @file, or - for standard input")
	o.register(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return c.fail("delete", err)
	}
	ids, err := c.readIDs(pos, *body)
	if err != nil {
		return c.fail("delete", err)
	}
	if len(ids) == 0 {
		return c.fail("delete", usagef("which webhooks? give their IDs, as in 'jirahooks delete 10000 10001'"))
	}
	wc, err := o.client(c)
	if err != nil {
		return c.fail("delete", err)
	}
	ctx, cancel := o.context(c)
	defer cancel()
	for chunk := range slices.Chunk(ids, keepalive.DefaultBatchSize) {
		if err := wc.Delete(ctx, chunk...); err != nil {
			return c.fail("delete", err)
		}
	}
	if o.json {
		if err := printJSON(c.stdout, idsBody{WebhookIDs: ids}); err != nil {
			return c.fail("delete", err)
		}
		return exitOK
	}
	fmt.Fprintf(c.stdout, "deleted %s (Jira ignores IDs of other apps' webhooks)\n", joinIDs(ids))
	return exitOK
}

const refreshUsage = `
Usage: jirahooks refresh ID...
       jirahooks refresh --all
       jirahooks refresh --body '{"webhookIds": [10000, 10001]}'|@FILE|-

Extends the life of the app's webhooks (PUT /rest/api/3/webhook/refresh):
Jira deletes a webhook 30 days after its registration or last refresh. --all
refreshes every webhook the app has. Prints the new expiry. To keep webhooks
alive for good, run 'jirahooks keepalive' or embed keepalive.Refresher.
`

func cmdRefresh(c *cli, args []string) int {
	var o conn
	fs := newFlagSet("refresh", refreshUsage)
	body := fs.String("body", "", "request `JSON` ("+idsExample+"), @file, or - for standard input")
	all := fs.Bool("all", false, "refresh every webhook of the app")
	o.register(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return c.fail("refresh", err)
	}
	ids, err := c.readIDs(pos, *body)
	if err != nil {
		return c.fail("refresh", err)
	}
	if *all && len(ids) > 0 {
		return c.fail("refresh", usagef("give IDs or --all, not both"))
	}
	if !*all && len(ids) == 0 {
		return c.fail("refresh", usagef("which webhooks? give their IDs, or --all for every webhook of the app"))
	}
	wc, err := o.client(c)
	if err != nil {
		return c.fail("refresh", err)
	}
	ctx, cancel := o.context(c)
	defer cancel()
	if *all {
		for w, err := range wc.List(nil).All(ctx) {
			if err != nil {
				return c.fail("refresh", err)
			}
			ids = append(ids, w.ID)
		}
		ids = sortedIDs(ids)
		if len(ids) == 0 {
			if o.json {
				_ = printJSON(c.stdout, refreshJSON{WebhookIDs: []int64{}})
			} else {
				fmt.Fprintln(c.stdout, "no webhooks to refresh")
			}
			return exitOK
		}
	}
	var expiry time.Time
	for chunk := range slices.Chunk(ids, keepalive.DefaultBatchSize) {
		exp, err := wc.Refresh(ctx, chunk...)
		if err != nil {
			return c.fail("refresh", err)
		}
		if expiry.IsZero() || exp.Before(expiry) {
			expiry = exp
		}
	}
	if o.json {
		if err := printJSON(c.stdout, refreshJSON{WebhookIDs: ids, ExpirationDate: expiry}); err != nil {
			return c.fail("refresh", err)
		}
		return exitOK
	}
	fmt.Fprintf(c.stdout, "refreshed %s; they now expire at %s UTC\n", joinIDs(ids), fmtTime(expiry))
	return exitOK
}

// refreshJSON is refresh's --json output.
type refreshJSON struct {
	WebhookIDs     []int64   `json:"webhookIds"`
	ExpirationDate time.Time `json:"expirationDate,omitzero"`
}

const failedUsage = `
Usage: jirahooks failed [--after TIME] [--max-results N] [--cursor CURSOR]

Lists the deliveries Jira gave up on after its last retry, oldest first
(GET /rest/api/3/webhook/failed). Jira keeps them about 72 hours and shows
them to Connect apps only. TIME is milliseconds since the epoch (as Jira
takes it), an RFC 3339 time, or a duration ago such as 24h.

At the end it prints a cursor: pass it as --cursor next time to see only
newer failures. Replay a failure by POSTing its body to your receiver
(see examples/replay).
`

func cmdFailed(c *cli, args []string) int {
	var o conn
	fs := newFlagSet("failed", failedUsage)
	after := fs.String("after", "", "only failures after `TIME`")
	pageSize := fs.Int("max-results", 0, "page `size` to ask Jira for")
	cursor := fs.String("cursor", "", "resume from the `CURSOR` an earlier run printed")
	bodies := fs.Bool("bodies", false, "print each delivery's body too")
	fs.alias("maxResults", "max-results")
	o.register(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return c.fail("failed", err)
	}
	if len(pos) > 0 {
		return c.fail("failed", usagef("unexpected argument %q", pos[0]))
	}
	if *pageSize < 0 {
		return c.fail("failed", usagef("--max-results cannot be negative"))
	}
	var afterT time.Time
	if *after != "" {
		if *cursor != "" {
			return c.fail("failed", usagef("give --after or --cursor, not both: the cursor carries its own time"))
		}
		afterT, err = parseTime(*after, time.Now())
		if err != nil {
			return c.fail("failed", err)
		}
	}
	wc, err := o.client(c)
	if err != nil {
		return c.fail("failed", err)
	}
	ctx, cancel := o.context(c)
	defer cancel()
	p := wc.ListFailed(&webhooks.FailedOptions{After: afterT, MaxResults: *pageSize, Cursor: *cursor})
	var out failedJSON
	out.Failures = []failureJSON{}
	for f, err := range p.All(ctx) {
		if err != nil {
			return c.fail("failed", err)
		}
		out.Failures = append(out.Failures, failureJSON{
			ID: f.ID, URL: f.URL, Event: eventOf(f.Body), FailureTime: f.FailureTime, Body: f.Body,
		})
	}
	out.Cursor = p.Cursor()
	if o.json {
		if err := printJSON(c.stdout, out); err != nil {
			return c.fail("failed", err)
		}
		return exitOK
	}
	if len(out.Failures) == 0 {
		fmt.Fprintln(c.stdout, "no failed deliveries")
	} else {
		tw := table(c.stdout)
		fmt.Fprintln(tw, "FAILED AT (UTC)\tDELIVERY ID\tEVENT\tURL")
		for _, f := range out.Failures {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", fmtTime(f.FailureTime), f.ID, orDash(f.Event), orDash(f.URL))
		}
		tw.Flush()
		if *bodies {
			for _, f := range out.Failures {
				fmt.Fprintf(c.stdout, "\n%s:\n%s\n", f.ID, f.Body)
			}
		}
		fmt.Fprintf(c.stdout, "%d failed deliver%s\n", len(out.Failures), map[bool]string{true: "y", false: "ies"}[len(out.Failures) == 1])
	}
	if out.Cursor != "" {
		fmt.Fprintf(c.stdout, "next time: jirahooks failed --cursor '%s'\n", out.Cursor)
	}
	return exitOK
}

// failedJSON is failed's --json output.
type failedJSON struct {
	Failures []failureJSON `json:"failures"`
	// Cursor resumes the listing after these failures.
	Cursor string `json:"cursor"`
}

type failureJSON struct {
	ID          string    `json:"id"`
	URL         string    `json:"url,omitempty"`
	Event       string    `json:"event,omitempty"`
	FailureTime time.Time `json:"failureTime"`
	Body        string    `json:"body,omitempty"`
}

// eventOf returns the webhookEvent of a delivery body, or "".
func eventOf(body string) string {
	if body == "" {
		return ""
	}
	ev, err := webhooks.ParseEvent([]byte(body))
	if err != nil {
		return ""
	}
	return string(ev.Name)
}

// parseTime reads --after: milliseconds since the epoch, RFC 3339, or a
// duration before now.
func parseTime(s string, now time.Time) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms >= 0 {
		return time.UnixMilli(ms), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usagef("--after %q: give milliseconds since the epoch (1700000000000), an RFC 3339 time (2026-11-25T08:00:00Z) or a duration ago (24h)", s)
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func toEvents(ss []string) []webhooks.EventName {
	out := make([]webhooks.EventName, len(ss))
	for i, s := range ss {
		out[i] = webhooks.EventName(s)
	}
	return out
}

func eventStrings(evs []webhooks.EventName) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e)
	}
	return out
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	if len(ids) == 1 {
		return "webhook " + s[0]
	}
	return "webhooks " + strings.Join(s, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
