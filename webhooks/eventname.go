package webhooks

// EventName names a Jira webhook event, as Jira sends it in the
// "webhookEvent" field of a delivery and accepts it in a registration, for
// example "jira:issue_updated".
//
// The set is open: Jira adds events over time (sprint and version events
// reached dynamic webhooks in 2026), so any string is a valid EventName and
// unknown names pass through decoding and registration untouched. The
// constants below are the names documented when this package was written.
type EventName string

// Issue events. Dynamic (app) webhooks can register all of these.
const (
	IssueCreated EventName = "jira:issue_created"
	IssueUpdated EventName = "jira:issue_updated"
	IssueDeleted EventName = "jira:issue_deleted"
)

// Comment events. Dynamic (app) webhooks can register these.
const (
	CommentCreated EventName = "comment_created"
	CommentUpdated EventName = "comment_updated"
	CommentDeleted EventName = "comment_deleted"
)

// Issue property events. Dynamic (app) webhooks can register these.
const (
	IssuePropertySet     EventName = "issue_property_set"
	IssuePropertyDeleted EventName = "issue_property_deleted"
)

// Worklog events. WorklogChanged ("jira:worklog_updated") fires on the issue
// when one of its worklogs is updated or deleted.
const (
	WorklogChanged EventName = "jira:worklog_updated"
	WorklogCreated EventName = "worklog_created"
	WorklogUpdated EventName = "worklog_updated"
	WorklogDeleted EventName = "worklog_deleted"
)

// Attachment events.
const (
	AttachmentCreated EventName = "attachment_created"
	AttachmentDeleted EventName = "attachment_deleted"
)

// Issue link events.
const (
	IssueLinkCreated EventName = "issuelink_created"
	IssueLinkDeleted EventName = "issuelink_deleted"
)

// Project events.
const (
	ProjectCreated EventName = "project_created"
	ProjectUpdated EventName = "project_updated"
	ProjectDeleted EventName = "project_deleted"
)

// Version events. A merge of versions arrives as VersionDeleted with the
// version it was merged into.
const (
	VersionReleased   EventName = "jira:version_released"
	VersionUnreleased EventName = "jira:version_unreleased"
	VersionCreated    EventName = "jira:version_created"
	VersionMoved      EventName = "jira:version_moved"
	VersionUpdated    EventName = "jira:version_updated"
	VersionDeleted    EventName = "jira:version_deleted"
	// VersionMerged is the name the dynamic webhook event list gives
	// merges. The webhooks guide documents merge deliveries as
	// VersionDeleted with "mergedTo"; Event.IsMerge recognises both.
	VersionMerged EventName = "jira:version_merged"
)

// User events.
const (
	UserCreated EventName = "user_created"
	UserUpdated EventName = "user_updated"
	UserDeleted EventName = "user_deleted"
)

// Jira configuration events: a feature was switched on or off.
const (
	OptionVotingChanged           EventName = "option_voting_changed"
	OptionWatchingChanged         EventName = "option_watching_changed"
	OptionUnassignedIssuesChanged EventName = "option_unassigned_issues_changed"
	OptionSubtasksChanged         EventName = "option_subtasks_changed"
	OptionAttachmentsChanged      EventName = "option_attachments_changed"
	OptionIssueLinksChanged       EventName = "option_issuelinks_changed"
	OptionTimeTrackingChanged     EventName = "option_timetracking_changed"
)

// Jira Software sprint events.
const (
	SprintCreated EventName = "sprint_created"
	SprintDeleted EventName = "sprint_deleted"
	SprintUpdated EventName = "sprint_updated"
	SprintStarted EventName = "sprint_started"
	SprintClosed  EventName = "sprint_closed"
)

// Jira Software board events.
const (
	BoardCreated              EventName = "board_created"
	BoardUpdated              EventName = "board_updated"
	BoardDeleted              EventName = "board_deleted"
	BoardConfigurationChanged EventName = "board_configuration_changed"
)

// Filter events.
const (
	FilterCreated EventName = "filter_created"
	FilterUpdated EventName = "filter_updated"
	FilterDeleted EventName = "filter_deleted"
)
