// Package jiratime decodes the timestamps Jira's REST API sends in more than
// one shape.
package jiratime

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Layout is the textual form Jira uses for dates in REST answers, for
// example "2019-06-01T12:42:30.000+0000".
const Layout = "2006-01-02T15:04:05.000-0700"

// Time is a point in time that decodes from either form Jira uses for the
// same field: a JSON number of milliseconds since the Unix epoch (what the
// official schema declares) or a string in [Layout] (what Jira sends). RFC
// 3339 strings are accepted too. It encodes as a [Layout] string, the form
// Jira itself answers with. The zero Time encodes as null.
type Time struct {
	time.Time
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	if b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return fmt.Errorf("jiratime: bad string %s", truncate(b))
		}
		if s == "" {
			t.Time = time.Time{}
			return nil
		}
		if v, ok := Parse(s); ok {
			t.Time = v
			return nil
		}
		return fmt.Errorf("jiratime: cannot parse %s as a Jira date", truncate(b))
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil {
			return fmt.Errorf("jiratime: cannot parse %s as a Jira date", truncate(b))
		}
		ms = int64(f)
	}
	t.Time = time.UnixMilli(ms).UTC()
	return nil
}

// Parse parses a time as Jira writes it, choosing the layout from the
// string's shape instead of trying layouts in turn: a bare date
// ("2026-11-28", midnight UTC), RFC 3339 with a "Z" or "±hh:mm" offset, or
// Jira's own "±hhmm" offset ([Layout], fractional seconds optional). A
// string of digits is epoch milliseconds, as some proxies send them. ok is
// false for anything else.
func Parse(s string) (t time.Time, ok bool) {
	n := len(s)
	var layout string
	switch {
	case n == len(time.DateOnly) && s[4] == '-':
		layout = time.DateOnly
	case n <= len(time.DateOnly) || s[10] != 'T':
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.UnixMilli(ms).UTC(), true
	case s[n-1] == 'Z' || s[n-1] == 'z' || n > 6 && s[n-3] == ':' && (s[n-6] == '+' || s[n-6] == '-'):
		layout = time.RFC3339Nano
	case n > 5 && (s[n-5] == '+' || s[n-5] == '-'):
		// Fractional seconds after "05" are accepted whatever the layout says.
		layout = "2006-01-02T15:04:05-0700"
	default:
		return time.Time{}, false
	}
	t, err := time.Parse(layout, s)
	return t, err == nil
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	u := t.UTC() // the year checked is the year written
	if y := u.Year(); y < 0 || y > 9999 {
		return nil, errors.New("jiratime: year outside [0,9999]")
	}
	b := make([]byte, 0, len(Layout)+2)
	b = append(b, '"')
	b = u.AppendFormat(b, Layout)
	return append(b, '"'), nil
}

func truncate(b []byte) []byte {
	if len(b) > 40 {
		return append(b[:40:40], "..."...)
	}
	return b
}
