package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/webhooks"
)

// receiver is a webhooks.Handler behind a loopback server that keeps what
// it accepted.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []*webhooks.Event
	status []int
}

func newReceiver(t *testing.T, v webhooks.Verifier) *receiver {
	t.Helper()
	rc := &receiver{}
	h := webhooks.NewHandler(v)
	h.OnAny(func(_ context.Context, ev *webhooks.Event) error {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.events = append(rc.events, ev)
		return nil
	})
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rw, r)
		rc.mu.Lock()
		rc.status = append(rc.status, rw.status)
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (rc *receiver) accepted() []*webhooks.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*webhooks.Event(nil), rc.events...)
}

func TestTriggerSignsAsJira(t *testing.T) {
	t.Parallel()
	const secret = "trigger-secret-do-not-print"
	connect := func(key string) webhooks.Verifier {
		return webhooks.ConnectJWT(func(clientKey string) ([]byte, error) {
			if clientKey != key {
				return nil, fmt.Errorf("%w: %q", webhooks.ErrUnknownTenant, clientKey)
			}
			return []byte(secret), nil
		})
	}
	for _, tc := range []struct {
		name     string
		verifier webhooks.Verifier
		flags    []string
		forged   []string
		tenant   string
		ids      []int64
	}{
		{"admin webhook", webhooks.HubSignature([]byte(secret)), []string{"--secret", secret}, []string{"--secret", "wrong-secret"}, "", nil},
		{"OAuth 2.0 app", webhooks.OAuthJWT([]byte(secret)), []string{"--client-secret", secret, "--webhook-id", "10042"}, []string{"--client-secret", "wrong-secret"}, "", []int64{10042}},
		{"Connect app", connect("my-app"), []string{"--shared-secret", secret, "--app-key", "my-app"}, []string{"--shared-secret", "wrong-secret", "--app-key", "my-app"}, "my-app", []int64{10000}},
		{"Connect installation", connect("inst-1"), []string{"--shared-secret", secret, "--app-key", "my-app", "--client-key", "inst-1"}, []string{"--shared-secret", secret, "--app-key", "my-app"}, "inst-1", []int64{10000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, tc.verifier)
			to := rc.srv.URL + "/hooks/jira?tenant=x"
			r := jh(t, nil, "", append([]string{"trigger", "jira:issue_updated", "--to", to, "--issue", "ABC-9"}, tc.flags...)...)
			require.Equal(t, exitOK, r.code, "%s%s", r.stdout, r.stderr)
			assert.Regexp(t, `^200 OK  delivery [0-9a-f-]{36}\n$`, r.stdout)
			evs := rc.accepted()
			require.Len(t, evs, 1)
			ev := evs[0]
			assert.Equal(t, webhooks.IssueUpdated, ev.Name)
			require.NotNil(t, ev.Issue)
			assert.Equal(t, "ABC-9", ev.Issue.Key)
			assert.Equal(t, tc.ids, ev.MatchedWebhookIDs)
			assert.Equal(t, 0, ev.Delivery.Retry)
			assert.Equal(t, "Primary", ev.Delivery.Flow)
			assert.Equal(t, tc.tenant, ev.Delivery.Tenant)
			assert.NotContains(t, r.stdout+r.stderr, secret)

			r = jh(t, nil, "", append([]string{"trigger", "jira:issue_updated", "--to", to}, tc.forged...)...)
			assert.Equal(t, exitFailure, r.code)
			assert.Contains(t, r.stdout, "401 Unauthorized")
			assert.Len(t, rc.accepted(), 1, "a forged delivery reached the callback")

			r = jh(t, nil, "", "trigger", "jira:issue_updated", "--to", to)
			assert.Equal(t, exitFailure, r.code, "unsigned")
		})
	}
}

func TestTriggerRepeatKeepsTheIdentifier(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, webhooks.HubSignature([]byte("s3cret-value")))
	r := jh(t, nil, "", "trigger", "comment_created", "--to", rc.srv.URL, "--secret", "s3cret-value", "--repeat", "2")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	assert.Contains(t, lines[1], "(retry 1)")
	assert.Contains(t, lines[2], "(retry 2)")
	evs := rc.accepted()
	require.Len(t, evs, 1, "the handler drops the repeats as duplicates")
	assert.Equal(t, strings.Fields(lines[0])[3], evs[0].Delivery.ID)
	assert.Equal(t, []int{200, 200, 200}, rc.status)
}

