package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
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
	Summary string `json:"summary"`
	// Description is "description": a wiki markup string in v2 shapes, an
	// ADF document in v3 shapes, or zero when absent or null.
	Description RichText `json:"description"`
	// IssueType is "issuetype".
	IssueType *IssueType `json:"issuetype"`
	// Project is "project".
	Project *Project `json:"project"`
	// Status is "status".
	Status *Status `json:"status"`
	// Priority is "priority".
	Priority *Priority `json:"priority"`
	// Resolution is "resolution", nil while the issue is unresolved.
	Resolution *Resolution `json:"resolution"`
	// Assignee is "assignee", nil for an unassigned issue.
	Assignee *User `json:"assignee"`
	// Reporter is "reporter".
	Reporter *User `json:"reporter"`
	// Creator is "creator".
	Creator *User `json:"creator"`
	// Labels is "labels".
	Labels []string `json:"labels"`
	// Components is "components".
	Components []Component `json:"components"`
	// FixVersions is "fixVersions".
	FixVersions []Version `json:"fixVersions"`
	// Parent is "parent" of a sub-task or child issue: its id, key and a
	// few fields (summary, status, priority, issue type). Parents of
	// parents are not decoded.
	Parent *Issue `json:"parent"`
	// Created is "created".
	Created time.Time `json:"created"`
	// Updated is "updated".
	Updated time.Time `json:"updated"`
	// ResolutionDate is "resolutiondate", zero while unresolved.
	ResolutionDate time.Time `json:"resolutiondate"`
	// DueDate is "duedate", a date without a time (midnight UTC).
	DueDate time.Time `json:"duedate"`

	// raw is the fields object as Jira sent it, a slice of the input;
	// span is where it lies in the input until bind sets raw.
	raw  []byte
	span [2]int64
	idx  *fieldIndex // the members of raw, listed on first use
}

// Why the fields stay raw instead of in an inline map of unknown members:
// an issue has dozens of custom fields, and decoding them into a
// map[string]jsontext.Value on every event made BenchmarkReceive's
// jirahooks 0.76x of decoding into map[string]any on a 16 KB
// jira:issue_updated (0.24x on 82 KB; issue 14's spike), against 0.36x
// (0.18x) with the typed fields decoded from their tags in the same single
// pass and the fields object kept as a slice of the body, custom fields
// being found on demand with a jsontext.Decoder. (The option's name also
// differs: ",embed" in go-json-experiment/json v1.27, ",inline" or
// ",unknown" in Go 1.26's encoding/json/v2, which the module becomes under
// GOEXPERIMENT=jsonv2.)

// UnmarshalJSON implements json.Unmarshaler. It keeps a copy of b.
func (f *IssueFields) UnmarshalJSON(b []byte) error { return unmarshalCopy(b, f) }

// unmarshalCopy decodes a copy of b into v, whose issue fields keep it.
func unmarshalCopy[T any, P interface {
	*T
	bind([]byte)
}](b []byte, v P) error {
	b = bytes.Clone(b)
	if err := unmarshal(b, v); err != nil {
		return err
	}
	v.bind(b)
	return nil
}

// decodeIssueFields decodes the typed fields from their tags in one pass
// and remembers where the fields object lies in the input, for Field and
// All: ParseEvent and unmarshalCopy bind them to the input afterwards.
func decodeIssueFields(d *jsontext.Decoder, f *IssueFields) error {
	if d.PeekKind() != '{' {
		return decodeObject(d, (*issueFieldsJSON)(f))
	}
	start := d.InputOffset()
	if err := decodeObject(d, (*issueFieldsJSON)(f)); err != nil {
		return err
	}
	f.span = [2]int64{start, d.InputOffset()}
	return nil
}

type issueFieldsJSON IssueFields

// bind points f, and the fields of its parent, into in, the input they
// were decoded from. Jira sends one level of parent: the parent's own
// parent is dropped.
func (f *IssueFields) bind(in []byte) {
	f.bindRaw(in)
	if p := f.Parent; p != nil {
		p.Fields.Parent = nil
		p.Fields.bindRaw(in)
	}
}

