package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fuzzTransport struct {
	status int
	header string
	body   []byte
}

func (f fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if f.header != "" {
		h.Set("Retry-After", f.header)
		h.Set("X-Arequestid", f.header)
	}
	return &http.Response{
		StatusCode: f.status, Header: h, Request: r,
		Body: io.NopCloser(bytes.NewReader(f.body)),
	}, nil
}

// FuzzClientAnswers feeds arbitrary answers to every operation: no panic,
// never a nil result with a nil error, every non-2xx an *APIError, and a
// next-page URL never leads off the site.
func FuzzClientAnswers(f *testing.F) {
	f.Add(200, "", []byte(ctSeedRegisterResponse))
	f.Add(200, "", []byte(ctSeedListResponse))
	f.Add(200, "", []byte(ctSeedFailedResponse))
	f.Add(200, "", []byte(ctSeedRefreshResponse))
	f.Add(200, "", []byte(`{"values":[{"id":"x","failureTime":1}],"maxResults":1,"next":"//evil.example/rest/api/3/webhook/failed"}`))
	f.Add(403, "", []byte(ctNotAnApp))
	f.Add(429, "1", []byte(`{"errorMessages":["slow"]}`))
	f.Add(503, "Wed, 21 Oct 2015 07:28:00 GMT", []byte("<html>"))
	f.Add(200, "", []byte(`{"isLast":false,"values":[]}`))
	f.Fuzz(func(t *testing.T, status int, header string, body []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		c, err := NewClient("https://x.atlassian.net",
			WithHTTPClient(&http.Client{Transport: fuzzTransport{status, header, body}}),
			WithRetry(1), withSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
		require.NoError(t, err)
		ctx := t.Context()
		checkErr := func(what string, err error) {
			var e *APIError
			if status < 200 || status > 299 {
				require.ErrorAs(t, err, &e, "%s: status %d, not an *APIError", what, status)
			}
			if e != nil {
				_ = e.Error() // must not panic
			}
		}
		regs, err := c.Register(ctx, "https://app.example/h", Details{}, Details{})
		if err == nil {
			require.Len(t, regs, 2, "Register: results with a nil error")
		}
		checkErr("Register", err)
		exp, err := c.Refresh(ctx, 1)
		if err == nil {
			require.False(t, exp.IsZero(), "Refresh: zero time with a nil error")
		}
		checkErr("Refresh", err)
		checkErr("Delete", c.Delete(ctx, 1))
		walk := func(more func() bool, next func() (int, error), cursor func() string) {
			for i := 0; more() && i < 5; i++ {
				n, err := next()
				if err != nil {
					if i == 0 {
						checkErr("page", err)
					}
					return
				}
				require.GreaterOrEqual(t, n, 0, "nil page with a nil error")
			}
			if cur := cursor(); cur != "" && strings.Contains(cur, "://") && !strings.HasPrefix(cur, "https://x.atlassian.net/") {
				_, err := c.resolveFailedCursor(cur)
				require.Error(t, err, "cursor %q leads off the site", cur)
			}
		}
		lp := c.List(&ListOptions{MaxResults: 2})
		walk(lp.More, func() (int, error) { return pageLen(lp.Next(ctx)) }, lp.Cursor)
		fp := c.ListFailed(&FailedOptions{MaxResults: 2})
		walk(fp.More, func() (int, error) { return pageLen(fp.Next(ctx)) }, fp.Cursor)
	})
}

func pageLen[T any](page []T, err error) (int, error) {
	if page == nil {
		return -1, err
	}
	return len(page), err
}

// FuzzResolveFailedCursor: any cursor either resolves to this Client's
// failed-webhook endpoint or is refused.
func FuzzResolveFailedCursor(f *testing.F) {
	for _, s := range []string{
		"?failedAfter=1", "/rest/api/3/webhook/failed?x=1", "https://x.atlassian.net/rest/api/3/webhook/failed",
		"https://evil.example/rest/api/3/webhook/failed", "//evil.example/x", "http://[::1", "https://u:p@x.atlassian.net/",
		"https://api.atlassian.com/ex/jira/other/rest/api/3/webhook/failed", "../../../ex/jira/other/rest/api/3/webhook/failed",
	} {
		f.Add(s)
	}
	site, err := NewClient("https://x.atlassian.net")
	require.NoError(f, err)
	gw, err := NewClient("https://api.atlassian.com/ex/jira/abc")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, cursor string) {
		for _, c := range []*Client{site, gw} {
			got, err := c.resolveFailedCursor(cursor)
			if err != nil {
				continue
			}
			u, err := url.Parse(got)
			require.NoError(t, err, "%q resolved to %q, not a URL", cursor, got)
			off := fmt.Sprintf("%q resolved to %q, off %s", cursor, got, c.failedEndpoint)
			assert.Equal(t, c.doer.origin, clientOrigin(u), off)
			assert.Nil(t, u.User, off)
			assert.Equal(t, c.basePath+c.failedPath, strings.TrimSuffix(u.EscapedPath(), "/"), off)
		}
	})
}
