package auth

import (
	"strings"
	"testing"
)

// FuzzFileName: distinct keys get distinct file names, and no name can
// leave the store's directory.
func FuzzFileName(f *testing.F) {
	for _, k := range []string{"", ".", "..", "a/b", `a\b`, "é", "%41", "A", "a"} {
		f.Add(k, "A")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na, nb := fileName(a), fileName(b)
		if (na == nb) != (a == b) {
			t.Fatalf("fileName(%q) = %q, fileName(%q) = %q", a, na, b, nb)
		}
		if strings.ContainsAny(na, `/\:`) || na == "." || na == ".." || strings.HasPrefix(na, ".tmp-") {
			t.Fatalf("fileName(%q) = %q", a, na)
		}
	})
}
