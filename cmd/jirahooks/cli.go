package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jirahooks/jirahooks/auth"
	"github.com/jirahooks/jirahooks/webhooks"
	"golang.org/x/oauth2"
)

// Exit codes, documented in the top-level help.
const (
	exitOK      = 0 // the command did what it was asked
	exitFailure = 1 // Jira (or trigger's receiver) answered with an error, or could not be reached
	exitUsage   = 2 // the command line (or --body) was wrong, or a local problem; nothing was sent
	exitRefused = 3 // register, keepalive --once: Jira refused some of the webhooks
)

// cli is one invocation's world: where it reads and writes, and its
// environment. Tests build one around buffers and a map.
type cli struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	// clock is the Refresher's clock for keepalive; nil means the real
	// time. Tests set it to the in-memory Jira's clock.
	clock webhooks.Clock
}

// command is one subcommand.
type command struct {
	name    string
	aliases []string // other names, such as jr's operation names
	summary string
	run     func(c *cli, args []string) int
}

// commands returns the subcommands in the order help lists them.
func commands() []command {
	return []command{
		{"register", []string{"register-dynamic"}, "register dynamic webhooks (POST /webhook)", cmdRegister},
		{"list", []string{"get-dynamic-webhooks-for-app"}, "list the app's webhooks, every page (GET /webhook)", cmdList},
		{"delete", []string{"delete-by-id"}, "delete webhooks by ID (DELETE /webhook)", cmdDelete},
		{"refresh", nil, "extend webhooks' life by 30 days (PUT /webhook/refresh)", cmdRefresh},
		{"failed", []string{"get-failed"}, "list deliveries Jira gave up on (GET /webhook/failed, Connect apps)", cmdFailed},
		{"listen", nil, "receive deliveries locally: verify and print them", cmdListen},
		{"keepalive", nil, "keep webhooks alive until interrupted (keepalive.Refresher)", cmdKeepalive},
		{"admin", nil, "manage admin webhooks (needs a Jira administrator)", cmdAdmin},
		{"fake", nil, "serve an in-memory Jira site to try everything without one", cmdFake},
		{"trigger", nil, "send one realistic, signed delivery to any receiver", cmdTrigger},
	}
}

const topUsage = `jirahooks manages a Jira Cloud app's dynamic webhooks.

Usage:
  jirahooks <command> [flags] [arguments]

Commands:
%s
Run 'jirahooks <command> --help' for a command's flags. The names of the jr
tool work too: register-dynamic, get-dynamic-webhooks-for-app, delete-by-id,
get-failed, with --body, --maxResults and --startAt as jr takes them.

Connecting to Jira (flags override the environment):
  JIRA_BASE_URL       --base-url       https://your-domain.atlassian.net, or with an
                                       OAuth token https://api.atlassian.com/ex/jira/{cloudId}
  JIRA_ACCESS_TOKEN   --access-token   OAuth 2.0 (3LO) app: a bearer access token
  JIRA_APP_KEY        --app-key        Connect app: the app key ...
  JIRA_SHARED_SECRET  --shared-secret  ... and the installation's shared secret
  JIRA_EMAIL          --email          basic auth: an email and API token; Jira accepts
  JIRA_API_TOKEN      --api-token      them for admin webhooks only ('jirahooks admin')
  JIRA_API_VERSION    --api-version    REST API version, 3 (default) or 2
  JIRA_AUTH           --auth           which credentials to use when more than one kind
                                       is set: oauth, connect or basic ('admin' takes
                                       an email and API token over JIRA_AUTH)

Receiving and sending deliveries ('jirahooks listen', 'jirahooks trigger'):
  JIRA_CLIENT_SECRET  --client-secret  OAuth 2.0 app: the client secret deliveries are signed with
  JIRA_SHARED_SECRET  --shared-secret  Connect app: the installation's shared secret
  JIRA_WEBHOOK_SECRET --secret         admin webhook: the secret of X-Hub-Signature
Prefer the environment for secrets: flags show up in the process list.
The commands never print a token or a secret ('jirahooks fake' prints the
throw-away credentials of its fake site: that is what it is for).

Without a Jira site: 'jirahooks fake' serves an in-memory one and prints the
variables above for it; 'jirahooks trigger' sends a signed delivery to any
receiver.

Output is for people; --json prints JSON for scripts instead.

Exit codes:
  0  success
  1  Jira answered with an error or could not be reached; trigger: the
     receiver did not answer 2xx, or could not be reached
  2  usage or local error: a wrong flag, argument or --body, or a local
     problem such as a port in use; nothing was sent
  3  register, keepalive --once: Jira refused some of the webhooks (the
     others are registered; the output lists both)
`

