package speccheck

import (
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Both documents we generate clients from are valid OpenAPI 3, and the
// admin document declares the five operations webhooks.AdminClient calls.
// (Atlassian publishes no definition of the admin webhook API to compare
// it with.)
func TestDocumentsAreValid(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{"webhooks.yaml", filepath.Join("admin", "admin.yaml")} {
		t.Run(doc, func(t *testing.T) {
			t.Parallel()
			d := load(t, filepath.Join(repoRoot, "openapi", doc))
			require.NoError(t, d.Validate(t.Context(), openapi3.DisableExamplesValidation()))
		})
	}
	admin := load(t, filepath.Join(repoRoot, "openapi", "admin", "admin.yaml"))
	got := map[string]string{}
	for key, op := range operations(admin, "") {
		got[key] = op.id
	}
	assert.Equal(t, map[string]string{
		"GET /rest/webhooks/1.0/webhook":         "getAdminWebhooks",
		"POST /rest/webhooks/1.0/webhook":        "createAdminWebhook",
		"GET /rest/webhooks/1.0/webhook/{id}":    "getAdminWebhook",
		"PUT /rest/webhooks/1.0/webhook/{id}":    "updateAdminWebhook",
		"DELETE /rest/webhooks/1.0/webhook/{id}": "deleteAdminWebhook",
	}, got)
}
