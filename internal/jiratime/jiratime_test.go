package jiratime

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDecodeBothForms(t *testing.T) {
	want := time.Date(2019, 6, 1, 12, 42, 30, 0, time.UTC)
	for _, in := range []string{
		`"2019-06-01T12:42:30.000+0000"`,
		`"2019-06-01T14:42:30.000+0200"`,
		`"2019-06-01T12:42:30Z"`,
		`1559392950000`,
		`"1559392950000"`,
	} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if !got.Equal(want) {
			t.Errorf("%s: got %v, want %v", in, got.Time, want)
		}
	}
}

func TestNullAndBad(t *testing.T) {
	var got Time
	if err := json.Unmarshal([]byte(`null`), &got); err != nil || !got.IsZero() {
		t.Fatalf("null: %v %v", got, err)
	}
	for _, in := range []string{`"yesterday"`, `true`, `{}`, `"2019-13-01T00:00:00.000+0000"`} {
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	in := Time{time.Date(2026, 11, 26, 8, 0, 0, 123e6, time.UTC)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `"2026-11-26T08:00:00.123+0000"` {
		t.Fatalf("Marshal = %s", b)
	}
	var out Time
	if err := json.Unmarshal(b, &out); err != nil || !out.Equal(in.Time) {
		t.Fatalf("round trip: %v %v", out, err)
	}
	if b, _ := json.Marshal(Time{}); string(b) != "null" {
		t.Fatalf("zero = %s", b)
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{`"2019-06-01T12:42:30.000+0000"`, `1559392950000`, `null`, `"x"`, `1e300`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Time
		_ = v.UnmarshalJSON(b)
	})
}

// TestMarshalYearRangeInUTC: the year checked is the year written, that of
// the UTC time, so that no five-digit or negative year is ever encoded.
func TestMarshalYearRangeInUTC(t *testing.T) {
	east := time.FixedZone("east", 5*3600)
	west := time.FixedZone("west", -5*3600)
	for _, tm := range []time.Time{
		time.Date(9999, 12, 31, 23, 0, 0, 0, west), // 10000-01-01 in UTC
		time.Date(0, 1, 1, 1, 0, 0, 0, east),       // year -1 in UTC
	} {
		if b, err := json.Marshal(Time{tm}); err == nil {
			t.Errorf("Marshal(%v) = %s, want an error", tm, b)
		}
	}
	ok := time.Date(10000, 1, 1, 1, 0, 0, 0, east) // 9999-12-31 in UTC
	if b, err := json.Marshal(Time{ok}); err != nil || string(b) != `"9999-12-31T20:00:00.000+0000"` {
		t.Errorf("Marshal(%v) = %s, %v", ok, b, err)
	}
}
