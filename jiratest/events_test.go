package jiratest_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
)

// TestMatching checks which webhooks an event reaches.
func TestMatching(t *testing.T) {
	srv := jiratest.NewServer()
	defer srv.Close()
	app := srv.AddOAuthApp("c", []byte("s"))
	rc := newReceiver(t, nil)
	filters := []string{
		"project = PRJ",     // 0
		"project IN (A, B)", // 1
		"project NOT IN (A, B) AND issuetype = Bug",    // 2
		"status = \"In Progress\" OR assignee = acc-9", // 3
		"reporter = acc-r",                             // 4
		"issueKey = PRJ-5",                             // 5
		"assignee != acc-9",                            // 6
		"cf[10029] = \"EPIC-1\"",                       // 7
		"issue.property[flags].level = high",           // 8
	}
	var hooks []hookDetails
	for _, f := range filters {
		hooks = append(hooks, details(f, "jira:issue_created", "jira:issue_updated", "sprint_started"))
	}
	all := ids(t, register(t, srv, app, rc.srv.URL, hooks...))
	matched := func(ev *jiratest.Event) []int {
		t.Helper()
		ds := srv.Emit(ev)
		if len(ds) == 0 {
			return nil
		}
		if len(ds) != 1 {
			t.Fatalf("one app, one URL, yet %d deliveries", len(ds))
		}
		var cb struct{ MatchedWebhookIDs []int64 }
		_ = json.Unmarshal(ds[0].Body, &cb)
		var out []int
		for _, id := range cb.MatchedWebhookIDs {
			out = append(out, slices.Index(all, id))
		}
		return out
	}
	cases := []struct {
		issue jiratest.Issue
		want  []int
	}{
		{jiratest.Issue{Key: "PRJ-1", Reporter: &jiratest.User{AccountID: "acc-r"}}, []int{0, 4}},
		{jiratest.Issue{Key: "B-1", Type: "Bug"}, []int{1}},
		{jiratest.Issue{Key: "C-1", Type: "bug", Status: "in progress"}, []int{2, 3}},
		{jiratest.Issue{Key: "PRJ-5", Assignee: &jiratest.User{AccountID: "acc-9"}}, []int{0, 3, 5}},
		{jiratest.Issue{Key: "PRJ-6", Assignee: &jiratest.User{AccountID: "acc-1"}}, []int{0, 6}},
		{jiratest.Issue{Key: "X-1", Fields: map[string]any{"customfield_10029": "EPIC-1"}}, []int{7}},
		{jiratest.Issue{Key: "X-2", Properties: map[string]any{"flags": map[string]any{"level": "high"}}}, []int{8}},
		{jiratest.Issue{Key: "Z-1"}, nil},
	}
	for _, c := range cases {
		if got := matched(jiratest.IssueEvent("jira:issue_created", c.issue)); !slices.Equal(got, c.want) {
			t.Errorf("%+v matched %v, want %v", c.issue, got, c.want)
		}
	}
	// Events without an issue ignore JQL filters; unregistered events reach nobody.
	if got := matched(jiratest.SprintEvent("sprint_started", jiratest.Sprint{ID: 3})); len(got) != len(filters) {
		t.Errorf("sprint event matched %v", got)
	}
	if got := matched(jiratest.IssueEvent("jira:issue_deleted", jiratest.Issue{Key: "PRJ-1"})); got != nil {
		t.Errorf("unregistered event matched %v", got)
	}
}

