package webhooks

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/jirahooks/jirahooks/openapi/admin"
)

// AdminWebhook is an admin webhook: one created by a Jira administrator in
// Jira's settings (System > WebHooks) or through the REST API at
// /rest/webhooks/1.0/webhook, as [AdminClient] creates, lists, reads, updates
// and deletes it.
//
// Unlike the dynamic webhooks of apps, admin webhooks never expire, may carry
// a secret (Jira then signs each delivery with an X-Hub-Signature header, see
// [HubSignature]), may leave the body out of deliveries (ExcludeBody), and
// substitute variables such as ${issue.key} in their URL (see [AdminURL] and
// [URLVariables]).
//
// The zero value of every field is the safe default: an AdminWebhook that
// sets only Name, URL and Events creates an enabled webhook that fires for
// all issues and sends the body.
type AdminWebhook struct {
	// ID is Jira's identifier of the webhook, the last segment of Self. Set
	// by Jira; ignored in Create and Update.
	ID int64
	// Self is the webhook's REST URL. Set by Jira; ignored in Create and
	// Update.
	Self string

	// Name names the webhook in Jira's settings. Required.
	Name string
	// Description is free text about the webhook, shown in Jira's
	// settings; optional.
	Description string
	// URL is where Jira sends deliveries. It may hold ${...} variables (see
	// [AdminURL]). Required: an absolute http or https URL. Jira Cloud only
	// calls the default ports (80 and 443).
	URL string
	// Events are the events that trigger the webhook. Admin webhooks accept
	// every event in the Jira webhooks guide (issue, worklog, comment,
	// issue link, attachment, project, version, user, option_*, sprint,
	// board, filter, issue property); see [AdminEvents]. Names without a
	// constant are sent as given. Empty means no events, which suits a
	// webhook only triggered by a workflow post function.
	Events []EventName
	// JQLFilter limits issue-related events to the issues it matches
	// ("filters": {"issue-related-events-section": ...}); empty means all
	// issues. Unlike dynamic webhooks, any JQL is allowed. Jira documents
	// that the filter does not work reliably for comment and worklog events.
	JQLFilter string
	// ExcludeBody makes Jira send deliveries without a body (the "Exclude
	// body" box in Jira's settings): only the URL, with its variables, says
	// what happened.
	ExcludeBody bool
	// Disabled is true for a webhook that exists but sends nothing (Jira's
	// "enabled": false). The zero value creates an enabled webhook.
	Disabled bool

	// Secret, when not empty, makes Jira sign every delivery with an
	// X-Hub-Signature header (HMAC-SHA256 of the body under Secret), which
	// [HubSignature] verifies. It is write-only: Jira never returns it, so
	// it is empty in what AdminClient returns; IsSigned tells whether one is
	// set. In Update, an empty Secret is not sent and leaves the secret as
	// Jira has it.
	Secret string
	// IsSigned reports whether the webhook has a secret. Set by Jira;
	// ignored in Create and Update (set Secret instead).
	IsSigned bool

	// LastUpdated is when the webhook was last created or changed; zero if
	// Jira did not say. Set by Jira.
	LastUpdated time.Time
	// LastUpdatedUser identifies who last changed the webhook (an account
	// ID or user key, as Jira sends it). Set by Jira.
	LastUpdatedUser string
	// LastUpdatedDisplayName is that user's display name. Set by Jira.
	LastUpdatedDisplayName string
}

// String describes w on one line with every field but the secret, which is
// shown as "[redacted]" when set, so that logging a webhook never leaks it.
func (w AdminWebhook) String() string {
	secret := ""
	if w.Secret != "" {
		secret = "[redacted]"
	}
	var last string
	if !w.LastUpdated.IsZero() {
		last = w.LastUpdated.Format(time.RFC3339)
	}
	return fmt.Sprintf("AdminWebhook{ID:%d Self:%q Name:%q Description:%q URL:%q Events:%v JQLFilter:%q ExcludeBody:%t Disabled:%t Secret:%q IsSigned:%t LastUpdated:%s LastUpdatedUser:%q LastUpdatedDisplayName:%q}",
		w.ID, w.Self, w.Name, w.Description, w.URL, w.Events, w.JQLFilter, w.ExcludeBody, w.Disabled, secret, w.IsSigned,
		last, w.LastUpdatedUser, w.LastUpdatedDisplayName)
}

