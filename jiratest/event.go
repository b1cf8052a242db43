package jiratest

import (
	"maps"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jirahooks/jirahooks/internal/jiratime"
)

// Event is something that happens on the site and may trigger webhooks.
// Build one with [IssueEvent], [CommentEvent], [WorklogEvent],
// [IssuePropertyEvent], [SprintEvent], [VersionEvent],
// [VersionMergedEvent] or [NewEvent], adjust its fields, and pass it to
// [Server.Emit]. The callback body is rendered at Emit with the site's URL
// in every "self" link.
type Event struct {
	// Name is the webhookEvent, for example "jira:issue_updated".
	Name string
	// Timestamp is the event's time; zero means the server's clock at Emit.
	Timestamp time.Time
	// TypeName is issue_event_type_name, for issue events ("" omits it).
	TypeName string
	// User is who caused the event (the "user" of issue events).
	User *User
	// Issue is the issue concerned. Webhook JQL filters are evaluated on
	// it; an event without an issue (sprint, version) ignores JQL filters.
	Issue *Issue
	// Changelog lists the changed fields of an issue update.
	Changelog *Changelog
	// Comment is the comment of comment events.
	Comment *Comment
	// Worklog is the worklog of worklog events.
	Worklog *Worklog
	// Sprint is the sprint of sprint events; OldSprint becomes "oldValue".
	Sprint, OldSprint *Sprint
	// Version is the version of version events; MergedTo becomes "mergedTo".
	Version, MergedTo *Version
	// PropertyKey and PropertyValue describe the issue property of
	// issue_property_set and issue_property_deleted; the key is checked
	// against a webhook's issuePropertyKeysFilter.
	PropertyKey   string
	PropertyValue any // any JSON value
	// Body, when not nil, is the whole callback body instead of one built
	// from the fields above (timestamp and webhookEvent are still set when
	// missing, and matchedWebhookIds always).
	Body map[string]any
	// Extra holds top-level members added to the body (or replacing ones).
	Extra map[string]any
}

// User is a Jira user as embedded in callbacks.
type User struct {
	AccountID   string // default "5b10a2844c20165700ede21g"
	DisplayName string // default "Mia Krystof"
	Email       string // omitted when empty (Jira hides it by default)
	TimeZone    string // default "Europe/Berlin"
}

// Project is the project of an issue.
type Project struct {
	ID   string // default "10000"
	Key  string // default: the prefix of the issue key
	Name string // default: the key
}

// Issue is a Jira issue. Empty fields get realistic defaults.
type Issue struct {
	ID          string    // default derived from the key number, 10000 + n
	Key         string    // default "PRJ-1"
	Project     Project   // see Project
	Type        string    // issuetype name, default "Task"
	Status      string    // status name, default "To Do"
	Summary     string    // default "Summary of <key>"
	Description string    // omitted (null) when empty
	Priority    string    // default "Medium"
	Assignee    *User     // nil: unassigned
	Reporter    *User     // nil: the default user
	Labels      []string  // nil: none
	Created     time.Time // zero: the event time minus one hour
	Updated     time.Time // zero: the event time
	// Fields holds more fields, for example "customfield_10029"; they are
	// sent in issue.fields and matched by cf[10029] clauses.
	Fields map[string]any
	// Properties holds issue properties, matched by issue.property[key]
	// clauses (Jira does not send them in callbacks).
	Properties map[string]any
}

// Changelog is the changelog of an issue update.
type Changelog struct {
	ID    string       // default: a fresh number
	Items []ChangeItem // the changed fields, in order
}

// ChangeItem is one changed field.
type ChangeItem struct {
	Field      string  // field name, e.g. "summary"
	FieldID    string  // default: Field
	FieldType  string  // default "jira", or "custom" for customfield_ ids
	From, To   *string // raw old and new values (ids); nil renders null
	FromString string  // old value as shown to people
	ToString   string  // new value as shown to people
}

// Comment is an issue comment.
type Comment struct {
	ID      string    // default: a fresh number
	Body    string    // the comment's text
	Author  *User     // default: the event's user
	Created time.Time // zero: Updated
	Updated time.Time // zero: the event time
}

