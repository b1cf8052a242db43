package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// AdminPath is the path, under the site's base URL, of Jira's admin webhook
// REST API.
const AdminPath = "/rest/webhooks/1.0/webhook"

// AdminClient manages the admin webhooks of one Jira site through
// /rest/webhooks/1.0/webhook: create, list, get, update and delete. Get one
// from [Client.Admin] or [NewAdminClient]. It is safe for concurrent use.
//
// Admin webhooks need a Jira administrator: authenticate the http.Client
// given with [WithHTTPClient] as one, with basic auth (email and API token,
// see auth.BasicClient) or an OAuth 2.0 token of an administrator. Jira
// answers 401 when it does not accept the credentials and 403 when their
// user is not an administrator; the errors then match
// [ErrAdminUnauthorized] and [ErrAdminRightsNeeded] with errors.Is, and
// still give the [*APIError] with errors.As.
//
// It shares the Client's HTTP client, User-Agent and retry policy: List,
// Get, Update and Delete are retried on 429, 502, 503 and 504 and network
// errors; Create is never retried, so that a webhook is not created twice.
type AdminClient struct {
	c        *Client
	endpoint string // https://site/base/rest/webhooks/1.0/webhook
}

// Admin returns an AdminClient for the same site, with the same options
// (HTTP client and its credentials, User-Agent, retries) as c.
// [WithAPIVersion] does not apply: the admin webhook API has one version.
func (c *Client) Admin() *AdminClient {
	if c == nil {
		return &AdminClient{}
	}
	site := c.endpoint
	if i := strings.LastIndex(site, "/rest/api/"); i >= 0 {
		site = site[:i]
	}
	return &AdminClient{c: c, endpoint: site + AdminPath}
}

// NewAdminClient returns an AdminClient for the Jira site at baseURL
// (https://your-domain.atlassian.net, or
// https://api.atlassian.com/ex/jira/{cloudId} with OAuth 2.0), configured by
// the same options as [NewClient]. It is NewClient(baseURL, opts...).Admin().
func NewAdminClient(baseURL string, opts ...Option) (*AdminClient, error) {
	c, err := NewClient(baseURL, opts...)
	if err != nil {
		return nil, err
	}
	return c.Admin(), nil
}

var errNilAdminClient = errors.New("webhooks: nil or zero *AdminClient (use Client.Admin or NewAdminClient)")

// Create creates an admin webhook and returns it as Jira stored it, with its
// ID. w needs a Name and an absolute http or https URL; otherwise Create
// returns an error matching [ErrInvalidAdminWebhook] and sends nothing.
// Create is never retried.
func (a *AdminClient) Create(ctx context.Context, w AdminWebhook) (*AdminWebhook, error) {
	if err := a.ok(); err != nil {
		return nil, err
	}
	if err := w.check(); err != nil {
		return nil, err
	}
	return a.write(ctx, http.MethodPost, a.endpoint, w, false)
}

// List returns every admin webhook of the site. Jira does not page this
// list.
func (a *AdminClient) List(ctx context.Context) ([]AdminWebhook, error) {
	if err := a.ok(); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := a.c.send(ctx, http.MethodGet, a.endpoint, nil, true, &raw); err != nil {
		return nil, adminError(err, false)
	}
	ws, err := decodeAdminWebhooks(raw)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", AdminPath, err)
	}
	return ws, nil
}

// Get returns the admin webhook with the given ID. An unknown ID gives an
// error matching [ErrAdminWebhookNotFound]; an ID of 0 or less,
// [ErrInvalidID] with nothing sent.
func (a *AdminClient) Get(ctx context.Context, id int64) (*AdminWebhook, error) {
	target, err := a.item(id)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := a.c.send(ctx, http.MethodGet, target, nil, true, &raw); err != nil {
		return nil, adminError(err, true)
	}
	w, err := decodeAdminWebhook(raw)
	if err != nil {
		return nil, fmt.Errorf("GET %s/%d: %w", AdminPath, id, err)
	}
	if w.ID == 0 {
		w.ID = id
	}
	return &w, nil
}

// Update replaces the admin webhook with the given ID by w (its ID, Self and
// read-only fields are ignored) and returns it as Jira stored it. Every
// field is sent, so start from what Get returned to change one thing. An
// empty Secret is left out of the request, which keeps the secret Jira has.
// Errors are those of Create and Get.
func (a *AdminClient) Update(ctx context.Context, id int64, w AdminWebhook) (*AdminWebhook, error) {
	target, err := a.item(id)
	if err != nil {
		return nil, err
	}
	if err := w.check(); err != nil {
		return nil, err
	}
	got, err := a.write(ctx, http.MethodPut, target, w, true)
	if got != nil && got.ID == 0 {
		got.ID = id
	}
	return got, err
}

// Delete deletes the admin webhook with the given ID. An unknown ID gives an
// error matching [ErrAdminWebhookNotFound]; an ID of 0 or less,
// [ErrInvalidID] with nothing sent. Jira refuses to delete a webhook used
// by a workflow post function.
func (a *AdminClient) Delete(ctx context.Context, id int64) error {
	target, err := a.item(id)
	if err != nil {
		return err
	}
	if err := a.c.send(ctx, http.MethodDelete, target, nil, true, nil); err != nil {
		return adminError(err, true)
	}
	return nil
}

func (a *AdminClient) ok() error {
	if a == nil || a.c == nil {
		return errNilAdminClient
	}
	return nil
}

// item returns the URL of the webhook with the given ID.
func (a *AdminClient) item(id int64) (string, error) {
	if err := a.ok(); err != nil {
		return "", err
	}
	if id <= 0 {
		return "", fmt.Errorf("%w: %d", ErrInvalidID, id)
	}
	return a.endpoint + "/" + strconv.FormatInt(id, 10), nil
}

// write sends w to target with method and decodes the webhook Jira answers.
func (a *AdminClient) write(ctx context.Context, method, target string, w AdminWebhook, idempotent bool) (*AdminWebhook, error) {
	body, err := json.Marshal(w.request())
	if err != nil {
		return nil, fmt.Errorf("webhooks: admin webhook: %w", err)
	}
	var raw json.RawMessage
	if err := a.c.send(ctx, method, target, body, idempotent, &raw); err != nil {
		return nil, adminError(err, method == http.MethodPut)
	}
	got, err := decodeAdminWebhook(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, AdminPath, err)
	}
	return &got, nil
}

// adminError makes 401, 403 and (for calls on one webhook) 404 answers
// match the admin sentinels, keeping the *APIError reachable with
// errors.As.
func adminError(err error, oneWebhook bool) error {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	switch {
	case apiErr.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%w: %w", ErrAdminUnauthorized, err)
	case apiErr.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: %w", ErrAdminRightsNeeded, err)
	case apiErr.StatusCode == http.StatusNotFound && oneWebhook:
		return fmt.Errorf("%w: %w", ErrAdminWebhookNotFound, err)
	}
	return err
}
