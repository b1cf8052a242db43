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
)

func TestExpandURLEscapesByPosition(t *testing.T) {
	ev := &Event{}
	is := &Issue{ID: "10001", Key: "A B&C"}
	is.Project.Key = "P/Q"
	got := expandURL("https://app.example.com/h/${project.key}/${issue.key}?k=${issue.key}&id=${issue.id}", ev, is)
	want := "https://app.example.com/h/P%2FQ/A%20B&C?k=A+B%26C&id=10001"
	if got != want {
		t.Fatalf("expandURL = %q, want %q", got, want)
	}
	if got := expandURL("https://app.example.com/plain", ev, is); got != "https://app.example.com/plain" {
		t.Fatalf("no variables: %q", got)
	}
}

func TestDeliveryIDsAreUUIDs(t *testing.T) {
	s := NewServer(WithSeed(7))
	defer s.Close()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	s.mu.Lock()
	for range 1000 {
		id := s.newDeliveryID()
		if !re.MatchString(id) || seen[id] {
			s.mu.Unlock()
			t.Fatalf("delivery id %q: not a fresh v4 UUID", id)
		}
		seen[id] = true
	}
	s.mu.Unlock()
}

// TestCloseDropsDeliveryConnections checks that a closed server leaves no
// kept-alive connection open to an app's receiver.
func TestCloseDropsDeliveryConnections(t *testing.T) {
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
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.Emit(IssueEvent("jira:issue_created", Issue{Key: "A-1"}))
	if open.Load() != 1 {
		t.Fatalf("receiver has %d connections open after a delivery, want 1 kept alive", open.Load())
	}
	s.Close()
	for i := 0; open.Load() != 0; i++ {
		if i == 500 {
			t.Fatalf("after Close the receiver still has %d connections from jiratest", open.Load())
		}
		time.Sleep(2 * time.Millisecond) // the receiver notices the close asynchronously
	}
}
