package jql

import (
	"strings"
	"testing"
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
		if err != nil {
			t.Errorf("Parse(%q): %v", c.q, err)
			continue
		}
		if got := q.Match(bug); got != c.want {
			t.Errorf("%q matched %v, want %v", c.q, got, c.want)
		}
	}
}

func TestRefused(t *testing.T) {
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
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %q", q, err, want)
		}
		if err != nil && !IsError(err) {
			t.Errorf("Parse(%q): error %T is not *Error", q, err)
		}
	}
	for _, q := range []string{"project =", "project = X AND", "project IN (A, B", "(project = X", "project = X Y", `project = "x`, "project IN A", "= X", "project = AND"} {
		_, err := Parse(q)
		if err == nil || !strings.HasPrefix(err.Error(), "Error in the JQL Query: ") {
			t.Errorf("Parse(%q) = %v, want a syntax error", q, err)
		}
	}
}

func TestFields(t *testing.T) {
	q, err := Parse("project = A AND (status = B OR project = C) AND cf[1] = x")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(q.Fields(), ","); got != "project,status,cf[1]" {
		t.Fatalf("Fields = %s", got)
	}
	if q.String() != "project = A AND (status = B OR project = C) AND cf[1] = x" {
		t.Fatal(q.String())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"project = PRJ", "a IN (b, 'c')", "issue.property[k].p != \"v\"", "((", "cf[1] NOT IN (EMPTY)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			if !IsError(err) {
				t.Fatalf("error %T", err)
			}
			return
		}
		q.Match(bug)
		q.Match(issue{})
	})
}

func TestParseBoundsNesting(t *testing.T) {
	ok := strings.Repeat("(", maxDepth) + "project = A" + strings.Repeat(")", maxDepth)
	if _, err := Parse(ok); err != nil {
		t.Fatalf("%d levels: %v", maxDepth, err)
	}
	deep := strings.Repeat("(", 1_000_000) + "project = A" + strings.Repeat(")", 1_000_000)
	_, err := Parse(deep)
	if !IsError(err) || !strings.Contains(err.Error(), "parentheses") {
		t.Fatalf("a million levels: %v, want a JQL error about nesting", err)
	}
}
