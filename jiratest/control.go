package jiratest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ControlPrefix is the path prefix of the control API that [WithControlAPI]
// adds. Jira serves nothing under it.
const ControlPrefix = "/_jiratest"

// WithControlAPI adds a control API under [ControlPrefix], so that tests
// in any language can drive the server over HTTP as Go tests drive it with
// methods: emit an event ([Server.Emit]), read and advance the clock
// ([Server.Advance]), script faults ([Server.ScriptFaults],
// [Server.SetFaultRate], [Server.ClearFaults]) and list delivery attempts
// ([Server.Deliveries]). openapi/jiratest-control.yaml in this module
// documents it. Calls to it need no credentials, are not recorded in
// [Server.Requests] and never meet injected faults. `jirahooks fake`
// serves a server with it.
func WithControlAPI() Option { return func(o *config) { o.control = true } }

// controlRoutes are the control API's operations, "METHOD path".
var controlRoutes = []string{
	"GET " + ControlPrefix + "/clock",
	"POST " + ControlPrefix + "/clock/advance",
	"POST " + ControlPrefix + "/events",
	"GET " + ControlPrefix + "/deliveries",
	"POST " + ControlPrefix + "/faults",
	"DELETE " + ControlPrefix + "/faults",
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	switch route {
	case controlRoutes[0]:
		writeJSON(w, http.StatusOK, controlClock{Now: s.Now()})
	case controlRoutes[1]:
		s.controlAdvance(w, r)
	case controlRoutes[2]:
		s.controlEmit(w, r)
	case controlRoutes[3]:
		writeJSON(w, http.StatusOK, controlDeliveries{Deliveries: deliveriesJSON(s.Deliveries())})
	case controlRoutes[4]:
		s.controlFaults(w, r)
	case controlRoutes[5]:
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	default:
		var allow []string
		for _, rt := range controlRoutes {
			if m, p, _ := strings.Cut(rt, " "); p == r.URL.Path {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			methodNotAllowed(strings.Join(allow, ", "))(w, r, nil)
			return
		}
		writeErrors(w, http.StatusNotFound, "No control operation at "+r.URL.Path+"; see openapi/jiratest-control.yaml.")
	}
}

type controlClock struct {
	Now time.Time `json:"now"`
}

type controlAdvanceBody struct {
	Duration string `json:"duration"`
}

func (s *Server) controlAdvance(w http.ResponseWriter, r *http.Request) {
	var b controlAdvanceBody
	if !decodeBody(w, r, &b) {
		return
	}
	d, err := time.ParseDuration(b.Duration)
	if err != nil || d < 0 {
		writeErrors(w, http.StatusBadRequest, `duration must be a non-negative Go duration such as "90s", "36h" or "720h".`)
		return
	}
	s.Advance(d)
	writeJSON(w, http.StatusOK, controlClock{Now: s.Now()})
}

// controlEvent is the body of POST /_jiratest/events.
type controlEvent struct {
	Event    string         `json:"event"`
	IssueKey string         `json:"issueKey"`
	Project  string         `json:"project"`
	Summary  string         `json:"summary"`
	Status   string         `json:"status"`
	Type     string         `json:"issueType"`
	Fields   map[string]any `json:"fields"`
	Changes  []struct {
		Field string `json:"field"`
		From  string `json:"from"`
		To    string `json:"to"`
	} `json:"changes"`
}

func (s *Server) controlEmit(w http.ResponseWriter, r *http.Request) {
	var b controlEvent
	if !decodeBody(w, r, &b) {
		return
	}
	is := Issue{Key: b.IssueKey, Summary: b.Summary, Status: b.Status, Type: b.Type, Fields: b.Fields}
	is.Project.Key = b.Project
	if is.Key == "" && b.Project != "" {
		is.Key = b.Project + "-1"
	}
	ev, err := SampleEvent(b.Event, is)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "Unknown event "+quote(b.Event)+"; the control API builds: "+strings.Join(sampleEvents, ", ")+".")
		return
	}
	for _, c := range b.Changes {
		ev.Change(c.Field, c.From, c.To)
	}
	writeJSON(w, http.StatusOK, controlDeliveries{Deliveries: deliveriesJSON(s.Emit(ev))})
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

