package webhooks

// Member decoders of the event types: each sets the field a JSON key names,
// leniently (see event_json.go). ParseEvent calls them on slices of the body;
// UnmarshalJSON calls them on a private copy.

// memberDecoder is a pointer to an event type.
type memberDecoder[T any] interface {
	*T
	member(key, val []byte)
}

// decodePtr decodes v into a new T, or returns nil if v is not an object.
func decodePtr[T any, P memberDecoder[T]](v []byte) *T {
	if len(v) == 0 || v[0] != '{' {
		return nil
	}
	t := new(T)
	if eachMember(v, P(t).member) != nil {
		return nil
	}
	return t
}

// decodeSlice decodes an array of objects; other elements are skipped.
func decodeSlice[T any, P memberDecoder[T]](v []byte) []T {
	if len(v) == 0 || v[0] != '[' {
		return nil
	}
	out := []T{}
	_ = eachElement(v, func(e []byte) {
		if len(e) > 0 && e[0] == '{' {
			var t T
			if eachMember(e, P(&t).member) == nil {
				out = append(out, t)
			}
		}
	})
	return out
}

func (u *User) member(k, v []byte) {
	switch string(k) {
	case "self":
		u.Self = jstr(v)
	case "accountId":
		u.AccountID = jstr(v)
	case "accountType":
		u.AccountType = jstr(v)
	case "name":
		u.Name = jstr(v)
	case "key":
		u.Key = jstr(v)
	case "emailAddress":
		u.EmailAddress = jstr(v)
	case "displayName":
		u.DisplayName = jstr(v)
	case "active":
		u.Active = jbool(v)
	case "timeZone":
		u.TimeZone = jstr(v)
	case "locale":
		u.Locale = jstr(v)
	case "avatarUrls":
		u.AvatarURLs = jstrMap(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler. Values of unexpected types
// (for example "active": "true", or a numeric id) are converted or left
// zero rather than failing, as ParseEvent does.
func (u *User) UnmarshalJSON(b []byte) error { *u = User{}; return unmarshalObject(b, u.member) }

func (t *IssueType) member(k, v []byte) {
	switch string(k) {
	case "id":
		t.ID = jstr(v)
	case "self":
		t.Self = jstr(v)
	case "name":
		t.Name = jstr(v)
	case "description":
		t.Description = jstr(v)
	case "iconUrl":
		t.IconURL = jstr(v)
	case "subtask":
		t.Subtask = jbool(v)
	case "hierarchyLevel":
		t.HierarchyLevel = int(jint(v))
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (t *IssueType) UnmarshalJSON(b []byte) error {
	*t = IssueType{}
	return unmarshalObject(b, t.member)
}

func (s *Status) member(k, v []byte) {
	switch string(k) {
	case "id":
		s.ID = jstr(v)
	case "self":
		s.Self = jstr(v)
	case "name":
		s.Name = jstr(v)
	case "description":
		s.Description = jstr(v)
	case "iconUrl":
		s.IconURL = jstr(v)
	case "statusCategory":
		s.StatusCategory = decodePtr[StatusCategory](v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (s *Status) UnmarshalJSON(b []byte) error { *s = Status{}; return unmarshalObject(b, s.member) }

func (c *StatusCategory) member(k, v []byte) {
	switch string(k) {
	case "id":
		c.ID = jint(v)
	case "self":
		c.Self = jstr(v)
	case "key":
		c.Key = jstr(v)
	case "name":
		c.Name = jstr(v)
	case "colorName":
		c.ColorName = jstr(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *StatusCategory) UnmarshalJSON(b []byte) error {
	*c = StatusCategory{}
	return unmarshalObject(b, c.member)
}

func (p *Priority) member(k, v []byte) {
	switch string(k) {
	case "id":
		p.ID = jstr(v)
	case "self":
		p.Self = jstr(v)
	case "name":
		p.Name = jstr(v)
	case "iconUrl":
		p.IconURL = jstr(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (p *Priority) UnmarshalJSON(b []byte) error {
	*p = Priority{}
	return unmarshalObject(b, p.member)
}

func (r *Resolution) member(k, v []byte) {
	switch string(k) {
	case "id":
		r.ID = jstr(v)
	case "self":
		r.Self = jstr(v)
	case "name":
		r.Name = jstr(v)
	case "description":
		r.Description = jstr(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (r *Resolution) UnmarshalJSON(b []byte) error {
	*r = Resolution{}
	return unmarshalObject(b, r.member)
}

func (c *Component) member(k, v []byte) {
	switch string(k) {
	case "id":
		c.ID = jstr(v)
	case "self":
		c.Self = jstr(v)
	case "name":
		c.Name = jstr(v)
	case "description":
		c.Description = jstr(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *Component) UnmarshalJSON(b []byte) error {
	*c = Component{}
	return unmarshalObject(b, c.member)
}

func (c *Changelog) member(k, v []byte) {
	switch string(k) {
	case "id":
		c.ID = jstr(v)
	case "items":
		c.Items = decodeSlice[ChangeItem](v)
	}
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (c *Changelog) UnmarshalJSON(b []byte) error {
	*c = Changelog{}
	return unmarshalObject(b, c.member)
}

func (c *ChangeItem) member(k, v []byte) {
	switch string(k) {
	case "field":
		c.Field = jstr(v)
	case "fieldtype":
		c.FieldType = jstr(v)
	case "fieldId":
		c.FieldID = jstr(v)
	case "from":
		c.From = jstr(v)
	case "fromString":
		c.FromString = jstr(v)
	case "to":
		c.To = jstr(v)
	case "toString":
		c.ToString = jstr(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler; values may be strings,
// numbers or null.
func (c *ChangeItem) UnmarshalJSON(b []byte) error {
	*c = ChangeItem{}
	return unmarshalObject(b, c.member)
}

func (c *Comment) member(k, v []byte) {
	switch string(k) {
	case "id":
		c.ID = jstr(v)
	case "self":
		c.Self = jstr(v)
	case "author":
		c.Author = decodePtr[User](v)
	case "updateAuthor":
		c.UpdateAuthor = decodePtr[User](v)
	case "body":
		c.Body = RichText{raw: jraw(v)}
	case "created":
		c.Created = jtime(v)
	case "updated":
		c.Updated = jtime(v)
	case "jsdPublic":
		c.JSDPublic = jbool(v)
	case "visibility":
		c.Visibility = decodePtr[Visibility](v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (c *Comment) UnmarshalJSON(b []byte) error { *c = Comment{}; return unmarshalObject(b, c.member) }

func (vis *Visibility) member(k, v []byte) {
	switch string(k) {
	case "type":
		vis.Type = jstr(v)
	case "value":
		vis.Value = jstr(v)
	case "identifier":
		vis.Identifier = jstr(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (vis *Visibility) UnmarshalJSON(b []byte) error {
	*vis = Visibility{}
	return unmarshalObject(b, vis.member)
}

func (w *Worklog) member(k, v []byte) {
	switch string(k) {
	case "id":
		w.ID = jstr(v)
	case "self":
		w.Self = jstr(v)
	case "issueId":
		w.IssueID = jstr(v)
	case "author":
		w.Author = decodePtr[User](v)
	case "updateAuthor":
		w.UpdateAuthor = decodePtr[User](v)
	case "comment":
		w.Comment = RichText{raw: jraw(v)}
	case "created":
		w.Created = jtime(v)
	case "updated":
		w.Updated = jtime(v)
	case "started":
		w.Started = jtime(v)
	case "timeSpent":
		w.TimeSpent = jstr(v)
	case "timeSpentSeconds":
		w.TimeSpentSeconds = jint(v)
	case "visibility":
		w.Visibility = decodePtr[Visibility](v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (w *Worklog) UnmarshalJSON(b []byte) error { *w = Worklog{}; return unmarshalObject(b, w.member) }

func (a *Attachment) member(k, v []byte) {
	switch string(k) {
	case "id":
		a.ID = jstr(v)
	case "self":
		a.Self = jstr(v)
	case "issueId":
		a.IssueID = jstr(v)
	case "filename":
		a.Filename = jstr(v)
	case "author":
		a.Author = decodePtr[User](v)
	case "created":
		a.Created = jtime(v)
	case "size":
		a.Size = jint(v)
	case "mimeType":
		a.MimeType = jstr(v)
	case "content":
		a.Content = jstr(v)
	case "thumbnail":
		a.Thumbnail = jstr(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (a *Attachment) UnmarshalJSON(b []byte) error {
	*a = Attachment{}
	return unmarshalObject(b, a.member)
}

func (l *IssueLink) member(k, v []byte) {
	switch string(k) {
	case "id":
		l.ID = jstr(v)
	case "sourceIssueId":
		l.SourceIssueID = jstr(v)
	case "destinationIssueId":
		l.DestinationIssueID = jstr(v)
	case "issueLinkType":
		l.Type = decodePtr[IssueLinkType](v)
	case "sequence":
		l.Sequence = jint(v)
	case "systemLink":
		l.SystemLink = jbool(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler; ids may be strings or numbers.
func (l *IssueLink) UnmarshalJSON(b []byte) error {
	*l = IssueLink{}
	return unmarshalObject(b, l.member)
}

func (t *IssueLinkType) member(k, v []byte) {
	switch string(k) {
	case "id":
		t.ID = jstr(v)
	case "name":
		t.Name = jstr(v)
	case "outwardName":
		t.OutwardName = jstr(v)
	case "inwardName":
		t.InwardName = jstr(v)
	case "style":
		t.Style = jstr(v)
	case "isSubTaskLinkType":
		t.IsSubTaskLinkType = jbool(v)
	case "isSystemLinkType":
		t.IsSystemLinkType = jbool(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (t *IssueLinkType) UnmarshalJSON(b []byte) error {
	*t = IssueLinkType{}
	return unmarshalObject(b, t.member)
}

func (s *Sprint) member(k, v []byte) {
	switch string(k) {
	case "id":
		s.ID = jint(v)
	case "self":
		s.Self = jstr(v)
	case "state":
		s.State = jstr(v)
	case "name":
		s.Name = jstr(v)
	case "goal":
		s.Goal = jstr(v)
	case "startDate":
		s.StartDate = jtime(v)
	case "endDate":
		s.EndDate = jtime(v)
	case "completeDate":
		s.CompleteDate = jtime(v)
	case "createdDate":
		s.CreatedDate = jtime(v)
	case "originBoardId":
		s.OriginBoardID = jint(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (s *Sprint) UnmarshalJSON(b []byte) error { *s = Sprint{}; return unmarshalObject(b, s.member) }

func (bd *Board) member(k, v []byte) {
	switch string(k) {
	case "id":
		bd.ID = jint(v)
	case "self":
		bd.Self = jstr(v)
	case "name":
		bd.Name = jstr(v)
	case "type":
		bd.Type = jstr(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (bd *Board) UnmarshalJSON(b []byte) error { *bd = Board{}; return unmarshalObject(b, bd.member) }

func (ver *Version) member(k, v []byte) {
	switch string(k) {
	case "id":
		ver.ID = jstr(v)
	case "self":
		ver.Self = jstr(v)
	case "name":
		ver.Name = jstr(v)
	case "description":
		ver.Description = jstr(v)
	case "archived":
		ver.Archived = jbool(v)
	case "released":
		ver.Released = jbool(v)
	case "overdue":
		ver.Overdue = jbool(v)
	case "startDate":
		ver.StartDate = jtime(v)
	case "releaseDate":
		ver.ReleaseDate = jtime(v)
	case "userReleaseDate":
		ver.UserReleaseDate = jstr(v)
	case "projectId":
		ver.ProjectID = jint(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler, leniently like ParseEvent.
func (ver *Version) UnmarshalJSON(b []byte) error {
	*ver = Version{}
	return unmarshalObject(b, ver.member)
}

func (p *Project) member(k, v []byte) {
	switch string(k) {
	case "id":
		p.ID = jstr(v)
	case "self":
		p.Self = jstr(v)
	case "key":
		p.Key = jstr(v)
	case "name":
		p.Name = jstr(v)
	case "projectTypeKey":
		p.ProjectTypeKey = jstr(v)
	case "simplified":
		p.Simplified = jbool(v)
	case "assigneeType":
		p.AssigneeType = jstr(v)
	case "projectLead":
		p.Lead = decodePtr[User](v)
	case "avatarUrls":
		p.AvatarURLs = jstrMap(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (p *Project) UnmarshalJSON(b []byte) error { *p = Project{}; return unmarshalObject(b, p.member) }

func (f *Filter) member(k, v []byte) {
	switch string(k) {
	case "id":
		f.ID = jstr(v)
	case "self":
		f.Self = jstr(v)
	case "name":
		f.Name = jstr(v)
	case "description":
		f.Description = jstr(v)
	case "jql":
		f.JQL = jstr(v)
	case "owner":
		f.Owner = decodePtr[User](v)
	case "favourite":
		f.Favourite = jbool(v)
	case "viewUrl":
		f.ViewURL = jstr(v)
	case "searchUrl":
		f.SearchURL = jstr(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler; the id may be a string or a
// number.
func (f *Filter) UnmarshalJSON(b []byte) error { *f = Filter{}; return unmarshalObject(b, f.member) }

func (p *Property) member(k, v []byte) {
	switch string(k) {
	case "key":
		p.Key = jstr(v)
	case "value":
		p.Value = jraw(v)
	}
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Property) UnmarshalJSON(b []byte) error {
	*p = Property{}
	return unmarshalObject(b, p.member)
}

func (is *Issue) member(k, v []byte) {
	is.memberN(k, v, 0)
}

// memberN decodes the member k whose value starts rest and returns the
// value's length: the fields object is measured while it is split, not
// skipped first.
func (is *Issue) memberN(k, rest []byte, depth int) int {
	switch string(k) {
	case "fields":
		return is.Fields.decodeN(rest, depth)
	case "id", "key", "self":
		n := valueLen(rest)
		if n > 0 {
			switch v := rest[:n]; string(k) {
			case "id":
				is.ID = jstr(v)
			case "key":
				is.Key = jstr(v)
			default:
				is.Self = jstr(v)
			}
		}
		return n
	}
	return valueLen(rest)
}

// decodeN decodes the issue object at the start of rest and returns its
// length, or -1.
func (is *Issue) decodeN(rest []byte, depth int) int {
	n, err := eachMemberN(rest, func(k, r []byte) int { return is.memberN(k, r, depth) })
	if err != nil {
		return -1
	}
	return n
}

// UnmarshalJSON implements json.Unmarshaler. The id may be a string or a
// number; the fields are split lazily (see IssueFields).
func (is *Issue) UnmarshalJSON(b []byte) error { *is = Issue{}; return unmarshalObject(b, is.member) }
