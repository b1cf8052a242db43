package pagination

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ptr[T any](v T) *T { return &v }

// offsetServer serves items like Jira's PageBean endpoints do.
type offsetServer struct {
	items    []int
	cap      int  // the largest page the server hands out; 0 for no cap
	noIsLast bool // leave isLast out
	noStart  bool // leave startAt out
	total    bool // send total
	calls    []string
}

func (s *offsetServer) fetch(_ context.Context, startAt int64, maxResults int) (OffsetPage[int], error) {
	s.calls = append(s.calls, fmt.Sprintf("%d/%d", startAt, maxResults))
	size := maxResults
	if size == 0 {
		size = 50
	}
	if s.cap > 0 && size > s.cap {
		size = s.cap
	}
	lo := min(int(startAt), len(s.items))
	hi := min(lo+size, len(s.items))
	page := OffsetPage[int]{Values: slices.Clone(s.items[lo:hi]), MaxResults: size}
	if !s.noStart {
		page.StartAt = ptr(startAt)
	}
	if !s.noIsLast {
		page.IsLast = ptr(hi == len(s.items))
	}
	if s.total {
		page.Total = ptr(int64(len(s.items)))
	}
	return page, nil
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func collect[T any](t *testing.T, p *Pager[T]) ([]T, error) {
	t.Helper()
	var got []T
	for v, err := range p.All(t.Context()) {
		if err != nil {
			return got, err
		}
		got = append(got, v)
	}
	return got, nil
}

func TestOffsetPages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		srv       offsetServer
		pageSize  int
		wantCalls []string
	}{
		{"zero items", offsetServer{}, 10, []string{"0/10"}},
		{"one page", offsetServer{items: seq(3)}, 10, []string{"0/10"}},
		{"exactly one full page", offsetServer{items: seq(10)}, 10, []string{"0/10"}},
		{"many pages", offsetServer{items: seq(10)}, 3, []string{"0/3", "3/3", "6/3", "9/3"}},
		{"server default size", offsetServer{items: seq(120)}, 0, []string{"0/0", "50/0", "100/0"}},
		{"server caps maxResults", offsetServer{items: seq(10), cap: 4}, 100, []string{"0/100", "4/100", "8/100"}},
		{"isLast missing, short last page", offsetServer{items: seq(7), noIsLast: true}, 3, []string{"0/3", "3/3", "6/3"}},
		{"isLast missing, exact multiple ends on empty page", offsetServer{items: seq(6), noIsLast: true}, 3, []string{"0/3", "3/3", "6/3"}},
		{"isLast missing, total ends it", offsetServer{items: seq(6), noIsLast: true, total: true}, 3, []string{"0/3", "3/3"}},
		{"isLast missing, capped server reports its size", offsetServer{items: seq(10), cap: 4, noIsLast: true}, 100, []string{"0/100", "4/100", "8/100"}},
		{"startAt missing", offsetServer{items: seq(5), noStart: true}, 2, []string{"0/2", "2/2", "4/2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := tc.srv
			p := NewOffset(0, tc.pageSize, srv.fetch)
			got, err := collect(t, p)
			require.NoError(t, err)
			assert.Equal(t, srv.items, got, "items")
			assert.Equal(t, tc.wantCalls, srv.calls, "requests")
			assert.False(t, p.More(), "More() = true after the last page")
			_, err = p.Next(t.Context())
			assert.ErrorIs(t, err, ErrNoMorePages, "Next after the end")
			assert.Len(t, srv.calls, len(tc.wantCalls), "Next after the end made a request")
		})
	}
}

func TestOffsetEmptyListingIsOneEmptyPage(t *testing.T) {
	t.Parallel()
	srv := &offsetServer{}
	p := NewOffset(0, 0, srv.fetch)
	page, err := p.Next(t.Context())
	require.NoError(t, err)
	require.NotNil(t, page, "want an empty non-nil page")
	require.Empty(t, page, "want an empty non-nil page")
	assert.False(t, p.More(), "More after the empty last page")
}

func TestOffsetStartAtAndCursor(t *testing.T) {
	t.Parallel()
	srv := &offsetServer{items: seq(10)}
	p := NewOffset(4, 3, srv.fetch)
	assert.Equal(t, "4", p.Cursor(), "Cursor")
	page, err := p.Next(t.Context())
	require.NoError(t, err)
	require.Equal(t, []int{4, 5, 6}, page, "Next")
	assert.Equal(t, "7", p.Cursor(), "Cursor")
	// Bad arguments are clamped, not panics.
	p = NewOffset(-5, -1, srv.fetch)
	got, err := collect(t, p)
	if assert.NoError(t, err, "negative start and size") {
		assert.Equal(t, seq(10), got, "negative start and size")
	}
}