func TestFieldAndPropertyFilters(t *testing.T) {
	srv := jiratest.NewServer()
	defer srv.Close()
	app := srv.AddOAuthApp("c", []byte("s"))
	rc := newReceiver(t, nil)
	ids(t, register(t, srv, app, rc.srv.URL,
		hookDetails{"events": []string{"jira:issue_updated"}, "jqlFilter": "project = PRJ", "fieldIdsFilter": []string{"summary", "customfield_10029"}},
		hookDetails{"events": []string{"issue_property_set"}, "jqlFilter": "project = PRJ", "issuePropertyKeysFilter": []string{"my-key"}},
	))
	is := jiratest.Issue{Key: "PRJ-1"}
	if ds := srv.Emit(jiratest.IssueEvent("jira:issue_updated", is).Change("status", "To Do", "Done")); len(ds) != 0 {
		t.Error("fieldIdsFilter ignored")
	}
	if ds := srv.Emit(jiratest.IssueEvent("jira:issue_updated", is).Change("customfield_10029", "", "x")); len(ds) != 1 {
		t.Error("fieldIdsFilter did not match a custom field")
	}
	if ds := srv.Emit(jiratest.IssuePropertyEvent("issue_property_set", is, "other", 1)); len(ds) != 0 {
		t.Error("issuePropertyKeysFilter ignored")
	}
	ds := srv.Emit(jiratest.IssuePropertyEvent("issue_property_set", is, "my-key", map[string]any{"a": 1}))
	if len(ds) != 1 {
		t.Fatal("issuePropertyKeysFilter did not match")
	}
	var cb map[string]any
	_ = json.Unmarshal(ds[0].Body, &cb)
	if p, _ := cb["property"].(map[string]any); p["key"] != "my-key" {
		t.Errorf("property callback %s", ds[0].Body)
	}
}

func TestPayloads(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 789e6, time.UTC)
	// Worklog events are not among the dynamic webhook events Jira
	// documents; a test can allow them.
	srv := jiratest.NewServer(jiratest.WithClock(jiratest.NewClock(at)),
		jiratest.WithKnownEvents(append([]string{"worklog_created"}, jiratest.DefaultEvents...)...))
	defer srv.Close()
	app := srv.AddOAuthApp("c", []byte("s"))
	rc := newReceiver(t, nil)
	ids(t, register(t, srv, app, rc.srv.URL, details("project = PRJ", "worklog_created", "sprint_updated",
		"jira:version_deleted", "jira:version_released", "jira:issue_created")))
	body := func(ev *jiratest.Event) map[string]any {
		t.Helper()
		ds := srv.Emit(ev)
		if len(ds) != 1 {
			t.Fatalf("%s: %d deliveries", ev.Name, len(ds))
		}
		var m map[string]any
		if err := json.Unmarshal(ds[0].Body, &m); err != nil {
			t.Fatal(err)
		}
		if m["timestamp"] != float64(at.UnixMilli()) || m["webhookEvent"] != ev.Name || m["matchedWebhookIds"] == nil {
			t.Errorf("%s: envelope %v %v %v", ev.Name, m["timestamp"], m["webhookEvent"], m["matchedWebhookIds"])
		}
		return m
	}
	m := body(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-12", Summary: "s", Labels: []string{"x"}, Description: "d"}))
	fields := m["issue"].(map[string]any)["fields"].(map[string]any)
	if m["issue_event_type_name"] != "issue_created" || m["user"].(map[string]any)["accountId"] == "" ||
		fields["created"] != "2026-02-03T03:05:06.789+0000" || fields["updated"] != "2026-02-03T04:05:06.789+0000" ||
		fields["summary"] != "s" || fields["description"] != "d" || fields["reporter"] == nil || fields["priority"] == nil ||
		fmt.Sprint(fields["labels"]) != "[x]" || fields["assignee"] != nil {
		t.Errorf("issue callback %v", m)
	}
	if _, ok := fields["customfield_10029"]; !ok {
		t.Error("customfield_10029 missing")
	}

	m = body(jiratest.WorklogEvent("worklog_created", jiratest.Issue{Key: "PRJ-3"}, jiratest.Worklog{TimeSpentSeconds: 5400, Comment: "w"}))
	wl := m["worklog"].(map[string]any)
	if wl["issueId"] != "10003" || wl["timeSpent"] != "1h 30m" || wl["timeSpentSeconds"] != float64(5400) || wl["id"] == "" || m["issue"] != nil {
		t.Errorf("worklog callback %v", m)
	}

	m = body(jiratest.SprintEvent("sprint_updated", jiratest.Sprint{ID: 5, Name: "New"}, jiratest.Sprint{ID: 5, Name: "Old", State: "future"}))
	if m["sprint"].(map[string]any)["name"] != "New" || m["oldValue"].(map[string]any)["name"] != "Old" || m["sprint"].(map[string]any)["id"] != float64(5) {
		t.Errorf("sprint callback %v", m)
	}

	m = body(jiratest.VersionMergedEvent(jiratest.Version{ID: "10001", Name: "1.1"}, jiratest.Version{ID: "10002", Name: "2.0"}))
	if m["version"].(map[string]any)["id"] != "10001" || m["mergedTo"].(map[string]any)["id"] != "10002" {
		t.Errorf("merge callback %v", m)
	}
	m = body(jiratest.VersionEvent("jira:version_released", jiratest.Version{Name: "3.0", Released: true, ReleaseDate: at}))
	if v := m["version"].(map[string]any); v["released"] != true || v["releaseDate"] != "2026-02-03" || v["projectId"] != float64(10000) {
		t.Errorf("version callback %v", m)
	}
	// overdue follows the server's clock, not the wall clock.
	for _, c := range []struct {
		release time.Time
		want    bool
	}{{at.Add(24 * time.Hour), false}, {at.Add(-24 * time.Hour), true}} {
		m = body(jiratest.VersionEvent("jira:version_released", jiratest.Version{Name: "3.1", ReleaseDate: c.release}))
		if v := m["version"].(map[string]any); v["overdue"] != c.want {
			t.Errorf("unreleased version due %v at %v: overdue = %v, want %v", c.release, at, v["overdue"], c.want)
		}
	}
	// A custom body, sent as given plus the envelope.
	m = body(jiratest.NewEvent("jira:issue_created", map[string]any{"issue": map[string]any{"key": "CUSTOM-1"}}))
	if m["issue"].(map[string]any)["key"] != "CUSTOM-1" {
		t.Errorf("custom callback %v", m)
	}
}

