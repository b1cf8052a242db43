package webhooks_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

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
	if err != nil {
		t.Fatal(err)
	}
	return site, a
}

func TestAdminEndToEndCRUD(t *testing.T) {
	site, a := newAdminSite(t)
	ctx := context.Background()

	hookURL, err := webhooks.AdminURL("https://app.example.com/hooks", webhooks.VarProjectKey, webhooks.VarIssueKey)
	if err != nil {
		t.Fatal(err)
	}
	created, err := a.Create(ctx, webhooks.AdminWebhook{
		Name:      "Issues of TEST",
		URL:       hookURL,
		Events:    []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated},
		JQLFilter: "project = TEST",
		Secret:    e2eSecret,
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if created.ID <= 0 || !strings.HasSuffix(created.Self, "/rest/webhooks/1.0/webhook/"+strconv.FormatInt(created.ID, 10)) {
		t.Fatalf("Create returned ID %d, self %q", created.ID, created.Self)
	}
	if created.Name != "Issues of TEST" || created.URL != hookURL || created.JQLFilter != "project = TEST" ||
		!slices.Equal(created.Events, []webhooks.EventName{webhooks.IssueCreated, webhooks.IssueUpdated}) ||
		created.ExcludeBody || created.Disabled || created.Secret != "" || !created.IsSigned || created.LastUpdated.IsZero() ||
		created.LastUpdatedUser == "" {
		t.Fatalf("Create returned %+v", created)
	}
	// The secret reached Jira; it is never read back.
	stored := site.AdminWebhooks()
	if len(stored) != 1 || !stored[0].HasSecret || stored[0].ID != created.ID || !stored[0].Enabled {
		t.Fatalf("site has %+v", stored)
	}

	second, err := a.Create(ctx, webhooks.AdminWebhook{Name: "Sprints", URL: "https://app.example.com/sprints/${sprint.id}",
		Events: []webhooks.EventName{webhooks.SprintStarted, webhooks.SprintClosed}, Disabled: true})
	if err != nil {
		t.Fatalf("Create second: %v", err)
	}

	list, err := a.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 2 || list[0].ID != created.ID || list[1].ID != second.ID || !list[1].Disabled || list[1].JQLFilter != "" ||
		!list[0].IsSigned || list[1].IsSigned {
		t.Fatalf("List = %+v", list)
	}

	got, err := a.Get(ctx, created.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.ID != created.ID || got.Name != created.Name || got.URL != hookURL || got.JQLFilter != "project = TEST" {
		t.Fatalf("Get = %+v", got)
	}

	// Change one thing from what Get returned; the secret is kept.
	upd := *got
	upd.ExcludeBody = true
	upd.Events = append(upd.Events, webhooks.CommentCreated)
	updated, err := a.Update(ctx, created.ID, upd)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if !updated.ExcludeBody || len(updated.Events) != 3 || updated.Name != "Issues of TEST" || updated.ID != created.ID {
		t.Fatalf("Update = %+v", updated)
	}
	stored = site.AdminWebhooks()
	if !stored[0].ExcludeBody || !stored[0].HasSecret || len(stored[0].Events) != 3 {
		t.Fatalf("site after update has %+v", stored[0])
	}

	if err := a.Delete(ctx, created.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := a.Get(ctx, created.ID); !errors.Is(err, webhooks.ErrAdminWebhookNotFound) {
		t.Fatalf("Get after Delete = %v, want ErrAdminWebhookNotFound", err)
	}
	if err := a.Delete(ctx, created.ID); !errors.Is(err, webhooks.ErrAdminWebhookNotFound) {
		t.Fatalf("Delete twice = %v, want ErrAdminWebhookNotFound", err)
	}
	if _, err := a.Update(ctx, created.ID, upd); !errors.Is(err, webhooks.ErrAdminWebhookNotFound) {
		t.Fatalf("Update after Delete = %v, want ErrAdminWebhookNotFound", err)
	}
	list, err = a.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != second.ID {
		t.Fatalf("List after Delete = %+v, %v", list, err)
	}
}

func TestAdminEndToEndCredentials(t *testing.T) {
	site, _ := newAdminSite(t)
	ctx := context.Background()
	hook := webhooks.AdminWebhook{Name: "n", URL: "https://app.example.com/h"}

	// A valid user who is not an administrator: 403, admin rights needed.
	user, err := webhooks.NewAdminClient(site.URL(), webhooks.WithHTTPClient(auth.BasicClient(e2eUser, "user-token")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = user.Create(ctx, hook)
	var apiErr *webhooks.APIError
	if !errors.Is(err, webhooks.ErrAdminRightsNeeded) || !errors.As(err, &apiErr) || apiErr.StatusCode != 403 {
		t.Fatalf("non-admin Create = %v", err)
	}
	if !strings.Contains(err.Error(), "admin rights needed") {
		t.Fatalf("error does not say what is missing: %q", err)
	}
	if _, err := user.List(ctx); !errors.Is(err, webhooks.ErrAdminRightsNeeded) {
		t.Fatalf("non-admin List = %v", err)
	}

	// Wrong API token, and no credentials at all: 401.
	for name, hc := range map[string]*http.Client{
		"wrong token": auth.BasicClient(e2eAdmin, "wrong"),
		"none":        http.DefaultClient,
	} {
		a, err := webhooks.NewAdminClient(site.URL(), webhooks.WithHTTPClient(hc))
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.List(ctx)
		if !errors.Is(err, webhooks.ErrAdminUnauthorized) || !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
			t.Fatalf("%s: List = %v", name, err)
		}
		if errors.Is(err, webhooks.ErrAdminRightsNeeded) {
			t.Fatalf("%s: 401 also matches ErrAdminRightsNeeded", name)
		}
	}
	if n := len(site.AdminWebhooks()); n != 0 {
		t.Fatalf("%d webhooks created without admin rights", n)
	}
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
	site, a := newAdminSite(t)
	ctx := context.Background()

	rc := &adminReceiver{secret: []byte(e2eSecret)}
	app := httptest.NewServer(rc)
	defer app.Close()
	tmpl, err := webhooks.AdminURL(app.URL+"/jira/hooks", webhooks.VarProjectKey, webhooks.VarIssueKey)
	if err != nil {
		t.Fatal(err)
	}
	rc.template = tmpl
	hook, err := a.Create(ctx, webhooks.AdminWebhook{
		Name:      "signed",
		URL:       tmpl,
		Events:    []webhooks.EventName{webhooks.IssueCreated},
		JQLFilter: "project = " + e2eProject,
		Secret:    e2eSecret,
	})
	if err != nil {
		t.Fatal(err)
	}

	ds := site.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "TEST-7", Summary: "Signed"}))
	if len(ds) != 1 || !ds[0].OK() || !slices.Equal(ds[0].WebhookIDs, []int64{hook.ID}) {
		t.Fatalf("deliveries = %+v", ds)
	}
	if !strings.HasSuffix(ds[0].URL, "/jira/hooks/TEST/TEST-7") {
		t.Fatalf("delivered to %q", ds[0].URL)
	}
	// Outside the JQL filter: nothing is sent.
	if ds := site.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "OTHER-1"})); len(ds) != 0 {
		t.Fatalf("filtered event delivered: %+v", ds)
	}

	got := rc.deliveries()
	if len(got) != 1 {
		t.Fatalf("receiver saw %d deliveries", len(got))
	}
	r := got[0]
	if r.verifyErr != nil || r.event == nil {
		t.Fatalf("receiver: %+v", r)
	}
	if r.event.Name != webhooks.IssueCreated || r.event.Issue == nil || r.event.Issue.Key != "TEST-7" {
		t.Fatalf("event = %+v", r.event)
	}
	if r.vars[webhooks.VarProjectKey] != "TEST" || r.vars[webhooks.VarIssueKey] != "TEST-7" || len(r.vars) != 2 {
		t.Fatalf("URL variables = %v", r.vars)
	}

	// A receiver that knows another secret refuses the delivery with 401;
	// Jira does not retry a 4xx other than 408, 409, 425 and 429.
	rc.mu.Lock()
	rc.secret = []byte("not the secret")
	rc.mu.Unlock()
	ds = site.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "TEST-8"}))
	if len(ds) != 1 || ds[0].Status != http.StatusUnauthorized || !ds[0].Final {
		t.Fatalf("deliveries with a wrong secret = %+v", ds)
	}
	got = rc.deliveries()
	if last := got[len(got)-1]; !errors.Is(last.verifyErr, webhooks.ErrInvalidSignature) {
		t.Fatalf("verify with a wrong secret = %v", last.verifyErr)
	}
}

