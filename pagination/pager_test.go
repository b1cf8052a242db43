package pagination

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
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
	for v, err := range p.All(context.Background()) {
		if err != nil {
			return got, err
		}
		got = append(got, v)
	}
	return got, nil
}

func TestOffsetPages(t *testing.T) {
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
			srv := tc.srv
			p := NewOffset(0, tc.pageSize, srv.fetch)
			got, err := collect(t, p)
			if err != nil {
				t.Fatal(err)
			}
			if want := srv.items; !slices.Equal(got, want) {
				t.Errorf("items = %v, want %v", got, want)
			}
			if !slices.Equal(srv.calls, tc.wantCalls) {
				t.Errorf("requests = %v, want %v", srv.calls, tc.wantCalls)
			}
			if p.More() {
				t.Error("More() = true after the last page")
			}
			if _, err := p.Next(context.Background()); !errors.Is(err, ErrNoMorePages) {
				t.Errorf("Next after the end: %v, want ErrNoMorePages", err)
			}
			if len(srv.calls) != len(tc.wantCalls) {
				t.Error("Next after the end made a request")
			}
		})
	}
}

func TestOffsetEmptyListingIsOneEmptyPage(t *testing.T) {
	srv := &offsetServer{}
	p := NewOffset(0, 0, srv.fetch)
	page, err := p.Next(context.Background())
	if err != nil || page == nil || len(page) != 0 {
		t.Fatalf("Next = %v, %v; want an empty non-nil page", page, err)
	}
	if p.More() {
		t.Error("More after the empty last page")
	}
}

func TestOffsetStartAtAndCursor(t *testing.T) {
	srv := &offsetServer{items: seq(10)}
	p := NewOffset(4, 3, srv.fetch)
	if c := p.Cursor(); c != "4" {
		t.Errorf("Cursor = %q, want 4", c)
	}
	page, err := p.Next(context.Background())
	if err != nil || !slices.Equal(page, []int{4, 5, 6}) {
		t.Fatalf("Next = %v, %v", page, err)
	}
	if c := p.Cursor(); c != "7" {
		t.Errorf("Cursor = %q, want 7", c)
	}
	// Bad arguments are clamped, not panics.
	p = NewOffset(-5, -1, srv.fetch)
	if got, err := collect(t, p); err != nil || !slices.Equal(got, seq(10)) {
		t.Errorf("negative start and size: %v, %v", got, err)
	}
}

func TestOffsetEmptyNonLastPage(t *testing.T) {
	calls := 0
	p := NewOffset(0, 2, func(_ context.Context, startAt int64, _ int) (OffsetPage[int], error) {
		calls++
		if startAt == 0 {
			return OffsetPage[int]{Values: []int{1, 2}, IsLast: ptr(false)}, nil
		}
		return OffsetPage[int]{IsLast: ptr(false)}, nil // forever
	})
	got, err := collect(t, p)
	if !errors.Is(err, ErrEmptyPage) {
		t.Fatalf("err = %v, want ErrEmptyPage", err)
	}
	if !slices.Equal(got, []int{1, 2}) {
		t.Errorf("items before the error = %v", got)
	}
	if calls != 2 || p.More() {
		t.Errorf("calls = %d, More = %v; want 2, false", calls, p.More())
	}
	if _, err := p.Next(context.Background()); !errors.Is(err, ErrEmptyPage) || calls != 2 {
		t.Errorf("Next after the error = %v (calls %d); want the same error, no request", err, calls)
	}
}

func TestOffsetServerIgnoringStartAt(t *testing.T) {
	calls := 0
	p := NewOffset(0, 2, func(context.Context, int64, int) (OffsetPage[int], error) {
		calls++
		return OffsetPage[int]{Values: []int{1, 2}, StartAt: ptr(int64(0)), IsLast: ptr(false)}, nil
	})
	got, err := collect(t, p)
	if !errors.Is(err, ErrOffsetMismatch) || !slices.Equal(got, []int{1, 2}) || calls != 2 {
		t.Errorf("got %v, %v after %d calls; want [1 2], ErrOffsetMismatch, 2", got, err, calls)
	}
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
			srv := &cursorServer{pages: tc.pages}
			p := NewCursor("", srv.fetch)
			got, err := collect(t, p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("items = %v, want %v", got, tc.want)
			}
			if !slices.Equal(srv.calls, tc.wantCalls) {
				t.Errorf("requests = %q, want %q", srv.calls, tc.wantCalls)
			}
			if p.More() {
				t.Error("More after the last page")
			}
			if c := p.Cursor(); c != tc.wantCursor {
				t.Errorf("Cursor = %q, want %q", c, tc.wantCursor)
			}
		})
	}
}

func TestCursorRepeated(t *testing.T) {
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
			srv := &cursorServer{pages: tc.pages}
			start := ""
			if _, ok := tc.pages[""]; !ok {
				start = "s"
			}
			p := NewCursor(start, srv.fetch)
			got, err := collect(t, p)
			if !errors.Is(err, ErrRepeatedCursor) {
				t.Fatalf("err = %v, want ErrRepeatedCursor", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("items before the error = %v, want %v", got, tc.want)
			}
			n := len(srv.calls)
			if p.More() {
				t.Error("More after the error")
			}
			if _, err := p.Next(context.Background()); !errors.Is(err, ErrRepeatedCursor) || len(srv.calls) != n {
				t.Errorf("Next after the error: %v, %d more requests", err, len(srv.calls)-n)
			}
		})
	}
}

