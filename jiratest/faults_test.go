package jiratest_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jirahooks/jirahooks/jiratest"
)

func TestScriptedFaults(t *testing.T) {
	srv := jiratest.NewServer()
	defer srv.Close()
	app := srv.AddOAuthApp("c", []byte("s"))
	c := app.HTTPClient()
	list := srv.URL() + "/rest/api/3/webhook"
	srv.ScriptFaults(jiratest.EndpointList,
		jiratest.Fault{Kind: jiratest.RateLimited, RetryAfter: 2 * time.Second},
		jiratest.Fault500,
		jiratest.Fault{Kind: jiratest.Unavailable, RetryAfter: 1500 * time.Millisecond},
		jiratest.Fault{Kind: jiratest.Slow, Delay: time.Millisecond},
	)
	want := []struct {
		status     int
		retryAfter string
	}{{429, "2"}, {500, ""}, {503, "2"}, {200, ""}, {200, ""}}
	for i, w := range want {
		st, h, b := call(t, c, "GET", list, nil)
		if st != w.status || h.Get("Retry-After") != w.retryAfter {
			t.Errorf("call %d: %d Retry-After %q (%s), want %d %q", i, st, h.Get("Retry-After"), b, w.status, w.retryAfter)
		}
		if st >= 400 {
			wantErrorsAny(t, b)
		}
	}
	// A fault on register registers nothing; other endpoints are unaffected.
	srv.ScriptFaults(jiratest.EndpointRegister, jiratest.Fault500)
	st, _, _ := call(t, c, "POST", list, map[string]any{"url": "https://a.example.com", "webhooks": []any{details("project = A", "jira:issue_created")}})
	if st != 500 || len(srv.Webhooks(nil)) != 0 {
		t.Errorf("faulted register: %d, %d webhooks", st, len(srv.Webhooks(nil)))
	}
	if st, _, _ := call(t, c, "GET", list, nil); st != 200 {
		t.Errorf("list after register fault: %d", st)
	}
	// A dropped connection.
	srv.ScriptFaults(jiratest.AnyEndpoint, jiratest.FaultDrop)
	req, _ := http.NewRequest("PUT", list+"/refresh", nil)
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped connection answered %d", resp.StatusCode)
	}
	if st, _, _ := call(t, c, "GET", list, nil); st != 200 {
		t.Errorf("after drop: %d", st)
	}
	// The log shows the faults.
	var kinds []jiratest.FaultKind
	for _, r := range srv.Requests() {
		kinds = append(kinds, r.Fault)
	}
	wantKinds := []jiratest.FaultKind{jiratest.RateLimited, jiratest.InternalError, jiratest.Unavailable, jiratest.Slow,
		jiratest.NoFault, jiratest.InternalError, jiratest.NoFault, jiratest.Drop, jiratest.NoFault}
	if !slices.Equal(kinds, wantKinds) {
		t.Errorf("logged faults %v, want %v", kinds, wantKinds)
	}
	if r := srv.Requests(); r[7].Status != 0 || r[7].Path != "/rest/api/3/webhook/refresh" {
		t.Errorf("dropped request logged as %+v", r[7])
	}
	srv.ScriptFaults(jiratest.EndpointList, jiratest.Fault500)
	srv.ClearFaults()
	if st, _, _ := call(t, c, "GET", list, nil); st != 200 {
		t.Errorf("after ClearFaults: %d", st)
	}
}

func TestRandomFaultsReproducible(t *testing.T) {
	run := func(seed uint64) []int {
		srv := jiratest.NewServer(jiratest.WithSeed(seed))
		defer srv.Close()
		srv.SetFaultRate(jiratest.AnyEndpoint, 0.3)
		srv.SetFaultRate(jiratest.EndpointRefresh, 0.5, jiratest.Fault429)
		app := srv.AddOAuthApp("c", []byte("s"))
		var out []int
		for i := range 60 {
			var st int
			if i%2 == 0 {
				st, _, _ = call(t, app.HTTPClient(), "GET", srv.URL()+"/rest/api/3/webhook", nil)
			} else {
				st, _, _ = call(t, app.HTTPClient(), "PUT", srv.URL()+"/rest/api/3/webhook/refresh", map[string]any{"webhookIds": []int64{}})
			}
			out = append(out, st)
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("different seeds, same faults: %v", a)
	}
	faults := 0
	for _, st := range a {
		switch st {
		case 200:
		case 429, 500, 503:
			faults++
		default:
			t.Errorf("status %d", st)
		}
	}
	if faults < 10 || faults > 40 {
		t.Errorf("%d faults in 60 calls at rates 0.3/0.5", faults)
	}
}
