package webhooks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/auth"
	"github.com/jirahooks/jirahooks/jiratest"
	"github.com/jirahooks/jirahooks/webhooks"
)

const (
	e2eAdmin   = "admin@example.com"
	e2eToken   = "admin-api-token"
	e2eUser    = "dev@example.com"
	e2eSecret  = "It's a Secret to Everybody"
	e2eProject = "TEST"
)

// newAdminSite starts a jiratest site with one administrator and one plain
// user, and returns an AdminClient authenticated as the administrator.
func newAdminSite(t *testing.T) (*jiratest.Server, *webhooks.AdminClient) {
	t.Helper()
	site := jiratest.NewServer()
	t.Cleanup(site.Close)
	site.AddAdmin(e2eAdmin, e2eToken)
	site.AddUser(e2eUser, "user-token")
	a, err := webhooks.NewAdminClient(site.URL(), webhooks.WithHTTPClient(auth.BasicClient(e2eAdmin, e2eToken)))
	require.NoError(t, err)
	return site, a
}

func TestAdminEndToEndCRUD(t *testing.T) {
	t.Parallel()
	site, a := newAdminSite(t)
	ctx := t.Context()

	hookURL, err := webhooks.AdminURL("https://app.example.com/hooks", webhooks.VarProjectKey, webhooks.VarIssueKey)
	require.NoError(t, err)
	created, err := a.Create(ctx, webhooks.AdminWebhook{
		Name:      "Issues of TEST",
		URL:       hookURL,
		Events:    []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated},
		JQLFilter: "project = TEST",
		Secret:    e2eSecret,
	})
	require.NoError(t, err, "Create")
	require.Positive(t, created.ID, "Create: ID")
	require.True(t, strings.HasSuffix(created.Self, "/rest/webhooks/1.0/webhook/"+strconv.FormatInt(created.ID, 10)),
		"Create returned ID %d, self %q", created.ID, created.Self)
	assert.Equal(t, "Issues of TEST", created.Name, "Create: Name")
	assert.Equal(t, hookURL, created.URL, "Create: URL")
	assert.Equal(t, "project = TEST", created.JQLFilter, "Create: JQLFilter")
	assert.Equal(t, []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}, created.Events, "Create: Events")
	assert.False(t, created.ExcludeBody, "Create: ExcludeBody")
	assert.False(t, created.Disabled, "Create: Disabled")
	assert.Empty(t, created.Secret, "Create: Secret is never read back")
	assert.True(t, created.IsSigned, "Create: IsSigned")
	assert.False(t, created.LastUpdated.IsZero(), "Create: LastUpdated")
	assert.NotEmpty(t, created.LastUpdatedUser, "Create: LastUpdatedUser")
	// The secret reached Jira; it is never read back.
	stored := site.AdminWebhooks()
	require.Len(t, stored, 1, "site has %+v", stored)
	assert.True(t, stored[0].HasSecret, "site: HasSecret")
	assert.Equal(t, created.ID, stored[0].ID, "site: ID")
	assert.True(t, stored[0].Enabled, "site: Enabled")

	second, err := a.Create(ctx, webhooks.AdminWebhook{Name: "Sprints", URL: "https://app.example.com/sprints/${sprint.id}",
		Events: []webhooks.EventName{webhooks.SprintStarted, webhooks.SprintClosed}, Disabled: true})
	require.NoError(t, err, "Create second")

	list, err := a.List(ctx)
	require.NoError(t, err, "List")
	require.Len(t, list, 2, "List = %+v", list)
	assert.Equal(t, []int64{created.ID, second.ID}, []int64{list[0].ID, list[1].ID}, "List: IDs")
	assert.True(t, list[1].Disabled, "List: second Disabled")
	assert.Empty(t, list[1].JQLFilter, "List: second JQLFilter")
	assert.True(t, list[0].IsSigned, "List: first IsSigned")
	assert.False(t, list[1].IsSigned, "List: second IsSigned")

	got, err := a.Get(ctx, created.ID)
	require.NoError(t, err, "Get")
	assert.Equal(t, created.ID, got.ID, "Get: ID")
	assert.Equal(t, created.Name, got.Name, "Get: Name")
	assert.Equal(t, hookURL, got.URL, "Get: URL")
	assert.Equal(t, "project = TEST", got.JQLFilter, "Get: JQLFilter")

	// Change one thing from what Get returned; the secret is kept.
	upd := *got
	upd.ExcludeBody = true
	upd.Events = append(upd.Events, webhooks.CommentCreated)
	updated, err := a.Update(ctx, created.ID, upd)
	require.NoError(t, err, "Update")
	assert.True(t, updated.ExcludeBody, "Update: ExcludeBody")
	assert.Len(t, updated.Events, 3, "Update: Events")
	assert.Equal(t, "Issues of TEST", updated.Name, "Update: Name")
	assert.Equal(t, created.ID, updated.ID, "Update: ID")
	stored = site.AdminWebhooks()
	require.NotEmpty(t, stored, "site after update")
	assert.True(t, stored[0].ExcludeBody, "site after update: ExcludeBody")
	assert.True(t, stored[0].HasSecret, "site after update: HasSecret")
	assert.Len(t, stored[0].Events, 3, "site after update: Events")

	require.NoError(t, a.Delete(ctx, created.ID), "Delete")
	_, err = a.Get(ctx, created.ID)
	assert.ErrorIs(t, err, webhooks.ErrAdminWebhookNotFound, "Get after Delete")
	assert.ErrorIs(t, a.Delete(ctx, created.ID), webhooks.ErrAdminWebhookNotFound, "Delete twice")
	_, err = a.Update(ctx, created.ID, upd)
	assert.ErrorIs(t, err, webhooks.ErrAdminWebhookNotFound, "Update after Delete")
	list, err = a.List(ctx)
	require.NoError(t, err, "List after Delete")
	require.Len(t, list, 1, "List after Delete = %+v", list)
	assert.Equal(t, second.ID, list[0].ID, "List after Delete: ID")
}

