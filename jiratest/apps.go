package jiratest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jirahooks/jirahooks/internal/jwtsign"
	"github.com/jirahooks/jirahooks/internal/qsh"
)

// AppKind says how an app authenticates.
type AppKind int

const (
	// OAuthApp is an OAuth 2.0 (3LO) app: it calls Jira with
	// "Authorization: Bearer <access token>" and receives deliveries with
	// "Authorization: Bearer <HS256 JWT signed with its client secret>".
	OAuthApp AppKind = iota + 1
	// ConnectApp is an Atlassian Connect app: it calls Jira with
	// "Authorization: JWT <token>" (iss = app key, qsh bound to the request)
	// and receives deliveries with a Connect JWT signed with the
	// installation's shared secret (iss = the installation's clientKey).
	ConnectApp
)

// String returns "oauth" or "connect".
func (k AppKind) String() string {
	switch k {
	case OAuthApp:
		return "oauth"
	case ConnectApp:
		return "connect"
	}
	return fmt.Sprintf("AppKind(%d)", int(k))
}

// App is an app installed on a [Server]. Jira identifies an app by its
// credentials, and each app sees and manages only its own webhooks.
type App struct {
	srv         *Server
	kind        AppKind
	name        string // client id or app key
	secret      []byte // client secret or shared secret
	token       string // OAuth access token
	clientKey   string // Connect installation
	baseURL     string // Connect app base URL, optional
	contextPath string
}

// AppOption configures an app added with [Server.AddConnectApp] or
// [Server.AddOAuthApp].
type AppOption func(*App)

// WithClientKey sets a Connect installation's clientKey, the iss of the
// JWTs Jira signs for deliveries to it (default: a random UUID).
func WithClientKey(key string) AppOption { return func(a *App) { a.clientKey = key } }

// WithBaseURL sets a Connect app's base URL. Jira then refuses (400) to
// register webhooks whose URL does not start with it ("This URL must use the
// same base URL as the Connect app"), and the qsh of delivery JWTs is
// computed on the callback path relative to it.
func WithBaseURL(u string) AppOption {
	return func(a *App) {
		a.baseURL = strings.TrimSuffix(u, "/")
		if p, err := url.Parse(a.baseURL); err == nil {
			a.contextPath = p.EscapedPath()
		}
	}
}

