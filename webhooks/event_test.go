package webhooks

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("webhookstest", "payloads", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseFixture(t *testing.T, name string) *Event {
	t.Helper()
	body := readFixture(t, name)
	e, err := ParseEvent(body)
	if err != nil {
		t.Fatalf("ParseEvent(%s): %v", name, err)
	}
	if string(e.Raw) != string(body) {
		t.Fatalf("Raw is not the body")
	}
	return e
}

func TestParseEventIssueUpdated(t *testing.T) {
	e := parseFixture(t, "issue_updated.json")
	if e.Name != IssueUpdated || e.IssueEventTypeName != "issue_generic" {
		t.Fatalf("name = %q / %q", e.Name, e.IssueEventTypeName)
	}
	if want := time.UnixMilli(1795611912003).UTC(); !e.Timestamp.Equal(want) {
		t.Errorf("Timestamp = %v, want %v", e.Timestamp, want)
	}
	if len(e.MatchedWebhookIDs) != 2 || e.MatchedWebhookIDs[0] != 1 || e.MatchedWebhookIDs[1] != 7 {
		t.Errorf("MatchedWebhookIDs = %v", e.MatchedWebhookIDs)
	}
	if e.User == nil || e.User.AccountID != "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077" || !e.User.Active || e.User.ID() != e.User.AccountID {
		t.Errorf("User = %+v", e.User)
	}
	is := e.Issue
	if is == nil || is.ID != "10142" || is.Key != "PAY-142" {
		t.Fatalf("Issue = %+v", is)
	}
	f := &is.Fields
	if f.Summary != "EU card payments fail with 502 from gateway" {
		t.Errorf("Summary = %q", f.Summary)
	}
	if f.Status == nil || f.Status.Name != "In Progress" || f.Status.StatusCategory == nil || f.Status.StatusCategory.Key != "indeterminate" || f.Status.StatusCategory.ID != 4 {
		t.Errorf("Status = %+v", f.Status)
	}
	if f.IssueType == nil || f.IssueType.Name != "Task" || f.Project == nil || f.Project.Key != "PAY" || f.Project.ID != "10000" {
		t.Errorf("IssueType/Project = %+v / %+v", f.IssueType, f.Project)
	}
	if f.Priority == nil || f.Priority.ID != "2" || f.Assignee == nil || f.Assignee.DisplayName != "Alice Martin" || f.Reporter == nil || f.Creator == nil {
		t.Errorf("Priority/people = %+v %+v %+v %+v", f.Priority, f.Assignee, f.Reporter, f.Creator)
	}
	if strings.Join(f.Labels, ",") != "checkout,eu,incident" || len(f.Components) != 1 || f.Components[0].Name != "Gateway" {
		t.Errorf("Labels/Components = %v %v", f.Labels, f.Components)
	}
	if len(f.FixVersions) != 1 || f.FixVersions[0].Name != "2026.11" || f.FixVersions[0].ReleaseDate.Format(time.DateOnly) != "2026-11-28" {
		t.Errorf("FixVersions = %+v", f.FixVersions)
	}
	if want := time.Date(2026, 11, 20, 9, 11, 12, 345e6, time.UTC); !f.Created.Equal(want) {
		t.Errorf("Created = %v, want %v", f.Created, want)
	}
	if f.DueDate.Format(time.DateOnly) != "2026-11-29" || !f.ResolutionDate.IsZero() || f.Resolution != nil {
		t.Errorf("DueDate/Resolution = %v %v %v", f.DueDate, f.ResolutionDate, f.Resolution)
	}
	if !f.Description.IsADF() {
		t.Fatalf("description not ADF: %s", f.Description.Raw())
	}
	wantDesc := "Card payments to EU issuers fail intermittently with a 502 from the gateway.\nSteps\nPay with a test card issued in Germany\nWatch the checkout spinner\nReported by @Bob Okafor on the support rota.\n{\"error\":\"upstream_timeout\",\"gateway\":\"eu-west-1\"}"
	if got := f.Description.String(); got != wantDesc {
		t.Errorf("Description.String() =\n%q\nwant\n%q", got, wantDesc)
	}

	// Custom fields: kept, reachable by id, decoded on demand.
	var points float64
	if err := f.Decode("customfield_10016", &points); err != nil || points != 5 {
		t.Errorf("customfield_10016 = %v, %v", points, err)
	}
	var sprints []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := f.Decode("customfield_10020", &sprints); err != nil || len(sprints) != 1 || sprints[0].Name != "PAY Sprint 14" {
		t.Errorf("customfield_10020 = %+v, %v", sprints, err)
	}
	if raw := f.Field("customfield_10030"); string(raw) != "null" {
		t.Errorf("null custom field = %q", raw)
	}
	if err := f.Decode("customfield_99999", &points); !errors.Is(err, ErrFieldNotFound) {
		t.Errorf("missing field error = %v", err)
	}
	// Every field in the body is enumerated, in order.
	var fromBody map[string]json.RawMessage
	var wire struct {
		Issue struct {
			Fields map[string]json.RawMessage `json:"fields"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(e.Raw, &wire); err != nil {
		t.Fatal(err)
	}
	fromBody = wire.Issue.Fields
	n := 0
	for id, raw := range f.All() {
		n++
		if string(fromBody[id]) != string(raw) {
			t.Errorf("field %s = %s, want %s", id, raw, fromBody[id])
		}
	}
	if n != len(fromBody) || f.Len() != n {
		t.Errorf("All yielded %d fields, Len %d, body has %d", n, f.Len(), len(fromBody))
	}

	c := e.Changelog
	if c == nil || c.ID != "10124" || len(c.Items) != 3 {
		t.Fatalf("Changelog = %+v", c)
	}
	if it := c.Items[0]; it.Field != "status" || it.From != "10000" || it.ToString != "In Progress" || it.FieldID != "status" {
		t.Errorf("item 0 = %+v", it)
	}
	if it := c.Items[1]; it.From != "" || it.FromString != "" || it.To != e.User.AccountID {
		t.Errorf("item 1 = %+v", it)
	}
	if e.Comment != nil || e.Worklog != nil || e.Sprint != nil {
		t.Errorf("unexpected parts set")
	}
}

func TestParseEventServerShapes(t *testing.T) {
	e := parseFixture(t, "issue_created_server.json")
	if e.Name != IssueCreated || e.User == nil || e.User.Name != "brollins" || e.User.Key != "JIRAUSER10100" || e.User.AccountID != "" || !e.User.Active || e.User.ID() != "JIRAUSER10100" {
		t.Fatalf("user = %+v", e.User)
	}
	f := e.Issue.Fields
	if e.Issue.ID != "10002" || f.Project.ID != "10100" || f.IssueType.ID != "1" || f.Status.ID != "1" || f.Status.StatusCategory.ID != 2 {
		t.Errorf("numeric ids not normalised: issue %q project %q type %q status %q", e.Issue.ID, f.Project.ID, f.IssueType.ID, f.Status.ID)
	}
	if f.Description.IsADF() || f.Description.String() != "Make the *issue nav* load 10x faster" {
		t.Errorf("description = %q", f.Description.Raw())
	}
	if f.Assignee != nil {
		t.Errorf("null assignee decoded as %+v", f.Assignee)
	}
	if want := time.Date(2011, 6, 7, 15, 31, 26, 805e6, time.UTC); !f.Created.Equal(want) {
		t.Errorf("Created = %v", f.Created)
	}
	if string(f.Field("customfield_10100")) != `"ABC-1"` {
		t.Errorf("custom field = %s", f.Field("customfield_10100"))
	}
}

func TestParseEventDescriptions(t *testing.T) {
	if d := parseFixture(t, "issue_created.json").Issue.Fields.Description; !d.IsZero() || d.String() != "" || d.Raw() != nil {
		t.Errorf("null description = %q", d.Raw())
	}
	e := parseFixture(t, "issue_deleted.json")
	if d := e.Issue.Fields.Description; !d.IsZero() {
		t.Errorf("absent description = %q", d.Raw())
	}
	if e.Name != IssueDeleted || e.Issue.Fields.Field("description") != nil {
		t.Errorf("absent description reachable")
	}
}

func TestParseEventFamilies(t *testing.T) {
	tests := []struct {
		file  string
		name  EventName
		check func(t *testing.T, e *Event)
	}{
		{"issue_commented.json", IssueUpdated, func(t *testing.T, e *Event) {
			if e.IssueEventTypeName != "issue_commented" || e.Comment == nil || e.Comment.ID != "10071" || e.Issue == nil || e.Changelog != nil {
				t.Errorf("got %+v", e)
			}
		}},
		{"comment_created.json", CommentCreated, func(t *testing.T, e *Event) {
			c := e.Comment
			if c == nil || c.ID != "10071" || c.Author.DisplayName != "Bob Okafor" || !c.JSDPublic || c.Body.IsADF() || !strings.HasPrefix(c.Body.String(), "Seeing this on *iOS*") {
				t.Errorf("comment = %+v", c)
			}
			if c.Created.IsZero() || e.Issue == nil || e.Issue.Key != "PAY-142" || e.Issue.Fields.Status.Name != "In Progress" {
				t.Errorf("comment created %v issue %+v", c.Created, e.Issue)
			}
		}},
		{"comment_deleted.json", CommentDeleted, func(t *testing.T, e *Event) {
			if e.Comment == nil || e.Issue == nil {
				t.Errorf("got %+v", e)
			}
		}},
		{"worklog_created.json", WorklogCreated, func(t *testing.T, e *Event) {
			w := e.Worklog
			if e.Issue != nil || w == nil || w.IssueID != "10142" || w.ID != "10032" || w.TimeSpentSeconds != 5400 || w.TimeSpent != "1h 30m" {
				t.Fatalf("worklog = %+v, issue %v", w, e.Issue)
			}
			if w.Comment.String() != "Pairing with Bob on the retry logic" || w.Started.IsZero() || w.Author == nil {
				t.Errorf("worklog comment %q started %v", w.Comment.String(), w.Started)
			}
		}},
		{"worklog_changed.json", WorklogChanged, func(t *testing.T, e *Event) {
			if e.Changelog == nil || e.Changelog.ID != "10125" || e.Changelog.Items[0].From != "7200" || e.Issue == nil {
				t.Errorf("changelog = %+v", e.Changelog)
			}
		}},
		{"attachment_created.json", AttachmentCreated, func(t *testing.T, e *Event) {
			a := e.Attachment
			if a == nil || a.ID != "10200" || a.Size != 182733 || a.Filename != "gateway-trace.har" || a.IssueID != "10142" || a.Created.IsZero() {
				t.Errorf("attachment = %+v", a)
			}
		}},
		{"issuelink_created.json", IssueLinkCreated, func(t *testing.T, e *Event) {
			l := e.IssueLink
			if l == nil || l.ID != "10300" || l.SourceIssueID != "10142" || l.DestinationIssueID != "10090" || l.Type == nil || l.Type.ID != "10000" || l.Type.InwardName != "is blocked by" {
				t.Errorf("link = %+v", l)
			}
		}},
		{"issue_property_set.json", IssuePropertySet, func(t *testing.T, e *Event) {
			p := e.Property
			if p == nil || p.Key != "com.acme.triage" || e.Issue == nil {
				t.Fatalf("property = %+v", p)
			}
			var v struct{ Severity string }
			if err := json.Unmarshal(p.Value, &v); err != nil || v.Severity != "sev2" {
				t.Errorf("value = %s (%v)", p.Value, err)
			}
		}},
		{"project_created.json", ProjectCreated, func(t *testing.T, e *Event) {
			p := e.Project
			if p == nil || p.ID != "10001" || p.Key != "OPS" || p.Lead == nil || p.Lead.DisplayName != "Alice Martin" {
				t.Errorf("project = %+v", p)
			}
		}},
		{"version_released.json", VersionReleased, func(t *testing.T, e *Event) {
			v := e.Version
			if v == nil || !v.Released || v.ProjectID != 10000 || v.ReleaseDate.Format(time.DateOnly) != "2026-11-28" || e.IsMerge() {
				t.Errorf("version = %+v", v)
			}
		}},
		{"version_merged.json", VersionDeleted, func(t *testing.T, e *Event) {
			if !e.IsMerge() || e.Version.ID != "10022" || e.MergedTo.ID != "10021" {
				t.Errorf("merge = %+v -> %+v", e.Version, e.MergedTo)
			}
		}},
		{"user_created.json", UserCreated, func(t *testing.T, e *Event) {
			if e.User == nil || e.User.DisplayName != "Chen Wei" || e.User.AccountType != "atlassian" {
				t.Errorf("user = %+v", e.User)
			}
		}},
		{"sprint_updated.json", SprintUpdated, func(t *testing.T, e *Event) {
			s, old := e.Sprint, e.OldSprint
			if s == nil || old == nil || s.ID != 37 || s.Goal != "Stabilise EU checkout" || old.Name != "PAY Sprint 14 (draft)" || s.OriginBoardID != 12 {
				t.Fatalf("sprint = %+v old %+v", s, old)
			}
			if want := time.Date(2026, 11, 16, 8, 0, 0, 0, time.UTC); !s.StartDate.Equal(want) {
				t.Errorf("StartDate = %v", s.StartDate)
			}
		}},
		{"sprint_started.json", SprintStarted, func(t *testing.T, e *Event) {
			if e.Sprint == nil || e.Sprint.State != "active" || e.OldSprint != nil {
				t.Errorf("sprint = %+v", e.Sprint)
			}
		}},
		{"board_configuration_changed.json", BoardConfigurationChanged, func(t *testing.T, e *Event) {
			if e.Board == nil || e.Board.ID != 12 || e.Board.Type != "scrum" || !strings.Contains(string(e.BoardConfiguration), "columnConfig") {
				t.Errorf("board = %+v config %s", e.Board, e.BoardConfiguration)
			}
		}},
		{"option_voting_changed.json", OptionVotingChanged, func(t *testing.T, e *Event) {
			if e.Property == nil || e.Property.Key != "jira.option.voting" || string(e.Property.Value) != `"false"` {
				t.Errorf("property = %+v", e.Property)
			}
		}},
		{"filter_created.json", FilterCreated, func(t *testing.T, e *Event) {
			f := e.Filter
			if f == nil || f.ID != "10011" || !f.Favourite || f.Owner == nil || !strings.HasPrefix(f.JQL, "project = PAY") {
				t.Errorf("filter = %+v", f)
			}
		}},
		{"unknown_event.json", "jira:issue_archived", func(t *testing.T, e *Event) {
			if e.Issue == nil || e.Issue.Key != "PAY-142" || e.User == nil || !strings.Contains(string(e.Raw), "futureField") {
				t.Errorf("unknown event = %+v", e)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			e := parseFixture(t, tc.file)
			if e.Name != tc.name {
				t.Fatalf("Name = %q, want %q", e.Name, tc.name)
			}
			if e.Timestamp.IsZero() {
				t.Errorf("no timestamp")
			}
			tc.check(t, e)
		})
	}
}

func TestParseEventVariants(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(*Event) bool
	}{
		{"minimal", `{"webhookEvent":"jira:issue_created"}`, func(e *Event) bool { return e.Timestamp.IsZero() && e.Issue == nil }},
		{"timestamp as string", `{"webhookEvent":"x","timestamp":"1795611912003"}`, func(e *Event) bool { return e.Timestamp.UnixMilli() == 1795611912003 }},
		{"changelog id number", `{"webhookEvent":"jira:issue_updated","changelog":{"id":10124,"items":[]}}`, func(e *Event) bool { return e.Changelog.ID == "10124" }},
		{"item values numbers", `{"webhookEvent":"jira:issue_updated","changelog":{"id":"1","items":[{"from":1,"to":2.5,"fromString":null}]}}`, func(e *Event) bool {
			return e.Changelog.Items[0].From == "1" && e.Changelog.Items[0].To == "2.5"
		}},
		{"description string", `{"webhookEvent":"x","issue":{"id":"1","fields":{"description":"a\nb"}}}`, func(e *Event) bool { return e.Issue.Fields.Description.String() == "a\nb" }},
		{"wrongly typed system field kept raw", `{"webhookEvent":"x","issue":{"id":"1","fields":{"status":"Open","labels":"x"}}}`, func(e *Event) bool {
			return e.Issue.Fields.Status == nil && string(e.Issue.Fields.Field("status")) == `"Open"`
		}},
		{"escaped field key", `{"webhookEvent":"x","issue":{"fields":{"custom\u0066ield_1":7}}}`, func(e *Event) bool { return string(e.Issue.Fields.Field("customfield_1")) == "7" }},
		{"duplicate field, last wins", `{"webhookEvent":"x","issue":{"fields":{"a":1,"a":2}}}`, func(e *Event) bool { return string(e.Issue.Fields.Field("a")) == "2" }},
		{"version merged name", `{"webhookEvent":"jira:version_merged","version":{"id":"1"}}`, func(e *Event) bool { return e.IsMerge() && e.Version.ID == "1" }},
		{"timestamp of another type ignored", `{"webhookEvent":"x","timestamp":{}}`, func(e *Event) bool { return e.Timestamp.IsZero() }},
		{"issue null", `{"webhookEvent":"x","issue":null}`, func(e *Event) bool { return e.Issue == nil }},
		{"user active string", `{"webhookEvent":"x","user":{"name":"n","active":"true"}}`, func(e *Event) bool { return e.User.Active }},
		{"odd time kept zero", `{"webhookEvent":"x","comment":{"id":1,"created":"yesterday"}}`, func(e *Event) bool { return e.Comment.ID == "1" && e.Comment.Created.IsZero() }},
		{"leading whitespace", " \n{\"webhookEvent\":\"x\"}", func(e *Event) bool { return e.Name == "x" }},
		{"parent issue", `{"webhookEvent":"x","issue":{"fields":{"parent":{"id":"9","key":"P-9","fields":{"summary":"epic","parent":{"key":"deeper"}}}}}}`, func(e *Event) bool {
			p := e.Issue.Fields.Parent
			return p != nil && p.Key == "P-9" && p.Fields.Summary == "epic" && p.Fields.Parent == nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseEvent([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(e) {
				t.Errorf("unexpected decode: %+v", e)
			}
		})
	}
}

func TestParseEventMalformed(t *testing.T) {
	for _, body := range []string{
		"", "   ", "null", "[]", `"x"`, "{", `{"webhookEvent":}`, `{}`, `{"webhookEvent":""}`,
		`{"webhookEvent":5}`, `{"webhookEvent":"x","issue":"PAY-1"}`,
		`{"webhookEvent":"x"} trailing`,
	} {
		e, err := ParseEvent([]byte(body))
		if !errors.Is(err, ErrMalformedBody) || e != nil {
			t.Errorf("ParseEvent(%q) = %v, %v; want ErrMalformedBody", body, e, err)
		}
	}
}

func TestIssueFieldsMarshalRoundTrip(t *testing.T) {
	e := parseFixture(t, "issue_updated.json")
	out, err := json.Marshal(e.Issue)
	if err != nil {
		t.Fatal(err)
	}
	var back Issue
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if back.Key != "PAY-142" || back.Fields.Summary != e.Issue.Fields.Summary || back.Fields.Len() != e.Issue.Fields.Len() {
		t.Errorf("round trip lost data: %+v", back)
	}
}