// GoString is String, so that %#v does not print the secret either.
func (w AdminWebhook) GoString() string { return w.String() }

// AdminEvents returns every event an admin webhook can subscribe to, as the
// Jira webhooks guide lists them, in the guide's order, followed by the
// attachment, filter and issue property events that Jira Cloud added. It
// returns a new slice each time.
func AdminEvents() []EventName {
	return []EventName{
		IssueCreated, IssueUpdated, IssueDeleted, WorklogChanged,
		IssueLinkCreated, IssueLinkDeleted,
		WorklogCreated, WorklogUpdated, WorklogDeleted,
		CommentCreated, CommentUpdated, CommentDeleted,
		ProjectCreated, ProjectUpdated, ProjectDeleted,
		VersionReleased, VersionUnreleased, VersionCreated, VersionMoved,
		VersionUpdated, VersionDeleted,
		UserCreated, UserUpdated, UserDeleted,
		OptionVotingChanged, OptionWatchingChanged, OptionUnassignedIssuesChanged,
		OptionSubtasksChanged, OptionAttachmentsChanged, OptionIssueLinksChanged,
		OptionTimeTrackingChanged,
		SprintCreated, SprintDeleted, SprintUpdated, SprintStarted, SprintClosed,
		BoardCreated, BoardUpdated, BoardDeleted, BoardConfigurationChanged,
		AttachmentCreated, AttachmentDeleted,
		FilterCreated, FilterUpdated, FilterDeleted,
		IssuePropertySet, IssuePropertyDeleted,
	}
}

// check reports what makes w unfit to create or update, wrapping
// ErrInvalidAdminWebhook.
func (w *AdminWebhook) check() error {
	if strings.TrimSpace(w.Name) == "" {
		return fmt.Errorf("%w: name is empty", ErrInvalidAdminWebhook)
	}
	if w.URL == "" {
		return fmt.Errorf("%w: url is empty", ErrInvalidAdminWebhook)
	}
	// Placeholders are not valid URL syntax everywhere; check the URL with
	// each one replaced by a plain value.
	plain := w.URL
	for strings.Contains(plain, "${") {
		i := strings.Index(plain, "${")
		j := strings.IndexByte(plain[i:], '}')
		if j < 0 {
			return fmt.Errorf("%w: url %q has an unclosed \"${\"", ErrInvalidAdminWebhook, w.URL)
		}
		plain = plain[:i] + "x" + plain[i+j+1:]
	}
	u, err := url.Parse(plain)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: url %q is not an absolute http or https URL", ErrInvalidAdminWebhook, w.URL)
	}
	for _, e := range w.Events {
		if strings.TrimSpace(string(e)) == "" {
			return fmt.Errorf("%w: empty event name", ErrInvalidAdminWebhook)
		}
	}
	return nil
}

// request returns the wire form of w.
func (w *AdminWebhook) request() admin.AdminWebhookRequest {
	events := make([]string, len(w.Events))
	for i, e := range w.Events {
		events[i] = string(e)
	}
	r := admin.AdminWebhookRequest{
		Name:        w.Name,
		URL:         w.URL,
		Events:      events,
		ExcludeBody: w.ExcludeBody,
		Enabled:     !w.Disabled,
	}
	if w.JQLFilter != "" {
		r.Filters.IssueRelatedEventsSection = &w.JQLFilter
	}
	if w.Secret != "" {
		r.Secret = &w.Secret
	}
	if w.Description != "" {
		r.Description = &w.Description
	}
	return r
}

