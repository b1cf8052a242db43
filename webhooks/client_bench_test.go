package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jirahooks/jirahooks/openapi"
	"github.com/jirahooks/jirahooks/webhooks"
)

// BenchmarkClientList lists one page of 50 webhooks from a loopback server,
// through the Client (jirahooks) and by hand with net/http and
// encoding/json into the same wire types (nethttp). The ratio of the two is
// the Client's overhead: retries, error handling, paging and conversion.
func BenchmarkClientList(b *testing.B) {
	const n = 50
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf(`{"id":%d,"url":"https://app.example.com/hook","events":["jira:issue_updated","jira:issue_created"],`+
			`"expirationDate":"2019-06-01T12:42:30.000+0000","fieldIdsFilter":["summary","customfield_10029"],"jqlFilter":"project = PRJ"}`, 10000+i)
	}
	body := []byte(fmt.Sprintf(`{"isLast":true,"maxResults":%d,"startAt":0,"total":%d,"values":[%s]}`, n, n, strings.Join(vals, ",")))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	hc := srv.Client()
	ctx := context.Background()

	b.Run("jirahooks", func(b *testing.B) {
		c, err := webhooks.NewClient(srv.URL, webhooks.WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			got := 0
			for _, err := range c.List(&webhooks.ListOptions{MaxResults: n}).All(ctx) {
				if err != nil {
					b.Fatal(err)
				}
				got++
			}
			if got != n {
				b.Fatalf("%d webhooks", got)
			}
		}
	})

	b.Run("nethttp", func(b *testing.B) {
		url := srv.URL + "/rest/api/3/webhook?startAt=0&maxResults=50"
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Accept", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				b.Fatal(resp.Status)
			}
			var page openapi.PageBeanWebhook
			err = json.NewDecoder(resp.Body).Decode(&page)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Values) != n {
				b.Fatalf("%d webhooks", len(page.Values))
			}
		}
	})
}
