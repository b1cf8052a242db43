package jiratest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrUnknownEvent is returned by [SampleEvent] for an event name it cannot
// build.
var ErrUnknownEvent = errors.New("jiratest: no sample for this event")

// sampleEvents are the names SampleEvent builds.
var sampleEvents = append(slices.Clone(DefaultEvents),
	"worklog_created", "worklog_updated", "worklog_deleted")

// SampleEvents returns the event names [SampleEvent] builds: [DefaultEvents]
// and the worklog events. It returns a new slice each time.
func SampleEvents() []string { return slices.Clone(sampleEvents) }

// SampleEvent returns a realistic event named name about issue, built with
// the matching builder ([IssueEvent], [CommentEvent], [WorklogEvent],
// [IssuePropertyEvent], [SprintEvent] or [VersionEvent]); empty fields of
// issue get the usual defaults. A jira:issue_updated event changes the
// status from "To Do" to issue.Status ("In Progress" when empty); add more
// changes with [Event.Change]. Sprint and version events carry no issue.
// An unknown name gives an error wrapping [ErrUnknownEvent].
func SampleEvent(name string, issue Issue) (*Event, error) {
	if !slices.Contains(sampleEvents, name) {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownEvent, name, strings.Join(sampleEvents, ", "))
	}
	if issue.Key == "" {
		issue.Key = "PRJ-1"
	}
	switch {
	case name == "jira:issue_updated":
		if issue.Status == "" {
			issue.Status = "In Progress"
		}
		return IssueEvent(name, issue).Change("status", "To Do", issue.Status), nil
	case strings.HasPrefix(name, "jira:issue_"):
		return IssueEvent(name, issue), nil
	case strings.HasPrefix(name, "comment_"):
		return CommentEvent(name, issue, Comment{Body: "A comment on " + issue.Key + "."}), nil
	case strings.HasPrefix(name, "worklog_"):
		return WorklogEvent(name, issue, Worklog{Comment: "Worked on " + issue.Key + "."}), nil
	case strings.HasPrefix(name, "issue_property_"):
		return IssuePropertyEvent(name, issue, "jirahooks.sample", map[string]any{"ok": true}), nil
	case name == "sprint_updated":
		return SprintEvent(name, Sprint{ID: 1, Goal: "Ship it"}, Sprint{ID: 1}), nil
	case strings.HasPrefix(name, "sprint_"):
		return SprintEvent(name, Sprint{ID: 1}), nil
	}
	return VersionEvent(name, Version{}), nil // the jira:version_ events
}

// Payload returns the callback body Jira would send for e from the site at
// siteURL (the base of every "self" link) at time now, with
// matchedWebhookIds when webhookIDs are given. [Server.Emit] sends the same
// body; Payload is for sending it yourself, as `jirahooks trigger` does.
func (e *Event) Payload(siteURL string, now time.Time, webhookIDs ...int64) ([]byte, error) {
	body := e.render(strings.TrimSuffix(siteURL, "/"), now)
	if len(webhookIDs) > 0 {
		body["matchedWebhookIds"] = webhookIDs
	}
	return json.Marshal(body)
}