func TestAdminEndToEndCredentials(t *testing.T) {
	t.Parallel()
	site, _ := newAdminSite(t)
	hook := webhooks.AdminWebhook{Name: "n", URL: "https://app.example.com/h"}

	// A valid user who is not an administrator: 403, admin rights needed.
	t.Run("not an admin", func(t *testing.T) {
		t.Parallel()
		user, err := webhooks.NewAdminClient(site.URL(), webhooks.WithHTTPClient(auth.BasicClient(e2eUser, "user-token")))
		require.NoError(t, err)
		_, err = user.Create(t.Context(), hook)
		require.ErrorIs(t, err, webhooks.ErrAdminRightsNeeded, "non-admin Create")
		var apiErr *webhooks.APIError
		require.ErrorAs(t, err, &apiErr, "non-admin Create")
		assert.Equal(t, 403, apiErr.StatusCode, "non-admin Create: status")
		assert.ErrorContains(t, err, "admin rights needed", "the error says what is missing")
		_, err = user.List(t.Context())
		assert.ErrorIs(t, err, webhooks.ErrAdminRightsNeeded, "non-admin List")
	})

	// Wrong API token, and no credentials at all: 401.
	t.Run("401", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name string
			hc   *http.Client
		}{
			{"wrong token", auth.BasicClient(e2eAdmin, "wrong")},
			{"none", http.DefaultClient},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				a, err := webhooks.NewAdminClient(site.URL(), webhooks.WithHTTPClient(tc.hc))
				require.NoError(t, err)
				_, err = a.List(t.Context())
				require.ErrorIs(t, err, webhooks.ErrAdminUnauthorized, "List")
				var apiErr *webhooks.APIError
				require.ErrorAs(t, err, &apiErr, "List")
				assert.Equal(t, 401, apiErr.StatusCode, "List: status")
				assert.NotErrorIs(t, err, webhooks.ErrAdminRightsNeeded, "401 also matches ErrAdminRightsNeeded")
			})
		}
	})

	// After all the calls above.
	t.Cleanup(func() {
		assert.Empty(t, site.AdminWebhooks(), "webhooks created without admin rights")
	})
}

