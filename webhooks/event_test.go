package webhooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("webhookstest", "payloads", name))
	require.NoError(t, err, "fixture %s", name)
	return b
}

func parseFixture(t *testing.T, name string) *Event {
	t.Helper()
	body := readFixture(t, name)
	e, err := ParseEvent(body)
	require.NoError(t, err, "ParseEvent(%s)", name)
	require.Equal(t, string(body), string(e.Raw), "Raw is not the body")
	return e
}

func TestParseEventIssueUpdated(t *testing.T) {
	t.Parallel()
	e := parseFixture(t, "issue_updated.json")
	assert.Equal(t, IssueUpdated, e.Name, "Name")
	assert.Equal(t, "issue_generic", e.IssueEventTypeName, "IssueEventTypeName")
	want := time.UnixMilli(1795611912003).UTC()
	assert.True(t, e.Timestamp.Equal(want), "Timestamp = %v, want %v", e.Timestamp, want)
	assert.Equal(t, []int64{1, 7}, e.MatchedWebhookIDs, "MatchedWebhookIDs")
	require.NotNil(t, e.User, "User")
	assert.Equal(t, "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", e.User.AccountID, "User.AccountID")
	assert.True(t, e.User.Active, "User.Active")
	assert.Equal(t, e.User.AccountID, e.User.ID(), "User.ID() is the account id")

	is := e.Issue
	require.NotNil(t, is, "Issue")
	assert.Equal(t, "10142", is.ID, "Issue.ID")
	assert.Equal(t, "PAY-142", is.Key, "Issue.Key")
	f := &is.Fields
	assert.Equal(t, "EU card payments fail with 502 from gateway", f.Summary, "Summary")
	require.NotNil(t, f.Status, "Status")
	assert.Equal(t, "In Progress", f.Status.Name, "Status.Name")
	require.NotNil(t, f.Status.StatusCategory, "Status.StatusCategory")
	assert.Equal(t, "indeterminate", f.Status.StatusCategory.Key, "StatusCategory.Key")
	assert.Equal(t, int64(4), f.Status.StatusCategory.ID, "StatusCategory.ID")
	require.NotNil(t, f.IssueType, "IssueType")
	assert.Equal(t, "Task", f.IssueType.Name, "IssueType.Name")
	require.NotNil(t, f.Project, "Project")
	assert.Equal(t, "PAY", f.Project.Key, "Project.Key")
	assert.Equal(t, "10000", f.Project.ID, "Project.ID")
	require.NotNil(t, f.Priority, "Priority")
	assert.Equal(t, "2", f.Priority.ID, "Priority.ID")
	require.NotNil(t, f.Assignee, "Assignee")
	assert.Equal(t, "Alice Martin", f.Assignee.DisplayName, "Assignee.DisplayName")
	assert.NotNil(t, f.Reporter, "Reporter")
	assert.NotNil(t, f.Creator, "Creator")
	assert.Equal(t, []string{"checkout", "eu", "incident"}, f.Labels, "Labels")
	require.Len(t, f.Components, 1, "Components")
	assert.Equal(t, "Gateway", f.Components[0].Name, "Components[0].Name")
	require.Len(t, f.FixVersions, 1, "FixVersions")
	assert.Equal(t, "2026.11", f.FixVersions[0].Name, "FixVersions[0].Name")
	assert.Equal(t, "2026-11-28", f.FixVersions[0].ReleaseDate.Format(time.DateOnly), "FixVersions[0].ReleaseDate")
	wantCreated := time.Date(2026, 11, 20, 9, 11, 12, 345e6, time.UTC)
	assert.True(t, f.Created.Equal(wantCreated), "Created = %v, want %v", f.Created, wantCreated)
	assert.Equal(t, "2026-11-29", f.DueDate.Format(time.DateOnly), "DueDate")
	assert.True(t, f.ResolutionDate.IsZero(), "ResolutionDate = %v, want zero", f.ResolutionDate)
	assert.Nil(t, f.Resolution, "Resolution")
	require.True(t, f.Description.IsADF(), "description not ADF: %s", f.Description.Raw())
	wantDesc := "Card payments to EU issuers fail intermittently with a 502 from the gateway.\nSteps\nPay with a test card issued in Germany\nWatch the checkout spinner\nReported by @Bob Okafor on the support rota.\n{\"error\":\"upstream_timeout\",\"gateway\":\"eu-west-1\"}"
	assert.Equal(t, wantDesc, f.Description.String(), "Description.String()")

	// Custom fields: kept, reachable by id, decoded on demand.
	var points float64
	if assert.NoError(t, f.Decode("customfield_10016", &points), "customfield_10016") {
		assert.Equal(t, 5.0, points, "customfield_10016")
	}
	var sprints []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	require.NoError(t, f.Decode("customfield_10020", &sprints), "customfield_10020")
	require.Len(t, sprints, 1, "customfield_10020")
	assert.Equal(t, "PAY Sprint 14", sprints[0].Name, "customfield_10020 sprint name")
	assert.Equal(t, "null", string(f.Field("customfield_10030")), "null custom field")
	assert.ErrorIs(t, f.Decode("customfield_99999", &points), ErrFieldNotFound, "missing field")

	// Every field in the body is enumerated, in order.
	var wire struct {
		Issue struct {
			Fields map[string]json.RawMessage `json:"fields"`
		} `json:"issue"`
	}
	require.NoError(t, json.Unmarshal(e.Raw, &wire))
	fromBody := wire.Issue.Fields
	require.NotEmpty(t, fromBody, "the fixture's fields")
	n := 0
	for id, raw := range f.All() {
		n++
		assert.Equal(t, string(fromBody[id]), string(raw), "field %s", id)
	}
	assert.Equal(t, len(fromBody), n, "fields All yielded, against the body's")
	assert.Equal(t, n, f.Len(), "Len, against the fields All yielded")

	c := e.Changelog
	require.NotNil(t, c, "Changelog")
	assert.Equal(t, "10124", c.ID, "Changelog.ID")
	require.Len(t, c.Items, 3, "Changelog.Items")
	it := c.Items[0]
	assert.Equal(t, [4]string{"status", "10000", "In Progress", "status"},
		[4]string{it.Field, it.From, it.ToString, it.FieldID}, "item 0: Field, From, ToString, FieldID")
	it = c.Items[1]
	assert.Equal(t, [3]string{"", "", e.User.AccountID}, [3]string{it.From, it.FromString, it.To}, "item 1: From, FromString, To")
	assert.Nil(t, e.Comment, "Comment")
	assert.Nil(t, e.Worklog, "Worklog")
	assert.Nil(t, e.Sprint, "Sprint")
}

