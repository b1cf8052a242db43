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

// UnmarshalJSON implements json.Unmarshaler; "active" may be a boolean or
// the string "true".
func (u *User) UnmarshalJSON(b []byte) error {
	type plain User
	aux := struct {
		*plain
		Active flexBool `json:"active"`
	}{plain: (*plain)(u)}
	if err := unmarshal(b, &aux); err != nil {
		return err
	}
	u.Active = bool(aux.Active)
	return nil
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

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (t *IssueType) UnmarshalJSON(b []byte) error {
	type plain IssueType
	aux := struct {
		*plain
		ID             flexString `json:"id"`
		HierarchyLevel flexInt    `json:"hierarchyLevel"`
	}{plain: (*plain)(t)}
	err := unmarshal(b, &aux)
	t.ID, t.HierarchyLevel = string(aux.ID), int(aux.HierarchyLevel)
	return err
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (s *Status) UnmarshalJSON(b []byte) error {
	type plain Status
	aux := struct {
		*plain
		ID flexString `json:"id"`
	}{plain: (*plain)(s)}
	err := unmarshal(b, &aux)
	s.ID = string(aux.ID)
	return err
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (c *StatusCategory) UnmarshalJSON(b []byte) error {
	type plain StatusCategory
	aux := struct {
		*plain
		ID flexInt `json:"id"`
	}{plain: (*plain)(c)}
	err := unmarshal(b, &aux)
	c.ID = int64(aux.ID)
	return err
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (p *Priority) UnmarshalJSON(b []byte) error {
	type plain Priority
	aux := struct {
		*plain
		ID flexString `json:"id"`
	}{plain: (*plain)(p)}
	err := unmarshal(b, &aux)
	p.ID = string(aux.ID)
	return err
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (r *Resolution) UnmarshalJSON(b []byte) error {
	type plain Resolution
	aux := struct {
		*plain
		ID flexString `json:"id"`
	}{plain: (*plain)(r)}
	err := unmarshal(b, &aux)
	r.ID = string(aux.ID)
	return err
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (c *Component) UnmarshalJSON(b []byte) error {
	type plain Component
	aux := struct {
		*plain
		ID flexString `json:"id"`
	}{plain: (*plain)(c)}
	err := unmarshal(b, &aux)
	c.ID = string(aux.ID)
	return err
}

// Changelog lists what a jira:issue_updated event changed.
type Changelog struct {
	// ID is the changelog id; Jira Cloud sends it as a string, older
	// payloads as a number.
	ID    string       `json:"id"`
	Items []ChangeItem `json:"items"`
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (c *Changelog) UnmarshalJSON(b []byte) error {
	type plain Changelog
	aux := struct {
		*plain
		ID flexString `json:"id"`
	}{plain: (*plain)(c)}
	err := unmarshal(b, &aux)
	c.ID = string(aux.ID)
	return err
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

// UnmarshalJSON implements json.Unmarshaler; values may be strings,
// numbers or null.
func (c *ChangeItem) UnmarshalJSON(b []byte) error {
	var aux struct {
		Field      flexString `json:"field"`
		FieldType  flexString `json:"fieldtype"`
		FieldID    flexString `json:"fieldId"`
		From       flexString `json:"from"`
		FromString flexString `json:"fromString"`
		To         flexString `json:"to"`
		ToString   flexString `json:"toString"`
	}
	err := unmarshal(b, &aux)
	*c = ChangeItem{
		Field: string(aux.Field), FieldType: string(aux.FieldType), FieldID: string(aux.FieldID),
		From: string(aux.From), FromString: string(aux.FromString),
		To: string(aux.To), ToString: string(aux.ToString),
	}
	return err
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

// UnmarshalJSON implements json.Unmarshaler.
func (c *Comment) UnmarshalJSON(b []byte) error {
	type plain Comment
	aux := struct {
		*plain
		ID      flexString `json:"id"`
		Created jiraTime   `json:"created"`
		Updated jiraTime   `json:"updated"`
	}{plain: (*plain)(c)}
	err := unmarshal(b, &aux)
	c.ID, c.Created, c.Updated = string(aux.ID), aux.Created.t, aux.Updated.t
	return err
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

// UnmarshalJSON implements json.Unmarshaler.
func (w *Worklog) UnmarshalJSON(b []byte) error {
	type plain Worklog
	aux := struct {
		*plain
		ID               flexString `json:"id"`
		IssueID          flexString `json:"issueId"`
		Created          jiraTime   `json:"created"`
		Updated          jiraTime   `json:"updated"`
		Started          jiraTime   `json:"started"`
		TimeSpentSeconds flexInt    `json:"timeSpentSeconds"`
	}{plain: (*plain)(w)}
	err := unmarshal(b, &aux)
	w.ID, w.IssueID = string(aux.ID), string(aux.IssueID)
	w.Created, w.Updated, w.Started = aux.Created.t, aux.Updated.t, aux.Started.t
	w.TimeSpentSeconds = int64(aux.TimeSpentSeconds)
	return err
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

// UnmarshalJSON implements json.Unmarshaler.
func (a *Attachment) UnmarshalJSON(b []byte) error {
	type plain Attachment
	aux := struct {
		*plain
		ID      flexString `json:"id"`
		IssueID flexString `json:"issueId"`
		Created jiraTime   `json:"created"`
		Size    flexInt    `json:"size"`
	}{plain: (*plain)(a)}
	err := unmarshal(b, &aux)
	a.ID, a.IssueID, a.Created, a.Size = string(aux.ID), string(aux.IssueID), aux.Created.t, int64(aux.Size)
	return err
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

// UnmarshalJSON implements json.Unmarshaler; ids may be strings or numbers.
func (l *IssueLink) UnmarshalJSON(b []byte) error {
	type plain IssueLink
	aux := struct {
		*plain
		ID                 flexString `json:"id"`
		SourceIssueID      flexString `json:"sourceIssueId"`
		DestinationIssueID flexString `json:"destinationIssueId"`
		Sequence           flexInt    `json:"sequence"`
	}{plain: (*plain)(l)}
	err := unmarshal(b, &aux)
	l.ID, l.SourceIssueID, l.DestinationIssueID = string(aux.ID), string(aux.SourceIssueID), string(aux.DestinationIssueID)
	l.Sequence = int64(aux.Sequence)
	return err
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (t *IssueLinkType) UnmarshalJSON(b []byte) error {
	type plain IssueLinkType
	aux := struct {
		*plain
		ID flexString `json:"id"`
	}{plain: (*plain)(t)}
	err := unmarshal(b, &aux)
	t.ID = string(aux.ID)
	return err
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

// UnmarshalJSON implements json.Unmarshaler.
func (s *Sprint) UnmarshalJSON(b []byte) error {
	type plain Sprint
	aux := struct {
		*plain
		ID            flexInt  `json:"id"`
		StartDate     jiraTime `json:"startDate"`
		EndDate       jiraTime `json:"endDate"`
		CompleteDate  jiraTime `json:"completeDate"`
		CreatedDate   jiraTime `json:"createdDate"`
		OriginBoardID flexInt  `json:"originBoardId"`
	}{plain: (*plain)(s)}
	err := unmarshal(b, &aux)
	s.ID, s.OriginBoardID = int64(aux.ID), int64(aux.OriginBoardID)
	s.StartDate, s.EndDate, s.CompleteDate, s.CreatedDate = aux.StartDate.t, aux.EndDate.t, aux.CompleteDate.t, aux.CreatedDate.t
	return err
}

// Board is a Jira Software board.
type Board struct {
	ID   int64  `json:"id"`
	Self string `json:"self"`
	Name string `json:"name"`
	Type string `json:"type"` // "scrum", "kanban" or "simple"
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (bd *Board) UnmarshalJSON(b []byte) error {
	type plain Board
	aux := struct {
		*plain
		ID flexInt `json:"id"`
	}{plain: (*plain)(bd)}
	err := unmarshal(b, &aux)
	bd.ID = int64(aux.ID)
	return err
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

// UnmarshalJSON implements json.Unmarshaler.
func (v *Version) UnmarshalJSON(b []byte) error {
	type plain Version
	aux := struct {
		*plain
		ID          flexString `json:"id"`
		StartDate   jiraTime   `json:"startDate"`
		ReleaseDate jiraTime   `json:"releaseDate"`
		ProjectID   flexInt    `json:"projectId"`
	}{plain: (*plain)(v)}
	err := unmarshal(b, &aux)
	v.ID, v.StartDate, v.ReleaseDate, v.ProjectID = string(aux.ID), aux.StartDate.t, aux.ReleaseDate.t, int64(aux.ProjectID)
	return err
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

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (p *Project) UnmarshalJSON(b []byte) error {
	type plain Project
	aux := struct {
		*plain
		ID flexString `json:"id"`
	}{plain: (*plain)(p)}
	err := unmarshal(b, &aux)
	p.ID = string(aux.ID)
	return err
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

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (f *Filter) UnmarshalJSON(b []byte) error {
	type plain Filter
	aux := struct {
		*plain
		ID flexString `json:"id"`
	}{plain: (*plain)(f)}
	err := unmarshal(b, &aux)
	f.ID = string(aux.ID)
	return err
}

// Property is an entity property (issue_property_* events) or a Jira option
// (option_* events): a key and an arbitrary JSON value, kept undecoded.
type Property struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}