// TestConcurrentUse has 50 goroutines register, list and refresh at once
// while the clock moves and events are emitted, and then checks that the
// state is consistent.
func TestConcurrentUse(t *testing.T) {
	srv := jiratest.NewServer()
	defer srv.Close()
	rc := newReceiver(t, nil)
	const workers, rounds, appsN = 50, 8, 10
	apps := make([]*jiratest.App, appsN)
	for i := range apps {
		if i%2 == 0 {
			apps[i] = srv.AddOAuthApp(fmt.Sprintf("oauth-%d", i), []byte("s"))
		} else {
			apps[i] = srv.AddConnectApp(fmt.Sprintf("connect-%d", i), []byte("s"))
		}
	}
	urlOf := func(i int) string { return fmt.Sprintf("%s/app/%d", rc.srv.URL, i) }
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	got := make([][]int64, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ai := w % appsN
			app := apps[ai]
			c := app.HTTPClient()
			for r := range rounds {
				st, _, b := call(t, c, "POST", srv.URL()+"/rest/api/3/webhook", map[string]any{
					"url": urlOf(ai), "webhooks": []any{details(fmt.Sprintf("project = P%d", w), "jira:issue_created")},
				})
				var res regResult
				if st != 200 || json.Unmarshal(b, &res) != nil || len(res.WebhookRegistrationResult) != 1 || res.WebhookRegistrationResult[0].CreatedWebhookID == nil {
					errs <- fmt.Errorf("worker %d round %d: register %d %s", w, r, st, b)
					continue
				}
				id := *res.WebhookRegistrationResult[0].CreatedWebhookID
				got[w] = append(got[w], id)
				st, _, b = call(t, c, "GET", fmt.Sprintf("%s/rest/api/2/webhook?startAt=0&maxResults=7", srv.URL()), nil)
				if st != 200 {
					errs <- fmt.Errorf("list %d %s", st, b)
				}
				st, _, b = call(t, c, "PUT", srv.URL()+"/rest/api/3/webhook/refresh", map[string]any{"webhookIds": got[w]})
				if st != 200 {
					errs <- fmt.Errorf("refresh %d %s", st, b)
				}
				if r%3 == 0 {
					srv.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: fmt.Sprintf("P%d-1", w)}))
					srv.Advance(time.Second)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Ids are unique, and each worker's ids increase.
	seen := map[int64]bool{}
	for w, list := range got {
		if len(list) != rounds || !slices.IsSorted(list) {
			t.Errorf("worker %d ids %v", w, list)
		}
		for _, id := range list {
			if seen[id] {
				t.Errorf("id %d twice", id)
			}
			seen[id] = true
		}
	}
	// Every app lists, over HTTP, exactly what the server holds for it,
	// all at its single URL.
	total := 0
	for i, app := range apps {
		held := srv.Webhooks(app)
		total += len(held)
		var listed []int64
		next := srv.URL() + "/rest/api/3/webhook?maxResults=13"
		for next != "" {
			_, _, b := call(t, app.HTTPClient(), "GET", next, nil)
			p := decode[page](t, b)
			for _, v := range p.Values {
				listed = append(listed, int64(v["id"].(float64)))
				if v["url"] != urlOf(i) {
					t.Errorf("app %d webhook at %v", i, v["url"])
				}
			}
			next = p.NextPage
		}
		var heldIDs []int64
		for _, h := range held {
			heldIDs = append(heldIDs, h.ID)
			if h.App != app.Name() {
				t.Errorf("webhook %d owned by %s, listed for %s", h.ID, h.App, app.Name())
			}
		}
		if !slices.Equal(listed, heldIDs) || len(listed) != workers/appsN*rounds {
			t.Errorf("app %d: listed %d, held %d", i, len(listed), len(heldIDs))
		}
	}
	if total != workers*rounds || len(seen) != total {
		t.Errorf("%d webhooks, %d ids, want %d", total, len(seen), workers*rounds)
	}
	for _, d := range srv.Deliveries() {
		if !d.OK() {
			t.Errorf("delivery %+v", d)
		}
	}
}

