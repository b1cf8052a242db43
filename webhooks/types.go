package webhooks

import "time"

// Details describes one webhook to register with [Client.Register].
type Details struct {
	// Events are the events that trigger the webhook. Any name is sent as
	// given, so events newer than this package's constants work too.
	Events []EventName
	// JQLFilter chooses the issues the webhook fires for. Jira requires it
	// and supports only a subset of JQL for dynamic webhooks: the fields
	// issueKey, project, issuetype, status, assignee, reporter,
	// issue.property and cf[id], with the operators =, !=, IN and NOT IN.
	JQLFilter string
	// FieldIDsFilter, if set, limits jira:issue_updated to changes of
	// these fields.
	FieldIDsFilter []string
	// IssuePropertyKeysFilter, if set, limits issue_property_set and
	// issue_property_deleted to these property keys.
	IssuePropertyKeysFilter []string
}

// Registration is Jira's answer for one requested webhook: the new ID, or
// the reasons Jira refused it. [Client.Register] returns one per requested
// webhook, in request order.
type Registration struct {
	// ID is the new webhook's ID; 0 when Jira refused the webhook.
	ID int64
	// Errors says why Jira refused the webhook.
	Errors []string
}

// OK reports whether Jira registered the webhook.
func (r Registration) OK() bool { return r.ID != 0 }

// Webhook is a dynamic webhook registered by the calling app, as
// [Client.List] returns it.
type Webhook struct {
	// ID is Jira's identifier of the webhook, to pass to [Client.Refresh]
	// and [Client.Delete].
	ID int64
	// URL is where Jira sends deliveries; empty when Jira's answer leaves
	// it out, as some do.
	URL string
	// Events are the events that trigger the webhook, including names this
	// package has no constant for.
	Events []EventName
	// JQLFilter is the JQL filter choosing the issues the webhook fires
	// for, as registered (see [Details.JQLFilter]).
	JQLFilter string
	// FieldIDsFilter, if not empty, limits jira:issue_updated to changes
	// of these fields.
	FieldIDsFilter []string
	// IssuePropertyKeysFilter, if not empty, limits issue_property_set and
	// issue_property_deleted to these property keys.
	IssuePropertyKeysFilter []string
	// ExpirationDate (in UTC) is when Jira deletes the webhook unless it is
	// refreshed first (30 days after registration or the last refresh).
	// Zero if Jira did not say.
	ExpirationDate time.Time
}

// FailedWebhook is a delivery Jira gave up on after its last retry, as
// [Client.ListFailed] returns it.
type FailedWebhook struct {
	// ID is the delivery's identifier, as sent in the
	// X-Atlassian-Webhook-Identifier header: the key to deduplicate on.
	ID string
	// URL is where Jira tried to deliver.
	URL string
	// Body is the body Jira tried to deliver; empty when the webhook
	// excludes bodies.
	Body string
	// FailureTime is when the last retry failed.
	FailureTime time.Time
}

// ListOptions are the options of [Client.List]. A nil *ListOptions means
// the defaults.
type ListOptions struct {
	// MaxResults is the page size to ask for; Jira may use a smaller one.
	// 0 leaves it to Jira; a negative value is an error.
	MaxResults int
	// StartAt is the offset of the first webhook to list, for resuming a
	// listing (see [pagination.Pager.Cursor]). Negative is an error.
	StartAt int64
}

// FailedOptions are the options of [Client.ListFailed]. A nil
// *FailedOptions means the defaults: every failure Jira still keeps (about
// 72 hours' worth).
type FailedOptions struct {
	// After limits the listing to failures after this time. The zero time
	// means no limit.
	After time.Time
	// MaxResults is the page size to ask for; 0 leaves it to Jira and a
	// negative value is an error. Jira returns more when failures sharing
	// one failure time would otherwise be split across pages.
	MaxResults int
	// Cursor resumes a listing where an earlier one stopped: the value of
	// an earlier pager's Cursor method (a URL of Jira's failed-webhook
	// endpoint, absolute or relative, such as
	// "?failedAfter=1573540473480&maxResults=100"). When set, After and
	// MaxResults are ignored: the cursor already carries them.
	Cursor string
}
