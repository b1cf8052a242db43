package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/internal/jwtsign"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

const triggerUsage = `
Usage: jirahooks trigger EVENT --to URL [SIGNING] [--issue KEY] [--repeat N] [--json]
       jirahooks trigger --body JSON|@FILE|- --to URL [SIGNING]

Sends one delivery of EVENT to the receiver at URL, as Jira would: a
realistic body (the one the fake site renders, see 'jirahooks fake'), Jira's
headers (X-Atlassian-Webhook-Identifier, -Retry and -Flow) and the signature
SIGNING names:
  --secret S                     an admin webhook: X-Hub-Signature ($JIRA_WEBHOOK_SECRET)
  --client-secret S              an OAuth 2.0 app: Authorization: Bearer <JWT> ($JIRA_CLIENT_SECRET)
  --shared-secret S --app-key K  a Connect app: Authorization: JWT <JWT with qsh>,
        [--client-key C]         iss = the installation's clientKey (default K)
                                 ($JIRA_SHARED_SECRET, $JIRA_APP_KEY)
  nothing                        unsigned
The environment is read only when no signing flag is given; with several
secrets set, JIRA_AUTH (oauth or connect) picks one.

--repeat N sends the same delivery N more times with the same identifier and
X-Atlassian-Webhook-Retry 1..N, as Jira's retries do, to test deduplication.
--body sends your own payload instead (its webhookEvent names the event).

Prints each answer's status and first line. Exits 0 when every answer was
2xx, 1 otherwise.
`

func cmdTrigger(c *cli, args []string) int {
	fs := newFlagSet("trigger", triggerUsage)
	to := fs.String("to", "", "the receiver's `URL`")
	hubSecret := fs.String("secret", "", "sign as an admin webhook with this `secret` ($JIRA_WEBHOOK_SECRET)")
	clientSecret := fs.String("client-secret", "", "sign as Jira does for an OAuth 2.0 app with this client `secret` ($JIRA_CLIENT_SECRET)")
	sharedSecret := fs.String("shared-secret", "", "sign as Jira does for a Connect app with this shared `secret` ($JIRA_SHARED_SECRET)")
	appKey := fs.String("app-key", "", "with --shared-secret: the Connect app `key` ($JIRA_APP_KEY)")
	clientKey := fs.String("client-key", "", "with --shared-secret: the installation's `clientKey`, the JWT's iss (default: the app key)")
	contextPath := fs.String("context-path", "", "with --shared-secret: the `path` of the Connect app's base URL, left out of the qsh")
	issue := fs.String("issue", "PRJ-1", "the issue `KEY` of issue, comment, worklog and property events")
	site := fs.String("site", "https://your-domain.atlassian.net", "the Jira site `URL` of the body's self links")
	webhookID := fs.Int64("webhook-id", 10000, "the `ID` in matchedWebhookIds (not sent with --secret: admin webhooks have none)")
	body := fs.String("body", "", "send this payload instead: `JSON`, @file, or - for standard input")
	repeat := fs.Int("repeat", 0, "resend the delivery `N` more times with the same identifier")
	allowUnknown := fs.Bool("allow-unknown-events", false, "send an EVENT name Jira does not document")
	timeout := fs.Duration("timeout", 30*time.Second, "give up on the receiver after this `duration`")
	asJSON := fs.Bool("json", false, "print the answers as JSON for scripts")
	pos, err := c.parse(fs, args)
	if err != nil {
		return c.fail("trigger", err)
	}
	d, err := c.triggerDelivery(pos, triggerFlags{
		to: *to, hubSecret: *hubSecret, clientSecret: *clientSecret, sharedSecret: *sharedSecret,
		appKey: *appKey, clientKey: *clientKey, contextPath: *contextPath, issue: *issue, site: *site,
		webhookID: *webhookID, body: *body, repeat: *repeat, allowUnknown: *allowUnknown,
	})
	if err != nil {
		return c.fail("trigger", err)
	}
	ctx, cancel := c.ctx, context.CancelFunc(func() {})
	if *timeout > 0 {
		ctx, cancel = context.WithTimeout(c.ctx, *timeout)
	}
	defer cancel()

	var answers []answerJSON
	allOK := true
	for retry := 0; retry <= *repeat; retry++ {
		a, err := d.send(ctx, retry)
		if err != nil {
			fmt.Fprintf(c.stderr, "jirahooks trigger: could not deliver to %s: %v\nhint: is the receiver running on that address? check --to\n", d.to, err)
			return exitFailure
		}
		allOK = allOK && a.Status >= 200 && a.Status < 300
		answers = append(answers, a)
		if !*asJSON {
			line := fmt.Sprintf("%s  delivery %s", a.StatusText, a.Delivery)
			if retry > 0 {
				line += fmt.Sprintf(" (retry %d)", retry)
			}
			if a.Answer != "" {
				line += "  " + a.Answer
			}
			fmt.Fprintln(c.stdout, line)
		}
	}
	if *asJSON {
		if err := printJSON(c.stdout, triggerJSON{Event: d.event, To: d.to, Signing: d.signing, Answers: answers}); err != nil {
			return c.fail("trigger", err)
		}
	}
	if !allOK {
		fmt.Fprintf(c.stderr, "jirahooks trigger: the receiver did not answer 2xx; Jira would retry 408, 409, 425, 429 and 5xx, and give up on other statuses\n")
		return exitFailure
	}
	return exitOK
}