func TestCursorResume(t *testing.T) {
	srv := &cursorServer{pages: map[string]CursorPage[int]{
		"":  {Values: []int{1, 2}, MaxResults: 2, Next: "a"},
		"a": {Values: []int{3, 4}, MaxResults: 2, Next: "b"},
		"b": {Values: []int{5}, MaxResults: 2, Next: "c"},
		"c": {MaxResults: 2, Next: "c"}, // nothing yet: poll c later
	}}
	p := NewCursor("", srv.fetch)
	if _, err := p.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	saved := p.Cursor()
	if saved != "a" {
		t.Fatalf("Cursor = %q, want a", saved)
	}
	// Later, in another process: pick up where we left off.
	q := NewCursor(saved, srv.fetch)
	got, err := collect(t, q)
	if err != nil || !slices.Equal(got, []int{3, 4, 5}) {
		t.Fatalf("resumed = %v, %v", got, err)
	}
	// Done for now; more failures arrive; poll from the saved cursor.
	saved = q.Cursor()
	srv.pages["c"] = CursorPage[int]{Values: []int{6}, MaxResults: 2, Next: "d"}
	srv.pages["d"] = CursorPage[int]{MaxResults: 2}
	got, err = collect(t, NewCursor(saved, srv.fetch))
	if err != nil || !slices.Equal(got, []int{6}) {
		t.Fatalf("polled = %v, %v", got, err)
	}
	if !slices.Equal(srv.calls, []string{"", "a", "b", "c", "c", "d"}) {
		t.Errorf("requests = %q", srv.calls)
	}
}

func TestAllStopsAfterFirstError(t *testing.T) {
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
	for v, err := range p.All(context.Background()) {
		if err != nil {
			errs = append(errs, err)
			continue // All must stop on its own
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []int{1, 2}) || len(errs) != 1 || !errors.Is(errs[0], boom) {
		t.Fatalf("got %v, errors %v; want [1 2], one boom", got, errs)
	}
	if !slices.Equal(srv.calls, []string{"", "a"}) {
		t.Errorf("requests = %q, want one failed request and no more", srv.calls)
	}
	// A fetch error is not final: the same page can be retried.
	if !p.More() {
		t.Fatal("More = false after a transient error")
	}
	delete(srv.fail, "a")
	srv.pages["a"] = CursorPage[int]{Values: []int{3, 4}, MaxResults: 2, Next: "b"}
	got, err := collect(t, p)
	if err != nil || !slices.Equal(got, []int{3, 4, 5}) {
		t.Errorf("after retry: %v, %v", got, err)
	}
}

func TestAllBreakEarly(t *testing.T) {
	srv := &offsetServer{items: seq(10)}
	p := NewOffset(0, 3, srv.fetch)
	var got []int
	for v, err := range p.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
		if v == 4 {
			break
		}
	}
	if !slices.Equal(got, []int{0, 1, 2, 3, 4}) || len(srv.calls) != 2 {
		t.Errorf("got %v with %d requests", got, len(srv.calls))
	}
	// The pager goes on after the page it last fetched.
	rest, err := collect(t, p)
	if err != nil || !slices.Equal(rest, []int{6, 7, 8, 9}) {
		t.Errorf("rest = %v, %v", rest, err)
	}
}

func TestNoIOBeforeNext(t *testing.T) {
	calls := 0
	p := NewOffset(0, 10, func(context.Context, int64, int) (OffsetPage[int], error) {
		calls++
		return OffsetPage[int]{IsLast: ptr(true)}, nil
	})
	_ = p.More()
	_ = p.Cursor()
	_ = p.All(context.Background()) // building the iterator is not running it
	if calls != 0 {
		t.Errorf("%d requests before Next", calls)
	}
}

func TestCanceledContext(t *testing.T) {
	calls := 0
	p := NewCursor("", func(context.Context, string) (CursorPage[int], error) {
		calls++
		return CursorPage[int]{}, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Next(ctx); !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("Next = %v after %d calls; want context.Canceled, no call", err, calls)
	}
	if !p.More() {
		t.Error("a canceled context must not end the walk")
	}
}

func TestErrorPagerAndNil(t *testing.T) {
	bad := errors.New("bad option")
	p := Error[string](bad)
	if !p.More() {
		t.Fatal("More = false before the error was returned")
	}
	if page, err := p.Next(context.Background()); page != nil || !errors.Is(err, bad) {
		t.Errorf("Next = %v, %v", page, err)
	}
	if p.More() {
		t.Error("More after the error")
	}

	empty := Error[string](nil)
	if empty.More() {
		t.Error("Error(nil) has pages")
	}

	var np *Pager[int]
	if np.More() || np.Cursor() != "" {
		t.Error("nil Pager has pages")
	}
	if _, err := np.Next(context.Background()); err == nil {
		t.Error("nil Pager Next: no error")
	}
	for _, err := range np.All(context.Background()) {
		t.Errorf("nil Pager yielded %v", err)
	}

	for _, q := range []*Pager[int]{NewOffset[int](0, 0, nil), NewCursor[int]("", nil)} {
		if _, err := q.Next(context.Background()); err == nil {
			t.Error("nil fetch: no error")
		}
	}
	var nilCtx context.Context
	srv := &offsetServer{items: seq(1)}
	if page, err := NewOffset(0, 0, srv.fetch).Next(nilCtx); err != nil || len(page) != 1 {
		t.Errorf("nil context: %v, %v", page, err)
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
