package webhooks

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// URLVariable names a variable Jira substitutes into the URL of an admin
// webhook when it sends a delivery, written "${name}" in the URL. For
// example, an admin webhook registered with the URL
// "https://app.example.com/hooks/${issue.key}" is called at
// "https://app.example.com/hooks/EXA-1" when issue EXA-1 triggers it.
//
// The value of a URLVariable is the bare name ("issue.key"); Placeholder
// returns the "${issue.key}" form. The set is open: any name Jira accepts
// works, the constants below are the ones the Jira webhooks guide documents.
// App (dynamic) webhooks do not substitute variables.
type URLVariable string

// The URL variables documented in the Jira webhooks guide. A variable with no
// value for an event (for example ${sprint.id} in an issue event) may arrive
// empty or unsubstituted; URLVariables leaves such variables out.
const (
	VarBoardID          URLVariable = "board.id"
	VarIssueID          URLVariable = "issue.id"
	VarIssueKey         URLVariable = "issue.key"
	VarMergedVersionID  URLVariable = "mergedVersion.id"
	VarModifiedUserKey  URLVariable = "modifiedUser.key"
	VarModifiedUserName URLVariable = "modifiedUser.name"
	VarProjectID        URLVariable = "project.id"
	VarProjectKey       URLVariable = "project.key"
	VarSprintID         URLVariable = "sprint.id"
	VarVersionID        URLVariable = "version.id"
)

// VarModifiedUserAccountID is the account ID of the user who caused the
// event. Jira Cloud identifies users by account ID and substitutes this
// variable where the guide's ${modifiedUser.key} and ${modifiedUser.name}
// (user key and username, withdrawn for privacy) may arrive empty.
const VarModifiedUserAccountID URLVariable = "modifiedUser.accountId"

// Placeholder returns v as Jira expects it in a webhook URL: "${" + v + "}".
func (v URLVariable) Placeholder() string { return "${" + string(v) + "}" }

// ErrURLTemplate reports a malformed URL template or base URL: an unclosed
// "${", an empty or invalid variable name, or a base URL that is not an
// absolute http or https URL.
var ErrURLTemplate = errors.New("webhooks: malformed webhook URL template")

// ErrURLMismatch reports that a request's URL does not have the shape of the
// URL template it was matched against.
var ErrURLMismatch = errors.New("webhooks: request URL does not match the webhook URL template")

// AdminURL returns the URL to register for an admin webhook: base followed by
// one path segment per variable, in order, each a "${...}" placeholder.
//
//	AdminURL("https://app.example.com/hooks", VarProjectKey, VarIssueKey)
//	// "https://app.example.com/hooks/${project.key}/${issue.key}"
//
// A query string in base is kept after the new segments. The placeholders are
// written literally (not percent-encoded), as Jira expects them. base must be
// an absolute http or https URL without placeholders or fragment; otherwise
// the error wraps ErrURLTemplate. For variables in the query or inside a
// segment, write the template by hand with Placeholder; URLVariables reads
// any of these shapes back.
//
// Jira Cloud only calls webhook URLs on the default port (80 for http, 443
// for https); AdminURL does not check this, so that tests can use local
// servers.
func AdminURL(base string, vars ...URLVariable) (string, error) {
	if strings.Contains(base, "${") {
		return "", fmt.Errorf("%w: base %q already contains a placeholder", ErrURLTemplate, base)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrURLTemplate, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: base %q is not an absolute http or https URL", ErrURLTemplate, base)
	}
	if u.Fragment != "" || strings.Contains(base, "#") {
		return "", fmt.Errorf("%w: base %q has a fragment", ErrURLTemplate, base)
	}
	head, query, hasQuery := strings.Cut(base, "?")
	var b strings.Builder
	b.WriteString(strings.TrimRight(head, "/"))
	for _, v := range vars {
		if !validVarName(string(v)) {
			return "", fmt.Errorf("%w: invalid variable name %q", ErrURLTemplate, string(v))
		}
		b.WriteByte('/')
		b.WriteString(v.Placeholder())
	}
	if len(vars) == 0 && strings.HasSuffix(head, "/") {
		b.WriteByte('/')
	}
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String(), nil
}

// validVarName reports whether name can stand between "${" and "}": not
// empty, and only letters, digits, '.', '_' and '-'.
func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// URLVariables reads back the values Jira substituted into an admin
// webhook's URL: it matches r's path and query against template, the URL the
// webhook was registered with (as built by AdminURL, or by hand), and returns
// each variable's value, unescaped.
//
// Only the path and query of template count; its scheme and host may be
// omitted ("/hooks/${issue.key}") and are not compared, so the receiver may
// sit behind a proxy that changes the host. The request path must have the
// template's path exactly, with each "${...}" standing for text without '/'.
// A query parameter of template whose value holds placeholders must be
// present in the request and match; literal query parameters must be present
// with that value; extra request parameters (Jira appends user_id and
// user_key) are ignored.
//
// A variable whose value is empty, or that Jira left as its own "${...}"
// text, is omitted from the map. A variable that occurs twice must have the
// same value both times. A request that does not match gives an error
// wrapping ErrURLMismatch; a malformed template, one wrapping ErrURLTemplate.
//
// In a Handler callback, where there is no request, use URLVariablesOf with
// the event's Delivery.URL.
func URLVariables(r *http.Request, template string) (map[URLVariable]string, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: no request URL", ErrURLMismatch)
	}
	return URLVariablesOf(r.URL, template)
}

