package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/jirahooks/jirahooks/auth"
)

// TestReconsentAlert: a grant 340 days after consent raises one alert that
// says when it ends and what to run; one without a consent time says so.
func TestReconsentAlert(t *testing.T) {
	t.Parallel()
	cfg := auth.NewConfig("id", "secret", "http://127.0.0.1:8080/callback")
	store := &auth.MemoryStore{}
	ctx := t.Context()
	fresh := &oauth2.Token{AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}
	consented := time.Now().Add(-340 * 24 * time.Hour)
	require.NoError(t, store.Save(ctx, "old", auth.TokenWithConsentTime(fresh, consented)))
	require.NoError(t, store.Save(ctx, "young", auth.TokenWithConsentTime(fresh, time.Now())))
	require.NoError(t, store.Save(ctx, "imported", fresh))

	for _, tc := range []struct{ key, want string }{
		{"old", `ALERT: grant "old" ends ` + consented.Add(auth.GrantLifetime).UTC().Format(time.RFC3339) +
			" (365 days after consent): ask the user to consent again (run with -consent)\n"},
		{"young", ""},
		{"imported", `ALERT: grant "imported": consent time unknown, so its 365-day expiry cannot be foreseen; consent again to know it (run with -consent)` + "\n"},
	} {
		var alerts strings.Builder
		ts := newTokenSource(cfg, store, tc.key, auth.DefaultReconsentNotice, &alerts)
		for range 3 {
			_, err := ts.Token()
			require.NoError(t, err)
		}
		assert.Equal(t, tc.want, alerts.String(), "alerts for %s", tc.key)
	}
}
