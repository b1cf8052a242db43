package webhooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
)

// ErrFieldNotFound is returned by IssueFields.Decode for a field the issue
// does not have.
var ErrFieldNotFound = errors.New("webhooks: issue field not found")

// IssueFields are an issue's fields. The common system fields are decoded
// into the typed fields below; every field, custom fields included, stays
// available undecoded by id through Field, Decode and All, so nothing Jira
// sent is lost and custom fields cost nothing until they are asked for.
//
// A typed field is zero when Jira did not send it, sent null, or sent a
// value of another shape; Field still returns what was sent.
type IssueFields struct {
	// Summary is the issue's title ("summary").
	Summary string
	// Description is "description": a wiki markup string in v2 shapes, an
	// ADF document in v3 shapes, or zero when absent or null.
	Description RichText
	// IssueType is "issuetype".
	IssueType *IssueType
	// Project is "project".
	Project *Project
	// Status is "status".
	Status *Status
	// Priority is "priority".
	Priority *Priority
	// Resolution is "resolution", nil while the issue is unresolved.
	Resolution *Resolution
	// Assignee is "assignee", nil for an unassigned issue.
	Assignee *User
	// Reporter is "reporter".
	Reporter *User
	// Creator is "creator".
	Creator *User
	// Labels is "labels".
	Labels []string
	// Components is "components".
	Components []Component
	// FixVersions is "fixVersions".
	FixVersions []Version
	// Parent is "parent" of a sub-task or child issue: its id, key and a
	// few fields (summary, status, priority, issue type). Parents of
	// parents are not decoded.
	Parent *Issue
	// Created is "created".
	Created time.Time
	// Updated is "updated".
	Updated time.Time
	// ResolutionDate is "resolutiondate", zero while unresolved.
	ResolutionDate time.Time
	// DueDate is "duedate", a date without a time (midnight UTC).
	DueDate time.Time

	buf     []byte // the fields object; values alias it
	entries []fieldEntry
}

type fieldEntry struct {
	name   string
	v0, v1 int
}

// Field returns the raw JSON value of the field with id (for example
// "customfield_10020" or "summary"), or nil if the issue has no such field.
// The slice aliases the event's memory: do not modify it.
func (f *IssueFields) Field(id string) json.RawMessage {
	for i := len(f.entries) - 1; i >= 0; i-- { // the last duplicate wins, as in encoding/json
		if e := f.entries[i]; e.name == id {
			return f.buf[e.v0:e.v1:e.v1]
		}
	}
	return nil
}

// Decode decodes the field with id into v, which must be a pointer. It
// returns an error wrapping ErrFieldNotFound if the issue has no such field;
// a field that is present but null leaves v unchanged.
func (f *IssueFields) Decode(id string, v any) error {
	raw := f.Field(id)
	if raw == nil {
		return fmt.Errorf("%w: %q", ErrFieldNotFound, id)
	}
	return json.Unmarshal(raw, v)
}

// All yields every field's id and raw JSON value in the order Jira sent
// them.
func (f *IssueFields) All() iter.Seq2[string, json.RawMessage] {
	return func(yield func(string, json.RawMessage) bool) {
		for _, e := range f.entries {
			if !yield(e.name, f.buf[e.v0:e.v1:e.v1]) {
				return
			}
		}
	}
}

// Len returns how many fields the issue has.
func (f *IssueFields) Len() int { return len(f.entries) }

// MarshalJSON implements json.Marshaler: it returns the fields object as
// Jira sent it.
func (f IssueFields) MarshalJSON() ([]byte, error) {
	if f.buf == nil {
		return []byte("{}"), nil
	}
	return f.buf[:len(f.buf):len(f.buf)], nil
}

// UnmarshalJSON implements json.Unmarshaler. It copies b once and splits it
// into fields without decoding them, then decodes the common system fields.
// A system field of an unexpected type is left zero (its raw value is still
// reachable through Field) rather than failing the whole event.
func (f *IssueFields) UnmarshalJSON(b []byte) error {
	*f = IssueFields{}
	if isNull(b) {
		return nil
	}
	if !validJSON(b) {
		return errors.New("webhooks: invalid JSON")
	}
	buf := append([]byte(nil), b[skipWS(b, 0):]...)
	if buf[0] != '{' {
		return errors.New("webhooks: issue fields: expected a JSON object")
	}
	f.decode(buf, 0)
	return nil
}

// decode splits the fields object buf, which it keeps, and decodes the
// known fields. depth is 1 inside a parent issue.
func (f *IssueFields) decode(buf []byte, depth int) {
	f.decodeN(buf, depth)
}

