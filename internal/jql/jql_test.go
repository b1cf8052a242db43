package jql

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type issue map[string][]string

func (i issue) Values(f string) []string { return i[f] }

var bug = issue{
	"issuekey":                      {"PRJ-1", "10001"},
	"project":                       {"PRJ", "10000", "Project"},
	"issuetype":                     {"Bug", "1"},
	"status":                        {"In Progress", "3"},
	"assignee":                      {"5b10ac8d82e05b22cc7d4ef5"},
	"cf[10029]":                     {"Epic A"},
	"issue.property[support].level": {"gold"},
}

func TestMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q    string
		want bool
	}{
		{"project = PRJ", true},
		{"project = prj", true},
		{"Project = 10000", true},
		{"project = OTHER", false},
		{"project != OTHER", true},
		{"project IN (PROJ, PRJ)", true},
		{"project in (PROJ, EXP)", false},
		{"project NOT IN (PROJ, EXP)", true},
		{"project not in (PRJ)", false},
		{`issuetype = "Bug" AND status = 'In Progress'`, true},
		{"issuetype = Bug AND status = Done", false},
		{"issuetype = Task OR status = \"in progress\"", true},
		{"(project = X OR project = PRJ) AND issueKey = PRJ-1", true},
		{"key = PRJ-2", false},
		{"assignee = 5b10ac8d82e05b22cc7d4ef5", true},
		{"assignee = 5B10AC8D82E05B22CC7D4EF5", false},
		{"reporter = EMPTY", true},
		{"reporter != x", false}, // != never matches an empty field
		{"reporter NOT IN (x)", false},
		{"assignee != EMPTY", true},
		{"reporter IN (EMPTY, x)", true},
		{"reporter NOT IN (EMPTY, x)", false}, // nor when EMPTY is listed
		{"status NOT IN (Done, EMPTY)", true},
		{"cf[10029] = \"Epic A\"", true},
		{"issue.property[support].level = gold", true},
		{"issue.property[support].level = silver", false},
		{"issue.property[other] = x", false},
	}
	for _, c := range cases {
		q, err := Parse(c.q)
		if !assert.NoError(t, err, "Parse(%q)", c.q) {
			continue
		}
		assert.Equal(t, c.want, q.Match(bug), "%q matched", c.q)
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                             "The JQL filter is required.",
		"   ":                          "The JQL filter is required.",
		"watchCount > 1":               "The clause watchCount is unsupported",
		"text ~ x":                     "The clause text is unsupported",
		"project = X ORDER BY created": "The ORDER BY clause is unsupported",
		"project ~ x":                  "The operator '~' is unsupported",
		"project > x":                  "The operator '>' is unsupported",
		"assignee = currentUser()":     "The function currentUser is unsupported",
		"assignee IS EMPTY":            "The operator 'IS' is unsupported",
		"NOT project = X":              "The operator NOT is unsupported",
		"fixVersion = 1":               "The clause fixVersion is unsupported",
		"cf[abc] = 1":                  "The clause cf[abc] is unsupported",
	}
	for q, want := range cases {
		_, err := Parse(q)
		if assert.EqualError(t, err, want, "Parse(%q)", q) {
			assert.True(t, IsError(err), "Parse(%q): error %T is not *Error", q, err)
		}
	}
	for _, q := range []string{"project =", "project = X AND", "project IN (A, B", "(project = X", "project = X Y", `project = "x`, "project IN A", "= X", "project = AND"} {
		_, err := Parse(q)
		if assert.Error(t, err, "Parse(%q)", q) {
			assert.True(t, strings.HasPrefix(err.Error(), "Error in the JQL Query: "), "Parse(%q) = %v, want a syntax error", q, err)
		}
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	q, err := Parse("project = A AND (status = B OR project = C) AND cf[1] = x")
	require.NoError(t, err)
	assert.Equal(t, []string{"project", "status", "cf[1]"}, q.Fields(), "Fields")
	assert.Equal(t, "project = A AND (status = B OR project = C) AND cf[1] = x", q.String())
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"project = PRJ", "a IN (b, 'c')", "issue.property[k].p != \"v\"", "((", "cf[1] NOT IN (EMPTY)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			require.True(t, IsError(err), "error %T", err)
			return
		}
		q.Match(bug)
		q.Match(issue{})
	})
}

func TestParseBoundsNesting(t *testing.T) {
	t.Parallel()
	ok := strings.Repeat("(", maxDepth) + "project = A" + strings.Repeat(")", maxDepth)
	_, err := Parse(ok)
	require.NoError(t, err, "%d levels", maxDepth)
	deep := strings.Repeat("(", 1_000_000) + "project = A" + strings.Repeat(")", 1_000_000)
	_, err = Parse(deep)
	require.True(t, IsError(err), "a million levels: %v, want a JQL error", err)
	assert.ErrorContains(t, err, "parentheses", "a million levels: want an error about nesting")
}
