package webhooks

// Decoding of Jira's JSON: every payload type is decoded from its struct
// tags by github.com/go-json-experiment/json, the reference implementation
// of Go's encoding/json/v2, and no wire name is written outside a struct
// tag. Under GOEXPERIMENT=jsonv2 the module is an alias of the standard
// library's encoding/json/v2, whose API differs from the module's own (in
// v1.27, the newest on the proxy) in a few places: the inline-members tag
// option (",embed" in the module, ",inline" or ",unknown" in the standard
// library), Token.Int's results, and the sentinel that hands a value back
// to the default decoding (errors.ErrUnsupported, SkipFunc). This package
// uses only what the two share, and its tests pass with and without the
// experiment, so that moving to the standard library is an import change.
//
// Jira is loose about types: ids come as strings or numbers, booleans as
// "true", times in several layouts or as epoch milliseconds, and a field may
// change shape between Jira versions. Decoding is therefore lenient below
// the top level: the scalar unmarshalers below convert what they can and
// leave the Go value zero otherwise, and a struct, slice or map given a JSON
// value of another kind is left zero too, instead of failing the whole
// event; the raw body is always kept. The top level stays strict: one JSON
// object, no trailing data, nesting bounded by the decoder's limit (10000),
// and an event's part (issue, user, ...) must be an object or null.

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/jirahooks/jirahooks/internal/jiratime"
)

// decodeOptions are the options of every decode in this package.
// AllowDuplicateNames and AllowInvalidUTF8 accept exactly what encoding/json
// accepts (the last duplicate wins, invalid UTF-8 becomes U+FFFD), which
// FuzzParseEvent checks against encoding/json on every input.
var decodeOptions = jsonv2.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
	jsonv2.WithUnmarshalers(lenient),
)

// lenient are the unmarshalers of Jira's loose scalars, of the payload types
// and of their slices and maps: a list of Go types, not of wire names.
var lenient = jsonv2.JoinUnmarshalers(
	jsonv2.UnmarshalFromFunc(func(d *jsontext.Decoder, s *string) (err error) {
		*s, err = readString(d)
		return err
	}),
	jsonv2.UnmarshalFromFunc(func(d *jsontext.Decoder, b *bool) (err error) {
		*b, err = readBool(d)
		return err
	}),
	jsonv2.UnmarshalFromFunc(func(d *jsontext.Decoder, n *int64) (err error) {
		*n, err = readInt(d)
		return err
	}),
	jsonv2.UnmarshalFromFunc(func(d *jsontext.Decoder, n *int) error {
		v, err := readInt(d)
		*n = int(v)
		return err
	}),
	jsonv2.UnmarshalFromFunc(func(d *jsontext.Decoder, t *time.Time) (err error) {
		*t, err = readTime(d)
		return err
	}),
	jsonv2.UnmarshalFromFunc(func(d *jsontext.Decoder, m *json.RawMessage) (err error) {
		*m, err = readRaw(d)
		return err
	}),
	payloads,
	jsonv2.UnmarshalFromFunc(decodeStrings[string]),
	jsonv2.UnmarshalFromFunc(decodeStrings[EventName]),
	jsonv2.UnmarshalFromFunc(sliceOf(readInt)),
	jsonv2.UnmarshalFromFunc(sliceOf(valueOf(decodeComponent))),
	jsonv2.UnmarshalFromFunc(sliceOf(valueOf(decodeVersion))),
	jsonv2.UnmarshalFromFunc(sliceOf(valueOf(decodeChangeItem))),
	jsonv2.UnmarshalFromFunc(mapOf(readString)),
	jsonv2.UnmarshalFromFunc(mapOf(readRaw)),
)

// payloads decode the payload types (T, and *T for the parts of an event
// and other pointer fields) and the types of Jira's answers to the admin
// client by functions rather than methods: a method would take a
// *jsontext.Decoder, a type of go-json-experiment/json's that would then be
// part of this package's API, to change on the move to encoding/json/v2.
// Every type with an UnmarshalJSON method must be here: that method decodes
// with decodeOptions, and without its function here it would call itself
// (TestUnmarshalJSONTerminates).
var payloads = jsonv2.JoinUnmarshalers(
	payload(decodeUser),
	payload(decodeIssue),
	payload(decodeIssueFields),
	payload(decodeIssueType),
	payload(decodeStatus),
	payload(decodeStatusCategory),
	payload(decodePriority),
	payload(decodeResolution),
	payload(decodeComponent),
	payload(decodeChangelog),
	payload(decodeChangeItem),
	payload(decodeComment),
	payload(decodeVisibility),
	payload(decodeWorklog),
	payload(decodeAttachment),
	payload(decodeIssueLink),
	payload(decodeIssueLinkType),
	payload(decodeSprint),
	payload(decodeBoard),
	payload(decodeVersion),
	payload(decodeProject),
	payload(decodeFilter),
	payload(decodeProperty),
	payload(decodeRichText),
	jsonv2.UnmarshalFromFunc(decodeAdminResponse),
	jsonv2.UnmarshalFromFunc(decodeAdminFilters),
	jsonv2.UnmarshalFromFunc(decodeLastUpdatedUser),
	jsonv2.UnmarshalFromFunc(decodeOptBool),
	jsonv2.UnmarshalFromFunc(decodeOptString),
)

