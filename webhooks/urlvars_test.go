package webhooks

import (
	"errors"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestURLVariablePlaceholder(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "${issue.key}", VarIssueKey.Placeholder(), "Placeholder")
	// The documented list from the Jira webhooks guide, exactly.
	want := []string{"board.id", "issue.id", "issue.key", "mergedVersion.id",
		"modifiedUser.key", "modifiedUser.name", "project.id", "project.key",
		"sprint.id", "version.id"}
	got := []URLVariable{VarBoardID, VarIssueID, VarIssueKey, VarMergedVersionID,
		VarModifiedUserKey, VarModifiedUserName, VarProjectID, VarProjectKey,
		VarSprintID, VarVersionID}
	for i := range want {
		assert.Equal(t, want[i], string(got[i]), "constant %d", i)
	}
}

func TestAdminURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base string
		vars []URLVariable
		want string
	}{
		{"https://app.example.com/hooks", []URLVariable{VarProjectKey, VarIssueKey},
			"https://app.example.com/hooks/${project.key}/${issue.key}"},
		{"https://app.example.com/hooks/", []URLVariable{VarIssueKey},
			"https://app.example.com/hooks/${issue.key}"},
		{"https://app.example.com", []URLVariable{VarSprintID},
			"https://app.example.com/${sprint.id}"},
		{"https://app.example.com/hooks?team=a%20b", []URLVariable{VarIssueID},
			"https://app.example.com/hooks/${issue.id}?team=a%20b"},
		{"http://localhost:8080/x/", nil, "http://localhost:8080/x/"},
		{"https://app.example.com/hooks", []URLVariable{"custom_var-1.x"},
			"https://app.example.com/hooks/${custom_var-1.x}"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			got, err := AdminURL(tt.base, tt.vars...)
			require.NoError(t, err, "AdminURL(%q, %v)", tt.base, tt.vars)
			assert.Equal(t, tt.want, got, "AdminURL(%q, %v)", tt.base, tt.vars)
		})
	}
}

func TestAdminURLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base string
		vars []URLVariable
	}{
		{"app.example.com/hooks", nil},
		{"/hooks", []URLVariable{VarIssueKey}},
		{"ftp://app.example.com/hooks", nil},
		{"https://app.example.com/hooks#frag", nil},
		{"https://app.example.com/${issue.key}", nil},
		{"https://app.example.com/hooks", []URLVariable{""}},
		{"https://app.example.com/hooks", []URLVariable{"a}b"}},
		{"https://app.example.com/hooks", []URLVariable{"a/b"}},
		{"https://app.exa mple.com/%zz", nil},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			t.Parallel()
			got, err := AdminURL(tt.base, tt.vars...)
			assert.ErrorIs(t, err, ErrURLTemplate, "AdminURL(%q, %q) = %q", tt.base, tt.vars, got)
		})
	}
}

func TestURLVariables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		template string
		target   string
		want     map[URLVariable]string
	}{
		{"path", "https://app.example.com/hooks/${project.key}/${issue.key}",
			"/hooks/EXA/EXA-1", map[URLVariable]string{VarProjectKey: "EXA", VarIssueKey: "EXA-1"}},
		{"path only template", "/hooks/${issue.id}",
			"/hooks/10001", map[URLVariable]string{VarIssueID: "10001"}},
		{"Jira appends user parameters", "https://app.example.com/hooks/${issue.key}",
			"/hooks/EXA-1?user_id=(u'sysadmin',)&user_key=(u'sysadmin',)",
			map[URLVariable]string{VarIssueKey: "EXA-1"}},
		{"inside a segment", "https://app.example.com/hooks/issue-${issue.key}.json",
			"/hooks/issue-EXA-12.json", map[URLVariable]string{VarIssueKey: "EXA-12"}},
		{"adjacent with separator", "/h/${project.key}_${sprint.id}",
			"/h/EXA_7", map[URLVariable]string{VarProjectKey: "EXA", VarSprintID: "7"}},
		{"escaped value", "/h/${modifiedUser.name}",
			"/h/jane%20doe%2Fadmin", map[URLVariable]string{VarModifiedUserName: "jane doe/admin"}},
		{"query", "https://app.example.com/hook?issue=${issue.key}&project=${project.id}&static=1",
			"/hook?static=1&project=10000&issue=EXA-1&user_key=admin",
			map[URLVariable]string{VarIssueKey: "EXA-1", VarProjectID: "10000"}},
		{"query escaped value", "/hook?who=${modifiedUser.name}",
			"/hook?who=jane+doe%26co", map[URLVariable]string{VarModifiedUserName: "jane doe&co"}},
		{"empty value omitted", "/hooks/${sprint.id}/${issue.key}",
			"/hooks//EXA-1", map[URLVariable]string{VarIssueKey: "EXA-1"}},
		{"unsubstituted omitted", "/hooks/${sprint.id}/${issue.key}",
			"/hooks/$%7Bsprint.id%7D/EXA-1", map[URLVariable]string{VarIssueKey: "EXA-1"}},
		{"same variable twice", "/hooks/${issue.key}?k=${issue.key}",
			"/hooks/EXA-1?k=EXA-1", map[URLVariable]string{VarIssueKey: "EXA-1"}},
		{"no variables", "https://app.example.com/hooks", "/hooks", map[URLVariable]string{}},
		{"root", "https://app.example.com", "/", map[URLVariable]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "https://app.example.com"+tt.target, strings.NewReader("{}"))
			got, err := URLVariables(r, tt.template)
			require.NoError(t, err, "URLVariables")
			// maps.Equal, not assert.Equal: no variables may come back as
			// an empty map or a nil one.
			assert.True(t, maps.Equal(got, tt.want), "URLVariables = %v, want %v", got, tt.want)
		})
	}
}

