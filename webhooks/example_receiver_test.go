package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

func ExampleNewHandler() {
	secret := []byte("It's a Secret to Everybody")
	h := webhooks.NewHandler(webhooks.HubSignature(secret))
	h.On(webhooks.IssueUpdated, func(ctx context.Context, e *webhooks.Event) error {
		d, _ := webhooks.DeliveryFrom(ctx)
		fmt.Printf("%s: %s is now %q (attempt %d)\n", e.Name, e.Issue.Key, e.Issue.Fields.Status.Name, d.Retry+1)
		for _, c := range e.Changelog.Items {
			fmt.Printf("  %s: %s -> %s\n", c.Field, c.FromString, c.ToString)
		}
		return nil
	})

	// In a program: http.Handle("POST /hooks/jira", h). Here, a signed test
	// delivery stands in for Jira.
	req := webhookstest.NewRequest("/hooks/jira", webhookstest.Payload("issue_updated"), webhookstest.Hub{Secret: secret})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// The same delivery with a forged signature is refused.
	req = webhookstest.NewRequest("/hooks/jira", webhookstest.Payload("issue_updated"), webhookstest.Hub{Secret: []byte("guess")})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// jira:issue_updated: PAY-142 is now "In Progress" (attempt 1)
	//   status: To Do -> In Progress
	//   assignee:  -> Alice Martin
	//   Story Points: 3 -> 5
	// 200
	// 401
}

func ExampleParseEvent() {
	body := []byte(`{
		"timestamp": 1795611912003,
		"webhookEvent": "worklog_created",
		"worklog": {"id": "10032", "issueId": "10142", "timeSpentSeconds": 5400,
			"author": {"accountId": "557058:f58131cb", "displayName": "Alice Martin"}}
	}`)
	e, err := webhooks.ParseEvent(body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Name, e.Timestamp.Format("2006-01-02 15:04:05.000"))
	fmt.Println(e.Worklog.Author.DisplayName, "logged", e.Worklog.TimeSpentSeconds/60, "minutes on issue", e.Worklog.IssueID)
	// Output:
	// worklog_created 2026-11-25 13:05:12.003
	// Alice Martin logged 90 minutes on issue 10142
}

func ExampleIssueFields_Decode() {
	e, err := webhooks.ParseEvent(webhookstest.Payload("issue_updated"))
	if err != nil {
		log.Fatal(err)
	}
	// Custom fields are kept undecoded until asked for, by id.
	var storyPoints float64
	if err := e.Issue.Fields.Decode("customfield_10016", &storyPoints); err != nil {
		log.Fatal(err)
	}
	var sprints []struct{ Name, State string }
	if err := e.Issue.Fields.Decode("customfield_10020", &sprints); err != nil {
		log.Fatal(err)
	}
	fmt.Println(storyPoints, sprints[0].Name, sprints[0].State)
	// Output: 5 PAY Sprint 14 active
}

func ExampleHubSignature() {
	// The test vector of X-Hub-Signature.
	v := webhooks.HubSignature([]byte("It's a Secret to Everybody"))
	body := []byte("Hello World!")
	r, _ := http.NewRequest(http.MethodPost, "https://app.example.com/hooks", strings.NewReader(string(body)))
	r.Header.Set("X-Hub-Signature", "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9")
	fmt.Println(v.Verify(r, body))

	r.Header.Set("X-Hub-Signature", "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c8")
	fmt.Println(v.Verify(r, body))
	// Output:
	// <nil>
	// webhooks: invalid signature: signature does not match
}

func ExampleConnectJWT() {
	installations := map[string][]byte{"jira:5c3b2d1a": []byte("shared secret from the installed lifecycle event")}
	v := webhooks.ConnectJWT(func(clientKey string) ([]byte, error) {
		secret, ok := installations[clientKey]
		if !ok {
			return nil, webhooks.ErrUnknownTenant
		}
		return secret, nil
	})
	h := webhooks.NewHandler(v)
	h.OnAny(func(ctx context.Context, e *webhooks.Event) error {
		fmt.Println(e.Name, "from", e.Delivery.Tenant)
		return nil
	})
	req := webhookstest.NewRequest("/hooks/jira", webhookstest.Payload("sprint_started"),
		webhookstest.Connect{ClientKey: "jira:5c3b2d1a", SharedSecret: installations["jira:5c3b2d1a"]})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// sprint_started from jira:5c3b2d1a
	// 200
}

func ExampleHandler_Replay() {
	secret := []byte("It's a Secret to Everybody")
	// One handler, mounted where Jira delivers; replays go through it too.
	h := webhooks.NewHandler(webhooks.HubSignature(secret))
	h.On(webhooks.IssueUpdated, func(ctx context.Context, e *webhooks.Event) error {
		fmt.Printf("%s %s (delivery %s, replay %t)\n", e.Name, e.Issue.Key, e.Delivery.ID, e.Delivery.Replay)
		return nil
	})

	// A failed delivery, as client.ListFailed lists it. Its ID is the
	// delivery's X-Atlassian-Webhook-Identifier.
	f := webhooks.FailedWebhook{
		ID:   "4e24d1c2-e95b-4eb0-a6e5-945808110cbf",
		URL:  "https://app.example.com/hooks/jira",
		Body: string(webhookstest.Payload("issue_updated")),
	}
	ctx := context.Background()
	fmt.Println(h.Replay(ctx, "", f)) // the tenant: "" for HubSignature without WithTenant

	// Replayed again, or delivered by Jira after all: a duplicate.
	err := h.Replay(ctx, "", f)
	fmt.Println(errors.Is(err, webhooks.ErrDuplicate))

	req := webhookstest.NewRequest("/hooks/jira", []byte(f.Body), webhookstest.Hub{Secret: secret})
	webhookstest.SetDelivery(req, f.ID, 5)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, "without calling back")
	// Output:
	// jira:issue_updated PAY-142 (delivery 4e24d1c2-e95b-4eb0-a6e5-945808110cbf, replay true)
	// <nil>
	// true
	// 200 without calling back
}

func ExampleAllowEmptyBody() {
	// An admin webhook registered with ExcludeBody and the URL
	// "https://app.example.com/hooks/${issue.key}": Jira sends a signed,
	// empty body; the URL says which issue changed.
	secret := []byte("It's a Secret to Everybody")
	const template = "/hooks/${issue.key}"
	h := webhooks.NewHandler(webhooks.HubSignature(secret), webhooks.AllowEmptyBody())
	h.OnAny(func(ctx context.Context, e *webhooks.Event) error {
		vars, err := webhooks.URLVariablesOf(e.Delivery.URL, template)
		if err != nil {
			return err
		}
		fmt.Printf("event %q, %d bytes, about %s\n", e.Name, len(e.Raw), vars[webhooks.VarIssueKey])
		return nil
	})

	req := webhookstest.NewRequest("/hooks/PAY-142", nil, webhookstest.Hub{Secret: secret})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// Unsigned, it is refused like any other delivery.
	req = webhookstest.NewRequest("/hooks/PAY-142", nil, nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// event "", 0 bytes, about PAY-142
	// 200
	// 401
}