// run executes one command line and returns the process's exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	return c.run(args)
}

func (c *cli) run(args []string) int {
	if len(args) == 0 {
		c.topHelp(c.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			if cmd, ok := lookup(rest[0]); ok {
				return cmd.run(c, []string{"--help"})
			}
		}
		c.topHelp(c.stdout)
		return exitOK
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(c.stderr, "jirahooks: unknown command %q\nRun 'jirahooks help' for the list of commands.\n", name)
		return exitUsage
	}
	return cmd.run(c, rest)
}

func lookup(name string) (command, bool) {
	for _, cmd := range commands() {
		if cmd.name == name || slices.Contains(cmd.aliases, name) {
			return cmd, true
		}
	}
	return command{}, false
}

func (c *cli) topHelp(w io.Writer) {
	var b strings.Builder
	for _, cmd := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(w, topUsage, b.String())
}

// usageError is a mistake on the command line: exit code 2, nothing sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error {
	return &usageError{fmt.Sprintf(format, a...)}
}

// flagSet is a command's flags, with help text and hidden aliases.
type flagSet struct {
	*flag.FlagSet
	name   string
	usage  string // the synopsis and description
	hidden map[string]bool
	common map[string]bool // the connection flags, listed apart
}

func newFlagSet(name, usage string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), name: name, usage: usage, hidden: map[string]bool{}, common: map[string]bool{}}
	fs.SetOutput(io.Discard)
	return fs
}

// alias registers name as a hidden second name of the flag target.
func (fs *flagSet) alias(name, target string) {
	f := fs.Lookup(target)
	fs.Var(f.Value, name, f.Usage)
	fs.hidden[name] = true
}

func (fs *flagSet) printHelp(w io.Writer) {
	fmt.Fprintf(w, "%s\n", strings.TrimSpace(fs.usage))
	fs.printFlags(w, "Flags:", func(name string) bool { return !fs.common[name] })
	fs.printFlags(w, "Connecting to Jira (see 'jirahooks help'):", func(name string) bool { return fs.common[name] })
}

func (fs *flagSet) printFlags(w io.Writer, title string, keep func(string) bool) {
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if fs.hidden[f.Name] || !keep(f.Name) {
			return
		}
		if first {
			fmt.Fprintf(w, "\n%s\n", title)
			first = false
		}
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%-28s %s", line, usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// parse parses args, letting flags and positional arguments mix
// ("delete 1 2 --json"); "--" ends the flags. It returns the positional
// arguments. A request for help prints it to stdout and returns
// flag.ErrHelp.
func (c *cli) parse(fs *flagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printHelp(c.stdout)
				return nil, err
			}
			return nil, &usageError{doubleDash(err.Error())}
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagName matches a flag name as the flag package writes it in errors,
// "-name", after the start or a space.
var flagName = regexp.MustCompile(`(^|: | )-([A-Za-z][A-Za-z0-9-]*)`)

// doubleDash rewrites the flag package's "-name" in an error message as
// "--name", the spelling the help documents.
func doubleDash(msg string) string {
	return flagName.ReplaceAllString(msg, "$1--$2")
}

// localError is a problem on this machine, not in Jira: exit code 2, with a
// hint that names the fix.
type localError struct {
	err  error
	hint string
}

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// fail reports err for command name and returns the exit code it calls for.
func (c *cli) fail(name string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(c.stderr, "jirahooks %s: %s\nRun 'jirahooks %s --help' for usage.\n", name, ue.msg, name)
		return exitUsage
	}
	var le *localError
	if errors.As(err, &le) {
		fmt.Fprintf(c.stderr, "jirahooks %s: %v\n", name, le.err)
		if le.hint != "" {
			fmt.Fprintf(c.stderr, "hint: %s\n", le.hint)
		}
		return exitUsage
	}
	fmt.Fprintf(c.stderr, "jirahooks %s: %v\n", name, err)
	if h := hint(name, err); h != "" {
		fmt.Fprintf(c.stderr, "hint: %s\n", h)
	}
	return exitFailure
}