// Worklog is a worklog entry.
type Worklog struct {
	ID               string    // default: a fresh number
	Comment          string    // the worklog's comment
	Author           *User     // default: the event's user
	TimeSpentSeconds int       // default 3600
	Started          time.Time // zero: the event time minus the time spent
}

// Sprint is a Jira Software sprint.
type Sprint struct {
	ID            int64     // default 1
	Name          string    // default "Sprint <id>"
	State         string    // "future", "active" (default) or "closed"
	Goal          string    // "" renders an empty goal
	OriginBoardID int64     // default 1
	StartDate     time.Time // zero: omitted
	EndDate       time.Time // zero: omitted
	CompleteDate  time.Time // zero: omitted
}

// Version is a project version.
type Version struct {
	ID          string    // default "10000"
	Name        string    // default "1.0"
	Description string    // "" renders an empty description
	ProjectID   int64     // default 10000
	Released    bool      // the version is released
	Archived    bool      // the version is archived
	ReleaseDate time.Time // zero: omitted, with userReleaseDate and overdue
}

var seq atomic.Int64

func fresh() string { return strconv.FormatInt(10100+seq.Add(1), 10) }

// IssueEvent returns an issue event (jira:issue_created, jira:issue_updated,
// jira:issue_deleted) for issue, caused by the issue's reporter.
// Add changes with [Event.Change].
func IssueEvent(name string, issue Issue) *Event {
	e := &Event{Name: name, Issue: &issue}
	switch name {
	case "jira:issue_created":
		e.TypeName = "issue_created"
	case "jira:issue_updated":
		e.TypeName = "issue_generic"
	case "jira:issue_deleted":
		e.TypeName = "issue_deleted"
	}
	return e
}

// Change adds a changed field to the event's changelog and returns e.
func (e *Event) Change(field, from, to string) *Event {
	if e.Changelog == nil {
		e.Changelog = &Changelog{}
	}
	e.Changelog.Items = append(e.Changelog.Items, ChangeItem{Field: field, FromString: from, ToString: to})
	return e
}

// By sets who caused the event and returns e.
func (e *Event) By(u User) *Event {
	e.User = &u
	return e
}

// At sets the event's timestamp and returns e.
func (e *Event) At(t time.Time) *Event {
	e.Timestamp = t
	return e
}

// CommentEvent returns a comment event (comment_created, comment_updated,
// comment_deleted) for a comment on issue.
func CommentEvent(name string, issue Issue, c Comment) *Event {
	return &Event{Name: name, Issue: &issue, Comment: &c}
}

// WorklogEvent returns a worklog event (worklog_created, worklog_updated,
// worklog_deleted) for a worklog on issue. As in Jira, the callback carries
// the worklog with its issueId, not the issue.
func WorklogEvent(name string, issue Issue, w Worklog) *Event {
	return &Event{Name: name, Issue: &issue, Worklog: &w}
}

// IssuePropertyEvent returns issue_property_set or issue_property_deleted
// for the property key of issue.
func IssuePropertyEvent(name string, issue Issue, key string, value any) *Event {
	return &Event{Name: name, Issue: &issue, PropertyKey: key, PropertyValue: value}
}

// SprintEvent returns a sprint event (sprint_created, sprint_updated,
// sprint_started, sprint_closed, sprint_deleted). For sprint_updated pass
// the sprint before the change as old; it becomes "oldValue".
func SprintEvent(name string, s Sprint, old ...Sprint) *Event {
	e := &Event{Name: name, Sprint: &s}
	if len(old) > 0 {
		e.OldSprint = &old[0]
	}
	return e
}

// VersionEvent returns a version event (jira:version_created,
// jira:version_updated, jira:version_released, ...).
func VersionEvent(name string, v Version) *Event {
	return &Event{Name: name, Version: &v}
}

