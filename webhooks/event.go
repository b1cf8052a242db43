package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
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
	Name EventName `json:"webhookEvent"`
	// Timestamp is when Jira produced the event ("timestamp", epoch
	// milliseconds).
	Timestamp time.Time `json:"timestamp"`
	// IssueEventTypeName is the finer-grained issue event type
	// ("issue_event_type_name"), for example "issue_generic",
	// "issue_assigned" or "issue_commented". Empty for other families.
	IssueEventTypeName string `json:"issue_event_type_name"`
	// MatchedWebhookIDs lists the registered webhooks this delivery matched
	// ("matchedWebhookIds"); sent for dynamic (app) webhooks.
	MatchedWebhookIDs []int64 `json:"matchedWebhookIds"`
	// Raw is the exact body the event was decoded from. ParseEvent does not
	// copy it: do not modify the slice passed to ParseEvent afterwards.
	Raw []byte `json:"-"`

	// Delivery describes the HTTP delivery this event arrived in. It is set
	// by Handler and zero after a bare ParseEvent.
	Delivery Delivery `json:"-"`

	// User is "user": who caused the event, or the user a user_* event is
	// about.
	User *User `json:"user"`
	// Issue is "issue", in jira:issue_*, comment_*, issue_property_* and
	// jira:worklog_updated events.
	Issue *Issue `json:"issue"`
	// Changelog is "changelog", in jira:issue_updated (and some
	// jira:worklog_updated) events.
	Changelog *Changelog `json:"changelog"`
	// Comment is "comment", in comment_* events and in issue events that
	// added a comment.
	Comment *Comment `json:"comment"`
	// Worklog is "worklog", in worklog_* events.
	Worklog *Worklog `json:"worklog"`
	// Attachment is "attachment", in attachment_* events.
	Attachment *Attachment `json:"attachment"`
	// IssueLink is "issueLink", in issuelink_* events.
	IssueLink *IssueLink `json:"issueLink"`
	// Sprint is "sprint", in sprint_* events.
	Sprint *Sprint `json:"sprint"`
	// OldSprint is the sprint before the change ("oldValue") in
	// sprint_updated events.
	OldSprint *Sprint `json:"-"`
	// Board is "board", in board_* events.
	Board *Board `json:"board"`
	// BoardConfiguration is the "configuration" object of
	// board_configuration_changed, undecoded.
	BoardConfiguration json.RawMessage `json:"configuration"`
	// Version is "version", in jira:version_* events.
	Version *Version `json:"version"`
	// MergedTo is the version another one was merged into: a
	// jira:version_deleted event with MergedTo set is a merge.
	MergedTo *Version `json:"mergedTo"`
	// Project is "project", in project_* events.
	Project *Project `json:"project"`
	// Filter is "filter", in filter_* events.
	Filter *Filter `json:"filter"`
	// Property is "property": the entity property of issue_property_*
	// events (with Issue) or the option of option_* events.
	Property *Property `json:"property"`
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
	switch start := bytes.TrimLeft(body, " \t\r\n"); {
	case len(start) == 0:
		return nil, fmt.Errorf("%w: empty body", ErrMalformedBody)
	case start[0] != '{':
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedBody)
	}
	var w eventJSON
	if err := jsonv2.Unmarshal(body, &w, decodeOptions); err != nil {
		var se *jsonv2.SemanticError
		if errors.As(err, &se) && errors.Is(err, errNotObject) {
			return nil, fmt.Errorf("%w: %q is not an object", ErrMalformedBody, strings.TrimPrefix(string(se.JSONPointer), "/"))
		}
		return nil, fmt.Errorf("%w: invalid JSON: %v", ErrMalformedBody, err)
	}
	e := &w.Event
	if e.Name == "" {
		return nil, fmt.Errorf("%w: no webhookEvent", ErrMalformedBody)
	}
	e.Raw = body
	e.Issue.bind(body)
	// The previous sprint of sprint_updated; other events may use the name
	// for other things, so it is decoded only next to a sprint.
	if e.Sprint != nil && w.OldValue.Kind() == '{' {
		e.OldSprint = new(Sprint)
		if unmarshal(w.OldValue, e.OldSprint) != nil {
			e.OldSprint = nil
		}
	}
	return e, nil
}

// eventJSON is an Event on the wire, with the members that need a look at
// the rest of the event before they are decoded.
type eventJSON struct {
	Event
	OldValue jsontext.Value `json:"oldValue"`
}
