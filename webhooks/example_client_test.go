package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/webhooks"
)

// exClientJira is a stand-in for a Jira site in the examples: it answers
// the webhook API with the examples of Jira's documentation.
func exClientJira() *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"errorMessages":["Only Connect and OAuth 2.0 apps can use this operation."],"errors":{}}`)
			return
		}
		switch r.Method + " " + r.URL.Path {
		case "POST /rest/api/3/webhook":
			io.WriteString(w, `{"webhookRegistrationResult":[{"createdWebhookId":1000},{"errors":["The clause watchCount is unsupported"]},{"createdWebhookId":1001}]}`)
		case "GET /rest/api/3/webhook":
			io.WriteString(w, `{"isLast":true,"maxResults":3,"startAt":0,"total":3,"values":[
				{"events":["jira:issue_updated","jira:issue_created"],"expirationDate":"2019-06-01T12:42:30.000+0000","fieldIdsFilter":["summary","customfield_10029"],"id":10000,"jqlFilter":"project = PRJ"},
				{"events":["jira:issue_created"],"expirationDate":"2019-06-01T12:42:30.000+0000","id":10001,"jqlFilter":"issuetype = Bug"},
				{"events":["issue_property_set"],"expirationDate":"2019-06-01T12:42:30.000+0000","id":10002,"issuePropertyKeysFilter":["my-issue-property-key"],"jqlFilter":"project = PRJ"}]}`)
		case "GET /rest/api/3/webhook/failed":
			if r.URL.Query().Get("failedAfter") != "" {
				io.WriteString(w, `{"values":[],"maxResults":100}`)
				return
			}
			fmt.Fprintf(w, `{"values":[
				{"id":"1","body":"{\"data\":\"webhook data\"}","url":"https://example.com","failureTime":1573118132000},
				{"id":"2","url":"https://example.com","failureTime":1573540473480}],
				"maxResults":2,"next":"%s/rest/api/3/webhook/failed?failedAfter=1573540473480&maxResults=2"}`, srv.URL)
		case "PUT /rest/api/3/webhook/refresh":
			io.WriteString(w, `{"expirationDate":"2019-06-01T12:42:30.000+0000"}`)
		case "DELETE /rest/api/3/webhook":
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	return srv
}

// exClientAuth stands in for the transport of package auth, which adds an
// OAuth 2.0 access token (or a Connect JWT) to every request.
type exClientAuth struct{ token string }

func (a exClientAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+a.token)
	return http.DefaultTransport.RoundTrip(r)
}

func ExampleNewClient() {
	jira := exClientJira()
	defer jira.Close()

	// For an OAuth 2.0 app the base URL is
	// "https://api.atlassian.com/ex/jira/" + cloudID, and the http.Client
	// comes from package auth; a Connect app uses its site's URL.
	client, err := webhooks.NewClient(jira.URL,
		webhooks.WithHTTPClient(&http.Client{Transport: exClientAuth{"access-token"}, Timeout: 30 * time.Second}),
		webhooks.WithUserAgent("my-app/1.0"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	expires, err := client.Refresh(context.Background(), 10000, 10001)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("webhooks live until", expires.Format(time.RFC3339))

	// Without app credentials Jira refuses the webhook API.
	anonymous, _ := webhooks.NewClient(jira.URL)
	err = anonymous.Delete(context.Background(), 10000)
	var apiErr *webhooks.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.ErrorMessages[0], errors.Is(err, webhooks.ErrNotAnApp))
	}
	// Output:
	// webhooks live until 2019-06-01T12:42:30Z
	// 403 Only Connect and OAuth 2.0 apps can use this operation. true
}

func ExampleClient_Register() {
	jira := exClientJira()
	defer jira.Close()
	client, _ := webhooks.NewClient(jira.URL, webhooks.WithHTTPClient(&http.Client{Transport: exClientAuth{"access-token"}}))

	regs, err := client.Register(context.Background(), "https://your-app.example.com/webhook-received",
		webhooks.Details{
			Events:         []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated},
			JQLFilter:      "project = PROJ",
			FieldIDsFilter: []string{"summary", "customfield_10029"},
		},
		webhooks.Details{
			Events:    []webhooks.EventName{webhooks.IssueDeleted},
			JQLFilter: "project = PROJ AND watchCount > 1", // not in the JQL subset
		},
		webhooks.Details{
			Events:                  []webhooks.EventName{webhooks.IssuePropertySet},
			JQLFilter:               "project = PROJ",
			IssuePropertyKeysFilter: []string{"my-issue-property-key"},
		},
	)
	if err != nil { // the call failed as a whole
		fmt.Println(err)
		return
	}
	// Jira answers item by item: some may be refused.
	for i, r := range regs {
		if r.OK() {
			fmt.Printf("webhook %d: registered as %d\n", i, r.ID)
		} else {
			fmt.Printf("webhook %d: refused: %s\n", i, strings.Join(r.Errors, "; "))
		}
	}
	// Output:
	// webhook 0: registered as 1000
	// webhook 1: refused: The clause watchCount is unsupported
	// webhook 2: registered as 1001
}

func ExampleClient_List() {
	jira := exClientJira()
	defer jira.Close()
	client, _ := webhooks.NewClient(jira.URL, webhooks.WithHTTPClient(&http.Client{Transport: exClientAuth{"access-token"}}))

	// All fetches the pages as the loop needs them.
	for w, err := range client.List(&webhooks.ListOptions{MaxResults: 50}).All(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(w.ID, w.Events, w.JQLFilter, "expires", w.ExpirationDate.Format(time.DateOnly))
	}
	// Output:
	// 10000 [jira:issue_updated jira:issue_created] project = PRJ expires 2019-06-01
	// 10001 [jira:issue_created] issuetype = Bug expires 2019-06-01
	// 10002 [issue_property_set] project = PRJ expires 2019-06-01
}

func ExampleClient_ListFailed() {
	jira := exClientJira()
	defer jira.Close()
	client, _ := webhooks.NewClient(jira.URL, webhooks.WithHTTPClient(&http.Client{Transport: exClientAuth{"connect-jwt"}}))
	ctx := context.Background()

	// Read the deliveries Jira gave up on, page by page.
	failed := client.ListFailed(&webhooks.FailedOptions{MaxResults: 2})
	for failed.More() {
		page, err := failed.Next(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, f := range page {
			fmt.Printf("%s failed at %s: body %q\n", f.ID, f.FailureTime.Format(time.RFC3339), f.Body)
		}
	}
	// Save the cursor; next time, ask only for newer failures.
	cursor := failed.Cursor()
	fmt.Println("resume from", strings.TrimPrefix(cursor, jira.URL))

	later := client.ListFailed(&webhooks.FailedOptions{Cursor: cursor})
	page, err := later.Next(ctx)
	fmt.Println(len(page), "new failures", err)
	// Output:
	// 1 failed at 2019-11-07T09:15:32Z: body "{\"data\":\"webhook data\"}"
	// 2 failed at 2019-11-12T06:34:33Z: body ""
	// resume from /rest/api/3/webhook/failed?failedAfter=1573540473480&maxResults=2
	// 0 new failures <nil>
}