// adminResponse is the JSON of a webhook in Jira's answers, decoded from
// its tags. Every field is decoded leniently (see decode.go): unknown fields
// are ignored, ids and flags may come as strings, and a field that does not
// decode is left zero rather than failing the whole answer. Jira versions
// disagree on some names, hence the pairs.
type adminResponse struct {
	ID                     int64           `json:"id"`
	Self                   string          `json:"self"`
	Name                   string          `json:"name"`
	Description            string          `json:"description"`
	URL                    string          `json:"url"`
	Events                 []EventName     `json:"events"`
	Filters                adminFilters    `json:"filters"`
	JQLFilter              string          `json:"jqlFilter"`
	ExcludeBody            optBool         `json:"excludeBody"`
	ExcludeIssueDetails    optBool         `json:"excludeIssueDetails"`
	Enabled                optBool         `json:"enabled"`
	IsSigned               optBool         `json:"isSigned"`
	Signed                 optBool         `json:"signed"`
	Secret                 optString       `json:"secret"`
	LastUpdated            time.Time       `json:"lastUpdated"`
	LastUpdatedUser        lastUpdatedUser `json:"lastUpdatedUser"`
	LastUpdatedDisplayName string          `json:"lastUpdatedDisplayName"`
}

type adminResponseJSON adminResponse

// decodeAdminResponse decodes a webhook, which must be an object wherever
// it is.
func decodeAdminResponse(d *jsontext.Decoder, r *adminResponse) error {
	if d.PeekKind() != '{' {
		return errNotObject
	}
	return jsonv2.UnmarshalDecode(d, (*adminResponseJSON)(r))
}

// adminFilters is a webhook's "filters" object.
type adminFilters struct {
	JQL optString `json:"issue-related-events-section"`
}

type adminFiltersJSON adminFilters

// decodeAdminFilters decodes a "filters" object; values of other kinds are
// skipped.
func decodeAdminFilters(d *jsontext.Decoder, f *adminFilters) error {
	*f = adminFilters{}
	if ok, err := expect(d, '{', -1); !ok {
		return err
	}
	return jsonv2.UnmarshalDecode(d, (*adminFiltersJSON)(f))
}

// adminList is a list answer that is an object rather than an array.
type adminList struct {
	Values   []adminResponse `json:"values"`
	Webhooks []adminResponse `json:"webhooks"`
}

