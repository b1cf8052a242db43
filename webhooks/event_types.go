package webhooks

import (
	"encoding/json"
	"time"
)

// User is a Jira user as embedded in callbacks. Jira Cloud identifies users
// by AccountID; Jira Server and Data Center (and old Cloud payloads) by Name
// and Key. Whichever Jira sent is set.
type User struct {
	// Self is the REST URL of the user ("self").
	Self string `json:"self"`
	// AccountID is the Atlassian account id ("accountId"), for example
	// "557058:f58131cb-...": the stable identifier on Cloud.
	AccountID string `json:"accountId"`
	// AccountType is "atlassian", "app" or "customer" ("accountType").
	AccountType string `json:"accountType"`
	// Name is the Server/Data Center user name ("name"); empty on Cloud.
	Name string `json:"name"`
	// Key is the Server/Data Center user key ("key"); empty on Cloud.
	Key string `json:"key"`
	// EmailAddress is "emailAddress", empty unless the user's privacy
	// settings let the app see it.
	EmailAddress string `json:"emailAddress"`
	// DisplayName is the name shown in Jira ("displayName").
	DisplayName string `json:"displayName"`
	// Active reports whether the account is enabled ("active").
	Active bool `json:"active"`
	// TimeZone is an IANA zone name such as "Europe/Berlin" ("timeZone").
	TimeZone string `json:"timeZone"`
	// Locale is the user's locale, such as "en_US" ("locale").
	Locale string `json:"locale"`
	// AvatarURLs maps a size ("16x16" to "48x48") to an avatar URL
	// ("avatarUrls").
	AvatarURLs map[string]string `json:"avatarUrls"`
}

// ID returns the best identifier Jira sent for u: the account id on Cloud,
// else the user key, else the user name.
func (u *User) ID() string {
	switch {
	case u == nil:
		return ""
	case u.AccountID != "":
		return u.AccountID
	case u.Key != "":
		return u.Key
	}
	return u.Name
}

// Issue is the issue a callback is about, in the shape of the REST API's
// "get issue" without expansions.
type Issue struct {
	// ID is the numeric issue id ("id"), as a string; Jira sends a string,
	// Server payloads sometimes a number.
	ID string `json:"id"`
	// Key is the issue key, such as "PAY-142" ("key"). It changes when the
	// issue moves to another project; ID does not.
	Key string `json:"key"`
	// Self is the issue's REST URL ("self").
	Self string `json:"self"`
	// Fields are the issue's system and custom fields ("fields").
	Fields IssueFields `json:"fields"`
}

// IssueType is an issue's type.
type IssueType struct {
	// ID is the issue type id ("id").
	ID string `json:"id"`
	// Self is the issue type's REST URL ("self").
	Self string `json:"self"`
	// Name is the type's name, such as "Task" or "Bug" ("name").
	Name string `json:"name"`
	// Description is the type's description ("description").
	Description string `json:"description"`
	// IconURL is the type's icon ("iconUrl").
	IconURL string `json:"iconUrl"`
	// Subtask reports a sub-task type ("subtask").
	Subtask bool `json:"subtask"`
	// HierarchyLevel is -1 for sub-tasks, 0 for standard types and 1 for
	// epics ("hierarchyLevel").
	HierarchyLevel int `json:"hierarchyLevel"`
}

// Status is an issue's workflow status.
type Status struct {
	// ID is the status id ("id"); ChangeItem.From and To hold such ids for
	// a status change.
	ID string `json:"id"`
	// Self is the status's REST URL ("self").
	Self string `json:"self"`
	// Name is the status's name, such as "In Progress" ("name").
	Name string `json:"name"`
	// Description is the status's description ("description").
	Description string `json:"description"`
	// IconURL is the status's icon ("iconUrl").
	IconURL string `json:"iconUrl"`
	// StatusCategory is the category the status belongs to
	// ("statusCategory").
	StatusCategory *StatusCategory `json:"statusCategory"`
}

// StatusCategory groups statuses: "new" (To Do), "indeterminate" (In
// Progress) or "done".
type StatusCategory struct {
	// ID is the category id ("id"), a number.
	ID int64 `json:"id"`
	// Self is the category's REST URL ("self").
	Self string `json:"self"`
	// Key is "new", "indeterminate" or "done" ("key"): test this rather
	// than Name, which is translated.
	Key string `json:"key"`
	// Name is the category's display name ("name").
	Name string `json:"name"`
	// ColorName is the category's color, such as "blue-gray" ("colorName").
	ColorName string `json:"colorName"`
}