// payload returns the unmarshalers of *T and **T that decode with dec.
func payload[T any](dec func(*jsontext.Decoder, *T) error) *jsonv2.Unmarshalers {
	return jsonv2.JoinUnmarshalers(jsonv2.UnmarshalFromFunc(dec), jsonv2.UnmarshalFromFunc(decodePtr(dec)))
}

// fromTags returns a decoder of T from the tags of J, T's type without
// methods; as converts *T to *J.
func fromTags[T, J any](as func(*T) *J) func(*jsontext.Decoder, *T) error {
	return func(d *jsontext.Decoder, v *T) error { return decodeObject(d, as(v)) }
}

// errNotObject is what a part of an event that is not a JSON object fails
// with; ParseEvent names the part from the error's JSON pointer.
var errNotObject = errors.New("not a JSON object")

var errNotArray = errors.New("not a JSON array")

// decodePtr returns a decoder of a JSON object into **v, allocating *v,
// with dec (calling it directly saves the decoder a look-up). null, and
// another kind of value below the event's parts, leave *v nil: a part of an
// event that is not an object fails with errNotObject.
func decodePtr[T any](dec func(*jsontext.Decoder, *T) error) func(*jsontext.Decoder, **T) error {
	return func(d *jsontext.Decoder, v **T) error {
		*v = nil
		if ok, err := expect(d, '{', partDepth); !ok {
			return err
		}
		*v = new(T)
		return dec(d, *v)
	}
}

// sliceOf returns a decoder of a JSON array into *v, each element read by
// read. null gives nil; another kind of value is skipped, leaving *v nil,
// unless it is the whole input.
//
// (The functions of decodeOptions cannot hand a value back to the default
// decoding: the sentinel for that is errors.ErrUnsupported in
// go-json-experiment/json and SkipFunc in Go 1.26's encoding/json/v2, which
// the module becomes under GOEXPERIMENT=jsonv2. Hence these loops, which
// also save the decoder a look-up per element.)
func sliceOf[T any](read func(*jsontext.Decoder) (T, error)) func(*jsontext.Decoder, *[]T) error {
	return func(d *jsontext.Decoder, v *[]T) error {
		out := []T{}
		ok, err := eachElement(d, func() error {
			e, err := read(d)
			out = append(out, e)
			return err
		})
		*v = nil
		if ok {
			*v = out
		}
		return err
	}
}

// valueOf turns a decoder of T into a reader of T, for sliceOf.
func valueOf[T any](dec func(*jsontext.Decoder, *T) error) func(*jsontext.Decoder) (T, error) {
	return func(d *jsontext.Decoder) (T, error) {
		var v T
		err := dec(d, &v)
		return v, err
	}
}

// decodeStrings decodes a JSON array of strings into *v; elements that are
// not strings are left out. Other kinds are handled as in sliceOf.
func decodeStrings[S ~string](d *jsontext.Decoder, v *[]S) error {
	out := []S{}
	ok, err := eachElement(d, func() error {
		if d.PeekKind() != '"' {
			return d.SkipValue()
		}
		tok, err := d.ReadToken()
		out = append(out, S(tok.String()))
		return err
	})
	*v = nil
	if ok {
		*v = out
	}
	return err
}

// eachElement calls elem to read each element of the JSON array at d, and
// reports whether there was an array (see expect).
func eachElement(d *jsontext.Decoder, elem func() error) (bool, error) {
	if ok, err := expect(d, '[', 0); !ok {
		return false, err
	}
	if _, err := d.ReadToken(); err != nil {
		return false, err
	}
	for d.PeekKind() != ']' {
		if err := elem(); err != nil {
			return false, err
		}
	}
	_, err := d.ReadToken()
	return err == nil, err
}

