package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

func TestDemo(t *testing.T) {
	var out, logs bytes.Buffer
	if err := demo(context.Background(), &out, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatalf("demo: %v\n%s%s", err, out.String(), logs.String())
	}
	for _, want := range []string{
		`msg="new issue" key=SHOP-21 summary="Refunds are booked twice"`,
		`msg="issue moved" key=SHOP-21 from="To Do" to="In Progress"`,
		`msg="new comment" issue=SHOP-21 text="Found it: the retry job."`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}

func TestAppRefusesForgeries(t *testing.T) {
	var logs bytes.Buffer
	app := newApp([]byte("right"), slog.New(slog.NewTextHandler(&logs, nil)))
	for _, tc := range []struct {
		signer webhookstest.Signer
		want   int
	}{
		{webhookstest.OAuth{ClientSecret: []byte("right")}, http.StatusOK},
		{webhookstest.OAuth{ClientSecret: []byte("wrong")}, http.StatusUnauthorized},
		{nil, http.StatusUnauthorized},
	} {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, webhookstest.NewRequest("/jira/events", webhookstest.Payload("issue_updated"), tc.signer))
		if rec.Code != tc.want {
			t.Errorf("signer %T: status %d, want %d", tc.signer, rec.Code, tc.want)
		}
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("healthz: %d", rec.Code)
	}
}
