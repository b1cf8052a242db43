package webhooks_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/webhooks"
)

// recordingServer answers every request with reply and records the
// requests it got.
type recordingServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []recorded
	reply func(w http.ResponseWriter, r *http.Request, n int)
}

type recorded struct {
	method, path, query, body string
}

func newRecordingServer(t *testing.T, reply func(w http.ResponseWriter, r *http.Request, n int)) *recordingServer {
	t.Helper()
	s := &recordingServer{reply: reply}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, string(b)})
		n := len(s.reqs)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		s.reply(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *recordingServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func (s *recordingServer) client(t *testing.T, opts ...webhooks.ClientOption) *webhooks.Client {
	t.Helper()
	opts = append([]webhooks.ClientOption{webhooks.WithHTTPClient(s.Client()), webhooks.WithBackoff(time.Millisecond, time.Millisecond)}, opts...)
	c, err := webhooks.NewClient(s.URL, opts...)
	require.NoError(t, err)
	return c
}

// Jira's documented answer of GET /webhook/failed holds two failures,
// maxResults 100 and a next link: a short page that is not the last. The
// Client follows next until a page without values.
func TestListFailedFollowsDocumentedNext(t *testing.T) {
	t.Parallel()
	var srv *recordingServer
	srv = newRecordingServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1: // the documented example, with next on this server
			fmt.Fprintf(w, `{"values":[
				{"id":"1","body":"{\"data\":\"webhook data\"}","url":"https://example.com","failureTime":1573118132000},
				{"id":"2","url":"https://example.com","failureTime":1573540473480}],
				"maxResults":100,
				"next":"%s/rest/api/3/webhook/failed?failedAfter=1573540473480&maxResults=100"}`, srv.URL)
		case 2:
			fmt.Fprintf(w, `{"values":[{"id":"3","url":"https://example.com","failureTime":1573540473999}],
				"maxResults":100,"next":"%s/rest/api/3/webhook/failed?failedAfter=1573540473999&maxResults=100"}`, srv.URL)
		default: // nothing more for now
			fmt.Fprint(w, `{"values":[],"maxResults":100}`)
		}
	})
	p := srv.client(t).ListFailed(&webhooks.FailedOptions{MaxResults: 100})
	var ids []string
	for f, err := range p.All(t.Context()) {
		require.NoError(t, err)
		ids = append(ids, f.ID)
	}
	assert.Equal(t, []string{"1", "2", "3"}, ids)
	var queries []string
	for _, r := range srv.requests() {
		assert.Equal(t, "/rest/api/3/webhook/failed", r.path)
		queries = append(queries, r.query)
	}
	assert.Equal(t, []string{
		"maxResults=100",
		"failedAfter=1573540473480&maxResults=100",
		"failedAfter=1573540473999&maxResults=100",
	}, queries)
	assert.False(t, p.More())
	assert.Equal(t, srv.URL+"/rest/api/3/webhook/failed?failedAfter=1573540473999&maxResults=100", p.Cursor(),
		"the cursor resumes after the last failure")
}

// Answers that make no sense are errors matching ErrUnexpectedResponse,
// never values.
func TestClientRejectsNonsenseAnswers(t *testing.T) {
	t.Parallel()
	register := func(ctx context.Context, c *webhooks.Client) error {
		_, err := c.Register(ctx, "https://app.example/hook", webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = A"})
		return err
	}
	list := func(ctx context.Context, c *webhooks.Client) error {
		_, err := c.List(nil).Next(ctx)
		return err
	}
	failed := func(ctx context.Context, c *webhooks.Client) error {
		_, err := c.ListFailed(nil).Next(ctx)
		return err
	}
	refresh := func(ctx context.Context, c *webhooks.Client) error {
		_, err := c.Refresh(ctx, 1)
		return err
	}
	hook := func(exp string) string {
		return `{"isLast":true,"startAt":0,"maxResults":1,"values":[{"id":1,"url":"u","events":[],"jqlFilter":"x","expirationDate":` + exp + `}]}`
	}
	failure := func(ft string) string {
		return `{"maxResults":1,"values":[{"id":"a","url":"u","failureTime":` + ft + `}]}`
	}
	for _, tc := range []struct {
		name, body string
		call       func(context.Context, *webhooks.Client) error
	}{
		{"createdWebhookId 0", `{"webhookRegistrationResult":[{"createdWebhookId":0}]}`, register},
		{"createdWebhookId negative", `{"webhookRegistrationResult":[{"createdWebhookId":-3}]}`, register},
		{"an ID and errors", `{"webhookRegistrationResult":[{"createdWebhookId":7,"errors":["no"]}]}`, register},
		{"not JSON", `<html>`, register},
		{"negative startAt", `{"isLast":true,"startAt":-1,"values":[]}`, list},
		{"negative maxResults", `{"isLast":true,"startAt":0,"maxResults":-1,"values":[]}`, list},
		{"negative expirationDate", hook(`-1`), list},
		{"expirationDate before 2000", hook(`"1999-12-31T23:59:59.000+0000"`), list},
		{"expirationDate after 2200", hook(`"2200-01-02T00:00:00.000+0000"`), list},
		{"negative failureTime", failure(`-1`), failed},
		{"failureTime 0", failure(`0`), failed},
		{"failureTime after 2200", failure(`7258204800000`), failed},
		{"negative failed maxResults", `{"maxResults":-1,"values":[]}`, failed},
		{"refresh: negative expirationDate", `{"expirationDate":-1}`, refresh},
		{"refresh: expirationDate before 2000", `{"expirationDate":"1970-01-01T00:00:00.000+0000"}`, refresh},
		{"refresh: expirationDate after 2200", `{"expirationDate":7258204800000}`, refresh},
		{"refresh: no expirationDate", `{}`, refresh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newRecordingServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { io.WriteString(w, tc.body) })
			err := tc.call(t.Context(), srv.client(t))
			require.ErrorIs(t, err, webhooks.ErrUnexpectedResponse)
			assert.Len(t, srv.requests(), 1, "a nonsense answer is not retried")
		})
	}

	// The same shapes with sensible values are accepted.
	for _, tc := range []struct {
		name, body string
		call       func(context.Context, *webhooks.Client) error
	}{
		{"createdWebhookId", `{"webhookRegistrationResult":[{"createdWebhookId":7}]}`, register},
		{"refused", `{"webhookRegistrationResult":[{"errors":["no"]}]}`, register},
		{"expirationDate", hook(`"2019-06-01T12:42:30.000+0000"`), list},
		{"failureTime", failure(`1573118132000`), failed},
		{"refresh", `{"expirationDate":1559392950000}`, refresh},
	} {
		t.Run("ok/"+tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newRecordingServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { io.WriteString(w, tc.body) })
			assert.NoError(t, tc.call(t.Context(), srv.client(t)))
		})
	}
}

