package main

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jirahooks/jirahooks/webhooks"
)

// receiver is the app's side of the demo: where Jira delivers webhooks.
// In a real app this is one route of its HTTP server (see
// examples/receiver).
type receiver struct {
	// handler verifies each delivery's Connect JWT, drops duplicates and
	// calls back. Failed deliveries the app fetches from Jira itself go
	// through its Replay method: same callbacks, same duplicate store, no
	// signature to check.
	handler *webhooks.Handler
	// clientKey is the installation's, the tenant the handler scopes
	// duplicates by; replays are scoped by it too.
	clientKey string

	down atomic.Bool // answer 503, as an app in the middle of a deploy

	mu     sync.Mutex
	events []*webhooks.Event
}

func newReceiver(clientKey string, sharedSecret []byte) *receiver {
	rc := &receiver{clientKey: clientKey}
	verify := webhooks.ConnectJWT(func(key string) ([]byte, error) {
		if key != clientKey {
			return nil, webhooks.ErrUnknownTenant // answered 401
		}
		return sharedSecret, nil
	})
	// The default duplicate store is in memory; an app with several
	// replicas would share one (see stores/redis).
	rc.handler = webhooks.NewHandler(verify)
	rc.handler.OnAny(rc.record)
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
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/jira/events", func() { srv.Close() }, nil
}

// replayFailed hands a failed delivery to the handler. Its ID is the
// delivery's identifier, so a delivery handled already is dropped
// (webhooks.ErrDuplicate).
func (rc *receiver) replayFailed(ctx context.Context, f webhooks.FailedWebhook) error {
	return rc.handler.Replay(ctx, rc.clientKey, f)
}