// VersionMergedEvent returns what Jira sends when version v is merged into
// another: jira:version_deleted with a "mergedTo" member.
func VersionMergedEvent(v, into Version) *Event {
	return &Event{Name: "jira:version_deleted", Version: &v, MergedTo: &into}
}

// NewEvent returns an event whose callback body is body (a copy is taken at
// Emit), for events the helpers do not build.
func NewEvent(name string, body map[string]any) *Event {
	return &Event{Name: name, Body: body}
}

// ---- rendering ----

var defaultUser = User{AccountID: "5b10a2844c20165700ede21g", DisplayName: "Mia Krystof", TimeZone: "Europe/Berlin"}

func (u *User) orDefault() User {
	if u == nil {
		return defaultUser
	}
	v := *u
	if v.AccountID == "" {
		v.AccountID = defaultUser.AccountID
	}
	if v.DisplayName == "" {
		v.DisplayName = defaultUser.DisplayName
	}
	if v.TimeZone == "" {
		v.TimeZone = defaultUser.TimeZone
	}
	return v
}

func renderUser(base string, u User) map[string]any {
	m := map[string]any{
		"self":      base + "/rest/api/2/user?accountId=" + u.AccountID,
		"accountId": u.AccountID,
		"avatarUrls": map[string]any{
			"48x48": "https://secure.gravatar.com/avatar/" + u.AccountID + "?d=mm&s=48",
			"24x24": "https://secure.gravatar.com/avatar/" + u.AccountID + "?d=mm&s=24",
			"16x16": "https://secure.gravatar.com/avatar/" + u.AccountID + "?d=mm&s=16",
			"32x32": "https://secure.gravatar.com/avatar/" + u.AccountID + "?d=mm&s=32",
		},
		"displayName": u.DisplayName,
		"active":      true,
		"timeZone":    u.TimeZone,
		"accountType": "atlassian",
	}
	if u.Email != "" {
		m["emailAddress"] = u.Email
	}
	return m
}

// normalized returns a copy of the issue with defaults filled in.
func (is Issue) normalized(now time.Time) Issue {
	if is.Key == "" {
		is.Key = "PRJ-1"
	}
	prefix, num, _ := strings.Cut(is.Key, "-")
	if is.ID == "" {
		n, err := strconv.Atoi(num)
		if err != nil {
			n = 1
		}
		is.ID = strconv.Itoa(10000 + n)
	}
	if is.Project.Key == "" {
		is.Project.Key = prefix
	}
	if is.Project.ID == "" {
		is.Project.ID = "10000"
	}
	if is.Project.Name == "" {
		is.Project.Name = is.Project.Key
	}
	if is.Type == "" {
		is.Type = "Task"
	}
	if is.Status == "" {
		is.Status = "To Do"
	}
	if is.Summary == "" {
		is.Summary = "Summary of " + is.Key
	}
	if is.Priority == "" {
		is.Priority = "Medium"
	}
	if is.Updated.IsZero() {
		is.Updated = now
	}
	if is.Created.IsZero() {
		is.Created = is.Updated.Add(-time.Hour)
	}
	return is
}

var issueTypeIDs = map[string]string{"bug": "10004", "task": "10002", "story": "10001", "epic": "10000", "sub-task": "10003", "subtask": "10003"}
var statusIDs = map[string][2]string{ // id, category key
	"to do": {"10000", "new"}, "open": {"1", "new"}, "backlog": {"10001", "new"},
	"in progress": {"3", "indeterminate"}, "in review": {"10002", "indeterminate"},
	"done": {"10003", "done"}, "closed": {"6", "done"}, "resolved": {"5", "done"},
}
var priorityIDs = map[string]string{"highest": "1", "high": "2", "medium": "3", "low": "4", "lowest": "5"}

func lookup(m map[string]string, name, def string) string {
	if v, ok := m[strings.ToLower(name)]; ok {
		return v
	}
	return def
}

func jiraDate(t time.Time) string { return t.UTC().Format(jiratime.Layout) }

