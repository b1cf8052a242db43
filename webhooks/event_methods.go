package webhooks

// The JSON methods of the payload types. Each type T is decoded from its
// struct tags through tJSON, T without methods (so that decoding it does not
// call these methods again); see decode.go for the leniency rules.

import "github.com/go-json-experiment/json/jsontext"

type (
	userJSON           User
	issueTypeJSON      IssueType
	statusJSON         Status
	statusCategoryJSON StatusCategory
	priorityJSON       Priority
	resolutionJSON     Resolution
	componentJSON      Component
	changelogJSON      Changelog
	changeItemJSON     ChangeItem
	commentJSON        Comment
	visibilityJSON     Visibility
	worklogJSON        Worklog
	attachmentJSON     Attachment
	issueLinkJSON      IssueLink
	issueLinkTypeJSON  IssueLinkType
	sprintJSON         Sprint
	boardJSON          Board
	versionJSON        Version
	projectJSON        Project
	filterJSON         Filter
	propertyJSON       Property
	issueJSON          Issue
)

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (u *User) UnmarshalJSON(b []byte) error { return unmarshal(b, u) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (u *User) UnmarshalJSONFrom(d *jsontext.Decoder) error { return decodeObject(d, (*userJSON)(u)) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (t *IssueType) UnmarshalJSON(b []byte) error { return unmarshal(b, t) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (t *IssueType) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*issueTypeJSON)(t))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (s *Status) UnmarshalJSON(b []byte) error { return unmarshal(b, s) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (s *Status) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*statusJSON)(s))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *StatusCategory) UnmarshalJSON(b []byte) error { return unmarshal(b, c) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (c *StatusCategory) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*statusCategoryJSON)(c))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (p *Priority) UnmarshalJSON(b []byte) error { return unmarshal(b, p) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (p *Priority) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*priorityJSON)(p))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (r *Resolution) UnmarshalJSON(b []byte) error { return unmarshal(b, r) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (r *Resolution) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*resolutionJSON)(r))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *Component) UnmarshalJSON(b []byte) error { return unmarshal(b, c) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (c *Component) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*componentJSON)(c))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *Changelog) UnmarshalJSON(b []byte) error { return unmarshal(b, c) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (c *Changelog) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*changelogJSON)(c))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *ChangeItem) UnmarshalJSON(b []byte) error { return unmarshal(b, c) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (c *ChangeItem) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*changeItemJSON)(c))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *Comment) UnmarshalJSON(b []byte) error { return unmarshal(b, c) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (c *Comment) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*commentJSON)(c))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (v *Visibility) UnmarshalJSON(b []byte) error { return unmarshal(b, v) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (v *Visibility) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*visibilityJSON)(v))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (w *Worklog) UnmarshalJSON(b []byte) error { return unmarshal(b, w) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (w *Worklog) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*worklogJSON)(w))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (a *Attachment) UnmarshalJSON(b []byte) error { return unmarshal(b, a) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (a *Attachment) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*attachmentJSON)(a))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (l *IssueLink) UnmarshalJSON(b []byte) error { return unmarshal(b, l) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (l *IssueLink) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*issueLinkJSON)(l))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (t *IssueLinkType) UnmarshalJSON(b []byte) error { return unmarshal(b, t) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (t *IssueLinkType) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*issueLinkTypeJSON)(t))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (s *Sprint) UnmarshalJSON(b []byte) error { return unmarshal(b, s) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (s *Sprint) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*sprintJSON)(s))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (bd *Board) UnmarshalJSON(b []byte) error { return unmarshal(b, bd) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (bd *Board) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*boardJSON)(bd))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (v *Version) UnmarshalJSON(b []byte) error { return unmarshal(b, v) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (v *Version) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*versionJSON)(v))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (p *Project) UnmarshalJSON(b []byte) error { return unmarshal(b, p) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (p *Project) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*projectJSON)(p))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (f *Filter) UnmarshalJSON(b []byte) error { return unmarshal(b, f) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (f *Filter) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*filterJSON)(f))
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (p *Property) UnmarshalJSON(b []byte) error { return unmarshal(b, p) }

// UnmarshalJSONFrom implements json.UnmarshalerFrom of encoding/json/v2,
// leniently like ParseEvent.
func (p *Property) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return decodeObject(d, (*propertyJSON)(p))
}