// TestAdminEndToEndExcludedBody checks that a Handler built with
// AllowEmptyBody takes the deliveries of an admin webhook with ExcludeBody
// (no body at all): the signature of the empty body is verified, the OnAny
// callbacks get an event without name, and the URL variables in its
// Delivery.URL say which issue it concerns. The same delivery without a
// signature is refused.
func TestAdminEndToEndExcludedBody(t *testing.T) {
	site, a := newAdminSite(t)
	ctx := context.Background()

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
		t.Error("On callback called for a delivery without body")
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
	if _, err := a.Create(ctx, webhooks.AdminWebhook{
		Name:        "no body",
		URL:         tmpl,
		Events:      []webhooks.EventName{webhooks.IssueUpdated},
		ExcludeBody: true,
		Secret:      e2eSecret,
	}); err != nil {
		t.Fatal(err)
	}
	// The same without a secret: Jira sends no signature.
	if _, err := a.Create(ctx, webhooks.AdminWebhook{
		Name:        "no body, unsigned",
		URL:         app.URL + "/unsigned?issue=" + webhooks.VarIssueKey.Placeholder(),
		Events:      []webhooks.EventName{webhooks.IssueUpdated},
		ExcludeBody: true,
	}); err != nil {
		t.Fatal(err)
	}

	ds := site.Emit(jiratest.IssueEvent("jira:issue_updated", jiratest.Issue{Key: "TEST-3", ID: "10103"}).Change("summary", "a", "b"))
	if len(ds) != 2 {
		t.Fatalf("deliveries = %+v", ds)
	}
	for _, d := range ds {
		if len(d.Body) != 0 {
			t.Fatalf("delivery with a body: %+v", d)
		}
		if strings.Contains(d.URL, "/unsigned") {
			if d.Status != http.StatusUnauthorized || !d.Final {
				t.Fatalf("unsigned delivery: %+v", d)
			}
		} else if !d.OK() {
			t.Fatalf("signed delivery: %+v", d)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("callback saw %d deliveries", len(got))
	}
	r := got[0]
	if r.err != nil || r.event.Name != "" || len(r.event.Raw) != 0 || r.event.Issue != nil || r.event.Delivery.ID == "" {
		t.Fatalf("callback saw %+v", r)
	}
	if r.vars[webhooks.VarIssueKey] != "TEST-3" || r.vars[webhooks.VarIssueID] != "10103" {
		t.Fatalf("URL variables = %v", r.vars)
	}
}

// TestAdminEndToEndHandler receives admin webhook deliveries, with and
// without body, with the package's Handler, HubSignature and
// AllowEmptyBody, mounted as is: the callbacks read the URL variables from
// the event's Delivery.URL.
func TestAdminEndToEndHandler(t *testing.T) {
	site, a := newAdminSite(t)
	ctx := context.Background()
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
	if tmpl, err = webhooks.AdminURL(app.URL+"/hooks", webhooks.VarProjectKey, webhooks.VarIssueKey); err != nil {
		t.Fatal(err)
	}
	for _, exclude := range []bool{false, true} {
		if _, err := a.Create(ctx, webhooks.AdminWebhook{Name: "h", URL: tmpl, Secret: e2eSecret,
			Events: []webhooks.EventName{webhooks.IssueCreated}, ExcludeBody: exclude}); err != nil {
			t.Fatal(err)
		}
	}

	ds := site.Emit(jiratest.IssueEvent("jira:issue_created", jiratest.Issue{Key: "TEST-42"}))
	if len(ds) != 2 || !ds[0].OK() || !ds[1].OK() {
		t.Fatalf("deliveries = %+v", ds)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("handled %d deliveries: %+v", len(got), got)
	}
	withBody, noBody := got[0], got[1]
	if withBody.noBody {
		withBody, noBody = noBody, withBody
	}
	if withBody.name != webhooks.IssueCreated || withBody.issue != "TEST-42" || withBody.vars[webhooks.VarIssueKey] != "TEST-42" {
		t.Fatalf("delivery with body: %+v", withBody)
	}
	if !noBody.noBody || noBody.vars[webhooks.VarIssueKey] != "TEST-42" || noBody.vars[webhooks.VarProjectKey] != "TEST" {
		t.Fatalf("delivery without body: %+v", noBody)
	}
}
