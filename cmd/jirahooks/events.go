package main

import (
	"slices"

	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

// knownEvents are the event names Jira documents: every admin webhook
// event and the dynamic webhook events (which add the sprint and version
// events of 2026).
func knownEvents() []string {
	var out []string
	for _, e := range webhooks.AdminEvents() {
		out = append(out, string(e))
	}
	for _, e := range append(jiratest.DefaultEvents, string(webhooks.VersionMerged)) {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// checkEvents refuses event names Jira does not know, before anything is
// sent, naming the closest known one; allow (--allow-unknown-events) lets
// them through for events newer than this tool.
func checkEvents(events []string, allow bool) error {
	if allow {
		return nil
	}
	known := knownEvents()
	for _, e := range events {
		if e == "*" || slices.Contains(known, e) {
			continue
		}
		return usagef("unknown event %q: did you mean %q? (pass --allow-unknown-events to send it anyway)", e, closest(e, known))
	}
	return nil
}

// closest returns the candidate with the smallest edit distance to s.
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if d := editDistance(s, c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