// Retries happen in the transport under the generated client: an
// idempotent call with a body sends the same body again; Register is sent
// once.
func TestClientRetriesResendTheBody(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	flaky := func(ok string) func(w http.ResponseWriter, _ *http.Request, n int) {
		return func(w http.ResponseWriter, _ *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, ok)
		}
	}

	srv := newRecordingServer(t, flaky(`{"expirationDate":"2019-06-01T12:42:30.000+0000"}`))
	_, err := srv.client(t).Refresh(ctx, 10, 11)
	require.NoError(t, err)
	reqs := srv.requests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		assert.Equal(t, http.MethodPut, r.method)
		assert.JSONEq(t, `{"webhookIds":[10,11]}`, r.body)
	}

	srv = newRecordingServer(t, flaky(``))
	require.NoError(t, srv.client(t).Delete(ctx, 12))
	reqs = srv.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, reqs[0], reqs[1])

	srv = newRecordingServer(t, flaky(`{"webhookRegistrationResult":[{"createdWebhookId":1}]}`))
	_, err = srv.client(t).Register(ctx, "https://app.example/hook", webhooks.Details{Events: []webhooks.EventName{webhooks.IssueCreated}, JQLFilter: "project = A"})
	var apiErr *webhooks.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	assert.Len(t, srv.requests(), 1, "Register is never retried")
}

// Every request to Jira is built by the generated clients: no non-test
// file of the package builds one by hand.
func TestNoHandBuiltRequests(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	// handBuilt lists the places in src that call http.NewRequest*.
	handBuilt := func(name string, src []byte) []string {
		t.Helper()
		f, err := parser.ParseFile(fset, name, src, 0)
		require.NoError(t, err)
		var found []string
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "http" && strings.HasPrefix(sel.Sel.Name, "NewRequest") {
				found = append(found, fmt.Sprintf("%s: http.%s", fset.Position(sel.Pos()), sel.Sel.Name))
			}
			return true
		})
		return found
	}
	// The check sees a hand-built request.
	require.Len(t, handBuilt("probe.go", []byte("package p\nimport \"net/http\"\nvar r, _ = http.NewRequestWithContext(nil, \"GET\", \"/\", nil)\n")), 1,
		"the check finds http.NewRequestWithContext")

	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var checked int
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		assert.Empty(t, handBuilt(name, src), "build requests with the generated clients (package openapi)")
		checked++
	}
	require.NotZero(t, checked, "no non-test file of the package found in %v", files)
}

// An admin webhook's description goes to Jira when set, is left out when
// empty, and is read back from Jira's answer.
func TestAdminWebhookDescription(t *testing.T) {
	t.Parallel()
	srv := newRecordingServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"self":"https://x/rest/webhooks/1.0/webhook/5","name":"n","description":"for the CI","url":"https://ci.example/h","events":[]}`)
	})
	a := srv.client(t).Admin()
	got, err := a.Create(t.Context(), webhooks.AdminWebhook{Name: "n", Description: "for the CI", URL: "https://ci.example/h"})
	require.NoError(t, err)
	assert.Equal(t, "for the CI", got.Description)
	assert.Equal(t, int64(5), got.ID)

	_, err = a.Create(t.Context(), webhooks.AdminWebhook{Name: "n", URL: "https://ci.example/h"})
	require.NoError(t, err)
	reqs := srv.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, http.MethodPost, reqs[0].method)
	assert.Equal(t, "/rest/webhooks/1.0/webhook", reqs[0].path)
	assert.JSONEq(t, `{"name":"n","description":"for the CI","url":"https://ci.example/h","events":[],"filters":{},"excludeBody":false,"enabled":true}`, reqs[0].body)
	assert.JSONEq(t, `{"name":"n","url":"https://ci.example/h","events":[],"filters":{},"excludeBody":false,"enabled":true}`, reqs[1].body)
}