// Priority is an issue's priority.
type Priority struct {
	// ID is the priority id ("id").
	ID string `json:"id"`
	// Self is the priority's REST URL ("self").
	Self string `json:"self"`
	// Name is the priority's name, such as "High" ("name").
	Name string `json:"name"`
	// IconURL is the priority's icon ("iconUrl").
	IconURL string `json:"iconUrl"`
}

// Resolution is how an issue was resolved.
type Resolution struct {
	// ID is the resolution id ("id").
	ID string `json:"id"`
	// Self is the resolution's REST URL ("self").
	Self string `json:"self"`
	// Name is the resolution's name, such as "Done" ("name").
	Name string `json:"name"`
	// Description is the resolution's description ("description").
	Description string `json:"description"`
}

// Component is a project component.
type Component struct {
	// ID is the component id ("id").
	ID string `json:"id"`
	// Self is the component's REST URL ("self").
	Self string `json:"self"`
	// Name is the component's name ("name").
	Name string `json:"name"`
	// Description is the component's description ("description").
	Description string `json:"description"`
}

// Changelog lists what a jira:issue_updated event changed.
type Changelog struct {
	// ID is the changelog id; Jira Cloud sends it as a string, older
	// payloads as a number.
	ID string `json:"id"`
	// Items are the changed fields, one each ("items").
	Items []ChangeItem `json:"items"`
}

// ChangeItem is one changed field. From and To hold ids (for example a
// status id or an account id) and FromString and ToString the display
// values; any of them may be empty.
type ChangeItem struct {
	// Field is the field's display name, such as "status" or "Story Points"
	// ("field"); custom field names are the site's own.
	Field string `json:"field"`
	// FieldType is "jira" for system fields or "custom" ("fieldtype").
	FieldType string `json:"fieldtype"`
	// FieldID is the field id, such as "status" or "customfield_10016"
	// ("fieldId"): match on this rather than Field.
	FieldID string `json:"fieldId"`
	// From is the old value's id ("from"); null, a string or a number in
	// the body, always text here.
	From string `json:"from"`
	// FromString is the old value as displayed ("fromString").
	FromString string `json:"fromString"`
	// To is the new value's id ("to"), decoded as From.
	To string `json:"to"`
	// ToString is the new value as displayed ("toString").
	ToString string `json:"toString"`
}

// Comment is an issue comment.
type Comment struct {
	// ID is the comment id ("id").
	ID string `json:"id"`
	// Self is the comment's REST URL ("self").
	Self string `json:"self"`
	// Author wrote the comment ("author").
	Author *User `json:"author"`
	// UpdateAuthor edited it last ("updateAuthor").
	UpdateAuthor *User `json:"updateAuthor"`
	// Body is the text ("body"): wiki markup or ADF, see RichText.
	Body RichText `json:"body"`
	// Created is when the comment was written ("created").
	Created time.Time `json:"created"`
	// Updated is when it was last edited ("updated").
	Updated time.Time `json:"updated"`
	// JSDPublic reports whether Jira Service Management customers can see
	// the comment ("jsdPublic"); Jira sets it on ordinary comments too, and
	// false marks an internal note.
	JSDPublic bool `json:"jsdPublic"`
	// Visibility restricts who can see the comment, when set.
	Visibility *Visibility `json:"visibility"`
}

// Visibility restricts a comment or worklog to a group or project role.
type Visibility struct {
	// Type is "group" or "role" ("type").
	Type string `json:"type"`
	// Value is the group's or role's name ("value").
	Value string `json:"value"`
	// Identifier is the group id or role id ("identifier"), stable where
	// names change.
	Identifier string `json:"identifier"`
}

