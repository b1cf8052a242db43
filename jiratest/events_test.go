package jiratest_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
)

// TestMatching checks which webhooks an event reaches.
func TestMatching(t *testing.T) {
	t.Parallel()
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
		require.Len(t, ds, 1, "one app, one URL, yet more deliveries")
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
		assert.Equal(t, c.want, matched(jiratest.IssueEvent("jira:issue_created", c.issue)), "%+v matched", c.issue)
	}
	// Events without an issue ignore JQL filters; unregistered events reach nobody.
	assert.Len(t, matched(jiratest.SprintEvent("sprint_started", jiratest.Sprint{ID: 3})), len(filters), "sprint event matched")
	assert.Nil(t, matched(jiratest.IssueEvent("jira:issue_deleted", jiratest.Issue{Key: "PRJ-1"})), "unregistered event matched")
}

func TestFieldAndPropertyFilters(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer()
	defer srv.Close()
	app := srv.AddOAuthApp("c", []byte("s"))
	rc := newReceiver(t, nil)
	ids(t, register(t, srv, app, rc.srv.URL,
		hookDetails{"events": []string{"jira:issue_updated"}, "jqlFilter": "project = PRJ", "fieldIdsFilter": []string{"summary", "customfield_10029"}},
		hookDetails{"events": []string{"issue_property_set"}, "jqlFilter": "project = PRJ", "issuePropertyKeysFilter": []string{"my-key"}},
	))
	is := jiratest.Issue{Key: "PRJ-1"}
	assert.Empty(t, srv.Emit(jiratest.IssueEvent("jira:issue_updated", is).Change("status", "To Do", "Done")), "fieldIdsFilter ignored")
	assert.Len(t, srv.Emit(jiratest.IssueEvent("jira:issue_updated", is).Change("customfield_10029", "", "x")), 1, "fieldIdsFilter did not match a custom field")
	assert.Empty(t, srv.Emit(jiratest.IssuePropertyEvent("issue_property_set", is, "other", 1)), "issuePropertyKeysFilter ignored")
	ds := srv.Emit(jiratest.IssuePropertyEvent("issue_property_set", is, "my-key", map[string]any{"a": 1}))
	require.Len(t, ds, 1, "issuePropertyKeysFilter did not match")
	var cb map[string]any
	_ = json.Unmarshal(ds[0].Body, &cb)
	p, _ := cb["property"].(map[string]any)
	assert.Equal(t, "my-key", p["key"], "property callback %s", ds[0].Body)
}

// obj returns m[key] as a JSON object, failing t if it is none.
func obj(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	o, ok := m[key].(map[string]any)
	require.True(t, ok, "%s is not an object in %v", key, m)
	return o
}

func TestPayloads(t *testing.T) {
	t.Parallel()
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
		require.Len(t, ds, 1, "%s: deliveries", ev.Name)
		var m map[string]any
		require.NoError(t, json.Unmarshal(ds[0].Body, &m))
		assert.Equal(t, float64(at.UnixMilli()), m["timestamp"], "%s: envelope", ev.Name)
		assert.Equal(t, ev.Name, m["webhookEvent"], "%s: envelope", ev.Name)
		assert.NotNil(t, m["matchedWebhookIds"], "%s: envelope", ev.Name)
		return m
	}
	m := body(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "PRJ-12", Summary: "s", Labels: []string{"x"}, Description: "d"}))
	fields := obj(t, obj(t, m, "issue"), "fields")
	assert.Equal(t, "issue_created", m["issue_event_type_name"], "issue callback %v", m)
	assert.NotEqual(t, "", obj(t, m, "user")["accountId"], "issue callback %v", m)
	for k, want := range map[string]any{
		"created":     "2026-02-03T03:05:06.789+0000",
		"updated":     "2026-02-03T04:05:06.789+0000",
		"summary":     "s",
		"description": "d",
	} {
		assert.Equal(t, want, fields[k], "issue callback's %s", k)
	}
	assert.NotNil(t, fields["reporter"], "issue callback %v", m)
	assert.NotNil(t, fields["priority"], "issue callback %v", m)
	assert.Equal(t, "[x]", fmt.Sprint(fields["labels"]), "issue callback %v", m)
	assert.Nil(t, fields["assignee"], "issue callback %v", m)
	assert.Contains(t, fields, "customfield_10029")

	m = body(jiratest.WorklogEvent("worklog_created", jiratest.Issue{Key: "PRJ-3"}, jiratest.Worklog{TimeSpentSeconds: 5400, Comment: "w"}))
	wl := obj(t, m, "worklog")
	assert.Equal(t, "10003", wl["issueId"], "worklog callback %v", m)
	assert.Equal(t, "1h 30m", wl["timeSpent"], "worklog callback %v", m)
	assert.Equal(t, float64(5400), wl["timeSpentSeconds"], "worklog callback %v", m)
	assert.NotEqual(t, "", wl["id"], "worklog callback %v", m)
	assert.Nil(t, m["issue"], "worklog callback %v", m)

	m = body(jiratest.SprintEvent("sprint_updated", jiratest.Sprint{ID: 5, Name: "New"}, jiratest.Sprint{ID: 5, Name: "Old", State: "future"}))
	assert.Equal(t, "New", obj(t, m, "sprint")["name"], "sprint callback %v", m)
	assert.Equal(t, "Old", obj(t, m, "oldValue")["name"], "sprint callback %v", m)
	assert.Equal(t, float64(5), obj(t, m, "sprint")["id"], "sprint callback %v", m)

	m = body(jiratest.VersionMergedEvent(jiratest.Version{ID: "10001", Name: "1.1"}, jiratest.Version{ID: "10002", Name: "2.0"}))
	assert.Equal(t, "10001", obj(t, m, "version")["id"], "merge callback %v", m)
	assert.Equal(t, "10002", obj(t, m, "mergedTo")["id"], "merge callback %v", m)
	m = body(jiratest.VersionEvent("jira:version_released", jiratest.Version{Name: "3.0", Released: true, ReleaseDate: at}))
	v := obj(t, m, "version")
	assert.Equal(t, true, v["released"], "version callback %v", m)
	assert.Equal(t, "2026-02-03", v["releaseDate"], "version callback %v", m)
	assert.Equal(t, float64(10000), v["projectId"], "version callback %v", m)
	// overdue follows the server's clock, not the wall clock.
	for _, c := range []struct {
		release time.Time
		want    bool
	}{{at.Add(24 * time.Hour), false}, {at.Add(-24 * time.Hour), true}} {
		m = body(jiratest.VersionEvent("jira:version_released", jiratest.Version{Name: "3.1", ReleaseDate: c.release}))
		assert.Equal(t, c.want, obj(t, m, "version")["overdue"], "unreleased version due %v at %v: overdue", c.release, at)
	}
	// A custom body, sent as given plus the envelope.
	m = body(jiratest.NewEvent("jira:issue_created", map[string]any{"issue": map[string]any{"key": "CUSTOM-1"}}))
	assert.Equal(t, "CUSTOM-1", obj(t, m, "issue")["key"], "custom callback %v", m)
}

