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
type IssueFields struct {
	Summary        string
	Description    RichText // a string (API v2), an ADF document (API v3), or absent
	IssueType      *IssueType
	Project        *Project
	Status         *Status
	Priority       *Priority
	Resolution     *Resolution
	Assignee       *User
	Reporter       *User
	Creator        *User
	Labels         []string
	Components     []Component
	FixVersions    []Version
	Parent         *Issue // the parent issue, with a few fields, for subtasks and child issues
	Created        time.Time
	Updated        time.Time
	ResolutionDate time.Time
	DueDate        time.Time

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
	return f.decode(append([]byte(nil), b...), 0)
}

func (f *IssueFields) decode(buf []byte, depth int) error {
	*f = IssueFields{}
	if isNull(buf) {
		return nil
	}
	type span struct {
		k0, k1, v0, v1 int
		esc            bool
	}
	spans := make([]span, 0, 64)
	keyBytes := 0
	// Offsets are recovered from capacities: every slice eachMember hands
	// out is a suffix-capacity subslice of buf.
	err := eachMember(buf, func(key []byte, esc bool, val []byte) error {
		k0, v0 := cap(buf)-cap(key), cap(buf)-cap(val)
		spans = append(spans, span{k0, k0 + len(key), v0, v0 + len(val), esc})
		keyBytes += len(key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("issue fields: %w", err)
	}
	// All field names share one string allocation.
	var sb strings.Builder
	sb.Grow(keyBytes)
	type nameRange struct{ n0, n1 int }
	ranges := make([]nameRange, len(spans))
	for i, s := range spans {
		n0 := sb.Len()
		if s.esc {
			var name string
			if err := json.Unmarshal(buf[s.k0-1:s.k1+1], &name); err != nil {
				return fmt.Errorf("issue fields: bad key: %w", err)
			}
			sb.WriteString(name)
		} else {
			sb.Write(buf[s.k0:s.k1])
		}
		ranges[i] = nameRange{n0, sb.Len()}
	}
	names := sb.String()
	f.buf = buf[:len(buf):len(buf)]
	f.entries = make([]fieldEntry, len(spans))
	for i, s := range spans {
		name := names[ranges[i].n0:ranges[i].n1]
		f.entries[i] = fieldEntry{name: name, v0: s.v0, v1: s.v1}
		f.decodeKnown(name, buf[s.v0:s.v1:s.v1], depth)
	}
	return nil
}

// decodeKnown fills the typed field for name, if it is one; values of an
// unexpected type leave it zero.
func (f *IssueFields) decodeKnown(name string, val []byte, depth int) {
	if len(val) == 0 || val[0] == 'n' { // null
		return
	}
	switch name {
	case "summary":
		var s flexString
		if s.UnmarshalJSON(val) == nil {
			f.Summary = string(s)
		}
	case "description":
		f.Description = RichText{raw: val}
	case "issuetype":
		decodeInto(val, &f.IssueType)
	case "project":
		decodeInto(val, &f.Project)
	case "status":
		decodeInto(val, &f.Status)
	case "priority":
		decodeInto(val, &f.Priority)
	case "resolution":
		decodeInto(val, &f.Resolution)
	case "assignee":
		decodeInto(val, &f.Assignee)
	case "reporter":
		decodeInto(val, &f.Reporter)
	case "creator":
		decodeInto(val, &f.Creator)
	case "labels":
		decodeInto(val, &f.Labels)
	case "components":
		decodeInto(val, &f.Components)
	case "fixVersions":
		decodeInto(val, &f.FixVersions)
	case "parent":
		if depth == 0 && val[0] == '{' { // Jira sends one level; never recurse further
			var p Issue
			if p.decode(val, depth+1) == nil {
				f.Parent = &p
			}
		}
	case "created":
		f.Created = decodeTime(val)
	case "updated":
		f.Updated = decodeTime(val)
	case "resolutiondate":
		f.ResolutionDate = decodeTime(val)
	case "duedate":
		f.DueDate = decodeTime(val)
	}
}

// decodeInto decodes val into *dst, leaving *dst zero if val does not fit.
func decodeInto[T any](val []byte, dst *T) {
	var v T
	if unmarshal(val, &v) == nil {
		*dst = v
	}
}

func decodeTime(val []byte) time.Time {
	var t jiraTime
	if t.UnmarshalJSON(val) != nil {
		return time.Time{}
	}
	return t.t
}

// UnmarshalJSON implements json.Unmarshaler. The id may be a string or a
// number; the fields are split lazily (see IssueFields).
func (is *Issue) UnmarshalJSON(b []byte) error {
	return is.decode(append([]byte(nil), b...), 0)
}

// decode decodes an issue from buf, which it may keep.
func (is *Issue) decode(buf []byte, depth int) error {
	*is = Issue{}
	if isNull(buf) {
		return nil
	}
	return eachMember(buf, func(key []byte, esc bool, val []byte) error {
		if esc {
			return nil // none of the keys we read needs escaping
		}
		var s flexString
		switch string(key) {
		case "id":
			if err := s.UnmarshalJSON(val); err != nil {
				return fmt.Errorf("issue id: %w", err)
			}
			is.ID = string(s)
		case "key":
			if err := s.UnmarshalJSON(val); err != nil {
				return fmt.Errorf("issue key: %w", err)
			}
			is.Key = string(s)
		case "self":
			if err := s.UnmarshalJSON(val); err != nil {
				return fmt.Errorf("issue self: %w", err)
			}
			is.Self = string(s)
		case "fields":
			return is.Fields.decode(val, depth)
		}
		return nil
	})
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
