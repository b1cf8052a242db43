package jiratest

import "testing"

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
