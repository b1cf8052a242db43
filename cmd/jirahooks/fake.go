package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/jirahooks/jirahooks/jiratest"
)

const fakeUsage = `
Usage: jirahooks fake [--addr 127.0.0.1:8080] [--seed N]

Serves an in-memory Jira Cloud site (the jiratest package) on --addr until
Ctrl-C, to try jirahooks, or test a receiver in any language, without a
Jira site. It speaks Jira's webhook API (register, list, refresh, delete,
failed deliveries, admin webhooks) and delivers, signed as Jira signs, to the
webhooks registered on it.

On start it prints shell lines for the fake site's throw-away credentials,
one per line, then serves:
  export JIRA_BASE_URL=...                               the site
  export JIRA_ACCESS_TOKEN=... JIRA_CLIENT_SECRET=...    an OAuth 2.0 app
  export JIRA_APP_KEY=... JIRA_SHARED_SECRET=...         a Connect app
  export JIRA_EMAIL=... JIRA_API_TOKEN=...               a Jira administrator
  export JIRA_AUTH=oauth                                 the app the commands use
So, in a shell:
  jirahooks fake > fake.env &  sleep 1;  . ./fake.env
  jirahooks register --url http://127.0.0.1:9000/ --events jira:issue_updated --jql 'project = PRJ'

Its control API, under /_jiratest (openapi/jiratest-control.yaml), emits
events, moves the fake clock, injects faults and lists deliveries:
  curl -X POST "$JIRA_BASE_URL/_jiratest/events" -d '{"event": "jira:issue_updated", "issueKey": "PRJ-1"}'

--addr 127.0.0.1:0 picks a free port (JIRA_BASE_URL says which).
`

// The fake site's users.
const (
	fakeOAuthClientID = "jirahooks-fake-oauth"
	fakeConnectAppKey = "jirahooks-fake-connect"
	fakeAdminEmail    = "admin@example.com"
)

func cmdFake(c *cli, args []string) int {
	fs := newFlagSet("fake", fakeUsage)
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to serve on (port 0: a free one)")
	seed := fs.String("seed", "", "reproduce random faults, retry delays and delivery identifiers from seed `N`")
	pos, err := c.parse(fs, args)
	if err != nil {
		return c.fail("fake", err)
	}
	if len(pos) > 0 {
		return c.fail("fake", usagef("unexpected argument %q", pos[0]))
	}
	opts := []jiratest.Option{jiratest.WithControlAPI()}
	if *seed != "" {
		n, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return c.fail("fake", usagef("--seed %q: give a non-negative whole number", *seed))
		}
		opts = append(opts, jiratest.WithSeed(n))
	}
	ln, err := listenTCP(*addr)
	if err != nil {
		return c.fail("fake", err)
	}
	srv := jiratest.NewServer(append(opts, jiratest.WithListener(ln))...)
	defer srv.Close()

	clientSecret, sharedSecret, apiToken := randomToken(), randomToken(), randomToken()
	oauth := srv.AddOAuthApp(fakeOAuthClientID, []byte(clientSecret))
	srv.AddConnectApp(fakeConnectAppKey, []byte(sharedSecret))
	srv.AddAdmin(fakeAdminEmail, apiToken)

	for _, kv := range [][2]string{
		{"JIRA_BASE_URL", srv.URL()},
		{"JIRA_ACCESS_TOKEN", oauth.Token()},
		{"JIRA_CLIENT_SECRET", clientSecret},
		{"JIRA_APP_KEY", fakeConnectAppKey},
		{"JIRA_SHARED_SECRET", sharedSecret},
		{"JIRA_EMAIL", fakeAdminEmail},
		{"JIRA_API_TOKEN", apiToken},
		{"JIRA_AUTH", "oauth"},
	} {
		fmt.Fprintf(c.stdout, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	fmt.Fprintf(c.stderr, "jirahooks fake: a Jira site at %s (control API: %s%s); Ctrl-C to stop\n", srv.URL(), srv.URL(), jiratest.ControlPrefix)
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		fmt.Fprintf(c.stderr, "warning: %s is reachable from other machines: anyone there can use the control API and the printed credentials; prefer 127.0.0.1\n", ln.Addr())
	}
	<-c.ctx.Done()
	return exitOK
}

// randomToken returns a fresh throw-away secret.
func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9@%+=:,./_-]*$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
