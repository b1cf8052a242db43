package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"

	"github.com/jirahooks/jirahooks/webhooks"
)

// receiver is the app's side of the demo: where Jira delivers webhooks.
// In a real app this is one route of its HTTP server (see
// examples/receiver).
type receiver struct {
	// handler verifies each delivery's Connect JWT, drops duplicates and
	// calls back.
	handler *webhooks.Handler
	// replay handles bodies the app fetched from Jira itself (failed
	// deliveries): same callbacks and same duplicate store, no signature
	// to check. It is never exposed to the network.
	replay *webhooks.Handler

	down atomic.Bool // answer 503, as an app in the middle of a deploy

	mu     sync.Mutex
	events []*webhooks.Event
}

func newReceiver(clientKey string, sharedSecret []byte) *receiver {
	rc := &receiver{}
	// One duplicate store for both handlers: a replayed delivery that was
	// handled already is dropped, and the other way round.
	seen := webhooks.NewMemoryStore(webhooks.DefaultDedupeTTL, webhooks.DefaultDedupeEntries)

	verify := webhooks.ConnectJWT(func(key string) ([]byte, error) {
		if key != clientKey {
			return nil, webhooks.ErrUnknownTenant // answered 401
		}
		return sharedSecret, nil
	})
	rc.handler = webhooks.NewHandler(verify, webhooks.WithDedupeStore(seen))
	rc.replay = webhooks.NewHandler(trusted{}, webhooks.WithDedupeStore(seen),
		webhooks.WithTenant(func(*http.Request) string { return clientKey }))

	for _, h := range []*webhooks.Handler{rc.handler, rc.replay} {
		h.OnAny(rc.record)
	}
	return rc
}

// record is the app's callback: here it only keeps the event.
func (rc *receiver) record(_ context.Context, ev *webhooks.Event) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.events = append(rc.events, ev)
	return nil
}

// received returns the events handled so far.
func (rc *receiver) received() []*webhooks.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*webhooks.Event(nil), rc.events...)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rc.down.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	rc.handler.ServeHTTP(w, r)
}

// serve starts an HTTP server for rc on a loopback port and returns the
// webhook URL and a function that stops the server.
func (rc *receiver) serve() (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /jira/events", rc)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/jira/events", func() { srv.Close() }, nil
}

// replayFailed hands a failed delivery's body to the replay handler, with
// its delivery ID, so that duplicates are still recognised, and returns the
// status the handler answered.
func (rc *receiver) replayFailed(f webhooks.FailedWebhook) int {
	req := httptest.NewRequest(http.MethodPost, "/jira/events", bytes.NewReader([]byte(f.Body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Atlassian-Webhook-Identifier", f.ID)
	rec := httptest.NewRecorder()
	rc.replay.ServeHTTP(rec, req)
	return rec.Code
}

// trusted is the verifier of the replay handler: the bodies it gets come
// from Jira's API over an authenticated call the app made itself.
type trusted struct{}

func (trusted) Verify(*http.Request, []byte) error { return nil }
