package jiratest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/jiratest"
)

func TestScriptedFaults(t *testing.T) {
	t.Parallel()
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
		assert.Equal(t, w.status, st, "call %d: status (%s)", i, b)
		assert.Equal(t, w.retryAfter, h.Get("Retry-After"), "call %d: Retry-After", i)
		if st >= 400 {
			wantErrorsAny(t, b)
		}
	}
	// A fault on register registers nothing; other endpoints are unaffected.
	srv.ScriptFaults(jiratest.EndpointRegister, jiratest.Fault500)
	st, _, _ := call(t, c, "POST", list, map[string]any{"url": "https://a.example.com", "webhooks": []any{details("project = A", "jira:issue_created")}})
	assert.Equal(t, 500, st, "faulted register")
	assert.Empty(t, srv.Webhooks(nil), "faulted register registered webhooks")
	st, _, _ = call(t, c, "GET", list, nil)
	assert.Equal(t, 200, st, "list after register fault")
	// A dropped connection.
	srv.ScriptFaults(jiratest.AnyEndpoint, jiratest.FaultDrop)
	req, err := http.NewRequestWithContext(t.Context(), "PUT", list+"/refresh", nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "dropped connection answered")
	st, _, _ = call(t, c, "GET", list, nil)
	assert.Equal(t, 200, st, "after drop")
	// The log shows the faults.
	var kinds []jiratest.FaultKind
	for _, r := range srv.Requests() {
		kinds = append(kinds, r.Fault)
	}
	wantKinds := []jiratest.FaultKind{jiratest.RateLimited, jiratest.InternalError, jiratest.Unavailable, jiratest.Slow,
		jiratest.NoFault, jiratest.InternalError, jiratest.NoFault, jiratest.Drop, jiratest.NoFault}
	assert.Equal(t, wantKinds, kinds, "logged faults")
	r := srv.Requests()
	require.Greater(t, len(r), 7, "requests logged")
	assert.Zero(t, r[7].Status, "dropped request logged as %+v", r[7])
	assert.Equal(t, "/rest/api/3/webhook/refresh", r[7].Path, "dropped request logged as %+v", r[7])
	srv.ScriptFaults(jiratest.EndpointList, jiratest.Fault500)
	srv.ClearFaults()
	st, _, _ = call(t, c, "GET", list, nil)
	assert.Equal(t, 200, st, "after ClearFaults")
}

func TestRandomFaultsReproducible(t *testing.T) {
	t.Parallel()
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
	assert.Equal(t, a, b, "same seed, different faults")
	assert.NotEqual(t, a, c, "different seeds, same faults")
	faults := 0
	for _, st := range a {
		switch st {
		case 200:
		case 429, 500, 503:
			faults++
		default:
			assert.Fail(t, "unexpected status", "%d", st)
		}
	}
	assert.True(t, faults >= 10 && faults <= 40, "%d faults in 60 calls at rates 0.3/0.5", faults)
}
