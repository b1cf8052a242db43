package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

// syncBuffer is an output a running command writes to while the test reads
// it.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the output matches re and returns the first match's
// groups. The deadline only guards against a hang.
func (s *syncBuffer) waitFor(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	guard := time.After(30 * time.Second)
	for {
		s.mu.Lock()
		m := rx.FindStringSubmatch(s.b.String())
		ch := s.changed
		s.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-ch:
		case <-guard:
			require.FailNow(t, "output never matched", "%q:\n%s", re, s.String())
		}
	}
}

// background runs a long-running command until stop is called, which
// returns its exit code.
func background(t *testing.T, env map[string]string, args ...string) (stdout, stderr *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stderr = newSyncBuffer(), newSyncBuffer()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, args, strings.NewReader(""), stdout, stderr, func(k string) string { return env[k] })
	}()
	var once sync.Once
	var c int
	stop = func() int {
		once.Do(func() { cancel(); c = <-code })
		return c
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, stop
}

func TestListenVerifiesAndPrints(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	stdout, stderr, stop := background(t, nil, "listen", "--addr", "127.0.0.1:0", "--path", "/jira/events", "--client-secret", oauthSecret)
	addr := stderr.waitFor(t, `listening on (http://\S+/jira/events), verifying OAuth 2.0 JWTs`)[1]

	// Jira delivers a signed event to the listener.
	jh(t, s.oauthEnv(), "", "register", "--url", addr, "--events", "jira:issue_updated", "--jql", "project = ABC").want(t, exitOK)
	sent := s.jira.Emit(jiratest.IssueEvent("jira:issue_updated", jiratest.Issue{Key: "ABC-12", Summary: "Login fails"}).
		Change("status", "To Do", "Done"))
	require.Len(t, sent, 1, "delivery: %+v", sent)
	require.Equal(t, http.StatusOK, sent[0].Status, "delivery: %+v", sent)
	line := stdout.waitFor(t, `jira:issue_updated  ABC-12 "Login fails"  status: To Do → Done.*\[delivery (\S+), webhook \d+\]`)
	assert.Equal(t, sent[0].ID, line[1], "printed delivery")

	// A forged delivery is refused, and so reported.
	req, err := webhookstest.NewClientRequest(addr, webhookstest.Payload("issue_updated"), webhookstest.OAuth{ClientSecret: []byte("guess")})
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "forged delivery answered")
	stderr.waitFor(t, `REFUSED 401 from \S+: webhooks: invalid signature`)

	// A retry of a delivery already handled is dropped, and so reported.
	for retry := range 2 {
		req, err := webhookstest.NewClientRequest(addr, webhookstest.Payload("issue_updated"), webhookstest.OAuth{ClientSecret: []byte(oauthSecret)})
		require.NoError(t, err)
		webhookstest.SetDelivery(req, "delivery-42", retry)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	stderr.waitFor(t, `duplicate of delivery delivery-42 \(retry 1\), dropped`)
	assert.Equal(t, 1, strings.Count(stdout.String(), "delivery delivery-42"), "times delivery-42 was printed:\n%s", stdout.String())

	assert.Equal(t, exitOK, stop(), "listen's exit code after Ctrl-C")
}

func TestListenJSON(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	env := map[string]string{"JIRA_SHARED_SECRET": connectSecret} // the verifier from the environment
	stdout, stderr, stop := background(t, env, "listen", "--addr", "127.0.0.1:0", "--json")
	addr := stderr.waitFor(t, `listening on (http://\S+/), verifying Connect JWTs`)[1]
	jh(t, s.connectEnv(), "", "register", "--url", addr+"hooks", "--events", "comment_created", "--jql", "project = ABC").want(t, exitOK)
	sent := s.jira.Emit(jiratest.CommentEvent("comment_created", jiratest.Issue{Key: "ABC-3"}, jiratest.Comment{Body: "Looks good"}))
	require.Len(t, sent, 1, "delivery: %+v", sent)
	require.True(t, sent[0].OK(), "delivery: %+v", sent)
	line := stdout.waitFor(t, `(?m)^(\{.*\})$`)[1]
	stop()
	var got eventJSON
	require.NoError(t, json.Unmarshal([]byte(line), &got), "listen --json line is not JSON:\n%s", line)
	assert.Equal(t, "comment_created", got.Event, "listen --json = %+v", got)
	assert.Equal(t, sent[0].ID, got.Delivery, "listen --json = %+v", got)
	assert.Equal(t, s.connect.ClientKey(), got.Tenant, "listen --json = %+v", got)
	assert.JSONEq(t, string(sent[0].Body), string(got.Body), "body differs from what Jira sent")
}

func TestListenUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"listen"}, "how should deliveries be verified"},
		{[]string{"listen", "--secret", "a", "--client-secret", "b"}, "more than one way"},
		{[]string{"listen", "--no-verify", "--path", "jira"}, "must start with /"},
	} {
		r := jh(t, nil, "", tc.args...).want(t, exitUsage)
		assert.Contains(t, r.stderr, tc.want, "%v", tc.args)
	}
	// An address in use is an error that says what to do.
	_, stderr, _ := background(t, nil, "listen", "--addr", "127.0.0.1:0", "--no-verify")
	addr := stderr.waitFor(t, `listening on http://(\S+)/,`)[1]
	r := jh(t, nil, "", "listen", "--addr", addr, "--no-verify").want(t, exitUsage)
	assert.Contains(t, r.stderr, "another program listens on")
	assert.NotContains(t, r.stderr, "Jira")
}
