package jiratest

import (
	"regexp"
	"testing"
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
