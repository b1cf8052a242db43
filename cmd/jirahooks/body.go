package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxBody bounds what --body reads from a file or stdin.
const maxBody = 10 << 20

// readBody returns the bytes --body names: a JSON string given inline,
// "@file" for a file's contents, or "-" for standard input, as jr does.
func (c *cli) readBody(arg string) ([]byte, error) {
	switch {
	case arg == "-":
		if stdinIsTerminal(c.stdin) {
			fmt.Fprintln(c.stderr, "reading the body from standard input; end with Ctrl-D")
		}
		b, err := io.ReadAll(io.LimitReader(c.stdin, maxBody+1))
		if err != nil {
			return nil, usagef("--body -: reading standard input: %v", err)
		}
		if len(b) > maxBody {
			return nil, usagef("--body -: more than %d bytes", maxBody)
		}
		return b, nil
	case strings.HasPrefix(arg, "@"):
		name := arg[1:]
		if name == "" {
			return nil, usagef("--body @: name a file after the @, as in --body @webhooks.json")
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, usagef("--body %s: %v", arg, err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxBody+1))
		if err != nil {
			return nil, usagef("--body %s: %v", arg, err)
		}
		if len(b) > maxBody {
			return nil, usagef("--body %s: more than %d bytes", arg, maxBody)
		}
		return b, nil
	default:
		return []byte(arg), nil
	}
}

// decodeBody decodes a JSON body into v strictly (unknown fields are
// errors, so that a misspelt "jqlfilter" is caught before Jira sees it)
// and explains a failure with its line and column. example shows the
// expected shape.
func decodeBody(src string, data []byte, v any, example string) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return usagef("--body %s is empty; expected JSON like %s", src, example)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			off := dec.InputOffset()
			line, col := lineCol(data, off)
			return usagef("--body %s: unexpected data after the JSON value at line %d, column %d", src, line, col)
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset)
		return usagef("--body %s is not valid JSON: %v (line %d, column %d); expected JSON like %s", src, syn, line, col, example)
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		field := typ.Field
		if field == "" {
			field = "the body"
		}
		return usagef("--body %s: %s should be %s, not a JSON %s (line %d, column %d); expected JSON like %s",
			src, field, kindName(typ.Type.Kind().String()), typ.Value, line, col, example)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return usagef("--body %s: the JSON ends too early; expected JSON like %s", src, example)
	default:
		// Unknown fields and the rest.
		return usagef("--body %s: %s; expected JSON like %s", src, strings.TrimPrefix(err.Error(), "json: "), example)
	}
}

func kindName(k string) string {
	switch k {
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int64", "int", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	}
	return k
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// bodySource names the --body source in messages: "@file", "-", or
// "(inline)".
func bodySource(arg string) string {
	if arg == "-" || strings.HasPrefix(arg, "@") {
		return arg
	}
	return "(inline JSON)"
}
