package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jirahooks/jirahooks/webhooks/webhookstest"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	var out, logs bytes.Buffer
	require.NoError(t, demo(t.Context(), &out, slog.New(slog.NewTextHandler(&logs, nil))), "demo:\n%s%s", out.String(), logs.String())
	for _, want := range []string{
		`msg="new issue" key=SHOP-21 summary="Refunds are booked twice"`,
		`msg="issue moved" key=SHOP-21 from="To Do" to="In Progress"`,
		`msg="new comment" issue=SHOP-21 text="Found it: the retry job."`,
	} {
		assert.Contains(t, logs.String(), want, "log lacks it")
	}
}

func TestAppRefusesForgeries(t *testing.T) {
	t.Parallel()
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
		assert.Equal(t, tc.want, rec.Code, "signer %T: status", tc.signer)
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	assert.Equal(t, http.StatusOK, rec.Code, "healthz")
}
