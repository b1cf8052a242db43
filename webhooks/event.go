package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
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

	User       *User       // the user who caused the event, or the user of user_* events
	Issue      *Issue      // jira:issue_*, comment_*, issue_property_*, jira:worklog_updated
	Changelog  *Changelog  // jira:issue_updated (and some jira:worklog_updated)
	Comment    *Comment    // comment_*, and issue events with a comment
	Worklog    *Worklog    // worklog_*
	Attachment *Attachment // attachment_*
	IssueLink  *IssueLink  // issuelink_*
	Sprint     *Sprint     // sprint_*
	// OldSprint is the sprint before the change ("oldValue") in
	// sprint_updated events.
	OldSprint *Sprint
	Board     *Board // board_*
	// BoardConfiguration is the "configuration" object of
	// board_configuration_changed, undecoded.
	BoardConfiguration json.RawMessage
	Version            *Version // jira:version_*
	// MergedTo is the version another one was merged into: a
	// jira:version_deleted event with MergedTo set is a merge.
	MergedTo *Version
	Project  *Project  // project_*
	Filter   *Filter   // filter_*
	Property *Property // issue_property_* (with Issue) and option_* events
}

// IsMerge reports whether e is a version merge: Jira sends a merge as
// jira:version_deleted with a "mergedTo" version.
func (e *Event) IsMerge() bool {
	return e != nil && e.Name == VersionDeleted && e.MergedTo != nil
}

// wireEvent is the JSON shape of a callback; ParseEvent moves it into Event.
type wireEvent struct {
	WebhookEvent       *string         `json:"webhookEvent"`
	Timestamp          flexInt         `json:"timestamp"`
	IssueEventTypeName string          `json:"issue_event_type_name"`
	MatchedWebhookIDs  []flexInt       `json:"matchedWebhookIds"`
	User               *User           `json:"user"`
	Issue              *Issue          `json:"issue"`
	Changelog          *Changelog      `json:"changelog"`
	Comment            *Comment        `json:"comment"`
	Worklog            *Worklog        `json:"worklog"`
	Attachment         *Attachment     `json:"attachment"`
	IssueLink          *IssueLink      `json:"issueLink"`
	Sprint             *Sprint         `json:"sprint"`
	OldValue           json.RawMessage `json:"oldValue"`
	Board              *Board          `json:"board"`
	Configuration      json.RawMessage `json:"configuration"`
	Version            *Version        `json:"version"`
	MergedTo           *Version        `json:"mergedTo"`
	Project            *Project        `json:"project"`
	Filter             *Filter         `json:"filter"`
	Property           *Property       `json:"property"`
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
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrMalformedBody)
	}
	if trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedBody)
	}
	var w wireEvent
	if err := unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedBody, describeJSONError(err))
	}
	if w.WebhookEvent == nil || *w.WebhookEvent == "" {
		return nil, fmt.Errorf("%w: no webhookEvent", ErrMalformedBody)
	}
	e := &Event{
		Name:               EventName(*w.WebhookEvent),
		IssueEventTypeName: w.IssueEventTypeName,
		Raw:                body,
		User:               w.User,
		Issue:              w.Issue,
		Changelog:          w.Changelog,
		Comment:            w.Comment,
		Worklog:            w.Worklog,
		Attachment:         w.Attachment,
		IssueLink:          w.IssueLink,
		Sprint:             w.Sprint,
		Board:              w.Board,
		Version:            w.Version,
		MergedTo:           w.MergedTo,
		Project:            w.Project,
		Filter:             w.Filter,
		Property:           w.Property,
	}
	if w.Timestamp != 0 {
		e.Timestamp = time.UnixMilli(int64(w.Timestamp)).UTC()
	}
	if len(w.MatchedWebhookIDs) > 0 {
		e.MatchedWebhookIDs = make([]int64, len(w.MatchedWebhookIDs))
		for i, id := range w.MatchedWebhookIDs {
			e.MatchedWebhookIDs[i] = int64(id)
		}
	}
	if len(w.Configuration) > 0 && !isNull(w.Configuration) {
		e.BoardConfiguration = w.Configuration
	}
	// "oldValue" holds the previous sprint in sprint_updated; other events
	// use the name for other things, so only decode it next to a sprint.
	if w.Sprint != nil && len(w.OldValue) > 0 && w.OldValue[0] == '{' {
		var old Sprint
		if err := unmarshal(w.OldValue, &old); err == nil {
			e.OldSprint = &old
		}
	}
	return e, nil
}

// describeJSONError keeps a decoding error short and free of body content.
func describeJSONError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("field %s: cannot decode JSON %s", te.Field, te.Value)
		}
		return fmt.Sprintf("cannot decode JSON %s at offset %d", te.Value, te.Offset)
	}
	return err.Error()
}

func isNull(b []byte) bool {
	return bytes.Equal(bytes.TrimSpace(b), []byte("null"))
}