// AddOAuthApp installs an OAuth 2.0 app with the given client id and client
// secret and returns it; [App.Token] is an access token for it.
func (s *Server) AddOAuthApp(clientID string, clientSecret []byte, opts ...AppOption) *App {
	a := &App{srv: s, kind: OAuthApp, name: clientID, secret: append([]byte(nil), clientSecret...), token: randomHex(24)}
	for _, o := range opts {
		o(a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps = append(s.apps, a)
	s.byToken[a.token] = a
	return a
}

// AddConnectApp installs a Connect app with the given app key and shared
// secret and returns it. It panics if an app with that key is installed
// already (a mistake in the test's setup).
func (s *Server) AddConnectApp(key string, sharedSecret []byte, opts ...AppOption) *App {
	a := &App{srv: s, kind: ConnectApp, name: key, secret: append([]byte(nil), sharedSecret...), clientKey: randomUUID()}
	for _, o := range opts {
		o(a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.byKey[key]; dup {
		panic("jiratest: Connect app " + key + " is installed already")
	}
	s.apps = append(s.apps, a)
	s.byKey[key] = a
	return a
}

// Kind returns how the app authenticates.
func (a *App) Kind() AppKind { return a.kind }

// Name returns the OAuth client id or the Connect app key.
func (a *App) Name() string { return a.name }

// Token returns an OAuth app's access token, for "Authorization: Bearer";
// "" for a Connect app.
func (a *App) Token() string { return a.token }

// Secret returns a copy of the OAuth client secret or Connect shared secret,
// the key deliveries to the app are signed with.
func (a *App) Secret() []byte { return append([]byte(nil), a.secret...) }

// ClientKey returns a Connect installation's clientKey, "" for an OAuth app.
func (a *App) ClientKey() string { return a.clientKey }

// Authorize adds the app's credentials to r: the bearer token of an OAuth
// app, or a fresh Connect JWT (iss = app key, qsh of r's method, path and
// query, valid for 3 minutes of wall-clock time) of a Connect app.
func (a *App) Authorize(r *http.Request) error {
	switch a.kind {
	case OAuthApp:
		r.Header.Set("Authorization", "Bearer "+a.token)
	case ConnectApp:
		tok, err := jwtsign.ConnectToken(a.secret, a.name, r.Method, r.URL, "", time.Now(), 3*time.Minute)
		if err != nil {
			return err
		}
		r.Header.Set("Authorization", "JWT "+tok)
	}
	return nil
}

// HTTPClient returns an *http.Client that authenticates every request as the
// app (see [App.Authorize]).
func (a *App) HTTPClient() *http.Client {
	base := a.srv.hs.Client()
	return &http.Client{Transport: &appTransport{app: a, base: base.Transport}}
}

type appTransport struct {
	app  *App
	base http.RoundTripper
}

func (t *appTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	if err := t.app.Authorize(r2); err != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, err
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r2)
}

// CloseIdleConnections closes the idle connections of the underlying
// transport, so that (*http.Client).CloseIdleConnections works on
// [App.HTTPClient].
func (t *appTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

type user struct {
	email, token string
	admin        bool
}

// AddAdmin adds a Jira administrator who authenticates with basic auth
// (email and API token). Administrators manage admin webhooks at
// /rest/webhooks/1.0/webhook.
func (s *Server) AddAdmin(email, apiToken string) {
	s.addUser(email, apiToken, true)
}

// AddUser adds a user who is not an administrator. With basic auth such a
// user gets 403 from the admin webhook API, and any user gets 403 from the
// dynamic webhook API, which only apps may use.
func (s *Server) AddUser(email, apiToken string) {
	s.addUser(email, apiToken, false)
}

func (s *Server) addUser(email, token string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[email] = &user{email: email, token: token, admin: admin}
}

// Messages of the answers to unauthenticated or unauthorised callers.
const (
	msgUnauthenticated = "Client must be authenticated to access this resource."
	msgOnlyApps        = "Only Connect and OAuth 2.0 apps can use this operation."
	msgOnlyConnect     = "Only Connect apps can use this operation."
)

// authenticate finds who sent r. It answers 401 itself and returns false
// when credentials are present but wrong, or absent.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, info *reqInfo) bool {
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		s.mu.Lock()
		a := s.byToken[cred]
		s.mu.Unlock()
		if a == nil {
			writeErrors(w, http.StatusUnauthorized, msgUnauthenticated)
			return false
		}
		info.app = a
		return true
	case strings.EqualFold(scheme, "JWT") && cred != "":
		return s.authConnect(w, r, info, cred)
	case h == "" && r.URL.Query().Get("jwt") != "":
		return s.authConnect(w, r, info, r.URL.Query().Get("jwt"))
	case strings.EqualFold(scheme, "Basic"):
		email, token, ok := r.BasicAuth()
		s.mu.Lock()
		u := s.users[email]
		s.mu.Unlock()
		if !ok || u == nil || subtle.ConstantTimeCompare([]byte(u.token), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
			writeErrors(w, http.StatusUnauthorized, msgUnauthenticated)
			return false
		}
		info.user = u
		return true
	}
	writeErrors(w, http.StatusUnauthorized, msgUnauthenticated)
	return false
}

// authConnect checks a Connect JWT from an app: HS256 with the shared
// secret of the app named by iss, not expired (by the wall clock, as the
// app signs with it), and a qsh matching the request.
func (s *Server) authConnect(w http.ResponseWriter, r *http.Request, info *reqInfo, tok string) bool {
	var app *App
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(time.Minute)).
		ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
			iss, _ := claims.GetIssuer()
			s.mu.Lock()
			app = s.byKey[iss]
			s.mu.Unlock()
			if app == nil {
				return nil, fmt.Errorf("unknown issuer %q", iss)
			}
			return app.secret, nil
		})
	if err != nil {
		writeErrors(w, http.StatusUnauthorized, "Authentication failed: "+err.Error())
		return false
	}
	got, _ := claims["qsh"].(string)
	want := qsh.Hash(r.Method, qsh.StripContext("", r.URL.EscapedPath()), r.URL.Query())
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		writeErrors(w, http.StatusUnauthorized, "Authentication failed: the qsh claim does not match the request.")
		return false
	}
	info.app = app
	return true
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// randomSeed returns a seed for a generator that must differ from server to
// server.
func randomSeed() [32]byte {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return b
}
