package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/jirahooks/jirahooks/auth"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

// A team without a Jira app manages admin webhooks with an administrator's
// API token. Here the Jira site is jiratest's in-memory one; against Jira
// Cloud, pass https://your-domain.atlassian.net instead of site.URL().
func ExampleAdminClient() {
	site := jiratest.NewServer()
	defer site.Close()
	site.AddAdmin("admin@example.com", "api-token")

	admin, err := webhooks.NewAdminClient(site.URL(),
		webhooks.WithHTTPClient(auth.BasicClient("admin@example.com", "api-token")))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	url, err := webhooks.AdminURL("https://app.example.com/jira", webhooks.VarProjectKey, webhooks.VarIssueKey)
	if err != nil {
		log.Fatal(err)
	}
	hook, err := admin.Create(ctx, webhooks.AdminWebhook{
		Name:      "Issues of TEST",
		URL:       url,
		Events:    []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated},
		JQLFilter: "project = TEST",
		Secret:    "It's a Secret to Everybody", // deliveries carry X-Hub-Signature
	})
	if errors.Is(err, webhooks.ErrAdminRightsNeeded) {
		log.Fatal("ask a Jira administrator for an API token: ", err)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", hook.ID, hook.URL)

	hooks, err := admin.List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hooks {
		fmt.Println(h.ID, h.Name, h.Events, h.JQLFilter)
	}

	if err := admin.Delete(ctx, hook.ID); err != nil {
		log.Fatal(err)
	}
	_, err = admin.Get(ctx, hook.ID)
	fmt.Println("after delete:", errors.Is(err, webhooks.ErrAdminWebhookNotFound))
	// Output:
	// created 1 https://app.example.com/jira/${project.key}/${issue.key}
	// 1 Issues of TEST [jira:issue_created jira:issue_updated] project = TEST
	// after delete: true
}

func ExampleAdminURL() {
	u, err := webhooks.AdminURL("https://app.example.com/hooks", webhooks.VarProjectKey, webhooks.VarIssueKey)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u)
	// Variables may also go in the query, written by hand.
	fmt.Println("https://app.example.com/hooks?sprint=" + webhooks.VarSprintID.Placeholder())
	// Output:
	// https://app.example.com/hooks/${project.key}/${issue.key}
	// https://app.example.com/hooks?sprint=${sprint.id}
}

// The receiving side of an admin webhook registered with the URL
// https://app.example.com/hooks/${project.key}/${issue.key} and a secret:
// verify the signature, then read the variables back from the request. With
// ExcludeBody the body is empty, and the URL is all there is.
func ExampleURLVariables() {
	const template = "https://app.example.com/hooks/${project.key}/${issue.key}"
	verifier := webhooks.HubSignature([]byte("It's a Secret to Everybody"))

	receive := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if err := verifier.Verify(r, body); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		vars, err := webhooks.URLVariables(r, template)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		fmt.Println("project", vars[webhooks.VarProjectKey], "issue", vars[webhooks.VarIssueKey], "body bytes", len(body))
	})

	// What Jira sends for issue TEST-7 when the webhook excludes the body:
	// the signature of the empty body.
	req := httptest.NewRequest(http.MethodPost, "https://app.example.com/hooks/TEST/TEST-7?user_id=admin", nil)
	req.Header.Set("X-Hub-Signature", "sha256=66a0c074deaa0f489ead6537e0d32f9a344b90bbeda705b6ed45ecd3b413fb40")
	rec := httptest.NewRecorder()
	receive.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// project TEST issue TEST-7 body bytes 0
	// 200
}