func TestOffsetEmptyNonLastPage(t *testing.T) {
	t.Parallel()
	calls := 0
	p := NewOffset(0, 2, func(_ context.Context, startAt int64, _ int) (OffsetPage[int], error) {
		calls++
		if startAt == 0 {
			return OffsetPage[int]{Values: []int{1, 2}, IsLast: ptr(false)}, nil
		}
		return OffsetPage[int]{IsLast: ptr(false)}, nil // forever
	})
	got, err := collect(t, p)
	require.ErrorIs(t, err, ErrEmptyPage)
	assert.Equal(t, []int{1, 2}, got, "items before the error")
	assert.Equal(t, 2, calls, "calls")
	assert.False(t, p.More(), "More")
	_, err = p.Next(t.Context())
	assert.ErrorIs(t, err, ErrEmptyPage, "Next after the error: want the same error")
	assert.Equal(t, 2, calls, "Next after the error made a request")
}

func TestOffsetServerIgnoringStartAt(t *testing.T) {
	t.Parallel()
	calls := 0
	p := NewOffset(0, 2, func(context.Context, int64, int) (OffsetPage[int], error) {
		calls++
		return OffsetPage[int]{Values: []int{1, 2}, StartAt: ptr(int64(0)), IsLast: ptr(false)}, nil
	})
	got, err := collect(t, p)
	assert.ErrorIs(t, err, ErrOffsetMismatch)
	assert.Equal(t, []int{1, 2}, got)
	assert.Equal(t, 2, calls, "calls")
}

// cursorServer serves pages keyed by cursor.
type cursorServer struct {
	pages map[string]CursorPage[int]
	calls []string
	fail  map[string]error
}

func (s *cursorServer) fetch(_ context.Context, cursor string) (CursorPage[int], error) {
	s.calls = append(s.calls, cursor)
	if err := s.fail[cursor]; err != nil {
		return CursorPage[int]{}, err
	}
	p, ok := s.pages[cursor]
	if !ok {
		return CursorPage[int]{}, fmt.Errorf("no page %q", cursor)
	}
	return p, nil
}

func TestCursorPages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		pages      map[string]CursorPage[int]
		pageSize   int
		want       []int
		wantCalls  []string
		wantCursor string
	}{
		{"zero items", map[string]CursorPage[int]{"": {MaxResults: 2}}, 2, nil, []string{""}, ""},
		{"zero items, next to poll", map[string]CursorPage[int]{"": {MaxResults: 2, Next: "a"}}, 2, nil, []string{""}, "a"},
		{"a short page with a next cursor is followed", map[string]CursorPage[int]{
			"":  {Values: []int{1}, MaxResults: 2, Next: "a"},
			"a": {MaxResults: 2, Next: "a"},
		}, 2, []int{1}, []string{"", "a"}, "a"},
		{"one page, no next", map[string]CursorPage[int]{"": {Values: []int{1, 2}, MaxResults: 2}}, 2, []int{1, 2}, []string{""}, ""},
		{"many pages", map[string]CursorPage[int]{
			"":  {Values: []int{1, 2}, MaxResults: 2, Next: "a"},
			"a": {Values: []int{3, 4}, MaxResults: 2, Next: "b"},
			"b": {Values: []int{5}, MaxResults: 2, Next: "c"},
			"c": {MaxResults: 2},
		}, 2, []int{1, 2, 3, 4, 5}, []string{"", "a", "b", "c"}, "c"},
		{"full last page, then an empty one", map[string]CursorPage[int]{
			"":  {Values: []int{1, 2}, MaxResults: 2, Next: "a"},
			"a": {MaxResults: 2, Next: "a"}, // an empty page may point at itself: poll it later
		}, 2, []int{1, 2}, []string{"", "a"}, "a"},
		{"same-failure-time group larger than maxResults", map[string]CursorPage[int]{
			"":  {Values: []int{1, 2, 3, 4, 5}, MaxResults: 2, Next: "a"},
			"a": {Values: []int{6, 7}, MaxResults: 2, Next: "b"},
			"b": {Values: []int{8}, MaxResults: 2, Next: "c"},
			"c": {MaxResults: 2},
		}, 2, []int{1, 2, 3, 4, 5, 6, 7, 8}, []string{"", "a", "b", "c"}, "c"},
		{"server does not report its page size", map[string]CursorPage[int]{
			"":  {Values: []int{1, 2}, Next: "a"},
			"a": {Values: []int{3}, Next: "b"},
			"b": {},
		}, 2, []int{1, 2, 3}, []string{"", "a", "b"}, "b"},
		{"server caps the page size and says so", map[string]CursorPage[int]{
			"":  {Values: []int{1, 2}, MaxResults: 2, Next: "a"},
			"a": {Values: []int{3, 4}, MaxResults: 2, Next: "b"},
			"b": {Values: []int{5}, MaxResults: 2},
		}, 100, []int{1, 2, 3, 4, 5}, []string{"", "a", "b"}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := &cursorServer{pages: tc.pages}
			p := NewCursor("", srv.fetch)
			got, err := collect(t, p)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got, "items")
			assert.Equal(t, tc.wantCalls, srv.calls, "requests")
			assert.False(t, p.More(), "More after the last page")
			assert.Equal(t, tc.wantCursor, p.Cursor(), "Cursor")
		})
	}
}

