package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jirahooks/jirahooks/webhooks"
)

// report prints the demo's steps and remembers which checks failed.
type report struct {
	w      io.Writer
	steps  int
	failed []string
}

// step starts the next numbered step.
func (r *report) step(title string) {
	r.steps++
	fmt.Fprintf(r.w, "\n%d. %s\n", r.steps, title)
}

// check prints a line marked ✓ if ok, ✗ if not, and returns ok.
func (r *report) check(ok bool, format string, a ...any) bool {
	msg := fmt.Sprintf(format, a...)
	mark := "✓"
	if !ok {
		mark = "✗"
		r.failed = append(r.failed, fmt.Sprintf("step %d: %s", r.steps, msg))
	}
	fmt.Fprintf(r.w, "   %s %s\n", mark, msg)
	return ok
}

// note prints an indented line that checks nothing.
func (r *report) note(format string, a ...any) {
	fmt.Fprintf(r.w, "     "+format+"\n", a...)
}

// done prints the verdict and returns an error if any check failed.
func (r *report) done() error {
	if len(r.failed) == 0 {
		fmt.Fprintf(r.w, "\nAll %d steps behaved as expected.\n", r.steps)
		return nil
	}
	fmt.Fprintf(r.w, "\n%d check(s) failed:\n", len(r.failed))
	for _, f := range r.failed {
		fmt.Fprintf(r.w, "  - %s\n", f)
	}
	return fmt.Errorf("%d check(s) failed", len(r.failed))
}

// ids shows webhook IDs as "10000, 10001".
func ids(list []int64) string {
	s := make([]string, len(list))
	for i, id := range list {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

// listByPages lists the app's webhooks, size per page, noting each page's
// IDs, and returns all the IDs.
func listByPages(ctx context.Context, client *webhooks.Client, size int, rep *report) ([]int64, error) {
	pager := client.List(&webhooks.ListOptions{MaxResults: size})
	var listed []int64
	for page := 1; pager.More(); page++ {
		hooks, err := pager.Next(ctx)
		if err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		var got []int64
		for _, h := range hooks {
			got = append(got, h.ID)
		}
		rep.note("page %d: %s", page, ids(got))
		listed = append(listed, got...)
	}
	return listed, nil
}
