package jiratest

import (
	"net/http"
	"strconv"
	"time"
)

// Endpoint names an API operation for fault injection.
type Endpoint string

// The endpoints faults can be injected into. The dynamic webhook endpoints
// cover both /rest/api/2 and /rest/api/3.
const (
	EndpointRegister Endpoint = "POST /webhook"
	EndpointList     Endpoint = "GET /webhook"
	EndpointDelete   Endpoint = "DELETE /webhook"
	EndpointRefresh  Endpoint = "PUT /webhook/refresh"
	EndpointFailed   Endpoint = "GET /webhook/failed"
	EndpointAdmin    Endpoint = "/rest/webhooks/1.0/webhook" // every method
	// AnyEndpoint applies to every endpoint above, after their own faults.
	AnyEndpoint Endpoint = "*"
)

// FaultKind is a way an API call can fail.
type FaultKind int

const (
	// NoFault means the request was answered normally.
	NoFault FaultKind = iota
	// RateLimited answers 429 with a Retry-After header, as Jira's rate
	// limiter does.
	RateLimited
	// InternalError answers 500.
	InternalError
	// Unavailable answers 503 (with Retry-After when the fault sets one).
	Unavailable
	// Slow waits Fault.Delay of real time, then answers normally.
	Slow
	// Drop closes the connection without an answer.
	Drop
)

// String returns the kind's name.
func (k FaultKind) String() string {
	switch k {
	case NoFault:
		return "none"
	case RateLimited:
		return "429"
	case InternalError:
		return "500"
	case Unavailable:
		return "503"
	case Slow:
		return "slow"
	case Drop:
		return "drop"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is one injected failure. The request it hits changes nothing on
// the server (except for Slow, which then answers normally).
type Fault struct {
	// Kind is how the call fails.
	Kind FaultKind
	// RetryAfter is the Retry-After of RateLimited (default 1 second) and
	// Unavailable (none by default), rounded up to whole seconds.
	RetryAfter time.Duration
	// Delay is the real-time wait of Slow (default 50ms, at most 10s); a
	// client that gives up earlier ends it.
	Delay time.Duration
}

// Convenience faults.
var (
	// Fault429 answers 429 with "Retry-After: 1".
	Fault429 = Fault{Kind: RateLimited, RetryAfter: time.Second}
	// Fault500 answers 500.
	Fault500 = Fault{Kind: InternalError}
	// Fault503 answers 503 without Retry-After.
	Fault503 = Fault{Kind: Unavailable}
	// FaultSlow answers normally after 50ms.
	FaultSlow = Fault{Kind: Slow, Delay: 50 * time.Millisecond}
	// FaultDrop closes the connection without an answer.
	FaultDrop = Fault{Kind: Drop}
)

type faultPlan struct {
	script []Fault
	rate   float64
	kinds  []Fault
}

// ScriptFaults makes the next calls to ep fail, one fault per call, in
// order; calls after the script are answered normally (or by the random
// faults of [Server.SetFaultRate]). Scripts add up.
func (s *Server) ScriptFaults(ep Endpoint, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.planLocked(ep)
	p.script = append(p.script, faults...)
}

// SetFaultRate makes each call to ep fail with probability rate (0 to 1),
// with a fault drawn uniformly from kinds (default: 429, 500 and 503), from
// the generator seeded by [WithSeed]. A rate of 0 stops random faults.
func (s *Server) SetFaultRate(ep Endpoint, rate float64, kinds ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.planLocked(ep)
	p.rate = rate
	p.kinds = append([]Fault(nil), kinds...)
	if len(p.kinds) == 0 {
		p.kinds = []Fault{Fault429, Fault500, Fault503}
	}
}

// ClearFaults removes every scripted and random fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[Endpoint]*faultPlan{}
}

func (s *Server) planLocked(ep Endpoint) *faultPlan {
	p := s.faults[ep]
	if p == nil {
		p = &faultPlan{}
		s.faults[ep] = p
	}
	return p
}

// pickFault decides whether this call to ep fails: scripted faults of ep,
// then of AnyEndpoint, then random faults of ep, then of AnyEndpoint.
func (s *Server) pickFault(ep Endpoint) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	for _, e := range []Endpoint{ep, AnyEndpoint} {
		if p := s.faults[e]; p != nil && len(p.script) > 0 {
			f := p.script[0]
			p.script = p.script[1:]
			return f, true
		}
	}
	for _, e := range []Endpoint{ep, AnyEndpoint} {
		if p := s.faults[e]; p != nil && p.rate > 0 && s.rng.Float64() < p.rate {
			return p.kinds[s.rng.IntN(len(p.kinds))], true
		}
	}
	return Fault{}, false
}

// applyFault answers r with f and reports whether the request is done.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case RateLimited:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		w.Header().Set("Retry-After", seconds(ra))
		writeErrors(w, http.StatusTooManyRequests, "Rate limit exceeded.")
	case InternalError:
		writeErrors(w, http.StatusInternalServerError, "Internal server error.")
	case Unavailable:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", seconds(f.RetryAfter))
		}
		writeErrors(w, http.StatusServiceUnavailable, "Service unavailable.")
	case Slow:
		d := f.Delay
		if d <= 0 {
			d = 50 * time.Millisecond
		}
		d = min(d, 10*time.Second)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
		return false
	case Drop:
		if hj, ok := w.(*recorder).ResponseWriter.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	default:
		return false
	}
	return true
}

func seconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