func renderIssue(base string, is Issue, full bool) map[string]any {
	st, ok := statusIDs[strings.ToLower(is.Status)]
	if !ok {
		st = [2]string{"10010", "indeterminate"}
	}
	catNames := map[string][2]string{"new": {"2", "To Do"}, "indeterminate": {"4", "In Progress"}, "done": {"3", "Done"}}
	cat := catNames[st[1]]
	typeID := lookup(issueTypeIDs, is.Type, "10005")
	prioID := lookup(priorityIDs, is.Priority, "3")
	fields := map[string]any{
		"summary": is.Summary,
		"issuetype": map[string]any{
			"self": base + "/rest/api/2/issuetype/" + typeID, "id": typeID, "description": "",
			"iconUrl": base + "/images/icons/issuetypes/" + strings.ToLower(is.Type) + ".svg",
			"name":    is.Type, "subtask": strings.EqualFold(is.Type, "sub-task") || strings.EqualFold(is.Type, "subtask"),
			"hierarchyLevel": 0,
		},
		"project": map[string]any{
			"self": base + "/rest/api/2/project/" + is.Project.ID, "id": is.Project.ID, "key": is.Project.Key,
			"name": is.Project.Name, "projectTypeKey": "software", "simplified": false,
			"avatarUrls": map[string]any{"48x48": base + "/rest/api/2/universal_avatar/view/type/project/avatar/10400"},
		},
		"status": map[string]any{
			"self": base + "/rest/api/2/status/" + st[0], "description": "", "iconUrl": base + "/",
			"name": is.Status, "id": st[0],
			"statusCategory": map[string]any{
				"self": base + "/rest/api/2/statuscategory/" + cat[0], "id": mustAtoi(cat[0]),
				"key": st[1], "colorName": map[string]string{"new": "blue-gray", "indeterminate": "yellow", "done": "green"}[st[1]], "name": cat[1],
			},
		},
		"priority": map[string]any{
			"self": base + "/rest/api/2/priority/" + prioID, "iconUrl": base + "/images/icons/priorities/" + strings.ToLower(is.Priority) + ".svg",
			"name": is.Priority, "id": prioID,
		},
		"assignee": nil,
	}
	if is.Assignee != nil {
		fields["assignee"] = renderUser(base, is.Assignee.orDefault())
	}
	if full {
		fields["reporter"] = renderUser(base, is.Reporter.orDefault())
		fields["creator"] = fields["reporter"]
		labels := is.Labels
		if labels == nil {
			labels = []string{}
		}
		fields["labels"] = labels
		fields["created"] = jiraDate(is.Created)
		fields["updated"] = jiraDate(is.Updated)
		fields["description"] = nil
		if is.Description != "" {
			fields["description"] = is.Description
		}
		fields["resolution"] = nil
		fields["customfield_10029"] = nil
		if st[1] == "done" {
			fields["resolution"] = map[string]any{"self": base + "/rest/api/2/resolution/10000", "id": "10000", "name": "Done", "description": "Work has been completed on this issue."}
			fields["resolutiondate"] = jiraDate(is.Updated)
		}
	}
	for k, v := range is.Fields {
		fields[k] = v
	}
	return map[string]any{
		"id":     is.ID,
		"self":   base + "/rest/api/2/" + "issue/" + is.ID,
		"key":    is.Key,
		"fields": fields,
	}
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func sprintDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func renderSprint(base string, s Sprint, now time.Time) map[string]any {
	if s.ID == 0 {
		s.ID = 1
	}
	if s.Name == "" {
		s.Name = "Sprint " + strconv.FormatInt(s.ID, 10)
	}
	if s.State == "" {
		s.State = "active"
	}
	if s.OriginBoardID == 0 {
		s.OriginBoardID = 1
	}
	m := map[string]any{
		"id": s.ID, "self": base + "/rest/agile/1.0/sprint/" + strconv.FormatInt(s.ID, 10),
		"state": s.State, "name": s.Name, "originBoardId": s.OriginBoardID, "goal": s.Goal,
		"createdDate": sprintDate(now.Add(-24 * time.Hour)),
	}
	if d := sprintDate(s.StartDate); d != nil {
		m["startDate"] = d
	}
	if d := sprintDate(s.EndDate); d != nil {
		m["endDate"] = d
	}
	if d := sprintDate(s.CompleteDate); d != nil {
		m["completeDate"] = d
	}
	return m
}

// renderVersion renders v as of now, the event's time.
func renderVersion(base string, v Version, now time.Time) map[string]any {
	if v.ID == "" {
		v.ID = "10000"
	}
	if v.Name == "" {
		v.Name = "1.0"
	}
	if v.ProjectID == 0 {
		v.ProjectID = 10000
	}
	m := map[string]any{
		"self": base + "/rest/api/2/version/" + v.ID, "id": v.ID, "description": v.Description,
		"name": v.Name, "archived": v.Archived, "released": v.Released, "projectId": v.ProjectID,
	}
	if !v.ReleaseDate.IsZero() {
		m["releaseDate"] = v.ReleaseDate.Format("2006-01-02")
		m["userReleaseDate"] = v.ReleaseDate.Format("02/Jan/06")
		m["overdue"] = !v.Released && v.ReleaseDate.Before(now)
	}
	return m
}

// render builds the callback body, without matchedWebhookIds.
func (e *Event) render(base string, now time.Time) map[string]any {
	ts := e.Timestamp
	if ts.IsZero() {
		ts = now
	}
	var body map[string]any
	if e.Body != nil {
		body = maps.Clone(e.Body)
		if _, ok := body["timestamp"]; !ok {
			body["timestamp"] = ts.UnixMilli()
		}
		if _, ok := body["webhookEvent"]; !ok {
			body["webhookEvent"] = e.Name
		}
	} else {
		body = map[string]any{"timestamp": ts.UnixMilli(), "webhookEvent": e.Name}
		var is Issue
		if e.Issue != nil {
			is = e.Issue.normalized(ts)
		}
		actor := e.User
		if actor == nil && e.Issue != nil {
			actor = is.Reporter
		}
		u := actor.orDefault()
		switch {
		case e.Comment != nil:
			c := *e.Comment
			if c.ID == "" {
				c.ID = fresh()
			}
			author := u
			if c.Author != nil {
				author = c.Author.orDefault()
			}
			if c.Updated.IsZero() {
				c.Updated = ts
			}
			if c.Created.IsZero() {
				c.Created = c.Updated
			}
			body["comment"] = map[string]any{
				"self":   base + "/rest/api/2/issue/" + is.ID + "/comment/" + c.ID,
				"id":     c.ID,
				"author": renderUser(base, author), "body": c.Body, "updateAuthor": renderUser(base, author),
				"created": jiraDate(c.Created), "updated": jiraDate(c.Updated), "jsdPublic": true,
			}
			body["issue"] = renderIssue(base, is, false)
		case e.Worklog != nil:
			wl := *e.Worklog
			if wl.ID == "" {
				wl.ID = fresh()
			}
			author := u
			if wl.Author != nil {
				author = wl.Author.orDefault()
			}
			if wl.TimeSpentSeconds == 0 {
				wl.TimeSpentSeconds = 3600
			}
			if wl.Started.IsZero() {
				wl.Started = ts.Add(-time.Duration(wl.TimeSpentSeconds) * time.Second)
			}
			body["worklog"] = map[string]any{
				"self":   base + "/rest/api/2/issue/" + is.ID + "/worklog/" + wl.ID,
				"author": renderUser(base, author), "updateAuthor": renderUser(base, author),
				"comment": wl.Comment, "created": jiraDate(ts), "updated": jiraDate(ts), "started": jiraDate(wl.Started),
				"timeSpent": timeSpent(wl.TimeSpentSeconds), "timeSpentSeconds": wl.TimeSpentSeconds,
				"id": wl.ID, "issueId": is.ID,
			}
		case e.Sprint != nil:
			body["sprint"] = renderSprint(base, *e.Sprint, ts)
			if e.OldSprint != nil {
				body["oldValue"] = renderSprint(base, *e.OldSprint, ts)
			}
		case e.Version != nil:
			body["version"] = renderVersion(base, *e.Version, ts)
			if e.MergedTo != nil {
				body["mergedTo"] = renderVersion(base, *e.MergedTo, ts)
			}
		case e.PropertyKey != "":
			body["property"] = map[string]any{"key": e.PropertyKey, "value": e.PropertyValue}
			body["issue"] = renderIssue(base, is, false)
		case e.Issue != nil:
			body["issue_event_type_name"] = e.TypeName
			if e.TypeName == "" {
				delete(body, "issue_event_type_name")
			}
			body["user"] = renderUser(base, u)
			body["issue"] = renderIssue(base, is, true)
			if e.Changelog != nil {
				id := e.Changelog.ID
				if id == "" {
					id = fresh()
				}
				items := make([]map[string]any, 0, len(e.Changelog.Items))
				for _, it := range e.Changelog.Items {
					fid := it.FieldID
					if fid == "" {
						fid = it.Field
					}
					ft := it.FieldType
					if ft == "" {
						ft = "jira"
						if strings.HasPrefix(fid, "customfield_") {
							ft = "custom"
						}
					}
					items = append(items, map[string]any{
						"field": it.Field, "fieldtype": ft, "fieldId": fid,
						"from": it.From, "fromString": it.FromString, "to": it.To, "toString": it.ToString,
					})
				}
				body["changelog"] = map[string]any{"id": id, "items": items}
			}
		}
		if e.User != nil && body["user"] == nil && e.Issue == nil {
			body["user"] = renderUser(base, u)
		}
	}
	for k, v := range e.Extra {
		body[k] = v
	}
	return body
}

func timeSpent(sec int) string {
	h, m := sec/3600, sec%3600/60
	switch {
	case h > 0 && m > 0:
		return strconv.Itoa(h) + "h " + strconv.Itoa(m) + "m"
	case h > 0:
		return strconv.Itoa(h) + "h"
	default:
		return strconv.Itoa(m) + "m"
	}
}

// ---- matching ----

// issueValues adapts an issue to the JQL matcher.
type issueValues struct{ is Issue }

func (v issueValues) Values(field string) []string {
	is := v.is
	switch field {
	case "issuekey":
		return []string{is.Key, is.ID}
	case "project":
		return []string{is.Project.Key, is.Project.ID, is.Project.Name}
	case "issuetype":
		return []string{is.Type, lookup(issueTypeIDs, is.Type, "")}
	case "status":
		id := ""
		if st, ok := statusIDs[strings.ToLower(is.Status)]; ok {
			id = st[0]
		}
		return []string{is.Status, id}
	case "assignee":
		if is.Assignee == nil {
			return nil
		}
		return []string{is.Assignee.orDefault().AccountID}
	case "reporter":
		return []string{is.Reporter.orDefault().AccountID}
	}
	if id, ok := strings.CutPrefix(field, "cf["); ok {
		return scalarValues(is.Fields["customfield_"+strings.TrimSuffix(id, "]")])
	}
	if rest, ok := strings.CutPrefix(field, "issue.property["); ok {
		key, path, _ := strings.Cut(rest, "]")
		var val any = is.Properties[key]
		for _, p := range strings.Split(strings.TrimPrefix(path, "."), ".") {
			if p == "" {
				continue
			}
			m, ok := val.(map[string]any)
			if !ok {
				return nil
			}
			val = m[p]
		}
		return scalarValues(val)
	}
	return nil
}

// scalarValues turns a field value into the strings a clause compares with:
// strings and numbers as they are, options by value, name and id, arrays
// element by element.
func scalarValues(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return nil
		}
		return []string{v}
	case bool:
		return []string{strconv.FormatBool(v)}
	case int:
		return []string{strconv.Itoa(v)}
	case int64:
		return []string{strconv.FormatInt(v, 10)}
	case float64:
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}
	case []string:
		return v
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, scalarValues(x)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, k := range []string{"value", "name", "key", "id"} {
			out = append(out, scalarValues(v[k])...)
		}
		return out
	}
	return nil
}