// Worklog is time logged on an issue. Worklog events carry no issue; IssueID
// names it.
type Worklog struct {
	// ID is the worklog id ("id").
	ID string `json:"id"`
	// Self is the worklog's REST URL ("self").
	Self string `json:"self"`
	// IssueID is the id of the issue the time was logged on ("issueId").
	IssueID string `json:"issueId"`
	// Author logged the time ("author").
	Author *User `json:"author"`
	// UpdateAuthor edited the worklog last ("updateAuthor").
	UpdateAuthor *User `json:"updateAuthor"`
	// Comment is the worklog's note ("comment"), see RichText.
	Comment RichText `json:"comment"`
	// Created is when the worklog was recorded ("created").
	Created time.Time `json:"created"`
	// Updated is when it was last edited ("updated").
	Updated time.Time `json:"updated"`
	// Started is when the work began ("started").
	Started time.Time `json:"started"`
	// TimeSpent is the duration as entered, for example "3h 20m"
	// ("timeSpent").
	TimeSpent string `json:"timeSpent"`
	// TimeSpentSeconds is the same duration in seconds
	// ("timeSpentSeconds").
	TimeSpentSeconds int64 `json:"timeSpentSeconds"`
	// Visibility restricts who can see the worklog, when set
	// ("visibility").
	Visibility *Visibility `json:"visibility"`
}

// Attachment is a file attached to an issue.
type Attachment struct {
	// ID is the attachment id ("id"), a number in the body.
	ID string `json:"id"`
	// Self is the attachment's REST URL ("self").
	Self string `json:"self"`
	// IssueID is the id of the issue it is attached to ("issueId").
	IssueID string `json:"issueId"`
	// Filename is the file's name as uploaded ("filename").
	Filename string `json:"filename"`
	// Author uploaded the file ("author").
	Author *User `json:"author"`
	// Created is when it was uploaded ("created").
	Created time.Time `json:"created"`
	// Size is the file's size in bytes ("size").
	Size int64 `json:"size"`
	// MimeType is the file's media type, such as "image/png" ("mimeType").
	MimeType string `json:"mimeType"`
	// Content is the download URL ("content"); fetching it needs the
	// app's credentials.
	Content string `json:"content"`
	// Thumbnail is a thumbnail URL, for images only ("thumbnail").
	Thumbnail string `json:"thumbnail"`
}

// IssueLink links two issues.
type IssueLink struct {
	// ID is the link id ("id"), a number in the body.
	ID string `json:"id"`
	// SourceIssueID is the id of the issue the link goes out from
	// ("sourceIssueId"), a number in the body.
	SourceIssueID string `json:"sourceIssueId"`
	// DestinationIssueID is the id of the issue it points to
	// ("destinationIssueId").
	DestinationIssueID string `json:"destinationIssueId"`
	// Type is the kind of link ("issueLinkType").
	Type *IssueLinkType `json:"issueLinkType"`
	// Sequence orders the source issue's links ("sequence").
	Sequence int64 `json:"sequence"`
	// SystemLink reports a link Jira maintains itself, such as the one
	// between a sub-task and its parent ("systemLink").
	SystemLink bool `json:"systemLink"`
}

// IssueLinkType is the kind of an issue link, for example "Blocks".
type IssueLinkType struct {
	// ID is the link type id ("id"), a number in the body.
	ID string `json:"id"`
	// Name is the type's name, such as "Blocks" ("name").
	Name string `json:"name"`
	// OutwardName describes the link from the source, such as "blocks"
	// ("outwardName").
	OutwardName string `json:"outwardName"`
	// InwardName describes it from the destination, such as "is blocked
	// by" ("inwardName").
	InwardName string `json:"inwardName"`
	// Style is set for Jira's own link types, such as "jira_subtask"
	// ("style").
	Style string `json:"style"`
	// IsSubTaskLinkType reports the sub-task link type
	// ("isSubTaskLinkType").
	IsSubTaskLinkType bool `json:"isSubTaskLinkType"`
	// IsSystemLinkType reports a link type Jira maintains itself
	// ("isSystemLinkType").
	IsSystemLinkType bool `json:"isSystemLinkType"`
}

// Sprint is a Jira Software sprint.
type Sprint struct {
	// ID is the sprint id ("id"), a number in the body.
	ID int64 `json:"id"`
	// Self is the sprint's Agile REST URL ("self").
	Self string `json:"self"`
	// State is "future", "active" or "closed" ("state").
	State string `json:"state"`
	// Name is the sprint's name ("name").
	Name string `json:"name"`
	// Goal is the sprint goal ("goal").
	Goal string `json:"goal"`
	// StartDate is the planned start ("startDate"); zero for a future
	// sprint without one.
	StartDate time.Time `json:"startDate"`
	// EndDate is the planned end ("endDate").
	EndDate time.Time `json:"endDate"`
	// CompleteDate is when the sprint was closed ("completeDate").
	CompleteDate time.Time `json:"completeDate"`
	// CreatedDate is when the sprint was created ("createdDate").
	CreatedDate time.Time `json:"createdDate"`
	// OriginBoardID is the board the sprint was created on
	// ("originBoardId").
	OriginBoardID int64 `json:"originBoardId"`
}