// URLVariablesOf is URLVariables for a URL rather than a request: it matches
// u's path and query against template. Its typical use is in a Handler
// callback, with the URL the delivery was sent to:
//
//	vars, err := webhooks.URLVariablesOf(e.Delivery.URL, template)
//
// A nil u gives an error wrapping ErrURLMismatch.
func URLVariablesOf(u *url.URL, template string) (map[URLVariable]string, error) {
	if u == nil {
		return nil, fmt.Errorf("%w: no request URL", ErrURLMismatch)
	}
	tpath, tquery := splitTemplate(template)
	if tpath == "" {
		tpath = "/"
	}
	pathRE, pathNames, err := compileTemplate(tpath, "[^/]*?")
	if err != nil {
		return nil, err
	}
	// Check the whole template before matching, so that a malformed one is
	// reported as such whatever the request.
	if _, _, err := compileTemplate(tquery, ""); err != nil {
		return nil, err
	}
	vars := make(map[URLVariable]string)

	// Match the escaped path first, so that a value holding an escaped '/'
	// stays one segment; fall back to the decoded path for templates whose
	// literal text is written unescaped.
	reqPath := u.EscapedPath()
	if reqPath == "" {
		reqPath = "/"
	}
	escaped := true
	m := pathRE.FindStringSubmatch(reqPath)
	if m == nil && u.Path != reqPath {
		m = pathRE.FindStringSubmatch(u.Path)
		escaped = false
	}
	if m == nil {
		return nil, fmt.Errorf("%w: path %q does not match %q", ErrURLMismatch, reqPath, tpath)
	}
	for i, name := range pathNames {
		val := m[i+1]
		if escaped {
			if val, err = url.PathUnescape(val); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrURLMismatch, err)
			}
		}
		if err := setVar(vars, name, val); err != nil {
			return nil, err
		}
	}

	reqQuery := u.Query()
	for _, pair := range strings.Split(tquery, "&") {
		if pair == "" {
			continue
		}
		key, tval, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		re, names, err := compileTemplate(tval, ".*?")
		if err != nil {
			return nil, err
		}
		got, ok := reqQuery[key]
		if !ok || len(got) == 0 {
			return nil, fmt.Errorf("%w: query parameter %q missing", ErrURLMismatch, key)
		}
		if len(names) == 0 {
			want, err := url.QueryUnescape(tval)
			if err != nil {
				want = tval
			}
			if !slices.Contains(got, want) {
				return nil, fmt.Errorf("%w: query parameter %q is %q, want %q", ErrURLMismatch, key, got, want)
			}
			continue
		}
		m := re.FindStringSubmatch(got[0])
		if m == nil {
			return nil, fmt.Errorf("%w: query parameter %q=%q does not match %q", ErrURLMismatch, key, got[0], tval)
		}
		for i, name := range names {
			if err := setVar(vars, name, m[i+1]); err != nil {
				return nil, err
			}
		}
	}
	return vars, nil
}

// setVar records val for name in vars, skipping empty and unsubstituted
// values, and reports a variable that occurs twice with different values.
func setVar(vars map[URLVariable]string, name URLVariable, val string) error {
	if val == "" || val == name.Placeholder() {
		return nil
	}
	if old, ok := vars[name]; ok && old != val {
		return fmt.Errorf("%w: variable %s is both %q and %q", ErrURLMismatch, name.Placeholder(), old, val)
	}
	vars[name] = val
	return nil
}

// compileTemplate turns template text into an anchored regular expression
// in which each "${name}" is a group matching value, and returns the
// variable names in group order.
func compileTemplate(text, value string) (*regexp.Regexp, []URLVariable, error) {
	var b strings.Builder
	var names []URLVariable
	b.WriteByte('^')
	rest := text
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		b.WriteString(regexp.QuoteMeta(rest[:i]))
		rest = rest[i+2:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return nil, nil, fmt.Errorf("%w: unclosed \"${\" in %q", ErrURLTemplate, text)
		}
		name := rest[:j]
		if !validVarName(name) {
			return nil, nil, fmt.Errorf("%w: invalid variable name %q in %q", ErrURLTemplate, name, text)
		}
		names = append(names, URLVariable(name))
		b.WriteString("(" + value + ")")
		rest = rest[j+1:]
	}
	b.WriteByte('$')
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrURLTemplate, err)
	}
	return re, names, nil
}

// splitTemplate returns the path and the raw query of template, dropping any
// scheme, host and fragment.
func splitTemplate(template string) (path, query string) {
	t, _, _ := strings.Cut(template, "#")
	if i := strings.Index(t, "://"); i >= 0 && !strings.ContainsAny(t[:i], "/?$") {
		t = t[i+3:]
		if j := strings.IndexAny(t, "/?"); j >= 0 {
			t = t[j:]
		} else {
			t = ""
		}
	}
	path, query, _ = strings.Cut(t, "?")
	return path, query
}
