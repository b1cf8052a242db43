package auth

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/internal/qsh"
)

// connectServer checks each request the way Jira does: it recomputes the
// qsh from what it received, with internal/qsh, and verifies the JWT.
type connectServer struct {
	t        *testing.T
	srv      *httptest.Server
	secret   []byte
	context  string // context path the server strips
	now      time.Time
	lastQSH  string
	lastBody string
	requests int
}

func newConnectServer(t *testing.T, secret []byte, contextPath string, now time.Time) *connectServer {
	cs := &connectServer{t: t, secret: secret, context: contextPath, now: now}
	cs.srv = httptest.NewServer(http.HandlerFunc(cs.serve))
	t.Cleanup(cs.srv.Close)
	return cs
}

func (cs *connectServer) serve(w http.ResponseWriter, r *http.Request) {
	cs.requests++
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "JWT ")
	if !ok {
		http.Error(w, "no JWT", http.StatusUnauthorized)
		return
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return cs.now })).
		ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return cs.secret, nil })
	if err != nil {
		http.Error(w, "bad JWT: "+err.Error(), http.StatusUnauthorized)
		return
	}
	if claims["iss"] != "com.example.app" {
		http.Error(w, fmt.Sprintf("iss %v", claims["iss"]), http.StatusUnauthorized)
		return
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if iat == nil || !iat.Equal(cs.now) || exp == nil || exp.Sub(cs.now) != DefaultConnectTTL {
		http.Error(w, fmt.Sprintf("iat %v exp %v", iat, exp), http.StatusUnauthorized)
		return
	}
	path := qsh.StripContext(cs.context, r.URL.EscapedPath())
	want := qsh.Hash(r.Method, path, r.URL.Query())
	if claims["qsh"] != want {
		http.Error(w, fmt.Sprintf("qsh %v, want %s for %s", claims["qsh"], want, qsh.Canonical(r.Method, path, r.URL.Query())), http.StatusUnauthorized)
		return
	}
	cs.lastQSH = want
	b, _ := io.ReadAll(r.Body)
	cs.lastBody = string(b)
}

func TestConnectTransport(t *testing.T) {
	t.Parallel()
	secret := []byte("installation-shared-secret")
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name, context, method, target, body string
		wantQSH                             string // "" to skip
	}{
		{name: "design vector", method: "GET", target: "/path/to/service?a=1&A=2&b=3&B=4",
			wantQSH: "70282c7cf82834bd5a3d6dacda1b4ccd5cf5860a63a1fa2fb86b64d576e6a1d5"},
		{name: "repeated keys", method: "GET", target: "/rest/api/3/webhook?id=3&id=1&id=2&startAt=0"},
		{name: "spaces", method: "GET", target: "/rest/api/3/search?jql=project+%3D+ABC&x=a%20b"},
		{name: "star and tilde", method: "GET", target: "/rest/x?q=a*b~c&%2A=~"},
		{name: "non-ASCII", method: "GET", target: "/rest/%C3%A9t%C3%A9?name=J%C3%BCrgen&%E2%9C%93=1"},
		{name: "mixed-order names", method: "GET", target: "/x?aa=1&a%7B=2&Z=3"},
		{name: "context path", context: "/jira", method: "DELETE", target: "/jira/rest/api/3/webhook?webhookId=10"},
		{name: "context path root", context: "/jira", method: "GET", target: "/jira"},
		{name: "empty path", method: "GET", target: ""},
		{name: "empty path with query", method: "GET", target: "?a=1"},
		{name: "trailing slash", method: "GET", target: "/rest/api/3/webhook/"},
		{name: "post with body", method: "POST", target: "/rest/api/3/webhook", body: `{"url":"https://app"}`},
		{name: "ampersand in path", method: "PUT", target: "/rest/a%26b/refresh"},
		{name: "jwt query parameter ignored", method: "GET", target: "/x?jwt=stale&b=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := newConnectServer(t, secret, tc.context, now)
			hc, err := Connect{AppKey: "com.example.app", SharedSecret: secret, BaseURL: cs.srv.URL + tc.context,
				Now: func() time.Time { return now }}.Client()
			require.NoError(t, err)
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequestWithContext(t.Context(), tc.method, cs.srv.URL+tc.target, body)
			require.NoError(t, err)
			resp, err := hc.Do(req)
			require.NoError(t, err)
			msg, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode, "server refused: %s %s", resp.Status, msg)
			if tc.wantQSH != "" {
				assert.Equal(t, tc.wantQSH, cs.lastQSH, "qsh")
			}
			assert.Equal(t, tc.body, cs.lastBody, "body")
			assert.Empty(t, req.Header.Get("Authorization"), "caller's request was modified")
		})
	}
}