// lastUpdatedUser is who last changed a webhook: a string (an account ID
// or user key) or, in some Jira versions, a user object.
type lastUpdatedUser struct {
	AccountID   string `json:"accountId"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

type lastUpdatedUserJSON lastUpdatedUser

// decodeLastUpdatedUser decodes a string or a user object; values of other
// kinds are skipped.
func decodeLastUpdatedUser(d *jsontext.Decoder, u *lastUpdatedUser) (err error) {
	*u = lastUpdatedUser{}
	switch d.PeekKind() {
	case '"':
		u.AccountID, err = readString(d)
		return err
	case '{':
		return jsonv2.UnmarshalDecode(d, (*lastUpdatedUserJSON)(u))
	}
	return d.SkipValue()
}

func (u lastUpdatedUser) id() string {
	switch {
	case u.AccountID != "":
		return u.AccountID
	case u.Key != "":
		return u.Key
	}
	return u.Name
}

// optBool is a boolean, or a string "true" or "false", that may be absent:
// any other value counts as absent.
type optBool struct{ v, ok bool }

// decodeOptBool decodes an optBool.
func decodeOptBool(d *jsontext.Decoder, b *optBool) error {
	*b = optBool{}
	if k := d.PeekKind(); k == '{' || k == '[' {
		return d.SkipValue()
	}
	tok, err := d.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 't', 'f':
		*b = optBool{v: tok.Bool(), ok: true}
	case '"':
		if v, err := strconv.ParseBool(tok.String()); err == nil {
			*b = optBool{v: v, ok: true}
		}
	}
	return nil
}

// or returns the value, or def if it was absent.
func (b optBool) or(def bool) bool {
	if !b.ok {
		return def
	}
	return b.v
}

// optString is a JSON string; any other value leaves it empty.
type optString struct{ s string }

// decodeOptString decodes an optString.
func decodeOptString(d *jsontext.Decoder, s *optString) (err error) {
	*s = optString{}
	if d.PeekKind() != '"' {
		return d.SkipValue()
	}
	s.s, err = readString(d)
	return err
}

// webhook converts the answer into an AdminWebhook.
func (r *adminResponse) webhook() AdminWebhook {
	w := AdminWebhook{
		ID:                     max(r.ID, 0),
		Self:                   r.Self,
		Name:                   r.Name,
		Description:            r.Description,
		URL:                    r.URL,
		Events:                 r.Events,
		JQLFilter:              cmp.Or(r.Filters.JQL.s, r.JQLFilter),
		ExcludeBody:            r.ExcludeBody.or(false) || r.ExcludeIssueDetails.or(false),
		Disabled:               !r.Enabled.or(true),
		IsSigned:               r.IsSigned.or(false) || r.Signed.or(false) || r.Secret.s != "",
		LastUpdated:            r.LastUpdated,
		LastUpdatedUser:        r.LastUpdatedUser.id(),
		LastUpdatedDisplayName: cmp.Or(r.LastUpdatedDisplayName, r.LastUpdatedUser.DisplayName),
	}
	if w.ID == 0 {
		w.ID = idFromSelf(r.Self)
	}
	return w
}

// decodeAdminWebhook decodes one webhook object. It fails only on input
// that is not a JSON object; fields of unexpected types are left zero.
func decodeAdminWebhook(b []byte) (AdminWebhook, error) {
	var r adminResponse
	if err := unmarshal(b, &r); err != nil {
		return AdminWebhook{}, fmt.Errorf("%w: admin webhook is not a JSON object: %s", ErrUnexpectedResponse, shortenText(string(bytes.TrimSpace(b)), 100))
	}
	return r.webhook(), nil
}

// decodeAdminWebhooks decodes a list answer: a JSON array of webhooks, or an
// object holding one under "values" or "webhooks".
func decodeAdminWebhooks(b []byte) ([]AdminWebhook, error) {
	var items []adminResponse
	if err := unmarshal(b, &items); err != nil {
		var page adminList
		if err2 := unmarshal(b, &page); err2 != nil || (page.Values == nil && page.Webhooks == nil) {
			return nil, fmt.Errorf("%w: admin webhook list is not a JSON array: %v", ErrUnexpectedResponse, err)
		}
		items = append(page.Values, page.Webhooks...)
	}
	out := make([]AdminWebhook, 0, len(items))
	for i := range items {
		out = append(out, items[i].webhook())
	}
	return out, nil
}

// idFromSelf returns the numeric last path segment of a webhook's self URL,
// or 0.
func idFromSelf(self string) int64 {
	if self == "" {
		return 0
	}
	p := self
	if u, err := url.Parse(self); err == nil {
		p = u.Path
	}
	p = strings.TrimRight(p, "/")
	seg := p[strings.LastIndexByte(p, '/')+1:]
	id, err := strconv.ParseInt(seg, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// Errors of AdminClient, besides the [*APIError] every non-2xx answer is.
var (
	// ErrInvalidAdminWebhook: the webhook given to Create or Update lacks a
	// name or has no valid URL. No request is sent.
	ErrInvalidAdminWebhook = errors.New("webhooks: invalid admin webhook")

	// ErrAdminUnauthorized wraps the [*APIError] of a 401 from the admin
	// webhook API: Jira did not accept the credentials at all (none sent,
	// wrong email or API token, expired OAuth token).
	ErrAdminUnauthorized = errors.New("webhooks: Jira did not accept the credentials (send basic auth with an administrator's email and API token, or an OAuth token)")

	// ErrAdminRightsNeeded wraps the [*APIError] of a 403 from the admin
	// webhook API: the credentials are valid but their user is not a Jira
	// administrator, which admin webhooks require.
	ErrAdminRightsNeeded = errors.New("webhooks: Jira admin rights needed to manage admin webhooks")

	// ErrAdminWebhookNotFound wraps the [*APIError] of a 404 from Get,
	// Update or Delete: no admin webhook has that ID.
	ErrAdminWebhookNotFound = errors.New("webhooks: admin webhook not found")
)
