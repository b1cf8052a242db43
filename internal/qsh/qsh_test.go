package qsh

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, rawQuery string
		canonical                    string
		hash                         string
	}{
		{
			name: "design vector", method: "GET", path: "/path/to/service", rawQuery: "a=1&A=2&b=3&B=4",
			canonical: "GET&/path/to/service&A=2&B=4&a=1&b=3",
			hash:      "70282c7cf82834bd5a3d6dacda1b4ccd5cf5860a63a1fa2fb86b64d576e6a1d5",
		},
		{name: "lower-case method", method: "post", path: "/user", canonical: "POST&/user&"},
		{name: "empty path", method: "GET", path: "", rawQuery: "param=foo", canonical: "GET&/&param=foo"},
		{name: "trailing slash", method: "GET", path: "/a/b/", canonical: "GET&/a/b&"},
		{name: "ampersand in path", method: "GET", path: "/a&b", canonical: "GET&/a%26b&"},
		{name: "jwt dropped", method: "GET", path: "/x", rawQuery: "jwt=abc.def.ghi&z=1", canonical: "GET&/x&z=1"},
		{name: "repeated key sorted and joined", method: "GET", path: "/x", rawQuery: "k=b&k=a&j=2", canonical: "GET&/x&j=2&k=a,b"},
		{name: "space star tilde", method: "GET", path: "/x", rawQuery: "q=a+b*c~d", canonical: "GET&/x&q=a%20b%2Ac~d"},
		{name: "comma in value escaped", method: "GET", path: "/x", rawQuery: "f=a%2Cb", canonical: "GET&/x&f=a%2Cb"},
		{name: "non-ASCII", method: "GET", path: "/x", rawQuery: "name=%C3%A9t%C3%A9", canonical: "GET&/x&name=%C3%A9t%C3%A9"},
		{name: "empty value", method: "GET", path: "/x", rawQuery: "e=", canonical: "GET&/x&e="},
		// Names sort by their encoded form: "a%7B" < "aa" although "aa" < "a{".
		{name: "names sorted encoded", method: "GET", path: "/x", rawQuery: "aa=1&a%7B=2&%C3%A9=3&z=4", canonical: "GET&/x&%C3%A9=3&a%7B=2&aa=1&z=4"},
		{name: "repeated non-ASCII values", method: "GET", path: "/x", rawQuery: "k=%C3%A9&k=z&k=a", canonical: "GET&/x&k=a,z,%C3%A9"},
		{name: "atlassian doc example", method: "GET", path: "/path/to/service", rawQuery: "zee_last=param&repeated=parameter+1&first=param&repeated=parameter+2",
			canonical: "GET&/path/to/service&first=param&repeated=parameter%201,parameter%202&zee_last=param"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := url.ParseQuery(tc.rawQuery)
			require.NoError(t, err)
			assert.Equal(t, tc.canonical, Canonical(tc.method, tc.path, q), "Canonical")
			if tc.hash != "" {
				assert.Equal(t, tc.hash, Hash(tc.method, tc.path, q), "Hash")
			}
		})
	}
}

func TestStripContext(t *testing.T) {
	t.Parallel()
	tests := []struct{ base, path, want string }{
		{"", "/rest/api/3/webhook", "/rest/api/3/webhook"},
		{"/", "/rest/api/3/webhook", "/rest/api/3/webhook"},
		{"/jira", "/jira/rest/api/3/webhook", "/rest/api/3/webhook"},
		{"/jira/", "/jira/rest", "/rest"},
		{"/jira", "/jira", "/"},
		{"/jira", "/jiraextra/x", "/jiraextra/x"},
		{"/ex/jira/abc", "/ex/jira/abc/rest/api/3/webhook", "/rest/api/3/webhook"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, StripContext(tc.base, tc.path), "StripContext(%q, %q)", tc.base, tc.path)
	}
}

func BenchmarkHash(b *testing.B) {
	q := url.Values{"a": {"1"}, "A": {"2"}, "b": {"3"}, "B": {"4"}}
	b.ReportAllocs()
	for b.Loop() {
		Hash("GET", "/path/to/service", q)
	}
}
