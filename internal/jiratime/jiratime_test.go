package jiratime

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeBothForms(t *testing.T) {
	t.Parallel()
	want := time.Date(2019, 6, 1, 12, 42, 30, 0, time.UTC)
	for _, in := range []string{
		`"2019-06-01T12:42:30.000+0000"`,
		`"2019-06-01T14:42:30.000+0200"`,
		`"2019-06-01T12:42:30Z"`,
		`1559392950000`,
		`"1559392950000"`,
	} {
		var got Time
		if !assert.NoError(t, json.Unmarshal([]byte(in), &got), in) {
			continue
		}
		assert.True(t, got.Equal(want), "%s: got %v, want %v", in, got.Time, want)
	}
}

func TestNullAndBad(t *testing.T) {
	t.Parallel()
	var got Time
	require.NoError(t, json.Unmarshal([]byte(`null`), &got), "null")
	require.True(t, got.IsZero(), "null: %v", got)
	for _, in := range []string{`"yesterday"`, `true`, `{}`, `"2019-13-01T00:00:00.000+0000"`} {
		assert.Error(t, json.Unmarshal([]byte(in), &got), "%s: no error", in)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	in := Time{time.Date(2026, 11, 26, 8, 0, 0, 123e6, time.UTC)}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	require.Equal(t, `"2026-11-26T08:00:00.123+0000"`, string(b), "Marshal")
	var out Time
	require.NoError(t, json.Unmarshal(b, &out), "round trip")
	require.True(t, out.Equal(in.Time), "round trip: %v", out)
	b, err = json.Marshal(Time{})
	require.NoError(t, err)
	assert.Equal(t, "null", string(b), "zero")
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
	t.Parallel()
	east := time.FixedZone("east", 5*3600)
	west := time.FixedZone("west", -5*3600)
	for _, tm := range []time.Time{
		time.Date(9999, 12, 31, 23, 0, 0, 0, west), // 10000-01-01 in UTC
		time.Date(0, 1, 1, 1, 0, 0, 0, east),       // year -1 in UTC
	} {
		b, err := json.Marshal(Time{tm})
		assert.Error(t, err, "Marshal(%v) = %s, want an error", tm, b)
	}
	ok := time.Date(10000, 1, 1, 1, 0, 0, 0, east) // 9999-12-31 in UTC
	b, err := json.Marshal(Time{ok})
	if assert.NoError(t, err, "Marshal(%v)", ok) {
		assert.Equal(t, `"9999-12-31T20:00:00.000+0000"`, string(b), "Marshal(%v)", ok)
	}
}