type triggerFlags struct {
	to, hubSecret, clientSecret, sharedSecret, appKey, clientKey, contextPath, issue, site, body string
	webhookID                                                                                    int64
	repeat                                                                                       int
	allowUnknown                                                                                 bool
}

// delivery is what trigger sends, ready to sign.
type delivery struct {
	to      string
	event   string
	body    []byte
	id      string
	signing string // "unsigned", "X-Hub-Signature", "OAuth 2.0 JWT", "Connect JWT"
	sign    func(r *http.Request) error
	client  *http.Client
}

// triggerDelivery checks trigger's command line and builds the delivery.
func (c *cli) triggerDelivery(pos []string, f triggerFlags) (*delivery, error) {
	if f.to == "" {
		return nil, usagef("where to? give the receiver's URL with --to, such as --to http://127.0.0.1:8080/")
	}
	u, err := url.Parse(f.to)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--to %q: give an http or https URL, such as http://127.0.0.1:8080/", f.to)
	}
	if f.repeat < 0 {
		return nil, usagef("--repeat cannot be negative")
	}
	if len(pos) > 1 {
		return nil, usagef("one event at a time: unexpected argument %q", pos[1])
	}
	d := &delivery{to: f.to, client: &http.Client{}}

	// Signing: flags first, the environment when no flag chose.
	if f.hubSecret == "" && f.clientSecret == "" && f.sharedSecret == "" {
		switch strings.TrimSpace(c.getenv("JIRA_AUTH")) {
		case "oauth":
			f.clientSecret = c.getenv("JIRA_CLIENT_SECRET")
		case "connect":
			f.sharedSecret = c.getenv("JIRA_SHARED_SECRET")
		default:
			f.hubSecret = c.getenv("JIRA_WEBHOOK_SECRET")
			f.clientSecret = c.getenv("JIRA_CLIENT_SECRET")
			f.sharedSecret = c.getenv("JIRA_SHARED_SECRET")
		}
		if f.sharedSecret != "" && f.appKey == "" {
			f.appKey = c.getenv("JIRA_APP_KEY")
		}
	}
	var kinds []string
	for _, k := range []struct {
		set  bool
		name string
	}{{f.hubSecret != "", "--secret"}, {f.clientSecret != "", "--client-secret"}, {f.sharedSecret != "", "--shared-secret"}} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	if len(kinds) > 1 {
		return nil, usagef("more than one signature (%s): Jira signs a delivery one way; choose one (JIRA_AUTH picks between the environment's secrets)", strings.Join(kinds, ", "))
	}
	if (f.appKey != "" || f.clientKey != "" || f.contextPath != "") && f.sharedSecret == "" {
		return nil, usagef("--app-key, --client-key and --context-path go with --shared-secret")
	}
	var ids []int64
	switch {
	case f.hubSecret != "":
		d.signing = "X-Hub-Signature"
		secret := []byte(f.hubSecret)
		d.sign = func(r *http.Request) error {
			r.Header.Set("X-Hub-Signature", jwtsign.HubSignature(secret, d.body))
			return nil
		}
	case f.clientSecret != "":
		d.signing, ids = "OAuth 2.0 JWT", []int64{f.webhookID}
		secret := []byte(f.clientSecret)
		d.sign = func(r *http.Request) error {
			tok, err := jwtsign.OAuthToken(secret, time.Now(), 5*time.Minute, nil)
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", "Bearer "+tok)
			return nil
		}
	case f.sharedSecret != "":
		if f.appKey == "" && f.clientKey == "" {
			return nil, usagef("--shared-secret needs --app-key (or --client-key): the Connect JWT's iss is the installation's clientKey")
		}
		iss := f.clientKey
		if iss == "" {
			iss = f.appKey
		}
		d.signing, ids = "Connect JWT", []int64{f.webhookID}
		secret := []byte(f.sharedSecret)
		d.sign = func(r *http.Request) error {
			tok, err := jwtsign.ConnectToken(secret, iss, r.Method, r.URL, f.contextPath, time.Now(), 3*time.Minute)
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", "JWT "+tok)
			return nil
		}
	default:
		d.signing = "unsigned"
		d.sign = func(*http.Request) error { return nil }
		ids = []int64{f.webhookID}
	}

	// The body.
	if f.body != "" {
		data, err := c.readBody(f.body)
		if err != nil {
			return nil, err
		}
		ev, err := webhooks.ParseEvent(data)
		if err != nil {
			return nil, usagef("--body %s is not a Jira callback: %v", bodySource(f.body), err)
		}
		d.body, d.event = data, string(ev.Name)
		if len(pos) == 1 && pos[0] != d.event {
			return nil, usagef("EVENT %q, but the body's webhookEvent is %q: give one of them", pos[0], d.event)
		}
	} else {
		if len(pos) == 0 {
			return nil, usagef("which event? such as 'jirahooks trigger jira:issue_updated --to URL' (known: %s)", strings.Join(jiratest.SampleEvents(), ", "))
		}
		d.event = pos[0]
		if err := checkEvents([]string{d.event}, f.allowUnknown); err != nil {
			return nil, err
		}
		ev, err := jiratest.SampleEvent(d.event, jiratest.Issue{Key: f.issue})
		if err != nil {
			return nil, usagef("no sample payload for %q (there are for: %s); send your own with --body @file", d.event, strings.Join(jiratest.SampleEvents(), ", "))
		}
		if d.body, err = ev.Payload(f.site, time.Now(), ids...); err != nil {
			return nil, err
		}
	}
	d.id = webhookstest.NewDeliveryID()
	return d, nil
}