func TestURLVariablesRoundTrip(t *testing.T) {
	t.Parallel()
	tmpl, err := AdminURL("https://app.example.com/jira/hooks", VarProjectKey, VarIssueKey, VarModifiedUserKey)
	require.NoError(t, err)
	// What Jira does: replace each placeholder with the value.
	target := strings.NewReplacer("${project.key}", "EXA", "${issue.key}", "EXA-9",
		"${modifiedUser.key}", "JIRAUSER10100").Replace(tmpl)
	r := httptest.NewRequest("POST", target, nil)
	got, err := URLVariables(r, tmpl)
	require.NoError(t, err)
	want := map[URLVariable]string{VarProjectKey: "EXA", VarIssueKey: "EXA-9", VarModifiedUserKey: "JIRAUSER10100"}
	assert.Equal(t, want, got, "URLVariables of %s", target)
}

func TestURLVariablesMismatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		template string
		target   string
	}{
		{"other path", "/hooks/${issue.key}", "/other/EXA-1"},
		{"extra segment", "/hooks/${issue.key}", "/hooks/EXA-1/more"},
		{"missing segment", "/hooks/${project.key}/${issue.key}", "/hooks/EXA"},
		{"missing query", "/hooks?k=${issue.key}", "/hooks"},
		{"literal query differs", "/hooks?team=a&k=${issue.key}", "/hooks?team=b&k=EXA-1"},
		{"query value shape", "/hooks?k=issue-${issue.key}", "/hooks?k=EXA-1"},
		{"conflicting repeat", "/hooks/${issue.key}?k=${issue.key}", "/hooks/EXA-1?k=EXA-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", tt.target, nil)
			got, err := URLVariables(r, tt.template)
			assert.ErrorIs(t, err, ErrURLMismatch, "URLVariables = %v", got)
		})
	}
	_, err := URLVariables(nil, "/x")
	assert.ErrorIs(t, err, ErrURLMismatch, "nil request")
}

func TestURLVariablesBadTemplate(t *testing.T) {
	t.Parallel()
	for _, tmpl := range []string{"/hooks/${issue.key", "/hooks/${}", "/hooks?k=${a b}", "/h/${a/b}"} {
		t.Run(tmpl, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/hooks/x", nil)
			_, err := URLVariables(r, tmpl)
			assert.ErrorIs(t, err, ErrURLTemplate, "URLVariables(%q)", tmpl)
		})
	}
}

func FuzzURLVariables(f *testing.F) {
	f.Add("/hooks/${project.key}/${issue.key}", "/hooks/EXA/EXA-1?user_key=x")
	f.Add("https://h/x?k=${issue.key}&s=1", "/x?k=A-1&s=1")
	f.Add("/${a}${b}", "/%zz")
	f.Fuzz(func(t *testing.T, tmpl, target string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.URL.RawQuery = ""
		if u, err := r.URL.Parse(target); err == nil {
			r.URL = u
		}
		vars, err := URLVariables(r, tmpl)
		if err != nil {
			require.True(t, errors.Is(err, ErrURLMismatch) || errors.Is(err, ErrURLTemplate), "unexpected error kind: %v", err)
			return
		}
		for k, v := range vars {
			require.NotEmpty(t, v, "kept empty %q", k)
			require.NotEqual(t, k.Placeholder(), v, "kept unsubstituted %q", k)
		}
	})
}
