package webhooks_test

import (
	"context"
	"iter"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/pagination"
	"github.com/jirahooks/jirahooks/webhooks"
)

// The public signatures DESIGN.md fixes, which other code is written
// against. This file stops compiling if one of them changes.
var (
	_ func(string, ...webhooks.ClientOption) (*webhooks.Client, error)                                      = webhooks.NewClient
	_ func(*http.Client) webhooks.ClientOption                                                              = webhooks.WithHTTPClient
	_ func(int) webhooks.ClientOption                                                                       = webhooks.WithAPIVersion
	_ func(*webhooks.Client, context.Context, string, ...webhooks.Details) ([]webhooks.Registration, error) = (*webhooks.Client).Register
	_ func(*webhooks.Client, *webhooks.ListOptions) *pagination.Pager[webhooks.Webhook]                     = (*webhooks.Client).List
	_ func(*webhooks.Client, *webhooks.FailedOptions) *pagination.Pager[webhooks.FailedWebhook]             = (*webhooks.Client).ListFailed
	_ func(*webhooks.Client, context.Context, ...int64) (time.Time, error)                                  = (*webhooks.Client).Refresh
	_ func(*webhooks.Client, context.Context, ...int64) error                                               = (*webhooks.Client).Delete

	_ func([]byte) (*webhooks.Event, error)                                                     = webhooks.ParseEvent
	_ func([]byte) webhooks.Verifier                                                            = webhooks.HubSignature
	_ func([]byte) webhooks.Verifier                                                            = webhooks.OAuthJWT
	_ func(func(clientKey string) ([]byte, error)) webhooks.Verifier                            = webhooks.ConnectJWT
	_ func(webhooks.Verifier, ...webhooks.HandlerOption) *webhooks.Handler                      = webhooks.NewHandler
	_ func(*webhooks.Handler, webhooks.EventName, func(context.Context, *webhooks.Event) error) = (*webhooks.Handler).On
	_ func(*webhooks.Handler, func(context.Context, *webhooks.Event) error)                     = (*webhooks.Handler).OnAny
	_ http.Handler                                                                              = (*webhooks.Handler)(nil)
	_ interface {
		Verify(r *http.Request, body []byte) error
	} = webhooks.Verifier(nil)

	_ func(*pagination.Pager[int], context.Context) ([]int, error)        = (*pagination.Pager[int]).Next
	_ func(*pagination.Pager[int]) bool                                   = (*pagination.Pager[int]).More
	_ func(*pagination.Pager[int], context.Context) iter.Seq2[int, error] = (*pagination.Pager[int]).All
)

// TestContractTypes builds each fixed data type from the fields DESIGN.md
// names, with the types it names, and checks them on a value decoded from
// a delivery.
func TestContractTypes(t *testing.T) {
	t.Parallel()
	_ = webhooks.Details{Events: []webhooks.EventName{webhooks.IssueUpdated}, JQLFilter: "project = A",
		FieldIDsFilter: []string{"summary"}, IssuePropertyKeysFilter: []string{"k"}}
	_ = webhooks.Registration{ID: int64(1), Errors: []string{"x"}}
	_ = webhooks.Webhook{ID: int64(1), URL: "u", Events: []webhooks.EventName{"e"}, JQLFilter: "j",
		FieldIDsFilter: []string{}, IssuePropertyKeysFilter: []string{}, ExpirationDate: time.Time{}}
	_ = webhooks.FailedWebhook{ID: "id", URL: "u", Body: "b", FailureTime: time.Time{}}
	_ = webhooks.ListOptions{MaxResults: 1}
	_ = webhooks.FailedOptions{After: time.Time{}, MaxResults: 1}

	e, err := webhooks.ParseEvent([]byte(`{"webhookEvent":"jira:issue_updated","timestamp":1700000000000,
		"issue_event_type_name":"issue_generic","matchedWebhookIds":[10000],
		"user":{"accountId":"acc","displayName":"Ann"},
		"issue":{"id":"10001","key":"A-1","self":"https://x.atlassian.net/rest/api/2/issue/10001","fields":{}},
		"comment":{"id":"77"}}`))
	require.NoError(t, err)
	require.NotNil(t, e.User, "User")
	require.NotNil(t, e.Issue, "Issue")
	require.NotNil(t, e.Comment, "Comment")
	var (
		name      webhooks.EventName = e.Name
		ts        time.Time          = e.Timestamp
		typeName  string             = e.IssueEventTypeName
		matched   []int64            = e.MatchedWebhookIDs
		raw       []byte             = e.Raw
		accountID string             = e.User.AccountID
		issueKey  string             = e.Issue.Key
		commentID string             = e.Comment.ID
	)
	_, _, _, _, _, _ = e.User.Name, e.User.Key, e.User.DisplayName, e.Issue.ID, e.Issue.Self, e.Changelog
	_, _, _, _, _, _, _ = e.Worklog, e.Attachment, e.IssueLink, e.Sprint, e.Board, e.Version, e.Project
	assert.Equal(t, webhooks.IssueUpdated, name, "Name")
	assert.True(t, ts.Equal(time.UnixMilli(1700000000000)), "Timestamp %v", ts)
	assert.Equal(t, "issue_generic", typeName, "IssueEventTypeName")
	assert.Equal(t, []int64{10000}, matched, "MatchedWebhookIDs")
	assert.NotEmpty(t, raw, "Raw")
	assert.Equal(t, "acc", accountID, "User.AccountID")
	assert.Equal(t, "A-1", issueKey, "Issue.Key")
	assert.Equal(t, "77", commentID, "Comment.ID")
}
