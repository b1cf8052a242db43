package webhooks

import (
	"encoding/json"
	"time"
)

// User is a Jira user as embedded in callbacks. Jira Cloud identifies users
// by AccountID; Jira Server and Data Center (and old Cloud payloads) by Name
// and Key. Whichever Jira sent is set.
type User struct {
	Self         string            `json:"self"`
	AccountID    string            `json:"accountId"`
	AccountType  string            `json:"accountType"` // "atlassian", "app", "customer"
	Name         string            `json:"name"`        // Server/Data Center user name
	Key          string            `json:"key"`         // Server/Data Center user key
	EmailAddress string            `json:"emailAddress"`
	DisplayName  string            `json:"displayName"`
	Active       bool              `json:"active"`
	TimeZone     string            `json:"timeZone"`
	Locale       string            `json:"locale"`
	AvatarURLs   map[string]string `json:"avatarUrls"`
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
	ID     string      `json:"id"`
	Key    string      `json:"key"`
	Self   string      `json:"self"`
	Fields IssueFields `json:"fields"`
}

// IssueType is an issue's type.
type IssueType struct {
	ID             string `json:"id"`
	Self           string `json:"self"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	IconURL        string `json:"iconUrl"`
	Subtask        bool   `json:"subtask"`
	HierarchyLevel int    `json:"hierarchyLevel"`
}

// Status is an issue's workflow status.
type Status struct {
	ID             string          `json:"id"`
	Self           string          `json:"self"`
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	IconURL        string          `json:"iconUrl"`
	StatusCategory *StatusCategory `json:"statusCategory"`
}

// StatusCategory groups statuses: "new" (To Do), "indeterminate" (In
// Progress) or "done".
type StatusCategory struct {
	ID        int64  `json:"id"`
	Self      string `json:"self"`
	Key       string `json:"key"`
	Name      string `json:"name"`
	ColorName string `json:"colorName"`
}

// Priority is an issue's priority.
type Priority struct {
	ID      string `json:"id"`
	Self    string `json:"self"`
	Name    string `json:"name"`
	IconURL string `json:"iconUrl"`
}

// Resolution is how an issue was resolved.
type Resolution struct {
	ID          string `json:"id"`
	Self        string `json:"self"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Component is a project component.
type Component struct {
	ID          string `json:"id"`
	Self        string `json:"self"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Changelog lists what a jira:issue_updated event changed.
type Changelog struct {
	// ID is the changelog id; Jira Cloud sends it as a string, older
	// payloads as a number.
	ID    string       `json:"id"`
	Items []ChangeItem `json:"items"`
}

// ChangeItem is one changed field. From and To hold ids (for example a
// status id or an account id) and FromString and ToString the display
// values; any of them may be empty.
type ChangeItem struct {
	Field      string `json:"field"`
	FieldType  string `json:"fieldtype"` // "jira" or "custom"
	FieldID    string `json:"fieldId"`
	From       string `json:"from"`
	FromString string `json:"fromString"`
	To         string `json:"to"`
	ToString   string `json:"toString"`
}

// Comment is an issue comment.
type Comment struct {
	ID           string    `json:"id"`
	Self         string    `json:"self"`
	Author       *User     `json:"author"`
	UpdateAuthor *User     `json:"updateAuthor"`
	Body         RichText  `json:"body"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	JSDPublic    bool      `json:"jsdPublic"`
	// Visibility restricts who can see the comment, when set.
	Visibility *Visibility `json:"visibility"`
}

// Visibility restricts a comment or worklog to a group or project role.
type Visibility struct {
	Type       string `json:"type"` // "group" or "role"
	Value      string `json:"value"`
	Identifier string `json:"identifier"`
}

// Worklog is time logged on an issue. Worklog events carry no issue; IssueID
// names it.
type Worklog struct {
	ID               string      `json:"id"`
	Self             string      `json:"self"`
	IssueID          string      `json:"issueId"`
	Author           *User       `json:"author"`
	UpdateAuthor     *User       `json:"updateAuthor"`
	Comment          RichText    `json:"comment"`
	Created          time.Time   `json:"created"`
	Updated          time.Time   `json:"updated"`
	Started          time.Time   `json:"started"`
	TimeSpent        string      `json:"timeSpent"` // for example "3h 20m"
	TimeSpentSeconds int64       `json:"timeSpentSeconds"`
	Visibility       *Visibility `json:"visibility"`
}

// Attachment is a file attached to an issue.
type Attachment struct {
	ID        string    `json:"id"`
	Self      string    `json:"self"`
	IssueID   string    `json:"issueId"`
	Filename  string    `json:"filename"`
	Author    *User     `json:"author"`
	Created   time.Time `json:"created"`
	Size      int64     `json:"size"`
	MimeType  string    `json:"mimeType"`
	Content   string    `json:"content"`   // download URL
	Thumbnail string    `json:"thumbnail"` // thumbnail URL, for images
}

// IssueLink links two issues.
type IssueLink struct {
	ID                 string         `json:"id"`
	SourceIssueID      string         `json:"sourceIssueId"`
	DestinationIssueID string         `json:"destinationIssueId"`
	Type               *IssueLinkType `json:"issueLinkType"`
	Sequence           int64          `json:"sequence"`
	SystemLink         bool           `json:"systemLink"`
}

// IssueLinkType is the kind of an issue link, for example "Blocks".
type IssueLinkType struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	OutwardName       string `json:"outwardName"`
	InwardName        string `json:"inwardName"`
	Style             string `json:"style"`
	IsSubTaskLinkType bool   `json:"isSubTaskLinkType"`
	IsSystemLinkType  bool   `json:"isSystemLinkType"`
}