// decodeN decodes the fields object at the start of rest and returns its
// length, or -1 if it is malformed. It keeps the object's bytes.
func (f *IssueFields) decodeN(rest []byte, depth int) int {
	*f = IssueFields{}
	if len(rest) == 0 || rest[0] != '{' {
		return valueLen(rest)
	}
	type span struct {
		key    []byte
		v0, v1 int
	}
	var stack [128]span
	spans := stack[:0]
	keyBytes := 0
	// eachMemberN hands out subslices of rest that keep its capacity, so a
	// value's offset is the difference of capacities.
	n, err := eachMemberN(rest, func(key, r []byte) int {
		vlen := valueLen(r)
		v0 := cap(rest) - cap(r)
		spans = append(spans, span{key, v0, v0 + vlen})
		keyBytes += len(key)
		return vlen
	})
	if err != nil {
		return -1
	}
	// All field names share one string allocation.
	var sb strings.Builder
	sb.Grow(keyBytes)
	for _, s := range spans {
		sb.Write(s.key)
	}
	names := sb.String()
	f.buf = rest[:n:n]
	f.entries = make([]fieldEntry, len(spans))
	k := 0
	for i, s := range spans {
		name := names[k : k+len(s.key)]
		k += len(s.key)
		f.entries[i] = fieldEntry{name: name, v0: s.v0, v1: s.v1}
		f.decodeKnown(name, rest[s.v0:s.v1:s.v1], depth)
	}
	return n
}

// decodeKnown fills the typed field for name, if it is one; values of an
// unexpected type leave it zero.
func (f *IssueFields) decodeKnown(name string, val []byte, depth int) {
	if len(val) == 0 || val[0] == 'n' { // null
		return
	}
	switch name {
	case "summary":
		f.Summary = jstr(val)
	case "description":
		f.Description = RichText{raw: val}
	case "issuetype":
		f.IssueType = decodePtr[IssueType](val)
	case "project":
		f.Project = decodePtr[Project](val)
	case "status":
		f.Status = decodePtr[Status](val)
	case "priority":
		f.Priority = decodePtr[Priority](val)
	case "resolution":
		f.Resolution = decodePtr[Resolution](val)
	case "assignee":
		f.Assignee = decodePtr[User](val)
	case "reporter":
		f.Reporter = decodePtr[User](val)
	case "creator":
		f.Creator = decodePtr[User](val)
	case "labels":
		f.Labels = jstrings(val)
	case "components":
		f.Components = decodeSlice[Component](val)
	case "fixVersions":
		f.FixVersions = decodeSlice[Version](val)
	case "parent":
		// Jira sends one level of parent; never recurse further, so that a
		// hostile body cannot make decoding quadratic.
		if depth == 0 && val[0] == '{' {
			p := new(Issue)
			if p.decodeN(val, depth+1) > 0 {
				f.Parent = p
			}
		}
	case "created":
		f.Created = jtime(val)
	case "updated":
		f.Updated = jtime(val)
	case "resolutiondate":
		f.ResolutionDate = jtime(val)
	case "duedate":
		f.DueDate = jtime(val)
	}
}

// RichText is a text value Jira sends in more than one form: a plain
// (wiki markup) string in REST API v2 shapes, or an Atlassian Document
// Format (ADF) document object in v3 shapes. Issue descriptions, comment
// bodies and worklog comments are RichText.
type RichText struct {
	raw json.RawMessage
}

// Raw returns the value as Jira sent it: a JSON string, an ADF object, or
// nil when absent or null.
func (t RichText) Raw() json.RawMessage { return t.raw }

// IsZero reports whether the value was absent or null.
func (t RichText) IsZero() bool { return len(t.raw) == 0 }

// IsADF reports whether the value is an Atlassian Document Format document.
func (t RichText) IsADF() bool { return len(t.raw) > 0 && t.raw[0] == '{' }

// String returns the text: the string itself, or the text of an ADF
// document with one line per paragraph or other block.
func (t RichText) String() string {
	if len(t.raw) == 0 {
		return ""
	}
	switch t.raw[0] {
	case '"':
		var s string
		if json.Unmarshal(t.raw, &s) != nil {
			return ""
		}
		return s
	case '{':
		var doc adfNode
		if json.Unmarshal(t.raw, &doc) != nil {
			return ""
		}
		var sb strings.Builder
		doc.text(&sb)
		return strings.TrimRight(sb.String(), "\n")
	}
	return ""
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *RichText) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		t.raw = nil
		return nil
	}
	t.raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (t RichText) MarshalJSON() ([]byte, error) {
	if len(t.raw) == 0 {
		return []byte("null"), nil
	}
	return t.raw, nil
}

type adfNode struct {
	Type    string    `json:"type"`
	Text    string    `json:"text"`
	Content []adfNode `json:"content"`
	Attrs   struct {
		Text string `json:"text"`
	} `json:"attrs"`
}

func (n *adfNode) text(sb *strings.Builder) {
	switch n.Type {
	case "text":
		sb.WriteString(n.Text)
		return
	case "hardBreak":
		sb.WriteByte('\n')
		return
	case "mention", "emoji", "date", "status", "inlineCard":
		sb.WriteString(n.Attrs.Text)
		return
	}
	for i := range n.Content {
		n.Content[i].text(sb)
	}
	switch n.Type {
	case "paragraph", "heading", "codeBlock", "blockquote", "listItem", "rule", "panel", "tableCell", "tableHeader":
		if s := sb.String(); s != "" && !strings.HasSuffix(s, "\n") {
			sb.WriteByte('\n')
		}
	}
}
