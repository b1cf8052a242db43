package webhooks

// The JSON decoding of the payload types. Each type T is decoded from its
// struct tags through tJSON, T without methods, by a function registered in
// decodeOptions (see payloads in decode.go), not by a method: the functions
// take a jsontext.Decoder, which is no part of the package's API. Decoding
// tJSON calls neither those functions nor T's UnmarshalJSON, so they do not
// call themselves. UnmarshalJSON, for encoding/json, decodes with
// decodeOptions; see decode.go for the leniency rules.

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

// The decoders of the payload types, from the tags of their tJSON copies.
var (
	decodeUser           = fromTags(func(v *User) *userJSON { return (*userJSON)(v) })
	decodeIssueType      = fromTags(func(v *IssueType) *issueTypeJSON { return (*issueTypeJSON)(v) })
	decodeStatus         = fromTags(func(v *Status) *statusJSON { return (*statusJSON)(v) })
	decodeStatusCategory = fromTags(func(v *StatusCategory) *statusCategoryJSON { return (*statusCategoryJSON)(v) })
	decodePriority       = fromTags(func(v *Priority) *priorityJSON { return (*priorityJSON)(v) })
	decodeResolution     = fromTags(func(v *Resolution) *resolutionJSON { return (*resolutionJSON)(v) })
	decodeComponent      = fromTags(func(v *Component) *componentJSON { return (*componentJSON)(v) })
	decodeChangelog      = fromTags(func(v *Changelog) *changelogJSON { return (*changelogJSON)(v) })
	decodeChangeItem     = fromTags(func(v *ChangeItem) *changeItemJSON { return (*changeItemJSON)(v) })
	decodeComment        = fromTags(func(v *Comment) *commentJSON { return (*commentJSON)(v) })
	decodeVisibility     = fromTags(func(v *Visibility) *visibilityJSON { return (*visibilityJSON)(v) })
	decodeWorklog        = fromTags(func(v *Worklog) *worklogJSON { return (*worklogJSON)(v) })
	decodeAttachment     = fromTags(func(v *Attachment) *attachmentJSON { return (*attachmentJSON)(v) })
	decodeIssueLink      = fromTags(func(v *IssueLink) *issueLinkJSON { return (*issueLinkJSON)(v) })
	decodeIssueLinkType  = fromTags(func(v *IssueLinkType) *issueLinkTypeJSON { return (*issueLinkTypeJSON)(v) })
	decodeSprint         = fromTags(func(v *Sprint) *sprintJSON { return (*sprintJSON)(v) })
	decodeBoard          = fromTags(func(v *Board) *boardJSON { return (*boardJSON)(v) })
	decodeVersion        = fromTags(func(v *Version) *versionJSON { return (*versionJSON)(v) })
	decodeProject        = fromTags(func(v *Project) *projectJSON { return (*projectJSON)(v) })
	decodeFilter         = fromTags(func(v *Filter) *filterJSON { return (*filterJSON)(v) })
	decodeProperty       = fromTags(func(v *Property) *propertyJSON { return (*propertyJSON)(v) })
	decodeIssue          = fromTags(func(v *Issue) *issueJSON { return (*issueJSON)(v) })
)

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (u *User) UnmarshalJSON(b []byte) error { return unmarshal(b, u) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (t *IssueType) UnmarshalJSON(b []byte) error { return unmarshal(b, t) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (s *Status) UnmarshalJSON(b []byte) error { return unmarshal(b, s) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *StatusCategory) UnmarshalJSON(b []byte) error { return unmarshal(b, c) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (p *Priority) UnmarshalJSON(b []byte) error { return unmarshal(b, p) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (r *Resolution) UnmarshalJSON(b []byte) error { return unmarshal(b, r) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *Component) UnmarshalJSON(b []byte) error { return unmarshal(b, c) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *Changelog) UnmarshalJSON(b []byte) error { return unmarshal(b, c) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *ChangeItem) UnmarshalJSON(b []byte) error { return unmarshal(b, c) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *Comment) UnmarshalJSON(b []byte) error { return unmarshal(b, c) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (v *Visibility) UnmarshalJSON(b []byte) error { return unmarshal(b, v) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (w *Worklog) UnmarshalJSON(b []byte) error { return unmarshal(b, w) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (a *Attachment) UnmarshalJSON(b []byte) error { return unmarshal(b, a) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (l *IssueLink) UnmarshalJSON(b []byte) error { return unmarshal(b, l) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (t *IssueLinkType) UnmarshalJSON(b []byte) error { return unmarshal(b, t) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (s *Sprint) UnmarshalJSON(b []byte) error { return unmarshal(b, s) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (bd *Board) UnmarshalJSON(b []byte) error { return unmarshal(b, bd) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (v *Version) UnmarshalJSON(b []byte) error { return unmarshal(b, v) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (p *Project) UnmarshalJSON(b []byte) error { return unmarshal(b, p) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (f *Filter) UnmarshalJSON(b []byte) error { return unmarshal(b, f) }

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (p *Property) UnmarshalJSON(b []byte) error { return unmarshal(b, p) }
