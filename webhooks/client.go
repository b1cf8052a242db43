package webhooks

import (
	"context"
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
	"github.com/jirahooks/jirahooks/openapi/admin"
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
//
// The Client is a thin layer over the client generated from our OpenAPI
// document (package openapi), which builds every request; the Client adds
// the retries, the errors, the checks of Jira's answers and the guards
// that keep credentials on the site. Package openapi is also usable
// directly, as a low-level escape hatch (see its example).
type Client struct {
	api   *openapi.Client // the generated dynamic-webhook client
	admin *admin.Client   // the generated admin-webhook client
	doer  *doer           // what both send through

	basePath string // the base URL's path, without a trailing slash
	gateway  bool   // the base URL is https://api.atlassian.com/...

	failedEndpoint string   // .../rest/api/N/webhook/failed
	failedURL      *url.URL // failedEndpoint, parsed
	failedPath     string   // /rest/api/N/webhook/failed
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
func NewClient(baseURL string, opts ...ClientOption) (*Client, error) {
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
		return nil, fmt.Errorf("webhooks: base URL %q: give the site URL, without a /rest/api path", baseURL)
	}

	site := u.Scheme + "://" + u.Host + basePath
	hc := cfg.httpClient
	if hc == nil {
		hc = http.DefaultClient
	}
	own := *hc
	d := &doer{hc: &own, userAgent: cfg.userAgent, retry: cfg.retry, origin: clientOrigin(u), scheme: u.Scheme, host: u.Host}
	own.CheckRedirect = checkRedirect(d.origin, hc.CheckRedirect)

	version := "/rest/api/" + strconv.Itoa(cfg.apiVersion)
	c := &Client{
		doer:           d,
		basePath:       basePath,
		gateway:        strings.EqualFold(u.Hostname(), "api.atlassian.com"),
		failedEndpoint: site + version + "/webhook/failed",
		failedPath:     version + "/webhook/failed",
	}
	if c.failedURL, err = url.Parse(c.failedEndpoint); err != nil {
		return nil, fmt.Errorf("webhooks: bad base URL: %w", err)
	}
	if c.api, err = openapi.NewClient(site+version, openapi.WithHTTPClient(d)); err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	if c.admin, err = admin.NewClient(site, admin.WithHTTPClient(d)); err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
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
// Jira's answer makes no sense (a different number of results than
// webhooks requested, a created ID of 0 or less, a result with both an ID
// and errors), Register returns Jira's results as they came (their
// positive IDs are real webhooks, to delete or keep) with an error
// matching [ErrUnexpectedResponse].
//
// Jira's reference: Register dynamic webhooks,
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/#api-rest-api-3-webhook-post
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
	resp, err := c.api.RegisterDynamicWebhooks(orBackground(ctx), req)
	body, err := answer(resp, err, c.doer.retry)
	if err != nil {
		return nil, err
	}
	res, err := decodeJSON[openapi.ContainerForRegisteredWebhooks](resp, body)
	if err != nil {
		return nil, err
	}
	regs := make([]Registration, len(res.WebhookRegistrationResult))
	var created []int64
	var bad []string
	for i, r := range res.WebhookRegistrationResult {
		regs[i].Errors = r.Errors
		switch id := r.CreatedWebhookID; {
		case id != nil && *id <= 0:
			bad = append(bad, fmt.Sprintf("result %d has createdWebhookId %d", i, *id))
		case id != nil && len(r.Errors) > 0:
			bad = append(bad, fmt.Sprintf("result %d has both createdWebhookId %d and errors", i, *id))
			regs[i].ID = *id
			created = append(created, *id)
		case id != nil:
			regs[i].ID = *id
			created = append(created, *id)
		}
		if regs[i].ID == 0 && len(regs[i].Errors) == 0 {
			regs[i].Errors = []string{"Jira returned neither a webhook ID nor errors"}
		}
	}
	if len(regs) != len(hooks) {
		bad = append(bad, fmt.Sprintf("%d registration results for %d webhooks, so they cannot be matched to the request", len(regs), len(hooks)))
	}
	if len(bad) > 0 {
		return regs, unexpected(resp, "%s (created IDs: %v)", strings.Join(bad, "; "), created)
	}
	return regs, nil
}

// List returns a Pager over the webhooks the calling app registered, an
// offset-paged listing. Nothing is sent until the Pager's first Next. opts
// may be nil; the Pager keeps a copy, so changing opts later has no
// effect. A negative MaxResults or StartAt makes the first Next fail. A
// page that makes no sense (a negative startAt or maxResults, an
// expiration date before 2000 or after 2200) fails with an error matching
// [ErrUnexpectedResponse].
//
// Jira's reference: Get dynamic webhooks for app,
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/#api-rest-api-3-webhook-get
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
	params := openapi.GetDynamicWebhooksForAppParams{StartAt: &startAt}
	if maxResults > 0 {
		size := int32(min(maxResults, math.MaxInt32))
		params.MaxResults = &size
	}
	resp, err := c.api.GetDynamicWebhooksForApp(orBackground(ctx), &params)
	body, err := answer(resp, err, c.doer.retry)
	if err != nil {
		return pagination.OffsetPage[Webhook]{}, pageError(err)
	}
	page, err := decodeJSON[openapi.PageBeanWebhook](resp, body)
	if err != nil {
		return pagination.OffsetPage[Webhook]{}, pagination.Final(err)
	}
	if err := checkWebhookPage(page); err != nil {
		return pagination.OffsetPage[Webhook]{}, pagination.Final(unexpected(resp, "%v", err))
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

// checkWebhookPage reports what makes no sense in a page of webhooks.
func checkWebhookPage(p *openapi.PageBeanWebhook) error {
	switch {
	case p.StartAt != nil && *p.StartAt < 0:
		return fmt.Errorf("a negative startAt %d", *p.StartAt)
	case p.MaxResults != nil && *p.MaxResults < 0:
		return fmt.Errorf("a negative maxResults %d", *p.MaxResults)
	case p.Total != nil && *p.Total < 0:
		return fmt.Errorf("a negative total %d", *p.Total)
	}
	for _, w := range p.Values {
		if w.ExpirationDate != nil && !w.ExpirationDate.IsZero() && !plausible(w.ExpirationDate.Time) {
			return fmt.Errorf("webhook %d expiring at %v", w.ID, w.ExpirationDate.UTC())
		}
	}
	return nil
}

// plausible reports whether t, a time Jira sent, is one it could mean:
// after 2000 and before 2200.
func plausible(t time.Time) bool {
	return t.After(minPlausible) && t.Before(maxPlausible)
}

var (
	minPlausible = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxPlausible = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

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
// The Pager follows Jira's next URL whenever Jira sends one, and the walk
// ends at a page without values or without a next URL: there are no more
// failures for now. The Pager's Cursor then says where to resume: save it
// and pass it as [FailedOptions.Cursor] later to get only newer failures.
// Next-page URLs are followed only when they address this Client's
// failed-webhook endpoint on the same site (or, behind the API gateway, the
// same endpoint on the *.atlassian.net site, whose query is then sent to
// the gateway); any other URL ends the walk with an error matching
// [ErrForeignURL], with no request sent. A page that makes no sense (a
// negative maxResults, a failure time before 2000 or after 2200) fails
// with an error matching [ErrUnexpectedResponse].
//
// Jira's reference: Get failed webhooks,
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/#api-rest-api-3-webhook-failed-get
func (c *Client) ListFailed(opts *FailedOptions) *pagination.Pager[FailedWebhook] {
	if c == nil {
		return pagination.Error[FailedWebhook](errNilClient)
	}
	var o FailedOptions
	if opts != nil {
		o = *opts
	}
	if o.Cursor != "" {
		return pagination.NewCursor(o.Cursor, c.fetchFailed)
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
	return pagination.NewCursor(start, c.fetchFailed)
}

func (c *Client) fetchFailed(ctx context.Context, cursor string) (pagination.CursorPage[FailedWebhook], error) {
	target, err := c.resolveFailedCursor(cursor)
	if err != nil {
		return pagination.CursorPage[FailedWebhook]{}, pagination.Final(err)
	}
	// The generated call addresses the failed-webhook endpoint; the
	// cursor's query goes with it verbatim.
	_, query, _ := strings.Cut(target, "?")
	resp, err := c.api.GetFailedWebhooks(orBackground(ctx), nil, withQuery(query))
	body, err := answer(resp, err, c.doer.retry)
	if err != nil {
		return pagination.CursorPage[FailedWebhook]{}, pageError(err)
	}
	page, err := decodeJSON[openapi.FailedWebhooks](resp, body)
	if err != nil {
		return pagination.CursorPage[FailedWebhook]{}, pagination.Final(err)
	}
	if page.MaxResults < 0 {
		return pagination.CursorPage[FailedWebhook]{}, pagination.Final(unexpected(resp, "a negative maxResults %d", page.MaxResults))
	}
	vals := make([]FailedWebhook, len(page.Values))
	for i := range page.Values {
		f := &page.Values[i]
		t := time.UnixMilli(f.FailureTime).UTC()
		if !plausible(t) {
			return pagination.CursorPage[FailedWebhook]{}, pagination.Final(unexpected(resp, "failure %q at %d ms since the epoch", f.ID, f.FailureTime))
		}
		vals[i] = FailedWebhook{ID: f.ID, URL: f.URL, FailureTime: t}
		if f.Body != nil {
			vals[i].Body = *f.Body
		}
	}
	out := pagination.CursorPage[FailedWebhook]{Values: vals, MaxResults: int(page.MaxResults)}
	if page.Next != nil && *page.Next != "" {
		out.Next = *page.Next
		if resolved, err := c.resolveFailedCursor(*page.Next); err == nil {
			out.Next = resolved // else following it will fail
		}
	}
	return out, nil
}

// Refresh extends the life of the webhooks with the given IDs (Jira
// deletes webhooks 30 days after registration or the last refresh) and
// returns their new expiry. Jira skips IDs it does not know or that belong
// to other apps, without error.
//
// With no IDs Refresh returns [ErrNoIDs], and with an ID of 0 or less
// [ErrInvalidID], sending nothing. An answer without an expiration date,
// or with one before 2000 or after 2200, is an error matching
// [ErrUnexpectedResponse], never a zero or absurd time.
//
// Jira's reference: Extend webhook life,
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/#api-rest-api-3-webhook-refresh-put
func (c *Client) Refresh(ctx context.Context, ids ...int64) (time.Time, error) {
	if c == nil {
		return time.Time{}, errNilClient
	}
	req, err := clientIDsBody(ids)
	if err != nil {
		return time.Time{}, err
	}
	resp, err := c.api.RefreshWebhooks(orBackground(ctx), req)
	body, err := answer(resp, err, c.doer.retry)
	if err != nil {
		return time.Time{}, err
	}
	res, err := decodeJSON[openapi.WebhooksExpirationDate](resp, body)
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case res.ExpirationDate == nil || res.ExpirationDate.IsZero():
		return time.Time{}, unexpected(resp, "no expirationDate in the answer")
	case !plausible(res.ExpirationDate.Time):
		return time.Time{}, unexpected(resp, "expirationDate %v", res.ExpirationDate.UTC())
	}
	return res.ExpirationDate.UTC(), nil
}

// Delete removes the webhooks with the given IDs. Jira ignores IDs of
// webhooks that belong to other apps. With no IDs Delete returns
// [ErrNoIDs], and with an ID of 0 or less [ErrInvalidID], sending nothing.
//
// Jira's reference: Delete webhooks by ID,
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-webhooks/#api-rest-api-3-webhook-delete
func (c *Client) Delete(ctx context.Context, ids ...int64) error {
	if c == nil {
		return errNilClient
	}
	body, err := clientIDsBody(ids)
	if err != nil {
		return err
	}
	resp, err := c.api.DeleteWebhookByID(orBackground(ctx), body)
	_, err = answer(resp, err, c.doer.retry)
	return err
}

func clientIDsBody(ids []int64) (openapi.ContainerForWebhookIDs, error) {
	if len(ids) == 0 {
		return openapi.ContainerForWebhookIDs{}, ErrNoIDs
	}
	for _, id := range ids {
		if id <= 0 {
			return openapi.ContainerForWebhookIDs{}, fmt.Errorf("%w: %d", ErrInvalidID, id)
		}
	}
	return openapi.ContainerForWebhookIDs{WebhookIDs: ids}, nil
}

// orBackground is ctx, or context.Background() for a nil ctx, which the
// generated clients cannot take.
func orBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
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

// resolveFailedCursor turns a failed-webhook cursor (Jira's next URL,
// absolute or relative, or one saved from Pager.Cursor) into the URL to
// GET, and refuses any that would send the request, and its credentials,
// anywhere but this Client's failed-webhook endpoint.
//
// Root-relative cursors ("/rest/api/3/webhook/failed?...") are relative to
// the base URL, path included. Behind the API gateway
// (https://api.atlassian.com/ex/jira/{cloudId}) Jira's next URLs name the
// site (https://your-domain.atlassian.net/rest/api/3/...): their query is
// moved onto the gateway URL rather than followed.
func (c *Client) resolveFailedCursor(cursor string) (string, error) {
	u, err := url.Parse(cursor)
	if err != nil {
		return "", fmt.Errorf("webhooks: bad failed-webhook cursor %q: %w", shortenText(cursor, 100), err)
	}
	if u.Scheme == "" && u.Host == "" {
		if strings.HasPrefix(u.Path, "/rest/") && c.basePath != "" {
			u.Path, u.RawPath = c.basePath+u.Path, ""
		}
		u = c.failedURL.ResolveReference(u)
	}
	u.Fragment, u.RawFragment = "", ""
	if u.User == nil {
		if clientOrigin(u) == c.doer.origin && c.isFailedPath(u.EscapedPath(), c.basePath) {
			return u.String(), nil
		}
		if c.gateway && strings.EqualFold(u.Scheme, "https") && u.Port() == "" &&
			strings.HasSuffix(strings.ToLower(u.Hostname()), ".atlassian.net") && c.isFailedPath(u.EscapedPath(), "") {
			if u.RawQuery == "" {
				return c.failedEndpoint, nil
			}
			return c.failedEndpoint + "?" + u.RawQuery, nil
		}
	}
	return "", fmt.Errorf("%w: refusing to follow next-page URL %s", ErrForeignURL, shortenText(u.Redacted(), 200))
}

// isFailedPath reports whether p is prefix followed by the path of this
// Client's failed-webhook endpoint (/rest/api/N/webhook/failed, N the API
// version), with or without a final slash.
func (c *Client) isFailedPath(p, prefix string) bool {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(p, "/"), prefix)
	return ok && rest == c.failedPath
}