// adminReceived is what the test receiver saw of one delivery.
type adminReceived struct {
	vars      map[webhooks.URLVariable]string
	event     *webhooks.Event // nil for a delivery without body
	bodyLen   int
	verifyErr error
}

// adminReceiver is an app's endpoint for admin webhooks registered with
// template: it checks X-Hub-Signature with secret, reads the URL variables,
// decodes the body when there is one, and answers 200, or 401 when the
// signature is wrong.
type adminReceiver struct {
	secret   []byte
	template string
	mu       sync.Mutex
	got      []adminReceived
}

func (rc *adminReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var rec adminReceived
	defer func() {
		rc.mu.Lock()
		rc.got = append(rc.got, rec)
		rc.mu.Unlock()
	}()
	rec.bodyLen = len(body)
	if rec.verifyErr = webhooks.HubSignature(rc.secret).Verify(r, body); rec.verifyErr != nil {
		http.Error(w, rec.verifyErr.Error(), http.StatusUnauthorized)
		return
	}
	if rec.vars, err = webhooks.URLVariables(r, rc.template); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// An admin webhook with ExcludeBody sends no body: the URL is all
	// there is, so there is nothing to decode.
	if len(body) > 0 {
		if rec.event, err = webhooks.ParseEvent(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (rc *adminReceiver) deliveries() []adminReceived {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]adminReceived(nil), rc.got...)
}

// TestAdminEndToEndSignedDelivery creates a signed admin webhook whose URL
// carries variables, makes the site emit events, and checks that the
// receiver verifies the signature, decodes the event and reads the
// variables; then that a receiver with another secret refuses it.
func TestAdminEndToEndSignedDelivery(t *testing.T) {
	t.Parallel()
	site, a := newAdminSite(t)
	ctx := t.Context()

	rc := &adminReceiver{secret: []byte(e2eSecret)}
	app := httptest.NewServer(rc)
	defer app.Close()
	tmpl, err := webhooks.AdminURL(app.URL+"/jira/hooks", webhooks.VarProjectKey, webhooks.VarIssueKey)
	require.NoError(t, err)
	rc.template = tmpl
	hook, err := a.Create(ctx, webhooks.AdminWebhook{
		Name:      "signed",
		URL:       tmpl,
		Events:    []webhooks.EventName{webhooks.IssueCreated},
		JQLFilter: "project = " + e2eProject,
		Secret:    e2eSecret,
	})
	require.NoError(t, err)

	ds := site.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "TEST-7", Summary: "Signed"}))
	require.Len(t, ds, 1, "deliveries = %+v", ds)
	assert.True(t, ds[0].OK(), "delivery = %+v", ds[0])
	assert.Equal(t, []int64{hook.ID}, ds[0].WebhookIDs, "delivery: WebhookIDs")
	assert.True(t, strings.HasSuffix(ds[0].URL, "/jira/hooks/TEST/TEST-7"), "delivered to %q", ds[0].URL)
	// Outside the JQL filter: nothing is sent.
	assert.Empty(t, site.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "OTHER-1"})), "filtered event delivered")

	got := rc.deliveries()
	require.Len(t, got, 1, "receiver's deliveries")
	r := got[0]
	require.NoError(t, r.verifyErr, "receiver: verify")
	require.NotNil(t, r.event, "receiver: event")
	assert.Equal(t, webhooks.IssueCreated, r.event.Name, "event name")
	if assert.NotNil(t, r.event.Issue, "event issue") {
		assert.Equal(t, "TEST-7", r.event.Issue.Key, "event issue key")
	}
	assert.Equal(t, map[webhooks.URLVariable]string{webhooks.VarProjectKey: "TEST", webhooks.VarIssueKey: "TEST-7"}, r.vars, "URL variables")

	// A receiver that knows another secret refuses the delivery with 401;
	// Jira does not retry a 4xx other than 408, 409, 425 and 429.
	rc.mu.Lock()
	rc.secret = []byte("not the secret")
	rc.mu.Unlock()
	ds = site.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "TEST-8"}))
	require.Len(t, ds, 1, "deliveries with a wrong secret = %+v", ds)
	assert.Equal(t, http.StatusUnauthorized, ds[0].Status, "delivery with a wrong secret: status")
	assert.True(t, ds[0].Final, "delivery with a wrong secret: final")
	got = rc.deliveries()
	require.NotEmpty(t, got, "receiver's deliveries")
	assert.ErrorIs(t, got[len(got)-1].verifyErr, webhooks.ErrInvalidSignature, "verify with a wrong secret")
}

