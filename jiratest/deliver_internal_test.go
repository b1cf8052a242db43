package jiratest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpandURLEscapesByPosition(t *testing.T) {
	t.Parallel()
	ev := &Event{}
	is := &Issue{ID: "10001", Key: "A B&C"}
	is.Project.Key = "P/Q"
	got := expandURL("https://app.example.com/h/${project.key}/${issue.key}?k=${issue.key}&id=${issue.id}", ev, is)
	assert.Equal(t, "https://app.example.com/h/P%2FQ/A%20B&C?k=A+B%26C&id=10001", got, "expandURL")
	assert.Equal(t, "https://app.example.com/plain", expandURL("https://app.example.com/plain", ev, is), "no variables")
}

func TestDeliveryIDsAreUUIDs(t *testing.T) {
	t.Parallel()
	s := NewServer(WithSeed(7))
	defer s.Close()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	s.mu.Lock()
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = s.newDeliveryID()
	}
	s.mu.Unlock()
	for _, id := range ids {
		require.Regexp(t, re, id, "delivery id: not a v4 UUID")
		require.False(t, seen[id], "delivery id %q: not fresh", id)
		seen[id] = true
	}
}

// TestCloseDropsDeliveryConnections checks that a closed server leaves no
// kept-alive connection open to an app's receiver.
func TestCloseDropsDeliveryConnections(t *testing.T) {
	t.Parallel()
	var open atomic.Int64
	recv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	recv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	recv.Start()
	defer recv.Close()

	s := NewServer()
	app := s.AddOAuthApp("app", []byte("secret"))
	body := `{"url":"` + recv.URL + `/hooks","webhooks":[{"events":["jira:issue_created"],"jqlFilter":"project = A"}]}`
	resp, err := app.HTTPClient().Post(s.URL()+"/rest/api/3/webhook", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	s.Emit(IssueEvent("jira:issue_created", Issue{Key: "A-1"}))
	require.Equal(t, int64(1), open.Load(), "receiver's connections open after a delivery: want 1 kept alive")
	s.Close()
	for i := 0; open.Load() != 0; i++ {
		require.Less(t, i, 500, "after Close the receiver still has %d connections from jiratest", open.Load())
		time.Sleep(2 * time.Millisecond) // the receiver notices the close asynchronously
	}
}
