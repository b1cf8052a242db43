package webhooks

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The doer handed to the generated clients sends nothing off the Jira site
// the Client was made for, whatever URL a request carries.
func TestDoerSendsOnlyToTheSite(t *testing.T) {
	t.Parallel()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	c, err := NewClient("https://x.atlassian.net", WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	for _, target := range []string{
		srv.URL + "/rest/api/3/webhook",
		"http://x.atlassian.net/rest/api/3/webhook", // scheme
		"https://x.atlassian.net:8443/rest/api/3/webhook",
		"https://u:p@x.atlassian.net/rest/api/3/webhook",
		"https://y.atlassian.net/rest/api/3/webhook",
	} {
		req, err := http.NewRequest(http.MethodGet, target, nil)
		require.NoError(t, err)
		resp, err := c.doer.Do(req)
		assert.ErrorIs(t, err, ErrForeignURL, target)
		assert.Nil(t, resp, target)
	}
	assert.Zero(t, hits, "a refused request reached a server")

	// Other spellings of the site itself pass the check.
	for _, u := range []string{"https://x.atlassian.net/a", "https://X.Atlassian.NET:443/a"} {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		require.NoError(t, err)
		assert.True(t, c.doer.onSite(req.URL), u)
	}
}