// hint says what to do about an error from Jira, when there is something
// to say.
func hint(name string, err error) string {
	var apiErr *webhooks.APIError
	switch {
	case errors.Is(err, webhooks.ErrAdminUnauthorized):
		return "check JIRA_EMAIL and JIRA_API_TOKEN (create a token at https://id.atlassian.com/manage-profile/security/api-tokens)"
	case errors.Is(err, webhooks.ErrAdminRightsNeeded):
		return "admin webhooks need the credentials of a Jira administrator"
	case errors.Is(err, webhooks.ErrAdminWebhookNotFound):
		return "'jirahooks admin list' shows the IDs"
	case errors.Is(err, webhooks.ErrConnectOnly):
		return "only Connect apps can list failed deliveries (JIRA_APP_KEY and JIRA_SHARED_SECRET); OAuth 2.0 apps cannot"
	case errors.Is(err, webhooks.ErrNotAnApp):
		return "the webhook API only accepts apps: set JIRA_ACCESS_TOKEN (OAuth 2.0 app) or JIRA_APP_KEY and JIRA_SHARED_SECRET (Connect app); an email and API token work for admin webhooks only"
	case errors.Is(err, webhooks.ErrRateLimited):
		return "Jira is rate limiting this app: wait a minute, then run the command again"
	case errors.As(err, &apiErr):
		switch apiErr.StatusCode {
		case http.StatusUnauthorized:
			return "Jira did not accept the credentials: OAuth access tokens expire after an hour; with an OAuth token the base URL must be https://api.atlassian.com/ex/jira/{cloudId}; a Connect app needs its installation's shared secret"
		case http.StatusForbidden:
			return "the app lacks a permission: an OAuth 2.0 app needs the manage:jira-webhook scope"
		case http.StatusNotFound:
			return "check JIRA_BASE_URL: https://your-domain.atlassian.net, or https://api.atlassian.com/ex/jira/{cloudId} with an OAuth token"
		}
	case errors.Is(err, context.DeadlineExceeded):
		return "Jira did not answer in time: check JIRA_BASE_URL and the network, or raise --timeout"
	}
	var netErr interface{ Timeout() bool }
	if errors.As(err, &netErr) {
		return "could not reach Jira: check JIRA_BASE_URL and the network"
	}
	return ""
}

// conn holds the flags every API command has: which site, which
// credentials, which API version, and the output format.
type conn struct {
	baseURL      string
	accessToken  string
	appKey       string
	sharedSecret string
	email        string
	apiToken     string
	apiVersion   int
	auth         string // oauth, connect or basic: which kind when several are set
	authFromEnv  bool   // auth came from JIRA_AUTH, not --auth
	admin        bool   // the command manages admin webhooks, which take basic auth
	timeout      time.Duration
	json         bool
}

