package jiratest

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jirahooks/jirahooks/internal/jql"
)

const adminPath = "/rest/webhooks/1.0/webhook"

// filterKey is the member of "filters" holding an admin webhook's JQL.
const filterKey = "issue-related-events-section"

// adminHook is a webhook an administrator created. It does not expire.
type adminHook struct {
	id          int64
	name        string
	url         string
	events      []string
	jql         string
	query       *jql.Query
	excludeBody bool
	secret      []byte
	enabled     bool
	updatedBy   string
	updated     time.Time
}

// AdminWebhook is an admin webhook, for inspection.
type AdminWebhook struct {
	ID          int64    // the id Jira gave it, the last segment of its "self" link
	Name        string   // the name given at creation
	URL         string   // where it delivers; may hold ${issue.key} and other variables
	Events      []string // events it is registered for; "*" means all
	JQLFilter   string   // filters["issue-related-events-section"], "" for none
	ExcludeBody bool     // deliveries carry no body
	HasSecret   bool     // deliveries are signed with X-Hub-Signature
	Enabled     bool     // false: it delivers nothing
}

// AdminWebhooks returns the admin webhooks in id order.
func (s *Server) AdminWebhooks() []AdminWebhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AdminWebhook
	for _, a := range s.sortedAdminLocked() {
		out = append(out, AdminWebhook{
			ID: a.id, Name: a.name, URL: a.url, Events: clone(a.events), JQLFilter: a.jql,
			ExcludeBody: a.excludeBody, HasSecret: len(a.secret) > 0, Enabled: a.enabled,
		})
	}
	return out
}

func (s *Server) sortedAdminLocked() []*adminHook {
	out := make([]*adminHook, 0, len(s.admin))
	for _, a := range s.admin {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// adminBody is the JSON of an admin webhook as created or updated.
type adminBody struct {
	Name        *string           `json:"name"`
	URL         *string           `json:"url"`
	Events      []string          `json:"events"`
	Filters     map[string]string `json:"filters"`
	JQLFilter   *string           `json:"jqlFilter"` // older form
	ExcludeBody *bool             `json:"excludeBody"`
	Secret      *string           `json:"secret"`
	Enabled     *bool             `json:"enabled"`
}

func (s *Server) adminJSON(a *adminHook) map[string]any {
	events := a.events
	if events == nil {
		events = []string{}
	}
	return map[string]any{
		"self":                   s.abs(adminPath+"/"+strconv.FormatInt(a.id, 10), nil),
		"name":                   a.name,
		"url":                    a.url,
		"events":                 events,
		"filters":                map[string]string{filterKey: a.jql},
		"excludeBody":            a.excludeBody,
		"isSigned":               len(a.secret) > 0,
		"enabled":                a.enabled,
		"lastUpdatedUser":        a.updatedBy,
		"lastUpdatedDisplayName": a.updatedBy,
		"lastUpdated":            a.updated.UnixMilli(),
	}
}

// handleAdmin serves /rest/webhooks/1.0/webhook[/{id}] for administrators
// (basic auth): GET lists or reads, POST creates (201), PUT updates, DELETE
// removes (204). The secret is write-only: answers never show it.
func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	if !s.authenticate(w, r, info) {
		return
	}
	if info.user == nil || !info.user.admin {
		writeErrors(w, http.StatusForbidden, "You must be a Jira administrator to manage webhooks.")
		return
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, adminPath), "/")
	if rest == "" {
		switch r.Method {
		case http.MethodGet:
			s.mu.Lock()
			out := []map[string]any{}
			for _, a := range s.sortedAdminLocked() {
				out = append(out, s.adminJSON(a))
			}
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, out)
		case http.MethodPost:
			var b adminBody
			if !decodeBody(w, r, &b) {
				return
			}
			a := &adminHook{enabled: true}
			if !s.applyAdmin(w, a, b, true) {
				return
			}
			a.updatedBy = info.user.email
			a.updated = s.clock.Now()
			s.mu.Lock()
			s.nextAdminID++
			a.id = s.nextAdminID
			s.admin[a.id] = a
			out := s.adminJSON(a)
			s.mu.Unlock()
			w.Header().Set("Location", out["self"].(string))
			writeJSON(w, http.StatusCreated, out)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeErrors(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed here.")
		}
		return
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	s.mu.Lock()
	a := s.admin[id]
	s.mu.Unlock()
	if err != nil || a == nil {
		writeErrors(w, http.StatusNotFound, "No webhook with id "+rest+".")
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		out := s.adminJSON(a)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case http.MethodPut:
		var b adminBody
		if !decodeBody(w, r, &b) {
			return
		}
		s.mu.Lock()
		upd := *a
		s.mu.Unlock()
		if !s.applyAdmin(w, &upd, b, false) {
			return
		}
		upd.updatedBy = info.user.email
		upd.updated = s.clock.Now()
		s.mu.Lock()
		if s.admin[id] != nil {
			s.admin[id] = &upd
		}
		out := s.adminJSON(&upd)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case http.MethodDelete:
		s.mu.Lock()
		delete(s.admin, id)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		writeErrors(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed here.")
	}
}

// applyAdmin validates b and copies it into a. On create, name and url are
// required; on update, absent members keep their values.
func (s *Server) applyAdmin(w http.ResponseWriter, a *adminHook, b adminBody, create bool) bool {
	errs := map[string]string{}
	if b.Name != nil {
		a.name = strings.TrimSpace(*b.Name)
	}
	if b.URL != nil {
		a.url = strings.TrimSpace(*b.URL)
	}
	if create || b.Name != nil {
		if a.name == "" {
			errs["name"] = "The webhook name is required."
		}
	}
	if create || b.URL != nil {
		if !strings.HasPrefix(a.url, "http://") && !strings.HasPrefix(a.url, "https://") || len(a.url) < len("http://x") {
			errs["url"] = "The webhook URL must be an absolute http or https URL."
		}
	}
	if b.Events != nil {
		a.events = append([]string(nil), b.Events...)
	}
	filter, set := "", false
	if b.JQLFilter != nil {
		filter, set = *b.JQLFilter, true
	}
	if f, ok := b.Filters[filterKey]; ok {
		filter, set = f, true
	}
	if set {
		a.jql = filter
		a.query = nil
		if strings.TrimSpace(filter) != "" {
			q, err := jql.Parse(filter)
			if err != nil {
				// Jira accepts any JQL here; jiratest evaluates only the
				// subset of dynamic webhooks and says so rather than
				// silently never delivering.
				errs["filters"] = err.Error() + " (jiratest evaluates only the JQL subset of dynamic webhooks)"
			}
			a.query = q
		}
	}
	if b.ExcludeBody != nil {
		a.excludeBody = *b.ExcludeBody
	}
	if b.Secret != nil {
		a.secret = []byte(*b.Secret)
	}
	if b.Enabled != nil {
		a.enabled = *b.Enabled
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{}, "errors": errs})
		return false
	}
	return true
}
