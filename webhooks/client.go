package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/internal/retry"
	"github.com/jirahooks/jirahooks/openapi"
	"github.com/jirahooks/jirahooks/pagination"
)

// Client manages an app's dynamic webhooks on one Jira Cloud site:
// register, list, refresh, delete, and list failed deliveries. It is safe
// for concurrent use.
//
// Only apps may call these operations: an OAuth 2.0 (3LO) app (scope
// manage:jira-webhook) or a Connect app, authenticated by the
// http.Client given with [WithHTTPClient]. Jira answers anyone else with a
// 403, which the Client returns as an [*APIError] matching [ErrNotAnApp].
//
// Every non-2xx answer is returned as an [*APIError]. Idempotent calls
// (List, ListFailed, Refresh, Delete) are retried on 429, 502, 503 and 504
// and on network errors, honouring Retry-After, at most 4 times by default
// ([WithRetry], [WithBackoff]); Register is never retried.
type Client struct {
	hc        *http.Client
	userAgent string
	retry     retry.Policy

	origin   string // clientOrigin of the base URL
	basePath string // the base URL's path, without a trailing slash
	gateway  bool   // the base URL is https://api.atlassian.com/...

	endpoint        string // .../rest/api/N/webhook
	refreshEndpoint string // .../webhook/refresh
	failedEndpoint  string // .../webhook/failed
	failedURL       *url.URL
	failedPath      string // /rest/api/N/webhook/failed
}

// NewClient returns a Client for the Jira site at baseURL: the site URL
// (https://your-domain.atlassian.net) or, for OAuth 2.0 apps, the API
// gateway URL (https://api.atlassian.com/ex/jira/{cloudId}). A path in
// baseURL is kept; a query, a fragment, credentials, a path into the REST
// API (/rest/...), or plain http:// to an Atlassian host are errors (http://
// serves local test servers such as jiratest).
//
// A call lasts as long as its context allows, retries included; the
// default *http.Client has no timeout of its own, so give contexts a
// deadline (or [WithHTTPClient] a client with a Timeout).
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	cfg := clientConfig{apiVersion: 3, userAgent: DefaultUserAgent, retry: retry.Default()}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}

	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("webhooks: bad base URL: %w", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("webhooks: base URL %q: want an https:// URL such as https://your-domain.atlassian.net", baseURL)
	case u.Host == "":
		return nil, fmt.Errorf("webhooks: base URL %q has no host", baseURL)
	case u.User != nil:
		return nil, errors.New("webhooks: base URL carries credentials; put authentication in the http.Client's transport (WithHTTPClient)")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("webhooks: base URL %q has a query or fragment", baseURL)
	case u.Scheme == "http" && atlassianHost(u.Hostname()):
		// Jira Cloud answers only https; the first request would carry the
		// credentials in clear before any redirect could help.
		return nil, fmt.Errorf("webhooks: base URL %q: Atlassian's hosts need https://", baseURL)
	}
	basePath := strings.TrimRight(u.EscapedPath(), "/")
	if strings.Contains(basePath+"/", "/rest/") {
		return nil, fmt.Errorf("webhooks: base URL %q: give the site URL, without /rest/api/...", baseURL)
	}

	c := &Client{
		userAgent: cfg.userAgent,
		retry:     cfg.retry,
		origin:    clientOrigin(u),
		basePath:  basePath,
		gateway:   strings.EqualFold(u.Hostname(), "api.atlassian.com"),
	}
	hc := cfg.httpClient
	if hc == nil {
		hc = http.DefaultClient
	}
	own := *hc
	own.CheckRedirect = c.checkRedirect(hc.CheckRedirect)
	c.hc = &own

	c.endpoint = u.Scheme + "://" + u.Host + basePath + "/rest/api/" + strconv.Itoa(cfg.apiVersion) + "/webhook"
	c.refreshEndpoint = c.endpoint + "/refresh"
	c.failedEndpoint = c.endpoint + "/failed"
	c.failedPath = "/rest/api/" + strconv.Itoa(cfg.apiVersion) + "/webhook/failed"
	if c.failedURL, err = url.Parse(c.failedEndpoint); err != nil {
		return nil, fmt.Errorf("webhooks: bad base URL: %w", err)
	}
	return c, nil
}