func TestParseEventServerShapes(t *testing.T) {
	t.Parallel()
	e := parseFixture(t, "issue_created_server.json")
	assert.Equal(t, IssueCreated, e.Name, "Name")
	require.NotNil(t, e.User, "User")
	assert.Equal(t, "brollins", e.User.Name, "User.Name")
	assert.Equal(t, "JIRAUSER10100", e.User.Key, "User.Key")
	assert.Empty(t, e.User.AccountID, "User.AccountID")
	assert.True(t, e.User.Active, "User.Active")
	assert.Equal(t, "JIRAUSER10100", e.User.ID(), "User.ID() is the key without an account id")

	require.NotNil(t, e.Issue, "Issue")
	f := e.Issue.Fields
	// Numeric ids are normalised to strings.
	assert.Equal(t, "10002", e.Issue.ID, "Issue.ID")
	require.NotNil(t, f.Project, "Project")
	assert.Equal(t, "10100", f.Project.ID, "Project.ID")
	require.NotNil(t, f.IssueType, "IssueType")
	assert.Equal(t, "1", f.IssueType.ID, "IssueType.ID")
	require.NotNil(t, f.Status, "Status")
	assert.Equal(t, "1", f.Status.ID, "Status.ID")
	require.NotNil(t, f.Status.StatusCategory, "Status.StatusCategory")
	assert.Equal(t, int64(2), f.Status.StatusCategory.ID, "StatusCategory.ID")

	assert.False(t, f.Description.IsADF(), "description is ADF: %s", f.Description.Raw())
	assert.Equal(t, "Make the *issue nav* load 10x faster", f.Description.String(), "Description.String()")
	assert.Nil(t, f.Assignee, "null assignee")
	want := time.Date(2011, 6, 7, 15, 31, 26, 805e6, time.UTC)
	assert.True(t, f.Created.Equal(want), "Created = %v, want %v", f.Created, want)
	assert.Equal(t, `"ABC-1"`, string(f.Field("customfield_10100")), "custom field")
}