func TestTriggerOwnBody(t *testing.T) {
	t.Parallel()
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		http.Error(w, "boom\nsecond line", http.StatusInternalServerError)
	}))
	defer srv.Close()
	body := `{"webhookEvent": "comment_deleted", "timestamp": 1700000000000, "comment": {"id": "7"}}`
	file := filepath.Join(t.TempDir(), "body.json")
	require.NoError(t, os.WriteFile(file, []byte(body), 0o600))

	r := jh(t, nil, "", "trigger", "--body", "@"+file, "--to", srv.URL, "--json")
	assert.Equal(t, exitFailure, r.code, "a 500 answer")
	assert.Equal(t, body, string(got), "the body is sent byte for byte")
	assert.JSONEq(t, `{"event": "comment_deleted", "to": "`+srv.URL+`", "signing": "unsigned",
		"answers": [{"delivery": "`+jsonField(t, r.stdout, "delivery")+`", "retry": 0, "status": 500, "answer": "boom"}]}`, r.stdout)
	assert.Contains(t, r.stderr, "did not answer 2xx")

	r = jh(t, nil, "", "trigger", "jira:issue_created", "--body", body, "--to", srv.URL)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `the body's webhookEvent is "comment_deleted"`)
}

// jsonField returns the first string value of key in a JSON text.
func jsonField(t *testing.T, s, key string) string {
	t.Helper()
	_, after, ok := strings.Cut(s, `"`+key+`": "`)
	require.True(t, ok, "no %s in %s", key, s)
	v, _, _ := strings.Cut(after, `"`)
	return v
}

func TestTriggerUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"trigger", "jira:issue_updated"}, "give the receiver's URL with --to"},
		{[]string{"trigger", "jira:issue_updated", "--to", "127.0.0.1:8080"}, "give an http or https URL"},
		{[]string{"trigger", "--to", "http://127.0.0.1:1/"}, "which event?"},
		{[]string{"trigger", "jira:issue_create", "--to", "http://127.0.0.1:1/"}, `unknown event "jira:issue_create": did you mean "jira:issue_created"?`},
		{[]string{"trigger", "jira:issue_create", "--to", "http://127.0.0.1:1/", "--allow-unknown-events"}, "no sample payload"},
		{[]string{"trigger", "project_created", "--to", "http://127.0.0.1:1/"}, "send your own with --body @file"},
		{[]string{"trigger", "jira:issue_updated", "--to", "http://127.0.0.1:1/", "--secret", "a", "--client-secret", "b"}, "more than one signature"},
		{[]string{"trigger", "jira:issue_updated", "--to", "http://127.0.0.1:1/", "--app-key", "k"}, "go with --shared-secret"},
		{[]string{"trigger", "jira:issue_updated", "--to", "http://127.0.0.1:1/", "--shared-secret", "s"}, "needs --app-key"},
		{[]string{"trigger", "jira:issue_updated", "--to", "http://127.0.0.1:1/", "--repeat", "-1"}, "cannot be negative"},
		{[]string{"trigger", "jira:issue_updated", "--to", "http://127.0.0.1:1/", "--body", "{"}, "is not a Jira callback"},
		{[]string{"trigger", "a", "b", "--to", "http://127.0.0.1:1/"}, "one event at a time"},
	} {
		r := jh(t, nil, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.says, "%v", tc.args)
	}
}

func TestTriggerReadsTheEnvironment(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, webhooks.OAuthJWT([]byte(oauthSecret)))
	env := map[string]string{"JIRA_CLIENT_SECRET": oauthSecret, "JIRA_SHARED_SECRET": connectSecret, "JIRA_APP_KEY": "k", "JIRA_AUTH": "oauth"}
	r := jh(t, env, "", "trigger", "jira:issue_created", "--to", rc.srv.URL)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, rc.accepted(), 1)
	delete(env, "JIRA_AUTH")
	r = jh(t, env, "", "trigger", "jira:issue_created", "--to", rc.srv.URL)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "JIRA_AUTH picks")
}
