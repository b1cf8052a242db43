package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/webhooks"
)

const adminUsage = `
Usage: jirahooks admin list
       jirahooks admin get ID
       jirahooks admin create --name NAME --url URL --events E1,E2 [--jql JQL] [--exclude-body] [--secret S]
       jirahooks admin delete ID...

Manages admin webhooks (/rest/webhooks/1.0/webhook): the ones a Jira
administrator creates in Jira's settings. They never expire, accept any JQL,
and can sign deliveries with a secret (X-Hub-Signature; receive them with
'jirahooks listen --secret'). They need an administrator's credentials:
JIRA_EMAIL and JIRA_API_TOKEN, or an administrator's OAuth token.
`

func cmdAdmin(c *cli, args []string) int {
	o := conn{admin: true}
	fs := newFlagSet("admin", adminUsage)
	name := fs.String("name", "", "create: the webhook's `name` in Jira's settings")
	hookURL := fs.String("url", "", "create: the `URL` Jira delivers to (may hold ${issue.key} and other variables)")
	events := fs.String("events", "", "create: comma-separated event `names`")
	jql := fs.String("jql", "", "create: JQL `filter` for issue events (default: all issues)")
	excludeBody := fs.Bool("exclude-body", false, "create: send deliveries without a body")
	secret := fs.String("secret", "", "create: sign deliveries with this `secret` ($JIRA_WEBHOOK_SECRET)")
	allowUnknown := fs.Bool("allow-unknown-events", false, "create: send event names Jira does not document")
	o.register(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return c.fail("admin", err)
	}
	if len(pos) == 0 {
		return c.fail("admin", usagef("which operation? list, get, create or delete"))
	}
	op, rest := pos[0], pos[1:]
	createFlags := *name != "" || *hookURL != "" || *events != "" || *jql != "" || *excludeBody || *secret != ""
	if op != "create" && createFlags {
		return c.fail("admin", usagef("--name, --url, --events, --jql, --exclude-body and --secret are for 'admin create'"))
	}
	var ids []int64
	switch op {
	case "list":
		if len(rest) > 0 {
			return c.fail("admin", usagef("admin list takes no arguments"))
		}
	case "get", "delete":
		for _, a := range rest {
			for _, s := range splitList(a) {
				id, err := strconv.ParseInt(s, 10, 64)
				if err != nil || id <= 0 {
					return c.fail("admin", usagef("%q is not a webhook ID: IDs are positive numbers, as 'jirahooks admin list' shows them", s))
				}
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 || (op == "get" && len(ids) != 1) {
			return c.fail("admin", usagef("admin %s needs the webhook's ID, as 'jirahooks admin list' shows it", op))
		}
	case "create":
		if len(rest) > 0 {
			return c.fail("admin", usagef("unexpected argument %q", rest[0]))
		}
		if *name == "" || *hookURL == "" {
			return c.fail("admin", usagef("admin create needs --name and --url"))
		}
		if err := checkEvents(splitList(*events), *allowUnknown); err != nil {
			return c.fail("admin", err)
		}
		if *secret == "" {
			*secret = c.getenv("JIRA_WEBHOOK_SECRET")
		}
	default:
		return c.fail("admin", usagef("unknown operation %q: use list, get, create or delete", op))
	}

	wc, err := o.client(c)
	if err != nil {
		return c.fail("admin", err)
	}
	admin := wc.Admin()
	ctx, cancel := o.context(c)
	defer cancel()

	var hooks []webhooks.AdminWebhook
	switch op {
	case "list":
		hooks, err = admin.List(ctx)
	case "get":
		var h *webhooks.AdminWebhook
		if h, err = admin.Get(ctx, ids[0]); err == nil {
			hooks = append(hooks, *h)
		}
	case "create":
		var h *webhooks.AdminWebhook
		h, err = admin.Create(ctx, webhooks.AdminWebhook{
			Name: *name, URL: *hookURL, Events: toEvents(splitList(*events)), JQLFilter: *jql,
			ExcludeBody: *excludeBody, Secret: *secret,
		})
		if err == nil {
			hooks = append(hooks, *h)
		}
	case "delete":
		for _, id := range ids {
			if err = admin.Delete(ctx, id); err != nil {
				break
			}
		}
		if err == nil {
			if o.json {
				err = printJSON(c.stdout, idsBody{WebhookIDs: ids})
			} else {
				fmt.Fprintf(c.stdout, "deleted admin %s\n", joinIDs(ids))
			}
		}
		if err != nil {
			return c.fail("admin", err)
		}
		return exitOK
	}
	if err != nil {
		return c.fail("admin", err)
	}

	out := make([]adminJSON, len(hooks))
	for i, h := range hooks {
		out[i] = adminJSON{
			ID: h.ID, Name: h.Name, URL: h.URL, Events: eventStrings(h.Events), JQLFilter: h.JQLFilter,
			ExcludeBody: h.ExcludeBody, Enabled: !h.Disabled, Signed: h.IsSigned || h.Secret != "", LastUpdated: h.LastUpdated,
		}
	}
	if o.json {
		var v any = out
		if op != "list" {
			v = out[0]
		}
		if err := printJSON(c.stdout, v); err != nil {
			return c.fail("admin", err)
		}
		return exitOK
	}
	if op == "list" && len(out) == 0 {
		fmt.Fprintln(c.stdout, "no admin webhooks")
		return exitOK
	}
	tw := table(c.stdout)
	fmt.Fprintln(tw, "ID\tNAME\tENABLED\tSIGNED\tEVENTS\tJQL\tURL")
	for _, h := range out {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Name, yesNo(h.Enabled), yesNo(h.Signed),
			orDash(strings.Join(h.Events, ",")), orDash(h.JQLFilter), h.URL)
	}
	tw.Flush()
	return exitOK
}

// adminJSON is an admin webhook in admin's --json output. The secret is
// never printed; Signed tells whether there is one.
type adminJSON struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	JQLFilter   string    `json:"jqlFilter,omitempty"`
	ExcludeBody bool      `json:"excludeBody"`
	Enabled     bool      `json:"enabled"`
	Signed      bool      `json:"signed"`
	LastUpdated time.Time `json:"lastUpdated,omitzero"`
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