func TestParseEventDescriptions(t *testing.T) {
	t.Parallel()
	d := parseFixture(t, "issue_created.json").Issue.Fields.Description
	assert.True(t, d.IsZero(), "null description IsZero: %q", d.Raw())
	assert.Empty(t, d.String(), "null description String()")
	assert.Nil(t, d.Raw(), "null description Raw()")

	e := parseFixture(t, "issue_deleted.json")
	require.NotNil(t, e.Issue, "Issue")
	assert.True(t, e.Issue.Fields.Description.IsZero(), "absent description IsZero: %q", e.Issue.Fields.Description.Raw())
	assert.Equal(t, IssueDeleted, e.Name, "Name")
	assert.Nil(t, e.Issue.Fields.Field("description"), "absent description reachable")
}

func TestParseEventFamilies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		name  EventName
		check func(t *testing.T, e *Event)
	}{
		{"issue_commented.json", IssueUpdated, func(t *testing.T, e *Event) {
			assert.Equal(t, "issue_commented", e.IssueEventTypeName, "IssueEventTypeName")
			require.NotNil(t, e.Comment, "Comment")
			assert.Equal(t, "10071", e.Comment.ID, "Comment.ID")
			assert.NotNil(t, e.Issue, "Issue")
			assert.Nil(t, e.Changelog, "Changelog")
		}},
		{"comment_created.json", CommentCreated, func(t *testing.T, e *Event) {
			c := e.Comment
			require.NotNil(t, c, "Comment")
			assert.Equal(t, "10071", c.ID, "Comment.ID")
			require.NotNil(t, c.Author, "Comment.Author")
			assert.Equal(t, "Bob Okafor", c.Author.DisplayName, "Comment.Author.DisplayName")
			assert.True(t, c.JSDPublic, "Comment.JSDPublic")
			assert.False(t, c.Body.IsADF(), "Comment.Body is ADF")
			assert.True(t, strings.HasPrefix(c.Body.String(), "Seeing this on *iOS*"), "Comment.Body = %q", c.Body.String())
			assert.False(t, c.Created.IsZero(), "Comment.Created is zero")
			require.NotNil(t, e.Issue, "Issue")
			assert.Equal(t, "PAY-142", e.Issue.Key, "Issue.Key")
			require.NotNil(t, e.Issue.Fields.Status, "Issue status")
			assert.Equal(t, "In Progress", e.Issue.Fields.Status.Name, "Issue status name")
		}},
		{"comment_deleted.json", CommentDeleted, func(t *testing.T, e *Event) {
			assert.NotNil(t, e.Comment, "Comment")
			assert.NotNil(t, e.Issue, "Issue")
		}},
		{"worklog_created.json", WorklogCreated, func(t *testing.T, e *Event) {
			w := e.Worklog
			assert.Nil(t, e.Issue, "Issue")
			require.NotNil(t, w, "Worklog")
			assert.Equal(t, "10142", w.IssueID, "Worklog.IssueID")
			assert.Equal(t, "10032", w.ID, "Worklog.ID")
			assert.Equal(t, int64(5400), w.TimeSpentSeconds, "Worklog.TimeSpentSeconds")
			assert.Equal(t, "1h 30m", w.TimeSpent, "Worklog.TimeSpent")
			assert.Equal(t, "Pairing with Bob on the retry logic", w.Comment.String(), "Worklog.Comment")
			assert.False(t, w.Started.IsZero(), "Worklog.Started is zero")
			assert.NotNil(t, w.Author, "Worklog.Author")
		}},
		{"worklog_changed.json", WorklogChanged, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Changelog, "Changelog")
			assert.Equal(t, "10125", e.Changelog.ID, "Changelog.ID")
			require.NotEmpty(t, e.Changelog.Items, "Changelog.Items")
			assert.Equal(t, "7200", e.Changelog.Items[0].From, "item 0 From")
			assert.NotNil(t, e.Issue, "Issue")
		}},
		{"attachment_created.json", AttachmentCreated, func(t *testing.T, e *Event) {
			a := e.Attachment
			require.NotNil(t, a, "Attachment")
			assert.Equal(t, "10200", a.ID, "Attachment.ID")
			assert.Equal(t, int64(182733), a.Size, "Attachment.Size")
			assert.Equal(t, "gateway-trace.har", a.Filename, "Attachment.Filename")
			assert.Equal(t, "10142", a.IssueID, "Attachment.IssueID")
			assert.False(t, a.Created.IsZero(), "Attachment.Created is zero")
		}},
		{"issuelink_created.json", IssueLinkCreated, func(t *testing.T, e *Event) {
			l := e.IssueLink
			require.NotNil(t, l, "IssueLink")
			assert.Equal(t, "10300", l.ID, "IssueLink.ID")
			assert.Equal(t, "10142", l.SourceIssueID, "IssueLink.SourceIssueID")
			assert.Equal(t, "10090", l.DestinationIssueID, "IssueLink.DestinationIssueID")
			require.NotNil(t, l.Type, "IssueLink.Type")
			assert.Equal(t, "10000", l.Type.ID, "IssueLink.Type.ID")
			assert.Equal(t, "is blocked by", l.Type.InwardName, "IssueLink.Type.InwardName")
		}},
		{"issue_property_set.json", IssuePropertySet, func(t *testing.T, e *Event) {
			p := e.Property
			require.NotNil(t, p, "Property")
			assert.Equal(t, "com.acme.triage", p.Key, "Property.Key")
			assert.NotNil(t, e.Issue, "Issue")
			var v struct{ Severity string }
			require.NoError(t, json.Unmarshal(p.Value, &v), "Property.Value = %s", p.Value)
			assert.Equal(t, "sev2", v.Severity, "Property.Value severity")
		}},
		{"project_created.json", ProjectCreated, func(t *testing.T, e *Event) {
			p := e.Project
			require.NotNil(t, p, "Project")
			assert.Equal(t, "10001", p.ID, "Project.ID")
			assert.Equal(t, "OPS", p.Key, "Project.Key")
			require.NotNil(t, p.Lead, "Project.Lead")
			assert.Equal(t, "Alice Martin", p.Lead.DisplayName, "Project.Lead.DisplayName")
		}},
		{"version_released.json", VersionReleased, func(t *testing.T, e *Event) {
			v := e.Version
			require.NotNil(t, v, "Version")
			assert.True(t, v.Released, "Version.Released")
			assert.Equal(t, int64(10000), v.ProjectID, "Version.ProjectID")
			assert.Equal(t, "2026-11-28", v.ReleaseDate.Format(time.DateOnly), "Version.ReleaseDate")
			assert.False(t, e.IsMerge(), "IsMerge")
		}},
		{"version_merged.json", VersionDeleted, func(t *testing.T, e *Event) {
			assert.True(t, e.IsMerge(), "IsMerge")
			require.NotNil(t, e.Version, "Version")
			assert.Equal(t, "10022", e.Version.ID, "Version.ID")
			require.NotNil(t, e.MergedTo, "MergedTo")
			assert.Equal(t, "10021", e.MergedTo.ID, "MergedTo.ID")
		}},
		{"user_created.json", UserCreated, func(t *testing.T, e *Event) {
			require.NotNil(t, e.User, "User")
			assert.Equal(t, "Chen Wei", e.User.DisplayName, "User.DisplayName")
			assert.Equal(t, "atlassian", e.User.AccountType, "User.AccountType")
		}},
		{"sprint_updated.json", SprintUpdated, func(t *testing.T, e *Event) {
			s, old := e.Sprint, e.OldSprint
			require.NotNil(t, s, "Sprint")
			require.NotNil(t, old, "OldSprint")
			assert.Equal(t, int64(37), s.ID, "Sprint.ID")
			assert.Equal(t, "Stabilise EU checkout", s.Goal, "Sprint.Goal")
			assert.Equal(t, "PAY Sprint 14 (draft)", old.Name, "OldSprint.Name")
			assert.Equal(t, int64(12), s.OriginBoardID, "Sprint.OriginBoardID")
			want := time.Date(2026, 11, 16, 8, 0, 0, 0, time.UTC)
			assert.True(t, s.StartDate.Equal(want), "StartDate = %v, want %v", s.StartDate, want)
		}},
		{"sprint_started.json", SprintStarted, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Sprint, "Sprint")
			assert.Equal(t, "active", e.Sprint.State, "Sprint.State")
			assert.Nil(t, e.OldSprint, "OldSprint")
		}},
		{"board_configuration_changed.json", BoardConfigurationChanged, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Board, "Board")
			assert.Equal(t, int64(12), e.Board.ID, "Board.ID")
			assert.Equal(t, "scrum", e.Board.Type, "Board.Type")
			assert.Contains(t, string(e.BoardConfiguration), "columnConfig", "BoardConfiguration")
		}},
		{"option_voting_changed.json", OptionVotingChanged, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Property, "Property")
			assert.Equal(t, "jira.option.voting", e.Property.Key, "Property.Key")
			assert.Equal(t, `"false"`, string(e.Property.Value), "Property.Value")
		}},
		{"filter_created.json", FilterCreated, func(t *testing.T, e *Event) {
			f := e.Filter
			require.NotNil(t, f, "Filter")
			assert.Equal(t, "10011", f.ID, "Filter.ID")
			assert.True(t, f.Favourite, "Filter.Favourite")
			assert.NotNil(t, f.Owner, "Filter.Owner")
			assert.True(t, strings.HasPrefix(f.JQL, "project = PAY"), "Filter.JQL = %q", f.JQL)
		}},
		{"unknown_event.json", "jira:issue_archived", func(t *testing.T, e *Event) {
			require.NotNil(t, e.Issue, "Issue")
			assert.Equal(t, "PAY-142", e.Issue.Key, "Issue.Key")
			assert.NotNil(t, e.User, "User")
			assert.Contains(t, string(e.Raw), "futureField", "Raw keeps the unknown field")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			e := parseFixture(t, tc.file)
			require.Equal(t, tc.name, e.Name, "Name")
			assert.False(t, e.Timestamp.IsZero(), "no timestamp")
			tc.check(t, e)
		})
	}
}

func TestParseEventVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		check      func(t *testing.T, e *Event)
	}{
		{"minimal", `{"webhookEvent":"jira:issue_created"}`, func(t *testing.T, e *Event) {
			assert.True(t, e.Timestamp.IsZero(), "Timestamp = %v, want zero", e.Timestamp)
			assert.Nil(t, e.Issue, "Issue")
		}},
		{"timestamp as string", `{"webhookEvent":"x","timestamp":"1795611912003"}`, func(t *testing.T, e *Event) {
			assert.Equal(t, int64(1795611912003), e.Timestamp.UnixMilli(), "Timestamp")
		}},
		{"changelog id number", `{"webhookEvent":"jira:issue_updated","changelog":{"id":10124,"items":[]}}`, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Changelog, "Changelog")
			assert.Equal(t, "10124", e.Changelog.ID, "Changelog.ID")
		}},
		{"item values numbers", `{"webhookEvent":"jira:issue_updated","changelog":{"id":"1","items":[{"from":1,"to":2.5,"fromString":null}]}}`, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Changelog, "Changelog")
			require.Len(t, e.Changelog.Items, 1, "Changelog.Items")
			assert.Equal(t, "1", e.Changelog.Items[0].From, "From")
			assert.Equal(t, "2.5", e.Changelog.Items[0].To, "To")
		}},
		{"description string", `{"webhookEvent":"x","issue":{"id":"1","fields":{"description":"a\nb"}}}`, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Issue, "Issue")
			assert.Equal(t, "a\nb", e.Issue.Fields.Description.String(), "Description.String()")
		}},
		{"wrongly typed system field kept raw", `{"webhookEvent":"x","issue":{"id":"1","fields":{"status":"Open","labels":"x"}}}`, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Issue, "Issue")
			assert.Nil(t, e.Issue.Fields.Status, "Status")
			assert.Equal(t, `"Open"`, string(e.Issue.Fields.Field("status")), "raw status")
		}},
		{"escaped field key", `{"webhookEvent":"x","issue":{"fields":{"custom\u0066ield_1":7}}}`, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Issue, "Issue")
			assert.Equal(t, "7", string(e.Issue.Fields.Field("customfield_1")), "customfield_1")
		}},
		{"duplicate field, last wins", `{"webhookEvent":"x","issue":{"fields":{"a":1,"a":2}}}`, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Issue, "Issue")
			assert.Equal(t, "2", string(e.Issue.Fields.Field("a")), "field a")
		}},
		{"version merged name", `{"webhookEvent":"jira:version_merged","version":{"id":"1"}}`, func(t *testing.T, e *Event) {
			assert.True(t, e.IsMerge(), "IsMerge")
			require.NotNil(t, e.Version, "Version")
			assert.Equal(t, "1", e.Version.ID, "Version.ID")
		}},
		{"timestamp of another type ignored", `{"webhookEvent":"x","timestamp":{}}`, func(t *testing.T, e *Event) {
			assert.True(t, e.Timestamp.IsZero(), "Timestamp = %v, want zero", e.Timestamp)
		}},
		{"issue null", `{"webhookEvent":"x","issue":null}`, func(t *testing.T, e *Event) {
			assert.Nil(t, e.Issue, "Issue")
		}},
		{"user active string", `{"webhookEvent":"x","user":{"name":"n","active":"true"}}`, func(t *testing.T, e *Event) {
			require.NotNil(t, e.User, "User")
			assert.True(t, e.User.Active, "User.Active")
		}},
		{"odd time kept zero", `{"webhookEvent":"x","comment":{"id":1,"created":"yesterday"}}`, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Comment, "Comment")
			assert.Equal(t, "1", e.Comment.ID, "Comment.ID")
			assert.True(t, e.Comment.Created.IsZero(), "Comment.Created = %v, want zero", e.Comment.Created)
		}},
		{"leading whitespace", " \n{\"webhookEvent\":\"x\"}", func(t *testing.T, e *Event) {
			assert.Equal(t, EventName("x"), e.Name, "Name")
		}},
		{"parent issue", `{"webhookEvent":"x","issue":{"fields":{"parent":{"id":"9","key":"P-9","fields":{"summary":"epic","parent":{"key":"deeper"}}}}}}`, func(t *testing.T, e *Event) {
			require.NotNil(t, e.Issue, "Issue")
			p := e.Issue.Fields.Parent
			require.NotNil(t, p, "Parent")
			assert.Equal(t, "P-9", p.Key, "Parent.Key")
			assert.Equal(t, "epic", p.Fields.Summary, "Parent's summary")
			assert.Nil(t, p.Fields.Parent, "the parent's parent")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := ParseEvent([]byte(tc.body))
			require.NoError(t, err)
			require.NotNil(t, e)
			tc.check(t, e)
		})
	}
}

func TestParseEventMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"", "   ", "null", "[]", `"x"`, "{", `{"webhookEvent":}`, `{}`, `{"webhookEvent":""}`,
		`{"webhookEvent":5}`, `{"webhookEvent":"x","issue":"PAY-1"}`,
		`{"webhookEvent":"x"} trailing`,
	} {
		t.Run(strconv.Quote(body), func(t *testing.T) {
			t.Parallel()
			e, err := ParseEvent([]byte(body))
			assert.ErrorIs(t, err, ErrMalformedBody, "ParseEvent(%q)", body)
			assert.Nil(t, e, "ParseEvent(%q) event", body)
		})
	}
}

func TestIssueFieldsMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	e := parseFixture(t, "issue_updated.json")
	out, err := json.Marshal(e.Issue)
	require.NoError(t, err)
	var back Issue
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, "PAY-142", back.Key, "Key after the round trip")
	assert.Equal(t, e.Issue.Fields.Summary, back.Fields.Summary, "Summary after the round trip")
	assert.Equal(t, e.Issue.Fields.Len(), back.Fields.Len(), "fields after the round trip")
}
