package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// AdminPath is the path, under the site's base URL, of Jira's admin webhook
// REST API.
const AdminPath = "/rest/webhooks/1.0/webhook"

// AdminClient manages the admin webhooks of one Jira site through
// /rest/webhooks/1.0/webhook: create, list, get, update and delete. Get one
// from [Client.Admin] or [NewAdminClient]. It is safe for concurrent use.
// It is a thin layer over the generated client of package openapi/admin.
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
//
// Jira's reference for every method: the webhooks guide, "Registering a
// webhook via the Jira REST API",
// https://developer.atlassian.com/cloud/jira/platform/webhooks/#registering-a-webhook-via-the-jira-rest-api
type AdminClient struct {
	c *Client
}

// Admin returns an AdminClient for the same site, with the same options
// (HTTP client and its credentials, User-Agent, retries) as c.
// [WithAPIVersion] does not apply: the admin webhook API has one version.
func (c *Client) Admin() *AdminClient {
	return &AdminClient{c: c}
}

// NewAdminClient returns an AdminClient for the Jira site at baseURL
// (https://your-domain.atlassian.net, or
// https://api.atlassian.com/ex/jira/{cloudId} with OAuth 2.0), configured by
// the same options as [NewClient]. It is NewClient(baseURL, opts...).Admin().
func NewAdminClient(baseURL string, opts ...ClientOption) (*AdminClient, error) {
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
//
// Jira's reference: Registering a webhook via the Jira REST API,
// https://developer.atlassian.com/cloud/jira/platform/webhooks/#registering-a-webhook-via-the-jira-rest-api
func (a *AdminClient) Create(ctx context.Context, w AdminWebhook) (*AdminWebhook, error) {
	if err := a.ok(); err != nil {
		return nil, err
	}
	if err := w.check(); err != nil {
		return nil, err
	}
	resp, err := a.c.admin.CreateAdminWebhook(orBackground(ctx), w.request())
	return a.webhook(resp, err, 0, false)
}

// List returns every admin webhook of the site. Jira does not page this
// list.
//
// Jira's reference: Querying a webhook via the Jira REST API,
// https://developer.atlassian.com/cloud/jira/platform/webhooks/#registering-a-webhook-via-the-jira-rest-api
func (a *AdminClient) List(ctx context.Context) ([]AdminWebhook, error) {
	if err := a.ok(); err != nil {
		return nil, err
	}
	resp, err := a.c.admin.GetAdminWebhooks(orBackground(ctx))
	body, err := answer(resp, err, a.c.doer.retry)
	if err != nil {
		return nil, adminError(err, false)
	}
	ws, err := decodeAdminWebhooks(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", AdminPath, err)
	}
	return ws, nil
}

// Get returns the admin webhook with the given ID. An unknown ID gives an
// error matching [ErrAdminWebhookNotFound]; an ID of 0 or less,
// [ErrInvalidID] with nothing sent.
//
// Jira's reference: Querying a webhook via the Jira REST API,
// https://developer.atlassian.com/cloud/jira/platform/webhooks/#registering-a-webhook-via-the-jira-rest-api
func (a *AdminClient) Get(ctx context.Context, id int64) (*AdminWebhook, error) {
	if err := a.item(id); err != nil {
		return nil, err
	}
	resp, err := a.c.admin.GetAdminWebhook(orBackground(ctx), id)
	return a.webhook(resp, err, id, true)
}

// Update replaces the admin webhook with the given ID by w (its ID, Self and
// read-only fields are ignored) and returns it as Jira stored it. Every
// field is sent, so start from what Get returned to change one thing. An
// empty Secret is left out of the request, which keeps the secret Jira has.
// Errors are those of Create and Get.
//
// Jira's reference: Registering a webhook via the Jira REST API,
// https://developer.atlassian.com/cloud/jira/platform/webhooks/#registering-a-webhook-via-the-jira-rest-api
func (a *AdminClient) Update(ctx context.Context, id int64, w AdminWebhook) (*AdminWebhook, error) {
	if err := a.item(id); err != nil {
		return nil, err
	}
	if err := w.check(); err != nil {
		return nil, err
	}
	resp, err := a.c.admin.UpdateAdminWebhook(orBackground(ctx), id, w.request())
	return a.webhook(resp, err, id, true)
}

// Delete deletes the admin webhook with the given ID. An unknown ID gives an
// error matching [ErrAdminWebhookNotFound]; an ID of 0 or less,
// [ErrInvalidID] with nothing sent. Jira refuses to delete a webhook used
// by a workflow post function.
//
// Jira's reference: Unregistering a webhook via the Jira REST API,
// https://developer.atlassian.com/cloud/jira/platform/webhooks/#registering-a-webhook-via-the-jira-rest-api
func (a *AdminClient) Delete(ctx context.Context, id int64) error {
	if err := a.item(id); err != nil {
		return err
	}
	resp, err := a.c.admin.DeleteAdminWebhook(orBackground(ctx), id)
	if _, err := answer(resp, err, a.c.doer.retry); err != nil {
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

// item checks the ID of a call on one webhook.
func (a *AdminClient) item(id int64) error {
	if err := a.ok(); err != nil {
		return err
	}
	if id <= 0 {
		return fmt.Errorf("%w: %d", ErrInvalidID, id)
	}
	return nil
}

// webhook finishes a call that answers one webhook: the one with the given
// ID (0 for Create, whose answer names it).
func (a *AdminClient) webhook(resp *http.Response, err error, id int64, oneWebhook bool) (*AdminWebhook, error) {
	body, err := answer(resp, err, a.c.doer.retry)
	if err != nil {
		return nil, adminError(err, oneWebhook)
	}
	// Decoded leniently, not into the generated types: Jira versions
	// disagree on field types (see decodeAdminWebhook).
	w, err := decodeAdminWebhook(body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	if w.ID == 0 {
		w.ID = id
	}
	return &w, nil
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