type controlDeliveries struct {
	Deliveries []deliveryJSON `json:"deliveries"`
}

type deliveryJSON struct {
	ID         string          `json:"id"`
	URL        string          `json:"url"`
	Event      string          `json:"event"`
	App        string          `json:"app,omitempty"`
	WebhookIDs []int64         `json:"webhookIds"`
	Attempt    int             `json:"attempt"`
	Time       time.Time       `json:"time"`
	Status     int             `json:"status"`
	Error      string          `json:"error,omitempty"`
	Answer     string          `json:"answer"`
	Final      bool            `json:"final"`
	Body       json.RawMessage `json:"body"`
}

func deliveriesJSON(ds []Delivery) []deliveryJSON {
	out := make([]deliveryJSON, 0, len(ds))
	for _, d := range ds {
		body := json.RawMessage("null")
		if json.Valid(d.Body) {
			body = d.Body
		}
		out = append(out, deliveryJSON{
			ID: d.ID, URL: d.URL, Event: d.Event, App: d.App, WebhookIDs: append([]int64{}, d.WebhookIDs...),
			Attempt: d.Attempt, Time: d.Time, Status: d.Status, Error: d.Err, Answer: string(d.Answer), Final: d.Final, Body: body,
		})
	}
	return out
}

// controlFaultsBody is the body of POST /_jiratest/faults.
type controlFaultsBody struct {
	Endpoint string         `json:"endpoint"`
	Faults   []controlFault `json:"faults"`
	Rate     *float64       `json:"rate"`
}

type controlFault struct {
	Kind       string `json:"kind"`
	RetryAfter string `json:"retryAfter"`
	Delay      string `json:"delay"`
}

var faultEndpoints = []Endpoint{EndpointRegister, EndpointList, EndpointDelete, EndpointRefresh, EndpointFailed, EndpointAdmin, AnyEndpoint}

var faultKinds = []FaultKind{RateLimited, InternalError, Unavailable, Slow, Drop}

func (s *Server) controlFaults(w http.ResponseWriter, r *http.Request) {
	var b controlFaultsBody
	if !decodeBody(w, r, &b) {
		return
	}
	ep := Endpoint(b.Endpoint)
	if !slices.Contains(faultEndpoints, ep) {
		names := make([]string, len(faultEndpoints))
		for i, e := range faultEndpoints {
			names[i] = quote(string(e))
		}
		writeErrors(w, http.StatusBadRequest, "endpoint must be one of "+strings.Join(names, ", ")+".")
		return
	}
	faults := make([]Fault, 0, len(b.Faults))
	for _, f := range b.Faults {
		i := slices.IndexFunc(faultKinds, func(k FaultKind) bool { return k.String() == f.Kind })
		if i < 0 {
			writeErrors(w, http.StatusBadRequest, `kind must be one of "429", "500", "503", "slow", "drop"; got `+quote(f.Kind)+".")
			return
		}
		fault := Fault{Kind: faultKinds[i]}
		for _, d := range []struct {
			name, v string
			dst     *time.Duration
		}{{"retryAfter", f.RetryAfter, &fault.RetryAfter}, {"delay", f.Delay, &fault.Delay}} {
			if d.v == "" {
				continue
			}
			v, err := time.ParseDuration(d.v)
			if err != nil || v < 0 {
				writeErrors(w, http.StatusBadRequest, d.name+` must be a non-negative Go duration such as "2s"; got `+quote(d.v)+".")
				return
			}
			*d.dst = v
		}
		faults = append(faults, fault)
	}
	if b.Rate != nil && (*b.Rate < 0 || *b.Rate > 1) {
		writeErrors(w, http.StatusBadRequest, "rate must be between 0 and 1.")
		return
	}
	if b.Rate == nil && len(faults) == 0 {
		writeErrors(w, http.StatusBadRequest, "Give faults to script, or a rate for random faults.")
		return
	}
	if b.Rate != nil {
		s.SetFaultRate(ep, *b.Rate, faults...)
	} else {
		s.ScriptFaults(ep, faults...)
	}
	w.WriteHeader(http.StatusNoContent)
}
