package pagination

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFinalErrorEndsTheWalk(t *testing.T) {
	t.Parallel()
	permanent := errors.New("403 forbidden")
	transient := errors.New("503 unavailable")
	for _, tc := range []struct {
		name      string
		err       error
		wantMore  bool
		wantCalls int
	}{
		{"transient error: the same page is asked again", transient, true, 2},
		{"final error: the walk ends", Final(permanent), false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			offset := NewOffset(0, 10, func(context.Context, int64, int) (OffsetPage[int], error) {
				calls++
				return OffsetPage[int]{}, tc.err
			})
			cursor := NewCursor("", func(context.Context, string) (CursorPage[int], error) {
				calls++
				return CursorPage[int]{}, tc.err
			})
			for _, p := range []*Pager[int]{offset, cursor} {
				calls = 0
				// A caller that loops on More and skips errors: with a
				// final error it stops; with a transient one it would go on.
				for i := 0; i < 2 && p.More(); i++ {
					_, err := p.Next(t.Context())
					require.Error(t, err)
					require.True(t, errors.Is(err, permanent) || errors.Is(err, transient), "err = %v", err)
					_, wrapped := err.(finalError)
					require.False(t, wrapped, "Next returned the Final wrapper, not the error itself")
				}
				assert.Equal(t, tc.wantMore, p.More(), "More after %d fetches", calls)
				assert.Equal(t, tc.wantCalls, calls, "fetches")
			}
		})
	}
	assert.NoError(t, Final(nil), "Final(nil) != nil")
}