// Sprint is a Jira Software sprint.
type Sprint struct {
	ID            int64     `json:"id"`
	Self          string    `json:"self"`
	State         string    `json:"state"` // "future", "active" or "closed"
	Name          string    `json:"name"`
	Goal          string    `json:"goal"`
	StartDate     time.Time `json:"startDate"`
	EndDate       time.Time `json:"endDate"`
	CompleteDate  time.Time `json:"completeDate"`
	CreatedDate   time.Time `json:"createdDate"`
	OriginBoardID int64     `json:"originBoardId"`
}

// Board is a Jira Software board.
type Board struct {
	ID   int64  `json:"id"`
	Self string `json:"self"`
	Name string `json:"name"`
	Type string `json:"type"` // "scrum", "kanban" or "simple"
}

// Version is a project version (release).
type Version struct {
	ID              string    `json:"id"`
	Self            string    `json:"self"`
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	Archived        bool      `json:"archived"`
	Released        bool      `json:"released"`
	Overdue         bool      `json:"overdue"`
	StartDate       time.Time `json:"startDate"`
	ReleaseDate     time.Time `json:"releaseDate"`
	UserReleaseDate string    `json:"userReleaseDate"`
	ProjectID       int64     `json:"projectId"`
}

// Project is a Jira project. Project events send the id as a number, issue
// fields as a string; ID holds either as a string.
type Project struct {
	ID             string            `json:"id"`
	Self           string            `json:"self"`
	Key            string            `json:"key"`
	Name           string            `json:"name"`
	ProjectTypeKey string            `json:"projectTypeKey"`
	Simplified     bool              `json:"simplified"`
	AssigneeType   string            `json:"assigneeType"`
	Lead           *User             `json:"projectLead"`
	AvatarURLs     map[string]string `json:"avatarUrls"`
}

// Filter is a saved JQL filter.
type Filter struct {
	ID          string `json:"id"`
	Self        string `json:"self"`
	Name        string `json:"name"`
	Description string `json:"description"`
	JQL         string `json:"jql"`
	Owner       *User  `json:"owner"`
	Favourite   bool   `json:"favourite"`
	ViewURL     string `json:"viewUrl"`
	SearchURL   string `json:"searchUrl"`
}

// Property is an entity property (issue_property_* events) or a Jira option
// (option_* events): a key and an arbitrary JSON value, kept undecoded.
type Property struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}
