package auth

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// FuzzFileName: distinct keys get distinct file names, also to a file system
// that ignores case, and no name can leave the store's directory.
func FuzzFileName(f *testing.F) {
	for _, k := range []string{"", ".", "..", "a/b", `a\b`, "é", "%41", "A", "a"} {
		f.Add(k, "A")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na, nb := fileName(a), fileName(b)
		// Distinct even where the file system ignores case (macOS, Windows).
		require.Equal(t, a == b, strings.EqualFold(na, nb), "fileName(%q) = %q, fileName(%q) = %q", a, na, b, nb)
		require.False(t, strings.ContainsAny(na, `/\:`) || na == "." || na == ".." || strings.HasPrefix(na, ".tmp-"),
			"fileName(%q) = %q", a, na)
	})
}

// TestFileNameIgnoresNoCase: keys that differ only in case get files that
// differ in more than case, so that they do not overwrite each other's
// tokens on a case-insensitive file system.
func TestFileNameIgnoresNoCase(t *testing.T) {
	t.Parallel()
	for _, k := range [][2]string{{"a", "A"}, {"site-A", "site-a"}, {"%4a", "%4A"}} {
		a, b := fileName(k[0]), fileName(k[1])
		assert.False(t, strings.EqualFold(a, b), "fileName(%q) = %q and fileName(%q) = %q are one file where case is ignored", k[0], a, k[1], b)
	}
}

// TestFileStoreLongKey: a key whose escaped form exceeds file systems' name
// limit (255 bytes) is still stored, and distinct long keys stay apart.
func TestFileStoreLongKey(t *testing.T) {
	t.Parallel()
	fs, err := NewFileStore(t.TempDir())
	require.NoError(t, err)
	ctx := t.Context()
	long := strings.Repeat("https://example.atlassian.net/", 10)
	keys := []string{long + "1", long + "2"}
	for i, k := range keys {
		require.NoError(t, fs.Save(ctx, k, &oauth2.Token{AccessToken: fmt.Sprint("at", i)}), "Save of a %d-byte key", len(k))
	}
	for i, k := range keys {
		tok, err := fs.Load(ctx, k)
		require.NoError(t, err, "Load")
		assert.Equal(t, fmt.Sprint("at", i), tok.AccessToken, "Load")
	}
}