func (o *conn) register(fs *flagSet) {
	fs.StringVar(&o.baseURL, "base-url", "", "Jira site `URL` ($JIRA_BASE_URL)")
	fs.StringVar(&o.accessToken, "access-token", "", "OAuth 2.0 access `token` ($JIRA_ACCESS_TOKEN)")
	fs.StringVar(&o.appKey, "app-key", "", "Connect app `key` ($JIRA_APP_KEY)")
	fs.StringVar(&o.sharedSecret, "shared-secret", "", "Connect shared `secret` ($JIRA_SHARED_SECRET)")
	fs.StringVar(&o.email, "email", "", "`email` for basic auth ($JIRA_EMAIL)")
	fs.StringVar(&o.apiToken, "api-token", "", "API `token` for basic auth ($JIRA_API_TOKEN)")
	fs.IntVar(&o.apiVersion, "api-version", 0, "REST API `version`, 3 or 2 ($JIRA_API_VERSION, default 3)")
	fs.StringVar(&o.auth, "auth", "", "which `kind` of credentials to use when several are set: oauth, connect or basic ($JIRA_AUTH)")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "give up on Jira after this `duration`")
	fs.BoolVar(&o.json, "json", false, "print JSON for scripts")
	for _, n := range []string{"base-url", "access-token", "app-key", "shared-secret", "email", "api-token", "api-version", "auth", "timeout"} {
		fs.common[n] = true
	}
}

// fill completes the flags from the environment.
func (o *conn) fill(getenv func(string) string) error {
	authFlag := o.auth != ""
	for _, v := range []struct {
		dst *string
		env string
	}{
		{&o.baseURL, "JIRA_BASE_URL"},
		{&o.accessToken, "JIRA_ACCESS_TOKEN"},
		{&o.appKey, "JIRA_APP_KEY"},
		{&o.sharedSecret, "JIRA_SHARED_SECRET"},
		{&o.email, "JIRA_EMAIL"},
		{&o.apiToken, "JIRA_API_TOKEN"},
		{&o.auth, "JIRA_AUTH"},
	} {
		if *v.dst == "" {
			*v.dst = strings.TrimSpace(getenv(v.env))
		}
	}
	o.authFromEnv = !authFlag && o.auth != ""
	if o.apiVersion == 0 {
		switch v := strings.TrimSpace(getenv("JIRA_API_VERSION")); v {
		case "", "3":
			o.apiVersion = 3
		case "2":
			o.apiVersion = 2
		default:
			return usagef("JIRA_API_VERSION is %q: use 3 or 2", v)
		}
	}
	if o.apiVersion != 2 && o.apiVersion != 3 {
		return usagef("--api-version %d: use 3 or 2", o.apiVersion)
	}
	return nil
}

// httpClient returns an HTTP client that authenticates with the configured
// credentials, and which kind they are.
func (o *conn) httpClient() (*http.Client, string, error) {
	if o.baseURL == "" {
		return nil, "", usagef("no Jira site: set JIRA_BASE_URL (or --base-url) to https://your-domain.atlassian.net, or with an OAuth token to https://api.atlassian.com/ex/jira/{cloudId}")
	}
	kind, err := o.kind()
	if err != nil {
		return nil, "", err
	}
	base := http.DefaultTransport
	switch kind {
	case "oauth":
		ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: o.accessToken, TokenType: "Bearer"})
		return &http.Client{Transport: &oauth2.Transport{Source: ts, Base: base}}, "oauth", nil
	case "connect":
		rt, err := auth.Connect{AppKey: o.appKey, SharedSecret: []byte(o.sharedSecret), BaseURL: o.baseURL}.Transport(base)
		if err != nil {
			return nil, "", usagef("Connect credentials: %v", err)
		}
		return &http.Client{Transport: rt}, "connect", nil
	default:
		return &http.Client{Transport: auth.Basic{Email: o.email, APIToken: o.apiToken}.Transport(base)}, "basic", nil
	}
}

