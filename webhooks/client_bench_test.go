package webhooks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/openapi"
	"github.com/jirahooks/jirahooks/webhooks"
)

// The client benchmarks time each call through the Client (sub-benchmark
// jirahooks: the generated client, the doer's guards and retries, error
// handling, paging and conversion) and by hand with net/http and
// encoding/json into the same wire types (nethttp), against a loopback
// server. The ratio of the two is the Client's overhead.
//
// The checks of each call run inside the timed loops, so they stay behind a
// plain if and call require only once they have failed: require marks
// itself a test helper on every call, a cost (and, with a message's
// arguments, allocations) the loops would otherwise measure.

// benchPair runs the jirahooks and nethttp sub-benchmarks of one call.
// Each gets its own server answering body, and is warmed up (a connection
// open, a settled heap) before its loop, so neither gains from running
// second.
func benchPair(b *testing.B, body string, jirahooks func(b *testing.B, c *webhooks.Client), nethttp func(b *testing.B, hc *http.Client, base string)) {
	server := func(b *testing.B) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
		}))
		b.Cleanup(srv.Close)
		return srv
	}
	warm := func(op func()) {
		for range 100 {
			op()
		}
		runtime.GC()
	}
	b.Run("jirahooks", func(b *testing.B) {
		srv := server(b)
		c, err := webhooks.NewClient(srv.URL, webhooks.WithHTTPClient(srv.Client()))
		require.NoError(b, err)
		warm(func() { jirahooks(b, c) })
		b.ReportAllocs()
		for b.Loop() {
			jirahooks(b, c)
		}
	})
	b.Run("nethttp", func(b *testing.B) {
		srv := server(b)
		hc := srv.Client()
		warm(func() { nethttp(b, hc, srv.URL) })
		b.ReportAllocs()
		for b.Loop() {
			nethttp(b, hc, srv.URL)
		}
	})
}

// nethttpJSON sends one hand-written net/http request with an optional
// JSON body and decodes the 200 answer into out.
func nethttpJSON(b *testing.B, hc *http.Client, method, url string, in, out any) {
	var rd io.Reader
	if in != nil {
		body, err := json.Marshal(in)
		if err != nil {
			require.NoError(b, err, "encoding the request")
		}
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(b.Context(), method, url, rd)
	if err != nil {
		require.NoError(b, err, "NewRequest")
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		require.NoError(b, err, "%s %s", method, url)
	}
	if resp.StatusCode != http.StatusOK {
		require.Equal(b, http.StatusOK, resp.StatusCode, "%s %s: %s", method, url, resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(out)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		require.NoError(b, err, "decoding the answer")
	}
}

// BenchmarkClientList lists one page of 50 webhooks.
func BenchmarkClientList(b *testing.B) {
	const n = 50
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf(`{"id":%d,"url":"https://app.example.com/hook","events":["jira:issue_updated","jira:issue_created"],`+
			`"expirationDate":"2019-06-01T12:42:30.000+0000","fieldIdsFilter":["summary","customfield_10029"],"jqlFilter":"project = PRJ"}`, 10000+i)
	}
	body := fmt.Sprintf(`{"isLast":true,"maxResults":%d,"startAt":0,"total":%d,"values":[%s]}`, n, n, strings.Join(vals, ","))
	ctx := b.Context()
	benchPair(b, body, func(b *testing.B, c *webhooks.Client) {
		got := 0
		for _, err := range c.List(&webhooks.ListOptions{MaxResults: n}).All(ctx) {
			if err != nil {
				require.NoError(b, err, "List")
			}
			got++
		}
		if got != n {
			require.Equal(b, n, got, "webhooks listed")
		}
	}, func(b *testing.B, hc *http.Client, base string) {
		var page openapi.PageBeanWebhook
		nethttpJSON(b, hc, http.MethodGet, base+"/rest/api/3/webhook?startAt=0&maxResults=50", nil, &page)
		if len(page.Values) != n {
			require.Len(b, page.Values, n, "webhooks listed")
		}
	})
}

// BenchmarkClientRegister registers three webhooks, one of them refused.
func BenchmarkClientRegister(b *testing.B) {
	body := `{"webhookRegistrationResult":[{"createdWebhookId":1000},{"errors":["The clause watchCount is unsupported"]},{"createdWebhookId":1001}]}`
	ctx := b.Context()
	const url = "https://your-app.example.com/webhook-received"
	hooks := []webhooks.Details{
		{Events: []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, JQLFilter: "project = PROJ", FieldIDsFilter: []string{"summary", "customfield_10029"}},
		{Events: []webhooks.EventName{webhooks.IssueDeleted}, JQLFilter: "watchCount > 1"},
		{Events: []webhooks.EventName{webhooks.IssueDeleted}, JQLFilter: "project IN (PROJ, EXP) AND status = done"},
	}
	benchPair(b, body, func(b *testing.B, c *webhooks.Client) {
		regs, err := c.Register(ctx, url, hooks...)
		if err != nil || len(regs) != 3 {
			require.NoError(b, err, "Register")
			require.Len(b, regs, 3, "Register")
		}
	}, func(b *testing.B, hc *http.Client, base string) {
		in := openapi.WebhookRegistrationDetails{URL: url, Webhooks: make([]openapi.WebhookDetails, len(hooks))}
		for i, h := range hooks {
			events := make([]openapi.WebhookEvent, len(h.Events))
			for j, e := range h.Events {
				events[j] = openapi.WebhookEvent(e)
			}
			in.Webhooks[i] = openapi.WebhookDetails{Events: events, JQLFilter: h.JQLFilter, FieldIDsFilter: h.FieldIDsFilter}
		}
		var out openapi.ContainerForRegisteredWebhooks
		nethttpJSON(b, hc, http.MethodPost, base+"/rest/api/3/webhook", &in, &out)
		if len(out.WebhookRegistrationResult) != 3 {
			require.Len(b, out.WebhookRegistrationResult, 3, "registration results")
		}
	})
}

// BenchmarkClientRefresh refreshes three webhooks.
func BenchmarkClientRefresh(b *testing.B) {
	body := `{"expirationDate":"2019-06-01T12:42:30.000+0000"}`
	ctx := b.Context()
	ids := []int64{10000, 10001, 10042}
	benchPair(b, body, func(b *testing.B, c *webhooks.Client) {
		if exp, err := c.Refresh(ctx, ids...); err != nil || exp.IsZero() {
			require.NoError(b, err, "Refresh")
			require.False(b, exp.IsZero(), "Refresh: zero expiry")
		}
	}, func(b *testing.B, hc *http.Client, base string) {
		var out openapi.WebhooksExpirationDate
		nethttpJSON(b, hc, http.MethodPut, base+"/rest/api/3/webhook/refresh", &openapi.ContainerForWebhookIDs{WebhookIDs: ids}, &out)
		if out.ExpirationDate == nil || out.ExpirationDate.IsZero() {
			require.NotNil(b, out.ExpirationDate, "expirationDate")
			require.False(b, out.ExpirationDate.IsZero(), "expirationDate is zero")
		}
	})
}