var errNilClient = errors.New("webhooks: nil *Client")

// atlassianHost reports whether host is under atlassian.net or
// atlassian.com, where Jira Cloud and its API gateway live.
func atlassianHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range []string{"atlassian.net", "atlassian.com"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

// Register registers webhooks that send deliveries to url (Jira allows an
// app one URL; a Connect app's must be under its base URL). It returns one
// Registration per webhook in hooks, in the same order: Jira registers the
// ones it accepts and refuses the others, each with its own errors, so a
// nil error does not mean every webhook was registered; check each
// [Registration.OK].
//
// Register is never retried: a second attempt could register the webhooks
// twice. With no hooks it returns [ErrNoWebhooks] and sends nothing. If
// Jira answers with a different number of results than webhooks requested,
// Register returns Jira's results as they came (they cannot be matched to
// the request, but their IDs are real webhooks, to delete or keep) with an
// error matching [ErrUnexpectedResponse].
func (c *Client) Register(ctx context.Context, url string, hooks ...Details) ([]Registration, error) {
	if c == nil {
		return nil, errNilClient
	}
	if len(hooks) == 0 {
		return nil, ErrNoWebhooks
	}
	if strings.TrimSpace(url) == "" {
		return nil, errors.New("webhooks: Register: empty delivery URL")
	}
	req := openapi.WebhookRegistrationDetails{URL: url, Webhooks: make([]openapi.WebhookDetails, len(hooks))}
	for i, h := range hooks {
		events := make([]openapi.WebhookEvent, len(h.Events))
		for j, e := range h.Events {
			events[j] = openapi.WebhookEvent(e)
		}
		req.Webhooks[i] = openapi.WebhookDetails{
			Events:                  events,
			JQLFilter:               h.JQLFilter,
			FieldIDsFilter:          h.FieldIDsFilter,
			IssuePropertyKeysFilter: h.IssuePropertyKeysFilter,
		}
	}
	body, err := json.Marshal(&req)
	if err != nil {
		return nil, fmt.Errorf("webhooks: Register: %w", err)
	}
	var res openapi.ContainerForRegisteredWebhooks
	if err := c.send(ctx, http.MethodPost, c.endpoint, body, false, &res); err != nil {
		return nil, err
	}
	regs := make([]Registration, len(res.WebhookRegistrationResult))
	var created []int64
	for i, r := range res.WebhookRegistrationResult {
		if r.CreatedWebhookID != nil && *r.CreatedWebhookID != 0 {
			regs[i].ID = *r.CreatedWebhookID
			created = append(created, regs[i].ID)
		}
		regs[i].Errors = r.Errors
		if regs[i].ID == 0 && len(r.Errors) == 0 {
			regs[i].Errors = []string{"Jira returned neither a webhook ID nor errors"}
		}
	}
	if len(regs) != len(hooks) {
		return regs, fmt.Errorf("%w: Jira answered %d registration results for %d webhooks, so they cannot be matched to the request (created IDs: %v)",
			ErrUnexpectedResponse, len(regs), len(hooks), created)
	}
	return regs, nil
}

// List returns a Pager over the webhooks the calling app registered, an
// offset-paged listing. Nothing is sent until the Pager's first Next. opts
// may be nil; the Pager keeps a copy, so changing opts later has no
// effect. A negative MaxResults or StartAt makes the first Next fail.
func (c *Client) List(opts *ListOptions) *pagination.Pager[Webhook] {
	if c == nil {
		return pagination.Error[Webhook](errNilClient)
	}
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxResults < 0 {
		return pagination.Error[Webhook](fmt.Errorf("webhooks: List: negative MaxResults %d", o.MaxResults))
	}
	if o.StartAt < 0 {
		return pagination.Error[Webhook](fmt.Errorf("webhooks: List: negative StartAt %d", o.StartAt))
	}
	return pagination.NewOffset(o.StartAt, o.MaxResults, c.fetchWebhooks)
}

func (c *Client) fetchWebhooks(ctx context.Context, startAt int64, maxResults int) (pagination.OffsetPage[Webhook], error) {
	b := make([]byte, 0, len(c.endpoint)+40)
	b = append(b, c.endpoint...)
	b = append(b, "?startAt="...)
	b = strconv.AppendInt(b, startAt, 10)
	if maxResults > 0 {
		b = append(b, "&maxResults="...)
		b = strconv.AppendInt(b, int64(min(maxResults, math.MaxInt32)), 10)
	}
	var page openapi.PageBeanWebhook
	if err := c.send(ctx, http.MethodGet, string(b), nil, true, &page); err != nil {
		return pagination.OffsetPage[Webhook]{}, pageError(err)
	}
	out := pagination.OffsetPage[Webhook]{
		Values:  webhooksFromWire(page.Values),
		StartAt: page.StartAt,
		Total:   page.Total,
		IsLast:  page.IsLast,
	}
	if page.MaxResults != nil {
		out.MaxResults = int(*page.MaxResults)
	}
	return out, nil
}

// webhooksFromWire converts a page of wire webhooks, with one allocation
// for all their events.
func webhooksFromWire(ws []openapi.Webhook) []Webhook {
	out := make([]Webhook, len(ws))
	n := 0
	for i := range ws {
		n += len(ws[i].Events)
	}
	events := make([]EventName, n)
	for i := range ws {
		w := &ws[i]
		ev := events[:len(w.Events):len(w.Events)]
		events = events[len(w.Events):]
		for j, e := range w.Events {
			ev[j] = EventName(e)
		}
		out[i] = Webhook{
			ID:                      w.ID,
			URL:                     w.URL,
			Events:                  ev,
			JQLFilter:               w.JQLFilter,
			FieldIDsFilter:          w.FieldIDsFilter,
			IssuePropertyKeysFilter: w.IssuePropertyKeysFilter,
		}
		if w.Events == nil {
			out[i].Events = nil
		}
		if w.ExpirationDate != nil {
			out[i].ExpirationDate = w.ExpirationDate.UTC()
		}
	}
	return out
}

// ListFailed returns a Pager over the deliveries Jira gave up on after its
// last retry, oldest first, a cursor-paged listing. Jira keeps failures for
// about 72 hours and answers only Connect apps. Nothing is sent until the
// Pager's first Next; opts may be nil and is copied.
//
// The walk ends when Jira has no more failures for now. The Pager's Cursor
// then says where to resume: save it and pass it as
// [FailedOptions.Cursor] later to get only newer failures. Next-page URLs
// are followed only when they address this Client's failed-webhook endpoint
// on the same site (or, behind the API gateway, the same endpoint on the
// *.atlassian.net site, whose query is then sent to the gateway); any
// other URL ends the walk with an error matching
// [ErrForeignURL], with no request sent.
func (c *Client) ListFailed(opts *FailedOptions) *pagination.Pager[FailedWebhook] {
	if c == nil {
		return pagination.Error[FailedWebhook](errNilClient)
	}
	var o FailedOptions
	if opts != nil {
		o = *opts
	}
	if o.Cursor != "" {
		size := 0
		if u, err := url.Parse(o.Cursor); err == nil {
			size, _ = strconv.Atoi(u.Query().Get("maxResults"))
		}
		return pagination.NewCursor(o.Cursor, max(size, 0), c.fetchFailed)
	}
	if o.MaxResults < 0 {
		return pagination.Error[FailedWebhook](fmt.Errorf("webhooks: ListFailed: negative MaxResults %d", o.MaxResults))
	}
	q := url.Values{}
	if o.MaxResults > 0 {
		q.Set("maxResults", strconv.Itoa(min(o.MaxResults, math.MaxInt32)))
	}
	if ms := o.After.UnixMilli(); !o.After.IsZero() && ms > 0 {
		// The definition names the parameter "after"; Jira's docs and its
		// own next-page URLs say "failedAfter". Send both, so the filter
		// holds whichever name the site reads.
		q.Set("after", strconv.FormatInt(ms, 10))
		q.Set("failedAfter", strconv.FormatInt(ms, 10))
	}
	start := c.failedEndpoint
	if len(q) > 0 {
		start += "?" + q.Encode()
	}
	return pagination.NewCursor(start, o.MaxResults, c.fetchFailed)
}

func (c *Client) fetchFailed(ctx context.Context, cursor string) (pagination.CursorPage[FailedWebhook], error) {
	target, err := c.resolveFailedCursor(cursor)
	if err != nil {
		return pagination.CursorPage[FailedWebhook]{}, pagination.Final(err)
	}
	var page openapi.FailedWebhooks
	if err := c.send(ctx, http.MethodGet, target, nil, true, &page); err != nil {
		return pagination.CursorPage[FailedWebhook]{}, pageError(err)
	}
	vals := make([]FailedWebhook, len(page.Values))
	for i := range page.Values {
		f := &page.Values[i]
		vals[i] = FailedWebhook{ID: f.ID, URL: f.URL, FailureTime: time.UnixMilli(f.FailureTime).UTC()}
		if f.Body != nil {
			vals[i].Body = *f.Body
		}
	}
	out := pagination.CursorPage[FailedWebhook]{Values: vals, MaxResults: int(page.MaxResults)}
	switch {
	case page.Next != nil && *page.Next != "":
		out.Next = *page.Next
		if resolved, err := c.resolveFailedCursor(*page.Next); err == nil {
			out.Next = resolved // else following it will fail
		}
	case len(page.Values) > 0:
		// No next URL: the documented alternative is the failure time of
		// the last item as failedAfter.
		u, _ := url.Parse(target)
		q := u.Query()
		q.Del("after")
		q.Set("failedAfter", strconv.FormatInt(page.Values[len(page.Values)-1].FailureTime, 10))
		u.RawQuery = q.Encode()
		out.Next = u.String()
	default:
		out.Next = target // nothing yet: poll the same page later
	}
	return out, nil
}

// Refresh extends the life of the webhooks with the given IDs (Jira
// deletes webhooks 30 days after registration or the last refresh) and
// returns their new expiry. Jira skips IDs it does not know or that belong
// to other apps, without error.
//
// With no IDs Refresh returns [ErrNoIDs], and with an ID of 0 or less
// [ErrInvalidID], sending nothing. An answer without an expiration date is
// an error matching [ErrUnexpectedResponse], never a zero time.
func (c *Client) Refresh(ctx context.Context, ids ...int64) (time.Time, error) {
	if c == nil {
		return time.Time{}, errNilClient
	}
	body, err := clientIDsBody(ids)
	if err != nil {
		return time.Time{}, err
	}
	var res openapi.WebhooksExpirationDate
	if err := c.send(ctx, http.MethodPut, c.refreshEndpoint, body, true, &res); err != nil {
		return time.Time{}, err
	}
	if res.ExpirationDate == nil || res.ExpirationDate.IsZero() {
		return time.Time{}, fmt.Errorf("%w: PUT %s: no expirationDate in the answer", ErrUnexpectedResponse, c.refreshEndpoint)
	}
	return res.ExpirationDate.UTC(), nil
}

// Delete removes the webhooks with the given IDs. Jira ignores IDs of
// webhooks that belong to other apps. With no IDs Delete returns
// [ErrNoIDs], and with an ID of 0 or less [ErrInvalidID], sending nothing.
func (c *Client) Delete(ctx context.Context, ids ...int64) error {
	if c == nil {
		return errNilClient
	}
	body, err := clientIDsBody(ids)
	if err != nil {
		return err
	}
	return c.send(ctx, http.MethodDelete, c.endpoint, body, true, nil)
}

func clientIDsBody(ids []int64) ([]byte, error) {
	if len(ids) == 0 {
		return nil, ErrNoIDs
	}
	for _, id := range ids {
		if id <= 0 {
			return nil, fmt.Errorf("%w: %d", ErrInvalidID, id)
		}
	}
	b, err := json.Marshal(openapi.ContainerForWebhookIDs{WebhookIDs: ids})
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	return b, nil
}

// pageError marks the errors no retry of the same page can mend as final
// for the Pager (see [pagination.Final]): Jira's 4xx answers other than 408
// and 429, and a URL outside the site. Network errors, 5xx, rate
// limits and an ended context leave the page to be tried again.
func pageError(err error) error {
	var e *APIError
	switch {
	case errors.As(err, &e):
		if e.StatusCode >= 400 && e.StatusCode < 500 &&
			e.StatusCode != http.StatusRequestTimeout && e.StatusCode != http.StatusTooManyRequests {
			return pagination.Final(err)
		}
	case errors.Is(err, ErrForeignURL):
		return pagination.Final(err)
	}
	return err
}