// Board is a Jira Software board.
type Board struct {
	// ID is the board id ("id"), a number in the body.
	ID int64 `json:"id"`
	// Self is the board's Agile REST URL ("self").
	Self string `json:"self"`
	// Name is the board's name ("name").
	Name string `json:"name"`
	// Type is "scrum", "kanban" or "simple" ("type").
	Type string `json:"type"`
}

// Version is a project version (release).
type Version struct {
	// ID is the version id ("id"), a string in the body.
	ID string `json:"id"`
	// Self is the version's REST URL ("self").
	Self string `json:"self"`
	// Name is the version's name, such as "2026.11" ("name").
	Name string `json:"name"`
	// Description is the version's description ("description").
	Description string `json:"description"`
	// Archived reports an archived version ("archived").
	Archived bool `json:"archived"`
	// Released reports a released version ("released").
	Released bool `json:"released"`
	// Overdue reports an unreleased version past its release date
	// ("overdue").
	Overdue bool `json:"overdue"`
	// StartDate is the version's start, a date without a time in the body
	// ("startDate"), midnight UTC here.
	StartDate time.Time `json:"startDate"`
	// ReleaseDate is the planned or actual release date ("releaseDate"),
	// decoded as StartDate.
	ReleaseDate time.Time `json:"releaseDate"`
	// UserReleaseDate is the release date formatted for the user, such as
	// "28/Nov/26" ("userReleaseDate"); not meant for parsing.
	UserReleaseDate string `json:"userReleaseDate"`
	// ProjectID is the id of the version's project ("projectId"), a
	// number in the body.
	ProjectID int64 `json:"projectId"`
}

// Project is a Jira project. Project events send the id as a number, issue
// fields as a string; ID holds either as a string.
type Project struct {
	// ID is the project id ("id").
	ID string `json:"id"`
	// Self is the project's REST URL ("self").
	Self string `json:"self"`
	// Key is the project key, such as "PAY" ("key").
	Key string `json:"key"`
	// Name is the project's name ("name").
	Name string `json:"name"`
	// ProjectTypeKey is "software", "service_desk" or "business"
	// ("projectTypeKey").
	ProjectTypeKey string `json:"projectTypeKey"`
	// Simplified reports a team-managed project ("simplified").
	Simplified bool `json:"simplified"`
	// AssigneeType is the default assignee as project events send it, a
	// message key such as "admin.assignee.type.unassigned" ("assigneeType").
	AssigneeType string `json:"assigneeType"`
	// Lead is the project lead ("projectLead"); sent with project events.
	Lead *User `json:"projectLead"`
	// AvatarURLs maps a size ("16x16" to "48x48") to an avatar URL
	// ("avatarUrls").
	AvatarURLs map[string]string `json:"avatarUrls"`
}

// Filter is a saved JQL filter.
type Filter struct {
	// ID is the filter id ("id"), a string or a number in the body.
	ID string `json:"id"`
	// Self is the filter's REST URL ("self").
	Self string `json:"self"`
	// Name is the filter's name ("name").
	Name string `json:"name"`
	// Description is the filter's description ("description").
	Description string `json:"description"`
	// JQL is the filter's query ("jql").
	JQL string `json:"jql"`
	// Owner owns the filter ("owner").
	Owner *User `json:"owner"`
	// Favourite reports whether the filter is marked as a favourite
	// ("favourite").
	Favourite bool `json:"favourite"`
	// ViewURL opens the filter in Jira ("viewUrl").
	ViewURL string `json:"viewUrl"`
	// SearchURL runs the filter through the search REST API ("searchUrl").
	SearchURL string `json:"searchUrl"`
}

// Property is an entity property (issue_property_* events) or a Jira option
// (option_* events): a key and an arbitrary JSON value, kept undecoded.
type Property struct {
	// Key is the property's or option's key ("key").
	Key string `json:"key"`
	// Value is its value as Jira sent it ("value"): any JSON, nil when
	// absent or null. Decode it with json.Unmarshal.
	Value json.RawMessage `json:"value"`
}