// TestConnectFreshTokens: every request gets its own token, bound to it.
func TestConnectFreshTokens(t *testing.T) {
	t.Parallel()
	secret := []byte("s")
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	hc, err := Connect{AppKey: "k", SharedSecret: secret, BaseURL: srv.URL}.Client()
	require.NoError(t, err)
	for _, p := range []string{"/a", "/b", "/a"} {
		resp, err := hc.Get(srv.URL + p)
		require.NoError(t, err)
		resp.Body.Close()
	}
	require.Len(t, seen, 3, "tokens %q", seen)
	assert.NotEqual(t, seen[0], seen[1], "tokens %q", seen)
}

func TestConnectForeignHost(t *testing.T) {
	t.Parallel()
	var hits int
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	}))
	defer home.Close()
	hc, err := Connect{AppKey: "k", SharedSecret: []byte("s"), BaseURL: home.URL + "/jira"}.Client()
	require.NoError(t, err)
	for _, target := range []string{home.URL + "/jira/redirect", home.URL + "/jiraother", other.URL + "/jira/x",
		home.URL + "/jira/../admin", home.URL + "/jira/%2e%2e/admin", home.URL + "/jira/./x"} {
		resp, err := hc.Get(target)
		if err == nil {
			resp.Body.Close()
		}
		assert.ErrorIs(t, err, ErrForeignHost, "GET %s", target)
	}
	assert.Zero(t, hits, "foreign server got requests")
}

func TestConnectConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []Connect{
		{SharedSecret: []byte("s"), BaseURL: "https://x"},
		{AppKey: "k", BaseURL: "https://x"},
		{AppKey: "k", SharedSecret: []byte("s"), BaseURL: "/relative"},
		{AppKey: "k", SharedSecret: []byte("s"), BaseURL: "://bad"},
	} {
		_, err := c.Client()
		assert.Error(t, err, "%v accepted", c)
	}
	c := Connect{AppKey: "k", SharedSecret: []byte("top-secret"), BaseURL: "https://x"}
	rt, err := c.Transport(nil)
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%+v", rt)} {
		assert.NotContains(t, s, "top-secret", "printed form reveals the secret")
		assert.NotContains(t, s, "116 111 112", "printed form reveals the secret's bytes")
	}
}

func TestBasic(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "me@example.com" || p != "api-token-123" {
			http.Error(w, "", http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/rest/webhooks/1.0/webhook", nil)
	require.NoError(t, err)
	resp, err := BasicClient("me@example.com", "api-token-123").Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "status %s", resp.Status)
	assert.Empty(t, req.Header.Get("Authorization"), "caller's request was modified")
	resp, err = BasicClient("", "x").Get(srv.URL)
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "empty email accepted")
	b := Basic{Email: "me@example.com", APIToken: "api-token-123"}
	for _, s := range []string{fmt.Sprint(b), fmt.Sprintf("%+v", b), fmt.Sprintf("%#v", b), fmt.Sprintf("%+v", b.Client())} {
		assert.NotContains(t, s, "api-token-123", "printed form reveals the API token")
	}
}

func TestConnectRefusesDotSegments(t *testing.T) {
	t.Parallel()
	var hits int
	home := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer home.Close()
	hc, err := Connect{AppKey: "k", SharedSecret: []byte("s"), BaseURL: home.URL + "/jira"}.Client()
	require.NoError(t, err)
	for _, p := range []string{"/jira/../admin", "/jira/%2e%2e/admin", "/jira/%2E./admin", "/jira/./x"} {
		resp, err := hc.Get(home.URL + p)
		if err == nil {
			resp.Body.Close()
		}
		assert.ErrorIs(t, err, ErrForeignHost, "GET %s", p)
	}
	assert.Zero(t, hits, "signed requests with dot segments reached the server")
	resp, err := hc.Get(home.URL + "/jira/rest/api/3/webhook")
	if assert.NoError(t, err, "a plain path") {
		resp.Body.Close()
	}
}
