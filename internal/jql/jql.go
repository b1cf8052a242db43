// Package jql parses and evaluates the subset of JQL that Jira Cloud accepts
// in the jqlFilter of a dynamic (app) webhook.
//
// The subset, as Jira documents it: the fields issueKey, project, issuetype,
// status, assignee, reporter, issue.property and cf[id]; the operators =,
// !=, IN and NOT IN; clauses joined with AND and OR, grouped with
// parentheses. Anything else (another field such as watchCount, an operator
// such as ~ or >, a function, ORDER BY) is refused with an error in the words
// Jira uses, for example "The clause watchCount is unsupported".
//
// Matching follows JQL: names compare case-insensitively, and != and NOT IN
// never match an issue whose field is empty (use "= EMPTY" for that).
package jql

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Issue is what a query is evaluated against: the values of one field of an
// issue. Values returns nil or an empty slice when the field is empty. The
// canonical field names passed in are "issuekey", "project", "issuetype",
// "status", "assignee", "reporter", "cf[<id>]" and
// "issue.property[<key>]<.path>" (the path, if any, as written).
type Issue interface {
	Values(field string) []string
}

// Query is a parsed filter. The zero Query is not valid; use [Parse].
type Query struct {
	src  string
	root node
}

// String returns the filter as it was given to [Parse].
func (q *Query) String() string { return q.src }

// Match reports whether the issue satisfies the query.
func (q *Query) Match(is Issue) bool {
	if q == nil || q.root == nil {
		return false
	}
	return q.root.eval(is)
}

// Fields returns the canonical names of the fields the query mentions, in
// order of first appearance.
func (q *Query) Fields() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *binary:
			walk(n.l)
			walk(n.r)
		case *clause:
			if !seen[n.field] {
				seen[n.field] = true
				out = append(out, n.field)
			}
		}
	}
	walk(q.root)
	return out
}

// Error is why a filter was refused. Its message is the text Jira would
// return for the webhook in its registration result.
type Error struct {
	Msg string
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// ErrEmpty is returned by [Parse] for an empty or blank filter: jqlFilter is
// required.
var ErrEmpty = &Error{Msg: "The JQL filter is required."}

// Parse parses a filter in the supported subset.
func Parse(s string) (*Query, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, ErrEmpty
	}
	p := &parser{toks: toks}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if !p.done() {
		t := p.peek()
		if t.kind == tWord && strings.EqualFold(t.text, "order") {
			return nil, &Error{Msg: "The ORDER BY clause is unsupported"}
		}
		return nil, syntaxErr("Expecting 'AND' or 'OR' but got '%s'.", t.text)
	}
	return &Query{src: s, root: root}, nil
}

// IsError reports whether err came from [Parse] refusing a filter.
func IsError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

func syntaxErr(format string, args ...any) error {
	return &Error{Msg: "Error in the JQL Query: " + fmt.Sprintf(format, args...)}
}

// ---- evaluation ----

type node interface{ eval(Issue) bool }

type binary struct {
	and  bool
	l, r node
}

func (b *binary) eval(is Issue) bool {
	if b.and {
		return b.l.eval(is) && b.r.eval(is)
	}
	return b.l.eval(is) || b.r.eval(is)
}

type value struct {
	text  string
	empty bool // EMPTY or NULL
}

type clause struct {
	field  string
	negate bool // != or NOT IN
	values []value
	exact  bool // compare case-sensitively (account ids)
}

func (c *clause) eval(is Issue) bool {
	have := is.Values(c.field)
	isEmpty := len(have) == 0
	hit := false
	for _, v := range c.values {
		if v.empty {
			if isEmpty {
				hit = true
			}
			continue
		}
		for _, h := range have {
			if c.exact && h == v.text || !c.exact && strings.EqualFold(h, v.text) {
				hit = true
			}
		}
	}
	if !c.negate {
		return hit
	}
	// JQL: != and NOT IN never match an empty field, EMPTY listed or not.
	return !isEmpty && !hit
}

// ---- parsing ----

type parser struct {
	toks  []token
	i     int
	depth int // parentheses open at the current position
}

// maxDepth bounds the nesting of parentheses, so that a hostile filter
// cannot make the recursive parser use unbounded stack. Real filters nest a
// few levels at most.
const maxDepth = 64

func (p *parser) done() bool  { return p.i >= len(p.toks) }
func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }
func (p *parser) isWord(w string) bool {
	return !p.done() && p.peek().kind == tWord && strings.EqualFold(p.peek().text, w)
}

func (p *parser) or() (node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.i++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &binary{l: l, r: r}
	}
	return l, nil
}

func (p *parser) and() (node, error) {
	l, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.i++
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		l = &binary{and: true, l: l, r: r}
	}
	return l, nil
}

func (p *parser) primary() (node, error) {
	if p.done() {
		return nil, syntaxErr("Expecting a field name but reached the end of the query.")
	}
	t := p.peek()
	if t.kind == tLParen {
		if p.depth >= maxDepth {
			return nil, syntaxErr("The query nests parentheses more than %d deep.", maxDepth)
		}
		p.i++
		p.depth++
		n, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if p.done() || p.peek().kind != tRParen {
			return nil, syntaxErr("Expecting ')' before the end of the query.")
		}
		p.i++
		return n, nil
	}
	if p.isWord("not") {
		return nil, &Error{Msg: "The operator NOT is unsupported"}
	}
	if p.isWord("order") {
		return nil, &Error{Msg: "The ORDER BY clause is unsupported"}
	}
	return p.clause()
}