// answerJSON is one answer in trigger's output.
type answerJSON struct {
	Delivery   string `json:"delivery"`
	Retry      int    `json:"retry"`
	Status     int    `json:"status"`
	StatusText string `json:"-"`
	Answer     string `json:"answer"` // the first line of the answer's body
}

// triggerJSON is trigger's --json output.
type triggerJSON struct {
	Event   string       `json:"event"`
	To      string       `json:"to"`
	Signing string       `json:"signing"`
	Answers []answerJSON `json:"answers"`
}

// send makes one attempt, retry number retry, and reads the answer.
func (d *delivery) send(ctx context.Context, retry int) (answerJSON, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.to, bytes.NewReader(d.body))
	if err != nil {
		return answerJSON{}, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", "Atlassian Webhook HTTP Client")
	h.Set("X-Atlassian-Webhook-Identifier", d.id)
	h.Set("X-Atlassian-Webhook-Retry", strconv.Itoa(retry))
	h.Set("X-Atlassian-Webhook-Flow", "Primary")
	if err := d.sign(req); err != nil {
		return answerJSON{}, err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return answerJSON{}, err
	}
	defer resp.Body.Close()
	first, _ := bufio.NewReader(io.LimitReader(resp.Body, 4096)).ReadString('\n')
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return answerJSON{
		Delivery: d.id, Retry: retry, Status: resp.StatusCode, StatusText: resp.Status,
		Answer: strings.TrimSpace(first),
	}, nil
}
