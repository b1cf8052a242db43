package openapi_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/jirahooks/jirahooks/openapi"
)

// The generated client is the low-level escape hatch: every operation of
// the document, typed, with nothing added (no retries, no size cap, no
// check of next-page URLs). Give it the same *http.Client you give
// webhooks.WithHTTPClient, whose transport carries the credentials, and the
// site's REST API URL.
func ExampleNewClientWithResponses() {
	jira := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"isLast":true,"maxResults":100,"startAt":0,"total":1,"values":[`+
			`{"id":10000,"url":"https://app.example.com/hook","events":["jira:issue_created"],"jqlFilter":"project = PRJ","expirationDate":"2019-06-01T12:42:30.000+0000"}]}`)
	}))
	defer jira.Close()
	httpClient := jira.Client() // in real code: ts.Client() from package auth

	c, err := openapi.NewClientWithResponses(jira.URL+"/rest/api/3", openapi.WithHTTPClient(httpClient))
	if err != nil {
		log.Fatal(err)
	}
	size := int32(100)
	resp, err := c.GetDynamicWebhooksForAppWithResponse(context.Background(), &openapi.GetDynamicWebhooksForAppParams{MaxResults: &size})
	if err != nil {
		log.Fatal(err)
	}
	if resp.JSON200 == nil {
		log.Fatalf("Jira answered %s: %s", resp.Status(), resp.Body)
	}
	for _, w := range resp.JSON200.Values {
		fmt.Println(w.ID, w.Events, w.JQLFilter, w.ExpirationDate.UTC())
	}
	// Output:
	// 10000 [jira:issue_created] project = PRJ 2019-06-01 12:42:30 +0000 UTC
}
