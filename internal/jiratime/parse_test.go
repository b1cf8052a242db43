package jiratime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseByShape(t *testing.T) {
	t.Parallel()
	utc := func(y int, mo time.Month, d, h, mi, s, ms int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ms*1e6, time.UTC)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-11-28T09:14:03.120+0000", utc(2026, 11, 28, 9, 14, 3, 120), true},
		{"2026-11-28T11:14:03.120+0200", utc(2026, 11, 28, 9, 14, 3, 120), true},
		{"2026-11-28T09:14:03+0000", utc(2026, 11, 28, 9, 14, 3, 0), true},
		{"2026-11-28T04:14:03.120-0500", utc(2026, 11, 28, 9, 14, 3, 120), true},
		{"2026-11-28T09:14:03.120Z", utc(2026, 11, 28, 9, 14, 3, 120), true},
		{"2026-11-28T09:14:03Z", utc(2026, 11, 28, 9, 14, 3, 0), true},
		{"2026-11-28T10:14:03.120+01:00", utc(2026, 11, 28, 9, 14, 3, 120), true},
		{"2026-11-28", utc(2026, 11, 28, 0, 0, 0, 0), true},
		{"1764321243120", utc(2025, 11, 28, 9, 14, 3, 120), true},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"2026-13-28", time.Time{}, false},
		{"2026-11-28T09:14:03", time.Time{}, false},
		{"2026-11-28 09:14:03Z", time.Time{}, false},
		{"2026-11-28T25:14:03.120+0000", time.Time{}, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, ok := Parse(tc.in)
			if assert.Equal(t, tc.ok, ok, "Parse(%q) ok", tc.in) {
				assert.True(t, tc.want.Equal(got), "Parse(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// BenchmarkParse shows that a time costs one time.Parse whatever its
// layout; trying layouts in turn made a sprint event spend a third of its
// CPU in failed attempts.
func BenchmarkParse(b *testing.B) {
	for _, s := range []string{"2026-11-28T09:14:03.120+0000", "2026-11-28T09:14:03.120Z", "2026-11-28"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := Parse(s); !ok { // require only once failed: its helper bookkeeping would be timed
					require.Fail(b, "Parse failed", s)
				}
			}
		})
	}
}