var fieldAliases = map[string]string{
	"issuekey":  "issuekey",
	"key":       "issuekey",
	"issue":     "issuekey",
	"project":   "project",
	"issuetype": "issuetype",
	"type":      "issuetype",
	"status":    "status",
	"assignee":  "assignee",
	"reporter":  "reporter",
}

func (p *parser) clause() (node, error) {
	t := p.next()
	if t.kind != tWord && t.kind != tString {
		return nil, syntaxErr("Expecting a field name but got '%s'.", t.text)
	}
	name := t.text
	field, ok := canonicalField(name)
	if !ok {
		return nil, &Error{Msg: fmt.Sprintf("The clause %s is unsupported", name)}
	}
	if p.done() {
		return nil, syntaxErr("Expecting an operator after the field '%s'.", name)
	}
	c := &clause{field: field, exact: field == "assignee" || field == "reporter"}
	op := p.next()
	switch {
	case op.kind == tOp && op.text == "=":
	case op.kind == tOp && op.text == "!=":
		c.negate = true
	case op.kind == tWord && strings.EqualFold(op.text, "in"):
		return p.list(c)
	case op.kind == tWord && strings.EqualFold(op.text, "not"):
		if !p.isWord("in") {
			return nil, &Error{Msg: "The operator NOT is unsupported"}
		}
		p.i++
		c.negate = true
		return p.list(c)
	case op.kind == tOp:
		return nil, &Error{Msg: fmt.Sprintf("The operator '%s' is unsupported", op.text)}
	case op.kind == tWord && isOtherOperator(op.text):
		return nil, &Error{Msg: fmt.Sprintf("The operator '%s' is unsupported", strings.ToUpper(op.text))}
	default:
		return nil, syntaxErr("Expecting operator but got '%s'.", op.text)
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	c.values = []value{v}
	return c, nil
}

func isOtherOperator(w string) bool {
	switch strings.ToLower(w) {
	case "is", "was", "changed":
		return true
	}
	return false
}

func (p *parser) list(c *clause) (node, error) {
	if p.done() || p.peek().kind != tLParen {
		return nil, syntaxErr("Expecting '(' after IN.")
	}
	p.i++
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		c.values = append(c.values, v)
		if p.done() {
			return nil, syntaxErr("Expecting ')' before the end of the query.")
		}
		t := p.next()
		if t.kind == tRParen {
			return c, nil
		}
		if t.kind != tComma {
			return nil, syntaxErr("Expecting ',' or ')' but got '%s'.", t.text)
		}
	}
}

func (p *parser) value() (value, error) {
	if p.done() {
		return value{}, syntaxErr("Expecting a value but reached the end of the query.")
	}
	t := p.next()
	switch t.kind {
	case tString:
		return value{text: t.text}, nil
	case tWord:
		if !p.done() && p.peek().kind == tLParen {
			return value{}, &Error{Msg: fmt.Sprintf("The function %s is unsupported", t.text)}
		}
		if strings.EqualFold(t.text, "empty") || strings.EqualFold(t.text, "null") {
			return value{empty: true}, nil
		}
		if isReserved(t.text) {
			return value{}, syntaxErr("Expecting a value but got the reserved word '%s'.", t.text)
		}
		return value{text: t.text}, nil
	}
	return value{}, syntaxErr("Expecting a value but got '%s'.", t.text)
}

func isReserved(w string) bool {
	switch strings.ToLower(w) {
	case "and", "or", "not", "in", "order", "by":
		return true
	}
	return false
}

// canonicalField maps a field name as written to its canonical form, or
// reports that it is outside the subset.
func canonicalField(name string) (string, bool) {
	l := strings.ToLower(name)
	if f, ok := fieldAliases[l]; ok {
		return f, true
	}
	if rest, ok := strings.CutPrefix(l, "cf["); ok {
		id, ok := strings.CutSuffix(rest, "]")
		if ok && id != "" && strings.IndexFunc(id, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
			return "cf[" + id + "]", true
		}
		return "", false
	}
	if strings.HasPrefix(l, "issue.property[") {
		rest := name[len("issue.property["):]
		end := strings.IndexByte(rest, ']')
		if end <= 0 {
			return "", false
		}
		key := rest[:end]
		path := rest[end+1:]
		if path != "" && (path[0] != '.' || len(path) == 1) {
			return "", false
		}
		return "issue.property[" + key + "]" + path, true
	}
	return "", false
}

// ---- lexing ----

type tokKind int

const (
	tWord tokKind = iota
	tString
	tOp
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string
}

func lex(s string) ([]token, error) {
	var out []token
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			out = append(out, token{tLParen, "("})
			i++
		case r == ')':
			out = append(out, token{tRParen, ")"})
			i++
		case r == ',':
			out = append(out, token{tComma, ","})
			i++
		case r == '"' || r == '\'':
			j := i + 1
			var b strings.Builder
			for ; j < len(rs) && rs[j] != r; j++ {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				b.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, syntaxErr("The quoted string starting at character %d is not closed.", i+1)
			}
			out = append(out, token{tString, b.String()})
			i = j + 1
		case strings.ContainsRune("=!<>~", r):
			j := i + 1
			for j < len(rs) && strings.ContainsRune("=!<>~", rs[j]) {
				j++
			}
			out = append(out, token{tOp, string(rs[i:j])})
			i = j
		default:
			j := i
			depth := 0
			for j < len(rs) {
				c := rs[j]
				if c == '[' {
					depth++
				} else if c == ']' && depth > 0 {
					depth--
				} else if depth == 0 && (unicode.IsSpace(c) || strings.ContainsRune("(),=!<>~\"'", c)) {
					break
				}
				j++
			}
			out = append(out, token{tWord, string(rs[i:j])})
			i = j
		}
	}
	return out, nil
}
