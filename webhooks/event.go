package webhooks

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is one decoded Jira webhook callback.
//
// Which pointers are set depends on the event family: issue events carry
// User, Issue and, for updates, Changelog (and Comment when a comment was
// added with the change); comment events carry Comment and Issue; worklog
// events carry Worklog only (its IssueID names the issue); sprint events
// carry Sprint (and OldSprint for updates); and so on. Fields Jira did not
// send are nil. Unknown event names decode like any other: whatever known
// parts the body has are filled in, and Raw keeps the whole body.
type Event struct {
	// Name is the "webhookEvent" field, for example "jira:issue_updated".
	Name EventName
	// Timestamp is when Jira produced the event ("timestamp", epoch
	// milliseconds).
	Timestamp time.Time
	// IssueEventTypeName is the finer-grained issue event type
	// ("issue_event_type_name"), for example "issue_generic",
	// "issue_assigned" or "issue_commented". Empty for other families.
	IssueEventTypeName string
	// MatchedWebhookIDs lists the registered webhooks this delivery matched
	// ("matchedWebhookIds"); sent for dynamic (app) webhooks.
	MatchedWebhookIDs []int64
	// Raw is the exact body the event was decoded from. ParseEvent does not
	// copy it: do not modify the slice passed to ParseEvent afterwards.
	Raw []byte

	// Delivery describes the HTTP delivery this event arrived in. It is set
	// by Handler and zero after a bare ParseEvent.
	Delivery Delivery

	// User is "user": who caused the event, or the user a user_* event is
	// about.
	User *User
	// Issue is "issue", in jira:issue_*, comment_*, issue_property_* and
	// jira:worklog_updated events.
	Issue *Issue
	// Changelog is "changelog", in jira:issue_updated (and some
	// jira:worklog_updated) events.
	Changelog *Changelog
	// Comment is "comment", in comment_* events and in issue events that
	// added a comment.
	Comment *Comment
	// Worklog is "worklog", in worklog_* events.
	Worklog *Worklog
	// Attachment is "attachment", in attachment_* events.
	Attachment *Attachment
	// IssueLink is "issueLink", in issuelink_* events.
	IssueLink *IssueLink
	// Sprint is "sprint", in sprint_* events.
	Sprint *Sprint
	// OldSprint is the sprint before the change ("oldValue") in
	// sprint_updated events.
	OldSprint *Sprint
	// Board is "board", in board_* events.
	Board *Board
	// BoardConfiguration is the "configuration" object of
	// board_configuration_changed, undecoded.
	BoardConfiguration json.RawMessage
	// Version is "version", in jira:version_* events.
	Version *Version
	// MergedTo is the version another one was merged into: a
	// jira:version_deleted event with MergedTo set is a merge.
	MergedTo *Version
	// Project is "project", in project_* events.
	Project *Project
	// Filter is "filter", in filter_* events.
	Filter *Filter
	// Property is "property": the entity property of issue_property_*
	// events (with Issue) or the option of option_* events.
	Property *Property
}

// IsMerge reports whether e is a version merge: Jira sends a merge as
// jira:version_deleted with a "mergedTo" version (or, under the name the
// dynamic webhook event list uses, jira:version_merged).
func (e *Event) IsMerge() bool {
	return e != nil && (e.Name == VersionDeleted && e.MergedTo != nil || e.Name == VersionMerged)
}

// ParseEvent decodes a Jira webhook body. It checks nothing about who sent
// it: verify the raw bytes first (see Verifier), or use Handler, which does
// both.
//
// The body must be a JSON object with a string "webhookEvent"; any other
// input returns an error wrapping ErrMalformedBody. Event names ParseEvent
// does not know are not an error. The returned Event keeps body as Raw
// without copying it.
func ParseEvent(body []byte) (*Event, error) {
	i := skipWS(body, 0)
	if i == len(body) {
		return nil, fmt.Errorf("%w: empty body", ErrMalformedBody)
	}
	if body[i] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedBody)
	}
	if !validJSON(body) {
		return nil, fmt.Errorf("%w: invalid JSON", ErrMalformedBody)
	}
	e := &Event{Raw: body}
	var (
		name, oldValue []byte
		bad            string
	)
	// object reports whether v may be decoded as one of the event's parts:
	// an object, or null for an absent part. Anything else is malformed.
	object := func(key string, v []byte) bool {
		if v[0] == '{' {
			return true
		}
		if v[0] != 'n' && bad == "" {
			bad = key
		}
		return false
	}
	_, _ = eachMemberN(body, func(k, rest []byte) int {
		if string(k) == "issue" && rest[0] == '{' {
			// The issue is most of the body: measure it while decoding it
			// rather than skipping it first.
			is := new(Issue)
			n := is.decodeN(rest, 0)
			if n > 0 {
				e.Issue = is
			}
			return n
		}
		n := valueLen(rest)
		if n <= 0 {
			return n
		}
		v := rest[:n]
		switch string(k) {
		case "webhookEvent":
			name = v
		case "timestamp":
			if ms := jint(v); ms != 0 {
				e.Timestamp = time.UnixMilli(ms).UTC()
			}
		case "issue_event_type_name":
			e.IssueEventTypeName = jstr(v)
		case "matchedWebhookIds":
			if v[0] == '[' {
				ids := []int64{}
				_ = eachElement(v, func(x []byte) { ids = append(ids, jint(x)) })
				e.MatchedWebhookIDs = ids
			}
		case "user":
			if object("user", v) {
				e.User = decodePtr[User](v)
			}
		case "issue":
			// An object was decoded above: this is null or malformed.
			object("issue", v)
		case "changelog":
			if object("changelog", v) {
				e.Changelog = decodePtr[Changelog](v)
			}
		case "comment":
			if object("comment", v) {
				e.Comment = decodePtr[Comment](v)
			}
		case "worklog":
			if object("worklog", v) {
				e.Worklog = decodePtr[Worklog](v)
			}
		case "attachment":
			if object("attachment", v) {
				e.Attachment = decodePtr[Attachment](v)
			}
		case "issueLink":
			if object("issueLink", v) {
				e.IssueLink = decodePtr[IssueLink](v)
			}
		case "sprint":
			if object("sprint", v) {
				e.Sprint = decodePtr[Sprint](v)
			}
		case "oldValue":
			oldValue = v
		case "board":
			if object("board", v) {
				e.Board = decodePtr[Board](v)
			}
		case "configuration":
			e.BoardConfiguration = jraw(v)
		case "version":
			if object("version", v) {
				e.Version = decodePtr[Version](v)
			}
		case "mergedTo":
			if object("mergedTo", v) {
				e.MergedTo = decodePtr[Version](v)
			}
		case "project":
			if object("project", v) {
				e.Project = decodePtr[Project](v)
			}
		case "filter":
			if object("filter", v) {
				e.Filter = decodePtr[Filter](v)
			}
		case "property":
			if object("property", v) {
				e.Property = decodePtr[Property](v)
			}
		}
		return n
	})
	if bad != "" {
		return nil, fmt.Errorf("%w: %q is not an object", ErrMalformedBody, bad)
	}
	if len(name) < 3 || name[0] != '"' {
		return nil, fmt.Errorf("%w: no webhookEvent", ErrMalformedBody)
	}
	e.Name = EventName(jstr(name))
	// "oldValue" holds the previous sprint in sprint_updated; other events
	// may use the name for other things, so only decode it next to a sprint.
	if e.Sprint != nil && len(oldValue) > 0 && oldValue[0] == '{' {
		e.OldSprint = decodePtr[Sprint](oldValue)
	}
	return e, nil
}