func (f *IssueFields) bindRaw(in []byte) {
	if f.span[1] > 0 {
		// The span starts where the decoder stood before the value: skip
		// the white space and colon in front of the object.
		raw := in[f.span[0]:f.span[1]:f.span[1]]
		f.raw = raw[bytes.IndexByte(raw, '{'):]
		f.span = [2]int64{}
		f.idx = new(fieldIndex)
	}
}

// bind points the fields of is into in, the input is was decoded from.
func (is *Issue) bind(in []byte) {
	if is != nil {
		is.Fields.bind(in)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent. It
// keeps a copy of b.
func (is *Issue) UnmarshalJSON(b []byte) error { return unmarshalCopy(b, is) }

// fieldIndex lists the members of a fields object, built on first use.
// Copies of an IssueFields share it, as they share the object.
type fieldIndex struct {
	once    sync.Once
	entries []fieldEntry
}

// fieldEntry is one member: its name and where its value lies in raw.
type fieldEntry struct {
	name   string
	v0, v1 int64
}

// index returns the members of the fields object, in order.
func (f *IssueFields) index() []fieldEntry {
	if f.idx == nil {
		return indexFields(f.raw)
	}
	f.idx.once.Do(func() { f.idx.entries = indexFields(f.raw) })
	return f.idx.entries
}

// indexFields lists the members of the JSON object raw with a
// jsontext.Decoder, which reads raw in place (it is a bytes.Buffer); the
// names share one string.
func indexFields(raw []byte) []fieldEntry {
	if len(raw) == 0 {
		return nil
	}
	d := jsontext.NewDecoder(bytes.NewBuffer(raw), decodeOptions)
	if _, err := d.ReadToken(); err != nil {
		return nil
	}
	var (
		entries []fieldEntry
		names   []byte
		ends    []int
	)
	for d.PeekKind() == '"' {
		quoted, err := d.ReadValue()
		if err != nil {
			return nil
		}
		// The decoder has checked the name; invalid UTF-8 in it becomes
		// U+FFFD, as in encoding/json.
		names, _ = jsontext.AppendUnquote(names, quoted)
		ends = append(ends, len(names))
		v, err := d.ReadValue()
		if err != nil {
			return nil
		}
		end := d.InputOffset()
		entries = append(entries, fieldEntry{v0: end - int64(len(v)), v1: end})
	}
	all, start := string(names), 0
	for i, end := range ends {
		entries[i].name, start = all[start:end], end
	}
	return entries
}

// Field returns the raw JSON value of the field with id (for example
// "customfield_10020" or "summary"), or nil if the issue has no such field.
// The slice aliases the event's memory: do not modify it. The first call
// on an issue lists its fields once, for all later calls.
func (f *IssueFields) Field(id string) json.RawMessage {
	entries := f.index()
	for i := len(entries) - 1; i >= 0; i-- { // the last duplicate wins, as in encoding/json
		if e := entries[i]; e.name == id {
			return f.raw[e.v0:e.v1:e.v1]
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
		for _, e := range f.index() {
			if !yield(e.name, f.raw[e.v0:e.v1:e.v1]) {
				return
			}
		}
	}
}

// Len returns how many fields the issue has.
func (f *IssueFields) Len() int { return len(f.index()) }

// MarshalJSON implements json.Marshaler: it returns the fields object as
// Jira sent it.
func (f IssueFields) MarshalJSON() ([]byte, error) {
	if f.raw == nil {
		return []byte("{}"), nil
	}
	return f.raw[:len(f.raw):len(f.raw)], nil
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
func (t *RichText) UnmarshalJSON(b []byte) error { return unmarshal(b, t) }

// decodeRichText decodes any JSON value into t as it is.
func decodeRichText(d *jsontext.Decoder, t *RichText) (err error) {
	t.raw, err = readRaw(d)
	return err
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