func TestCursorRepeated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		pages map[string]CursorPage[int]
		want  []int
	}{
		{"points at itself", map[string]CursorPage[int]{
			"":  {Values: []int{1, 2}, MaxResults: 2, Next: "a"},
			"a": {Values: []int{3, 4}, MaxResults: 2, Next: "a"},
		}, []int{1, 2, 3, 4}},
		{"cycle", map[string]CursorPage[int]{
			"":  {Values: []int{1, 2}, MaxResults: 2, Next: "a"},
			"a": {Values: []int{3, 4}, MaxResults: 2, Next: "b"},
			"b": {Values: []int{5, 6}, MaxResults: 2, Next: "a"},
		}, []int{1, 2, 3, 4, 5, 6}},
		{"back to the start", map[string]CursorPage[int]{
			"s": {Values: []int{1, 2}, MaxResults: 2, Next: "s"},
		}, []int{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := &cursorServer{pages: tc.pages}
			start := ""
			if _, ok := tc.pages[""]; !ok {
				start = "s"
			}
			p := NewCursor(start, srv.fetch)
			got, err := collect(t, p)
			require.ErrorIs(t, err, ErrRepeatedCursor)
			assert.Equal(t, tc.want, got, "items before the error")
			n := len(srv.calls)
			assert.False(t, p.More(), "More after the error")
			_, err = p.Next(t.Context())
			assert.ErrorIs(t, err, ErrRepeatedCursor, "Next after the error")
			assert.Len(t, srv.calls, n, "Next after the error made more requests")
		})
	}
}

func TestCursorResume(t *testing.T) {
	t.Parallel()
	srv := &cursorServer{pages: map[string]CursorPage[int]{
		"":  {Values: []int{1, 2}, MaxResults: 2, Next: "a"},
		"a": {Values: []int{3, 4}, MaxResults: 2, Next: "b"},
		"b": {Values: []int{5}, MaxResults: 2, Next: "c"},
		"c": {MaxResults: 2, Next: "c"}, // nothing yet: poll c later
	}}
	p := NewCursor("", srv.fetch)
	_, err := p.Next(t.Context())
	require.NoError(t, err)
	saved := p.Cursor()
	require.Equal(t, "a", saved, "Cursor")
	// Later, in another process: pick up where we left off.
	q := NewCursor(saved, srv.fetch)
	got, err := collect(t, q)
	require.NoError(t, err, "resumed")
	require.Equal(t, []int{3, 4, 5}, got, "resumed")
	// Done for now; more failures arrive; poll from the saved cursor.
	saved = q.Cursor()
	srv.pages["c"] = CursorPage[int]{Values: []int{6}, MaxResults: 2, Next: "d"}
	srv.pages["d"] = CursorPage[int]{MaxResults: 2}
	got, err = collect(t, NewCursor(saved, srv.fetch))
	require.NoError(t, err, "polled")
	require.Equal(t, []int{6}, got, "polled")
	assert.Equal(t, []string{"", "a", "b", "c", "c", "d"}, srv.calls, "requests")
}

func TestAllStopsAfterFirstError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	srv := &cursorServer{
		pages: map[string]CursorPage[int]{
			"":  {Values: []int{1, 2}, MaxResults: 2, Next: "a"},
			"b": {Values: []int{5}, MaxResults: 2, Next: "c"},
			"c": {MaxResults: 2},
		},
		fail: map[string]error{"a": boom},
	}
	p := NewCursor("", srv.fetch)
	var got []int
	var errs []error
	for v, err := range p.All(t.Context()) {
		if err != nil {
			errs = append(errs, err)
			continue // All must stop on its own
		}
		got = append(got, v)
	}
	require.Equal(t, []int{1, 2}, got)
	require.Len(t, errs, 1, "want one boom")
	require.ErrorIs(t, errs[0], boom)
	assert.Equal(t, []string{"", "a"}, srv.calls, "requests: want one failed request and no more")
	// A fetch error is not final: the same page can be retried.
	require.True(t, p.More(), "More = false after a transient error")
	delete(srv.fail, "a")
	srv.pages["a"] = CursorPage[int]{Values: []int{3, 4}, MaxResults: 2, Next: "b"}
	got, err := collect(t, p)
	if assert.NoError(t, err, "after retry") {
		assert.Equal(t, []int{3, 4, 5}, got, "after retry")
	}
}

