package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/internal/jiratime"
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

// adminJQLSection is the key of the JQL filter in an admin webhook's
// "filters" object.
const adminJQLSection = "issue-related-events-section"

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

// adminResponse is the JSON of a webhook in Jira's answers. Every field is
// decoded leniently: unknown fields are ignored, ids and flags may come as
// strings, and a field that does not decode is left zero rather than failing
// the whole answer.
type adminResponse struct {
	ID                     json.RawMessage            `json:"id"`
	Self                   string                     `json:"self"`
	Name                   string                     `json:"name"`
	Description            string                     `json:"description"`
	URL                    string                     `json:"url"`
	Events                 []EventName                `json:"events"`
	Filters                map[string]json.RawMessage `json:"filters"`
	JQLFilter              string                     `json:"jqlFilter"`
	ExcludeBody            json.RawMessage            `json:"excludeBody"`
	ExcludeIssueDetails    json.RawMessage            `json:"excludeIssueDetails"`
	Enabled                json.RawMessage            `json:"enabled"`
	IsSigned               json.RawMessage            `json:"isSigned"`
	Signed                 json.RawMessage            `json:"signed"`
	Secret                 json.RawMessage            `json:"secret"`
	LastUpdated            json.RawMessage            `json:"lastUpdated"`
	LastUpdatedUser        json.RawMessage            `json:"lastUpdatedUser"`
	LastUpdatedDisplayName string                     `json:"lastUpdatedDisplayName"`
}

// decodeAdminWebhook decodes one webhook object. It fails only on input
// that is not a JSON object; fields of unexpected types are left zero.
func decodeAdminWebhook(b []byte) (AdminWebhook, error) {
	if b = bytes.TrimSpace(b); len(b) == 0 || b[0] != '{' {
		return AdminWebhook{}, fmt.Errorf("%w: admin webhook is not a JSON object: %s", ErrUnexpectedResponse, shortenText(string(b), 100))
	}
	var r adminResponse
	if err := json.Unmarshal(b, &r); err != nil {
		// A field of the wrong type fails the strict decode: decode field
		// by field instead, keeping what makes sense.
		var fields map[string]json.RawMessage
		if err2 := json.Unmarshal(b, &fields); err2 != nil || fields == nil {
			return AdminWebhook{}, fmt.Errorf("%w: admin webhook is not a JSON object: %v", ErrUnexpectedResponse, err)
		}
		r = adminResponse{}
		lenientString(fields["self"], &r.Self)
		lenientString(fields["name"], &r.Name)
		lenientString(fields["description"], &r.Description)
		lenientString(fields["url"], &r.URL)
		lenientString(fields["jqlFilter"], &r.JQLFilter)
		lenientString(fields["lastUpdatedDisplayName"], &r.LastUpdatedDisplayName)
		var events []json.RawMessage
		if json.Unmarshal(fields["events"], &events) == nil {
			for _, e := range events {
				var s string
				if json.Unmarshal(e, &s) == nil {
					r.Events = append(r.Events, EventName(s))
				}
			}
		}
		_ = json.Unmarshal(fields["filters"], &r.Filters)
		r.ID = fields["id"]
		r.ExcludeBody = fields["excludeBody"]
		r.ExcludeIssueDetails = fields["excludeIssueDetails"]
		r.Enabled = fields["enabled"]
		r.IsSigned = fields["isSigned"]
		r.Signed = fields["signed"]
		r.Secret = fields["secret"]
		r.LastUpdated = fields["lastUpdated"]
		r.LastUpdatedUser = fields["lastUpdatedUser"]
	}
	w := AdminWebhook{
		Self:                   r.Self,
		Name:                   r.Name,
		Description:            r.Description,
		URL:                    r.URL,
		Events:                 r.Events,
		JQLFilter:              r.JQLFilter,
		LastUpdatedDisplayName: r.LastUpdatedDisplayName,
	}
	if v, ok := r.Filters[adminJQLSection]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			w.JQLFilter = s
		}
	}
	w.ID = lenientID(r.ID)
	if w.ID == 0 {
		w.ID = idFromSelf(r.Self)
	}
	w.ExcludeBody = lenientBool(r.ExcludeBody, false) || lenientBool(r.ExcludeIssueDetails, false)
	w.Disabled = !lenientBool(r.Enabled, true)
	w.IsSigned = lenientBool(r.IsSigned, false) || lenientBool(r.Signed, false) || hasSecret(r.Secret)
	if len(r.LastUpdated) > 0 {
		var t jiratime.Time
		if json.Unmarshal(r.LastUpdated, &t) == nil {
			w.LastUpdated = t.Time
		}
	}
	if len(r.LastUpdatedUser) > 0 {
		var s string
		if json.Unmarshal(r.LastUpdatedUser, &s) == nil {
			w.LastUpdatedUser = s
		} else {
			// Some Jira versions send a user object.
			var u struct {
				AccountID   string `json:"accountId"`
				Key         string `json:"key"`
				Name        string `json:"name"`
				DisplayName string `json:"displayName"`
			}
			if json.Unmarshal(r.LastUpdatedUser, &u) == nil {
				w.LastUpdatedUser = firstNonEmpty(u.AccountID, u.Key, u.Name)
				if w.LastUpdatedDisplayName == "" {
					w.LastUpdatedDisplayName = u.DisplayName
				}
			}
		}
	}
	return w, nil
}

// decodeAdminWebhooks decodes a list answer: a JSON array of webhooks, or an
// object holding one under "values" or "webhooks".
func decodeAdminWebhooks(b []byte) ([]AdminWebhook, error) {
	b = bytes.TrimSpace(b)
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		var page struct {
			Values   []json.RawMessage `json:"values"`
			Webhooks []json.RawMessage `json:"webhooks"`
		}
		if err2 := json.Unmarshal(b, &page); err2 != nil || (page.Values == nil && page.Webhooks == nil) {
			return nil, fmt.Errorf("%w: admin webhook list is not a JSON array: %v", ErrUnexpectedResponse, err)
		}
		items = append(page.Values, page.Webhooks...)
	}
	out := make([]AdminWebhook, 0, len(items))
	for _, it := range items {
		w, err := decodeAdminWebhook(it)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// lenientID reads an id sent as a JSON number or a string holding one.
func lenientID(b json.RawMessage) int64 {
	var n json.Number
	if json.Unmarshal(b, &n) != nil {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return 0
		}
		n = json.Number(strings.TrimSpace(s))
	}
	id, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
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

// lenientBool reads a JSON boolean, or a string "true"/"false"; anything
// else (absent, null, garbage) gives def.
func lenientBool(b json.RawMessage, def bool) bool {
	var v bool
	if json.Unmarshal(b, &v) == nil && len(bytes.TrimSpace(b)) > 0 && !bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return v
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		if v, err := strconv.ParseBool(s); err == nil {
			return v
		}
	}
	return def
}

// hasSecret reports whether an answer's "secret" field holds something
// (some servers echo a masked secret).
func hasSecret(b json.RawMessage) bool {
	var s string
	return json.Unmarshal(b, &s) == nil && s != ""
}

// lenientString decodes b into *dst if it is a JSON string.
func lenientString(b json.RawMessage, dst *string) {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*dst = s
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
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