// mapOf returns a decoder of a JSON object into *v, each value read by
// read, the last duplicate winning; other kinds are handled as in sliceOf.
func mapOf[T any](read func(*jsontext.Decoder) (T, error)) func(*jsontext.Decoder, *map[string]T) error {
	return func(d *jsontext.Decoder, v *map[string]T) error {
		*v = nil
		if ok, err := expect(d, '{', 0); !ok {
			return err
		}
		if _, err := d.ReadToken(); err != nil {
			return err
		}
		out := make(map[string]T)
		for d.PeekKind() != '}' {
			tok, err := d.ReadToken()
			if err != nil {
				return err
			}
			name := tok.String() // a token is only valid until the next read
			e, err := read(d)
			if err != nil {
				return err
			}
			out[name] = e
		}
		if _, err := d.ReadToken(); err != nil {
			return err
		}
		*v = out
		return nil
	}
}

// decodeObject decodes the object at d into v from its tags: v points to a
// copy of a payload type, without the type's methods or its function in
// payloads. Null leaves v zero. Another kind of value is skipped below the
// top level and fails with errNotObject at it, where it is an event's part
// or the whole input.
func decodeObject[T any](d *jsontext.Decoder, v *T) error {
	*v = *new(T) // a repeated member replaces, it does not merge
	if ok, err := expect(d, '{', partDepth); !ok {
		return err
	}
	return jsonv2.UnmarshalDecode(d, v)
}

// partDepth is the decoder's stack depth at the parts of an event (and at
// a whole input, 0): an object expected there must be one.
const partDepth = 1

// expect reports whether the next value is of kind want ('{' or '['), to be
// decoded. If not, it reads the value: null is fine, and so is another kind
// below strictDepth, while at or above it is an error (-1: never).
func expect(d *jsontext.Decoder, want jsontext.Kind, strictDepth int) (bool, error) {
	switch k := d.PeekKind(); {
	case k == want:
		return true, nil
	case k == 'n':
		_, err := d.ReadToken()
		return false, err
	case d.StackDepth() > strictDepth:
		return false, d.SkipValue()
	case want == '[':
		return false, errNotArray
	}
	return false, errNotObject
}

// unmarshal decodes the JSON value b into v with decodeOptions: the
// UnmarshalJSON methods of the payload types, for encoding/json, and of
// Jira's answers to the admin client.
func unmarshal(b []byte, v any) error {
	return jsonv2.Unmarshal(b, v, decodeOptions)
}

// readString reads a string leniently: a JSON string, or the text of a
// number or boolean; null, objects and arrays give "".
func readString(d *jsontext.Decoder) (string, error) {
	switch d.PeekKind() {
	case '{', '[':
		return "", d.SkipValue()
	}
	tok, err := d.ReadToken()
	if err != nil || tok.Kind() == 'n' {
		return "", err
	}
	return tok.String(), nil // for numbers and booleans, their JSON text
}

// readBool reads true or "true" as true and anything else as false.
func readBool(d *jsontext.Decoder) (bool, error) {
	switch d.PeekKind() {
	case '{', '[':
		return false, d.SkipValue()
	}
	tok, err := d.ReadToken()
	if err != nil {
		return false, err
	}
	switch tok.Kind() {
	case 't':
		return true, nil
	case '"':
		return tok.String() == "true", nil
	}
	return false, nil
}

// readInt reads an integer from a number or a string holding one;
// fractions are truncated; anything else gives 0.
func readInt(d *jsontext.Decoder) (int64, error) {
	switch d.PeekKind() {
	case '{', '[':
		return 0, d.SkipValue()
	}
	tok, err := d.ReadToken()
	if err != nil {
		return 0, err
	}
	switch tok.Kind() {
	case '0', '"':
		return parseInt(tok.String()), nil
	}
	return 0, nil
}

func parseInt(s string) int64 {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f >= 1<<63 || f < -(1<<63) {
		return 0
	}
	return int64(f)
}

// readTime reads a Jira time: a string in one of Jira's layouts (see
// jiratime.Parse) or epoch milliseconds, as a number or a string. Anything
// else, and 0, give the zero time.
func readTime(d *jsontext.Decoder) (time.Time, error) {
	switch d.PeekKind() {
	case '{', '[':
		return time.Time{}, d.SkipValue()
	}
	tok, err := d.ReadToken()
	if err != nil {
		return time.Time{}, err
	}
	switch tok.Kind() {
	case '"':
		t, _ := jiratime.Parse(tok.String())
		return t, nil
	case '0':
		if ms := parseInt(tok.String()); ms != 0 {
			return time.UnixMilli(ms).UTC(), nil
		}
	}
	return time.Time{}, nil
}

// readRaw reads any value as it is; null gives nil.
func readRaw(d *jsontext.Decoder) (json.RawMessage, error) {
	v, err := d.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return nil, err
	}
	return bytes.Clone(v), nil // v is only valid until the next read
}
