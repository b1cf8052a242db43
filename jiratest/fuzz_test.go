package jiratest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
)

// FuzzRequestBodies sends arbitrary bodies to every endpoint that reads one:
// the server must answer 2xx or 4xx, never 5xx or a dropped connection.
func FuzzRequestBodies(f *testing.F) {
	srv := jiratest.NewServer()
	f.Cleanup(srv.Close)
	app := srv.AddConnectApp("k", []byte("s"))
	srv.AddAdmin("a@example.com", "t")
	c := app.HTTPClient()
	for _, s := range []string{
		`{"url":"https://a.example.com/h","webhooks":[{"events":["jira:issue_created"],"jqlFilter":"project = A"}]}`,
		`{"webhookIds":[1,2,3]}`, `{"webhookIds":null}`, `{}`, `[]`, `null`, `"x"`, `{"url":1}`,
		`{"name":"n","url":"https://a.example.com","events":["x"],"filters":{"issue-related-events-section":"project = A"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, r := range []struct{ method, path string }{
			{"POST", "/rest/api/3/webhook"}, {"DELETE", "/rest/api/2/webhook"},
			{"PUT", "/rest/api/3/webhook/refresh"}, {"POST", "/rest/webhooks/1.0/webhook"},
		} {
			req, err := http.NewRequestWithContext(t.Context(), r.method, srv.URL()+r.path, strings.NewReader(body))
			require.NoError(t, err)
			cl := c
			if strings.HasPrefix(r.path, "/rest/webhooks") {
				req.SetBasicAuth("a@example.com", "t")
				cl = srv.Client()
			}
			resp, err := cl.Do(req)
			require.NoError(t, err, "%s %s", r.method, r.path)
			resp.Body.Close()
			require.Less(t, resp.StatusCode, 500, "%s %s with %q", r.method, r.path, body)
		}
	})
}
