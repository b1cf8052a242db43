package pagination

import (
	"context"
	"errors"
	"testing"
)

func TestFinalErrorEndsTheWalk(t *testing.T) {
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
					if _, err := p.Next(context.Background()); err == nil {
						t.Fatal("no error")
					} else if !errors.Is(err, permanent) && !errors.Is(err, transient) {
						t.Fatalf("err = %v", err)
					} else if _, wrapped := err.(finalError); wrapped {
						t.Fatal("Next returned the Final wrapper, not the error itself")
					}
				}
				if p.More() != tc.wantMore || calls != tc.wantCalls {
					t.Errorf("More = %v after %d fetches, want %v after %d", p.More(), calls, tc.wantMore, tc.wantCalls)
				}
			}
		})
	}
	if Final(nil) != nil {
		t.Error("Final(nil) != nil")
	}
}