// kind decides which of the configured credentials the command uses:
// --auth when given; else, for admin webhooks, an email and API token when
// set; else JIRA_AUTH when set; else the only kind set; else, when an email
// and API token sit beside one app's credentials, the app's. So after
// 'jirahooks fake' (which sets all three kinds and JIRA_AUTH=oauth) the
// webhook commands use the OAuth app and 'admin' the administrator.
func (o *conn) kind() (string, error) {
	set := map[string]bool{}
	if o.accessToken != "" {
		set["oauth"] = true
	}
	if o.appKey != "" || o.sharedSecret != "" {
		if o.appKey == "" || o.sharedSecret == "" {
			return "", usagef("a Connect app needs both JIRA_APP_KEY and JIRA_SHARED_SECRET (or --app-key and --shared-secret)")
		}
		set["connect"] = true
	}
	if o.email != "" || o.apiToken != "" {
		if o.email == "" || o.apiToken == "" {
			return "", usagef("basic auth needs both JIRA_EMAIL and JIRA_API_TOKEN (or --email and --api-token)")
		}
		set["basic"] = true
	}
	names := map[string]string{"oauth": "an OAuth access token", "connect": "a Connect app key and shared secret", "basic": "an email and API token"}
	if o.admin && set["basic"] && (o.auth == "" || o.authFromEnv) {
		return "basic", nil
	}
	if o.auth != "" {
		what, known := names[o.auth]
		switch {
		case !known:
			return "", usagef("--auth %q (or JIRA_AUTH): use oauth, connect or basic", o.auth)
		case !set[o.auth]:
			return "", usagef("--auth %s, but %s is not set", o.auth, what)
		}
		return o.auth, nil
	}
	if set["basic"] && len(set) == 2 {
		delete(set, "basic")
	}
	switch len(set) {
	case 0:
		return "", usagef("no credentials: set JIRA_ACCESS_TOKEN (OAuth 2.0 app) or JIRA_APP_KEY and JIRA_SHARED_SECRET (Connect app)")
	case 1:
		for k := range set {
			return k, nil
		}
	}
	var kinds []string
	for _, k := range []string{"oauth", "connect", "basic"} {
		if set[k] {
			kinds = append(kinds, names[k])
		}
	}
	return "", usagef("credentials of more than one kind are set (%s): choose one with --auth oauth|connect|basic (or JIRA_AUTH)", strings.Join(kinds, ", "))
}

// client returns a webhooks client for the configured site.
func (o *conn) client(c *cli) (*webhooks.Client, error) {
	if err := o.fill(c.getenv); err != nil {
		return nil, err
	}
	hc, _, err := o.httpClient()
	if err != nil {
		return nil, err
	}
	wc, err := webhooks.NewClient(o.baseURL,
		webhooks.WithHTTPClient(hc),
		webhooks.WithAPIVersion(o.apiVersion),
		webhooks.WithUserAgent("jirahooks-cli"))
	if err != nil {
		return nil, usagef("JIRA_BASE_URL: %v", err)
	}
	return wc, nil
}

// context returns the command's context, bounded by --timeout.
func (o *conn) context(c *cli) (context.Context, context.CancelFunc) {
	if o.timeout <= 0 {
		return context.WithCancel(c.ctx)
	}
	return context.WithTimeout(c.ctx, o.timeout)
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table returns a tabwriter for aligned columns; Flush it.
func table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// eventList joins event names for display.
func eventList(evs []webhooks.EventName) string {
	s := make([]string, len(evs))
	for i, e := range evs {
		s[i] = string(e)
	}
	return strings.Join(s, ",")
}

// orDash shows an empty string as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fmtTime shows a time in UTC to the second, or "-" when zero.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// sortedIDs returns ids sorted and without repeats.
func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return slices.Compact(out)
}

// stdinIsTerminal reports whether r is an interactive terminal, so that
// reading "-" from it deserves a prompt.
func stdinIsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
