package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
)

// unmarshal is the JSON decoder every event type uses (see the benchmark
// notes in event_bench_test.go for why it is encoding/json).
var unmarshal = json.Unmarshal

var nullLiteral = []byte("null")

// flexString decodes a JSON string, number or boolean as its text; null
// decodes as "".
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return errors.New("webhooks: empty JSON value")
	}
	switch b[0] {
	case '"':
		if !bytes.ContainsRune(b, '\\') && len(b) >= 2 && b[len(b)-1] == '"' {
			*s = flexString(b[1 : len(b)-1])
			return nil
		}
		var v string
		if err := unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	case 'n':
		*s = ""
		return nil
	case '{', '[':
		return errors.New("webhooks: expected a string or number")
	}
	*s = flexString(b)
	return nil
}

// flexInt decodes a JSON number or a string holding one; null and "" decode
// as 0. Fractions are truncated.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return errors.New("webhooks: empty JSON value")
	}
	s := b
	switch b[0] {
	case 'n':
		*n = 0
		return nil
	case '"':
		var v string
		if err := unmarshal(b, &v); err != nil {
			return err
		}
		if v == "" {
			*n = 0
			return nil
		}
		s = []byte(v)
	}
	if v, err := strconv.ParseInt(string(s), 10, 64); err == nil {
		*n = flexInt(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || math.IsNaN(f) || f > math.MaxInt64 || f < math.MinInt64 {
		return errors.New("webhooks: expected an integer")
	}
	*n = flexInt(f)
	return nil
}

// flexBool decodes a JSON boolean or the strings "true" and "false"; null
// decodes as false.
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`:
		*v = true
	case "false", `"false"`, "null", `""`:
		*v = false
	default:
		return errors.New("webhooks: expected a boolean")
	}
	return nil
}

// jiraTime decodes the time forms Jira uses: "2006-01-02T15:04:05.000-0700",
// RFC 3339, a bare date, or epoch milliseconds. A string in no known form
// decodes as the zero time rather than failing the whole event.
type jiraTime struct{ t time.Time }

var timeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	time.RFC3339Nano,
	"2006-01-02",
}

func (j *jiraTime) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return errors.New("webhooks: empty JSON value")
	}
	switch b[0] {
	case 'n':
		j.t = time.Time{}
		return nil
	case '"':
		var s string
		if !bytes.ContainsRune(b, '\\') && len(b) >= 2 && b[len(b)-1] == '"' {
			s = string(b[1 : len(b)-1])
		} else if err := unmarshal(b, &s); err != nil {
			return err
		}
		j.t = parseJiraTime(s)
		return nil
	case '{', '[', 't', 'f':
		return errors.New("webhooks: expected a time")
	}
	var ms flexInt
	if err := ms.UnmarshalJSON(b); err != nil {
		return err
	}
	j.t = time.UnixMilli(int64(ms)).UTC()
	return nil
}

func parseJiraTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}

// errBadObject is returned by eachMember for input that is not a JSON
// object; callers wrap it.
var errBadObject = errors.New("webhooks: malformed JSON object")

// eachMember calls fn with the key and raw value of every member of the JSON
// object b, in order. key is the raw key between the quotes (still escaped;
// escaped reports whether it contains a backslash). The value slices alias
// b. It checks structure only as far as it needs to split the object; the
// values themselves are left to whoever decodes them.
func eachMember(b []byte, fn func(key []byte, escaped bool, val []byte) error) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errBadObject
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errBadObject
		}
		end, esc, ok := skipString(b, i)
		if !ok {
			return errBadObject
		}
		key := b[i+1 : end-1]
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return errBadObject
		}
		i = skipWS(b, i+1)
		vend, ok := skipValue(b, i)
		if !ok {
			return errBadObject
		}
		if err := fn(key, esc, b[i:vend]); err != nil {
			return err
		}
		i = skipWS(b, vend)
		if i >= len(b) {
			return errBadObject
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return nil
		default:
			return errBadObject
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] (a
// quote) and whether it contained a backslash.
func skipString(b []byte, i int) (end int, escaped bool, ok bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, true
		}
	}
	return 0, false, false
}

// skipValue returns the index just past the JSON value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		end, _, ok := skipString(b, i)
		return end, ok
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _, ok := skipString(b, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(b) {
		c := b[j]
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			break
		}
		j++
	}
	if j == i {
		return 0, false
	}
	return j, true
}