// TestSitesShareAClock runs several sites on one clock: advancing it makes
// the due retries of all of them, in time order.
func TestSitesShareAClock(t *testing.T) {
	clock := jiratest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var sites []*jiratest.Server
	for i := range 10 {
		s := jiratest.NewServer(jiratest.WithClock(clock), jiratest.WithSeed(uint64(i)))
		defer s.Close()
		sites = append(sites, s)
	}
	flaky := newReceiver(t, func(n int) int {
		if n < 10 {
			return 503
		}
		return 200
	})
	for _, s := range sites {
		app := s.AddOAuthApp("c", []byte("s"))
		ids(t, register(t, s, app, flaky.srv.URL, details("project = PRJ", "jira:issue_created")))
		s.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-1"}))
	}
	clock.Advance(time.Hour) // default retries: 5 to 15 minutes later
	var last time.Time
	for _, s := range sites {
		ds := s.Deliveries()
		if len(ds) != 2 || !ds[1].OK() || ds[1].Attempt != 1 {
			t.Fatalf("site deliveries %+v", ds)
		}
		if d := ds[1].Time.Sub(ds[0].Time); d < 5*time.Minute || d >= 15*time.Minute {
			t.Errorf("retry after %v", d)
		}
		if ds[1].Time.After(last) {
			last = ds[1].Time
		}
	}
	if !clock.Now().Equal(time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("clock at %v", clock.Now())
	}
}