func TestAllBreakEarly(t *testing.T) {
	t.Parallel()
	srv := &offsetServer{items: seq(10)}
	p := NewOffset(0, 3, srv.fetch)
	var got []int
	for v, err := range p.All(t.Context()) {
		require.NoError(t, err)
		got = append(got, v)
		if v == 4 {
			break
		}
	}
	assert.Equal(t, []int{0, 1, 2, 3, 4}, got)
	assert.Len(t, srv.calls, 2, "requests")
	// The pager goes on after the page it last fetched.
	rest, err := collect(t, p)
	if assert.NoError(t, err, "rest") {
		assert.Equal(t, []int{6, 7, 8, 9}, rest, "rest")
	}
}

func TestNoIOBeforeNext(t *testing.T) {
	t.Parallel()
	calls := 0
	p := NewOffset(0, 10, func(context.Context, int64, int) (OffsetPage[int], error) {
		calls++
		return OffsetPage[int]{IsLast: ptr(true)}, nil
	})
	_ = p.More()
	_ = p.Cursor()
	_ = p.All(t.Context()) // building the iterator is not running it
	assert.Zero(t, calls, "requests before Next")
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	calls := 0
	p := NewCursor("", func(context.Context, string) (CursorPage[int], error) {
		calls++
		return CursorPage[int]{}, nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.Next(ctx)
	assert.ErrorIs(t, err, context.Canceled, "Next")
	assert.Zero(t, calls, "Next on a canceled context made a call")
	assert.True(t, p.More(), "a canceled context must not end the walk")
}

func TestErrorPagerAndNil(t *testing.T) {
	t.Parallel()
	bad := errors.New("bad option")
	p := Error[string](bad)
	require.True(t, p.More(), "More = false before the error was returned")
	page, err := p.Next(t.Context())
	assert.Nil(t, page, "Next")
	assert.ErrorIs(t, err, bad, "Next")
	assert.False(t, p.More(), "More after the error")

	empty := Error[string](nil)
	assert.False(t, empty.More(), "Error(nil) has pages")

	var np *Pager[int]
	assert.False(t, np.More(), "nil Pager has pages")
	assert.Empty(t, np.Cursor(), "nil Pager has a cursor")
	_, err = np.Next(t.Context())
	assert.Error(t, err, "nil Pager Next: no error")
	for _, err := range np.All(t.Context()) {
		assert.Fail(t, "nil Pager yielded", "%v", err)
	}

	for _, q := range []*Pager[int]{NewOffset[int](0, 0, nil), NewCursor[int]("", nil)} {
		_, err := q.Next(t.Context())
		assert.Error(t, err, "nil fetch: no error")
	}
	var nilCtx context.Context
	srv := &offsetServer{items: seq(1)}
	ints, err := NewOffset(0, 0, srv.fetch).Next(nilCtx)
	if assert.NoError(t, err, "nil context") {
		assert.Len(t, ints, 1, "nil context")
	}
}

func ExamplePager_All() {
	items := seq(7)
	p := NewOffset(0, 3, func(_ context.Context, startAt int64, maxResults int) (OffsetPage[int], error) {
		lo := min(int(startAt), len(items))
		hi := min(lo+maxResults, len(items))
		fmt.Printf("GET ?startAt=%d&maxResults=%d\n", startAt, maxResults)
		return OffsetPage[int]{Values: items[lo:hi], IsLast: ptr(hi == len(items))}, nil
	})
	sum := 0
	for v, err := range p.All(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		sum += v
	}
	fmt.Println("sum", sum)
	// Output:
	// GET ?startAt=0&maxResults=3
	// GET ?startAt=3&maxResults=3
	// GET ?startAt=6&maxResults=3
	// sum 21
}

func ExampleNewCursor() {
	pages := map[string]CursorPage[string]{
		"":               {Values: []string{"a", "b"}, MaxResults: 2, Next: "?failedAfter=2"},
		"?failedAfter=2": {Values: []string{"c"}, MaxResults: 2, Next: "?failedAfter=3"},
	}
	p := NewCursor("", func(_ context.Context, cursor string) (CursorPage[string], error) {
		return pages[cursor], nil
	})
	for p.More() {
		page, err := p.Next(context.Background())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(page)
	}
	fmt.Println("resume later from", strconv.Quote(p.Cursor()))
	// Output:
	// [a b]
	// [c]
	// []
	// resume later from "?failedAfter=3"
}
