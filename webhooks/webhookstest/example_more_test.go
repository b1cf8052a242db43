package webhookstest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/jirahooks/jirahooks/webhooks"
	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

// A test of a Connect app's receiver: NewRequest signs a realistic payload
// the way Jira signs deliveries to one installation.
func ExampleNewRequest() {
	secrets := map[string][]byte{"client-key-1": []byte("shared-secret-1")}
	h := webhooks.NewHandler(webhooks.ConnectJWT(func(clientKey string) ([]byte, error) {
		if s, ok := secrets[clientKey]; ok {
			return s, nil
		}
		return nil, webhooks.ErrUnknownTenant
	}))
	h.On(webhooks.CommentCreated, func(ctx context.Context, e *webhooks.Event) error {
		fmt.Printf("%s on %s from tenant %s\n", e.Name, e.Issue.Key, e.Delivery.Tenant)
		return nil
	})

	for _, signer := range []webhookstest.Signer{
		webhookstest.Connect{ClientKey: "client-key-1", SharedSecret: []byte("shared-secret-1")},
		webhookstest.Connect{ClientKey: "client-key-2", SharedSecret: []byte("shared-secret-1")}, // not installed
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhookstest.NewRequest("/jira/events", webhookstest.Payload("comment_created"), signer))
		fmt.Println(rec.Code)
	}
	// Output:
	// comment_created on PAY-142 from tenant client-key-1
	// 200
	// 401
}