// TestConcurrentUse has 50 goroutines register, list and refresh at once
// while the clock moves and events are emitted, and then checks that the
// state is consistent.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
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
	// The workers report through errs: they run off the test's goroutine.
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ai := w % appsN
			app := apps[ai]
			c := app.HTTPClient()
			for r := range rounds {
				st, _, b, err := do(t.Context(), c, "POST", srv.URL()+"/rest/api/3/webhook", map[string]any{
					"url": urlOf(ai), "webhooks": []any{details(fmt.Sprintf("project = P%d", w), "jira:issue_created")},
				})
				var res regResult
				if err != nil || st != 200 || json.Unmarshal(b, &res) != nil || len(res.WebhookRegistrationResult) != 1 || res.WebhookRegistrationResult[0].CreatedWebhookID == nil {
					errs <- fmt.Errorf("worker %d round %d: register %d %s %v", w, r, st, b, err)
					continue
				}
				id := *res.WebhookRegistrationResult[0].CreatedWebhookID
				got[w] = append(got[w], id)
				st, _, b, err = do(t.Context(), c, "GET", fmt.Sprintf("%s/rest/api/2/webhook?startAt=0&maxResults=7", srv.URL()), nil)
				if err != nil || st != 200 {
					errs <- fmt.Errorf("list %d %s %v", st, b, err)
				}
				st, _, b, err = do(t.Context(), c, "PUT", srv.URL()+"/rest/api/3/webhook/refresh", map[string]any{"webhookIds": got[w]})
				if err != nil || st != 200 {
					errs <- fmt.Errorf("refresh %d %s %v", st, b, err)
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
		assert.NoError(t, err)
	}
	// Ids are unique, and each worker's ids increase.
	seen := map[int64]bool{}
	for w, list := range got {
		assert.Len(t, list, rounds, "worker %d ids %v", w, list)
		assert.True(t, slices.IsSorted(list), "worker %d ids %v", w, list)
		for _, id := range list {
			assert.False(t, seen[id], "id %d twice", id)
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
				assert.Equal(t, urlOf(i), v["url"], "app %d webhook's URL", i)
			}
			next = p.NextPage
		}
		var heldIDs []int64
		for _, h := range held {
			heldIDs = append(heldIDs, h.ID)
			assert.Equal(t, app.Name(), h.App, "webhook %d's owner", h.ID)
		}
		assert.Equal(t, heldIDs, listed, "app %d: listed and held", i)
		assert.Len(t, listed, workers/appsN*rounds, "app %d: listed", i)
	}
	assert.Equal(t, workers*rounds, total, "webhooks")
	assert.Len(t, seen, total, "ids")
	for _, d := range srv.Deliveries() {
		assert.True(t, d.OK(), "delivery %+v", d)
	}
}

// TestSitesShareAClock runs several sites on one clock: advancing it makes
// the due retries of all of them, in time order.
func TestSitesShareAClock(t *testing.T) {
	t.Parallel()
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
	clock.Advance(time.Hour)            // default retries: 5 to 15 minutes later
	retryTime := map[string]time.Time{} // delivery ID -> time of its retry
	for _, s := range sites {
		ds := s.Deliveries()
		require.Len(t, ds, 2, "site deliveries %+v", ds)
		require.True(t, ds[1].OK(), "site deliveries %+v", ds)
		require.Equal(t, 1, ds[1].Attempt, "site deliveries %+v", ds)
		d := ds[1].Time.Sub(ds[0].Time)
		assert.True(t, d >= 5*time.Minute && d < 15*time.Minute, "retry after %v", d)
		retryTime[ds[1].ID] = ds[1].Time
	}
	// The retries reached the receiver in time order, across the sites.
	require.Equal(t, 2*len(sites), flaky.count(), "requests at the receiver")
	var last time.Time
	for i := len(sites); i < flaky.count(); i++ {
		r, _ := flaky.get(i)
		at, ok := retryTime[r.Header.Get("X-Atlassian-Webhook-Identifier")]
		require.True(t, ok, "request %d is no site's retry", i)
		assert.False(t, at.Before(last), "retry %d made at %v, after one made at %v", i, at, last)
		last = at
	}
	assert.True(t, clock.Now().Equal(time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)), "clock at %v", clock.Now())
}