// TestAdminEndToEndExcludedBody checks that a Handler built with
// AllowEmptyBody takes the deliveries of an admin webhook with ExcludeBody
// (no body at all): the signature of the empty body is verified, the OnAny
// callbacks get an event without name, and the URL variables in its
// Delivery.URL say which issue it concerns. The same delivery without a
// signature is refused.
func TestAdminEndToEndExcludedBody(t *testing.T) {
	t.Parallel()
	site, a := newAdminSite(t)
	ctx := t.Context()

	type seen struct {
		event *webhooks.Event
		vars  map[webhooks.URLVariable]string
		err   error
	}
	var mu sync.Mutex
	var got []seen
	var tmpl string
	h := webhooks.NewHandler(webhooks.HubSignature([]byte(e2eSecret)), webhooks.AllowEmptyBody())
	h.On(webhooks.IssueUpdated, func(context.Context, *webhooks.Event) error {
		assert.Fail(t, "On callback called for a delivery without body")
		return nil
	})
	h.OnAny(func(_ context.Context, e *webhooks.Event) error {
		vars, err := webhooks.URLVariablesOf(e.Delivery.URL, tmpl)
		mu.Lock()
		got = append(got, seen{event: e, vars: vars, err: err})
		mu.Unlock()
		return err
	})
	app := httptest.NewServer(h)
	defer app.Close()
	// Variables in the query this time.
	tmpl = app.URL + "/hooks?issue=" + webhooks.VarIssueKey.Placeholder() + "&id=" + webhooks.VarIssueID.Placeholder()
	_, err := a.Create(ctx, webhooks.AdminWebhook{
		Name:        "no body",
		URL:         tmpl,
		Events:      []webhooks.EventName{webhooks.IssueUpdated},
		ExcludeBody: true,
		Secret:      e2eSecret,
	})
	require.NoError(t, err)
	// The same without a secret: Jira sends no signature.
	_, err = a.Create(ctx, webhooks.AdminWebhook{
		Name:        "no body, unsigned",
		URL:         app.URL + "/unsigned?issue=" + webhooks.VarIssueKey.Placeholder(),
		Events:      []webhooks.EventName{webhooks.IssueUpdated},
		ExcludeBody: true,
	})
	require.NoError(t, err)

	ds := site.Emit(jiratest.IssueEvent("jira:issue_updated", jiratest.Issue{Key: "TEST-3", ID: "10103"}).Change("summary", "a", "b"))
	require.Len(t, ds, 2, "deliveries = %+v", ds)
	for _, d := range ds {
		assert.Empty(t, d.Body, "delivery with a body: %+v", d)
		if strings.Contains(d.URL, "/unsigned") {
			assert.Equal(t, http.StatusUnauthorized, d.Status, "unsigned delivery: %+v", d)
			assert.True(t, d.Final, "unsigned delivery: %+v", d)
		} else {
			assert.True(t, d.OK(), "signed delivery: %+v", d)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 1, "callback's deliveries")
	r := got[0]
	require.NoError(t, r.err, "callback: URL variables")
	require.NotNil(t, r.event, "callback: event")
	assert.Empty(t, r.event.Name, "callback: event name")
	assert.Empty(t, r.event.Raw, "callback: event body")
	assert.Nil(t, r.event.Issue, "callback: event issue")
	assert.NotEmpty(t, r.event.Delivery.ID, "callback: delivery ID")
	assert.Equal(t, "TEST-3", r.vars[webhooks.VarIssueKey], "URL variable issue.key in %v", r.vars)
	assert.Equal(t, "10103", r.vars[webhooks.VarIssueID], "URL variable issue.id in %v", r.vars)
}

// TestAdminEndToEndHandler receives admin webhook deliveries, with and
// without body, with the package's Handler, HubSignature and
// AllowEmptyBody, mounted as is: the callbacks read the URL variables from
// the event's Delivery.URL.
func TestAdminEndToEndHandler(t *testing.T) {
	t.Parallel()
	site, a := newAdminSite(t)
	ctx := t.Context()
	secret := []byte(e2eSecret)

	type seen struct {
		name   webhooks.EventName
		issue  string
		vars   map[webhooks.URLVariable]string
		noBody bool
	}
	var mu sync.Mutex
	var got []seen
	var tmpl string
	h := webhooks.NewHandler(webhooks.HubSignature(secret), webhooks.AllowEmptyBody())
	h.On(webhooks.IssueCreated, func(_ context.Context, e *webhooks.Event) error {
		vars, err := webhooks.URLVariablesOf(e.Delivery.URL, tmpl)
		if err != nil {
			return err
		}
		mu.Lock()
		got = append(got, seen{name: e.Name, issue: e.Issue.Key, vars: vars})
		mu.Unlock()
		return nil
	})
	h.OnAny(func(_ context.Context, e *webhooks.Event) error {
		if len(e.Raw) > 0 {
			return nil // handled above
		}
		// ExcludeBody: the URL variables say what happened.
		vars, err := webhooks.URLVariablesOf(e.Delivery.URL, tmpl)
		if err != nil {
			return err
		}
		mu.Lock()
		got = append(got, seen{vars: vars, noBody: true})
		mu.Unlock()
		return nil
	})

	app := httptest.NewServer(h)
	defer app.Close()
	var err error
	tmpl, err = webhooks.AdminURL(app.URL+"/hooks", webhooks.VarProjectKey, webhooks.VarIssueKey)
	require.NoError(t, err)
	for _, exclude := range []bool{false, true} {
		_, err := a.Create(ctx, webhooks.AdminWebhook{Name: "h", URL: tmpl, Secret: e2eSecret,
			Events: []webhooks.EventName{webhooks.IssueCreated}, ExcludeBody: exclude})
		require.NoError(t, err, "Create with ExcludeBody %v", exclude)
	}

	ds := site.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "TEST-42"}))
	require.Len(t, ds, 2, "deliveries = %+v", ds)
	assert.True(t, ds[0].OK(), "delivery = %+v", ds[0])
	assert.True(t, ds[1].OK(), "delivery = %+v", ds[1])
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2, "handled deliveries: %+v", got)
	withBody, noBody := got[0], got[1]
	if withBody.noBody {
		withBody, noBody = noBody, withBody
	}
	assert.Equal(t, webhooks.IssueCreated, withBody.name, "delivery with body: name")
	assert.Equal(t, "TEST-42", withBody.issue, "delivery with body: issue")
	assert.Equal(t, "TEST-42", withBody.vars[webhooks.VarIssueKey], "delivery with body: URL variable issue.key")
	assert.True(t, noBody.noBody, "one delivery without body: %+v", got)
	assert.Equal(t, "TEST-42", noBody.vars[webhooks.VarIssueKey], "delivery without body: URL variable issue.key")
	assert.Equal(t, "TEST", noBody.vars[webhooks.VarProjectKey], "delivery without body: URL variable project.key")
}
