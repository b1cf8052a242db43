package pagination

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
)

// Errors a Pager returns on its own account. Errors from the fetch function
// are returned unchanged.
var (
	// ErrNoMorePages is returned by Next when More reports false.
	ErrNoMorePages = errors.New("pagination: no more pages")

	// ErrRepeatedCursor means the server handed back a cursor this Pager
	// has already followed: following it again would loop forever.
	ErrRepeatedCursor = errors.New("pagination: server repeated a cursor")

	// ErrEmptyPage means the server sent an empty page and said it was
	// not the last one: asking for the next would make no progress.
	ErrEmptyPage = errors.New("pagination: server sent an empty page that is not the last")

	// ErrOffsetMismatch means an offset page started somewhere other than
	// where it was asked to, as a server that ignores startAt does.
	ErrOffsetMismatch = errors.New("pagination: page does not start at the requested offset")

	errNilFetch = errors.New("pagination: nil fetch function")
)

// OffsetPage is one page of an offset API, as a fetch function passed to
// [NewOffset] reports it. The pointer fields are nil when the server did
// not send them.
type OffsetPage[T any] struct {
	// Values are the items on the page.
	Values []T
	// StartAt is the offset the server says the page starts at.
	StartAt *int64
	// MaxResults is the page size the server used, which may be smaller
	// than the one asked for; 0 when the server did not say.
	MaxResults int
	// Total is the number of items in all pages. It is only used when
	// IsLast is missing.
	Total *int64
	// IsLast is the server's word on whether this is the last page.
	IsLast *bool
}

// CursorPage is one page of a cursor API, as a fetch function passed to
// [NewCursor] reports it.
type CursorPage[T any] struct {
	// Values are the items on the page.
	Values []T
	// Next is the cursor of the following page; empty when there is none.
	Next string
	// MaxResults is the page size the server used; 0 when it did not say.
	// It is information only: a cursor server may send a short page and
	// still a next cursor (Jira's failed-webhook list does), so only Next
	// and Values decide where the walk ends.
	MaxResults int
}

// OffsetFetch fetches the page of at most maxResults items that starts at
// startAt. maxResults is 0 when the server's default page size should be
// used.
type OffsetFetch[T any] func(ctx context.Context, startAt int64, maxResults int) (OffsetPage[T], error)

// CursorFetch fetches the page that cursor points to.
type CursorFetch[T any] func(ctx context.Context, cursor string) (CursorPage[T], error)

// Pager walks the pages of one listing, one request per call to Next. It
// does no I/O before the first Next. A Pager is not safe for concurrent
// use.
//
// When the fetch function fails, Next returns its error and the Pager stays
// where it was: More still reports true and calling Next again retries the
// same page, unless the fetch function marked the error with [Final]. When
// the server breaks the paging rules (see the package documentation) or
// the error is Final, the error is final and More reports false afterwards.
type Pager[T any] struct {
	offset      OffsetFetch[T]
	cursorFetch CursorFetch[T]

	startAt  int64 // offset pagers: the next page's offset
	pageSize int   // offset pagers: the page size asked for; 0 means the server's default
	cursor   string
	seen     map[string]struct{}

	done    bool
	pending error // returned by the next call to Next, then final
	final   error // returned by every later call to Next
}

// NewOffset returns a Pager over an offset API, starting at startAt and
// asking for pageSize items per page (0, or a negative value, leaves the
// size to the server).
//
// The walk ends when a page says it is the last. When the server does not
// say, it ends at an empty page, a page shorter than the page size (the
// server's reported MaxResults, else pageSize), or a page that reaches
// Total. The next page starts after the items actually received, so a
// server that caps the page size loses nothing.
func NewOffset[T any](startAt int64, pageSize int, fetch OffsetFetch[T]) *Pager[T] {
	if startAt < 0 {
		startAt = 0
	}
	if pageSize < 0 {
		pageSize = 0
	}
	p := &Pager[T]{offset: fetch, startAt: startAt, pageSize: pageSize}
	if fetch == nil {
		p.pending, p.done = errNilFetch, true
	}
	return p
}

// NewCursor returns a Pager over a cursor API. cursor is the first page's
// cursor; what an empty cursor means is up to fetch (usually: the first
// page).
//
// The Pager follows every next cursor the server sends, whatever the
// page's length. The walk ends at a page with no next cursor or an empty
// page: there is nothing more for now, but [Pager.Cursor] still tells
// where to resume later, when more items may exist (failed webhooks
// accumulate over time).
func NewCursor[T any](cursor string, fetch CursorFetch[T]) *Pager[T] {
	p := &Pager[T]{cursorFetch: fetch, cursor: cursor}
	if fetch == nil {
		p.pending, p.done = errNilFetch, true
	}
	return p
}

// Error returns a Pager whose first Next returns err, for constructors that
// find a problem (a bad option, say) before any page is fetched. A nil err
// gives a Pager with no pages.
func Error[T any](err error) *Pager[T] {
	if err == nil {
		return &Pager[T]{done: true}
	}
	return &Pager[T]{pending: err, done: true}
}

// More reports whether Next has something to return: another page, or an
// error not yet returned.
func (p *Pager[T]) More() bool {
	if p == nil {
		return false
	}
	return p.pending != nil || (!p.done && p.final == nil)
}

// Cursor returns where the next page starts: for a cursor Pager, the cursor
// Next will fetch, which can be saved to resume the walk later (after the
// last page, the cursor to poll for newer items); for an offset Pager, the
// next offset in decimal.
func (p *Pager[T]) Cursor() string {
	if p == nil {
		return ""
	}
	if p.offset != nil {
		return strconv.FormatInt(p.startAt, 10)
	}
	return p.cursor
}

// Next fetches and returns the next page. The slice is never nil when err
// is nil, though it may be empty (a listing with no items has one empty
// page). After the last page Next returns ErrNoMorePages.
func (p *Pager[T]) Next(ctx context.Context) ([]T, error) {
	if p == nil {
		return nil, errors.New("pagination: nil Pager")
	}
	if p.pending != nil {
		err := p.pending
		p.pending, p.final, p.done = nil, err, true
		return nil, err
	}
	if p.final != nil {
		return nil, p.final
	}
	if p.done {
		return nil, ErrNoMorePages
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.offset != nil {
		return p.nextOffset(ctx)
	}
	return p.nextCursor(ctx)
}

func (p *Pager[T]) nextOffset(ctx context.Context) ([]T, error) {
	page, err := p.offset(ctx, p.startAt, p.pageSize)
	if err != nil {
		return nil, p.fetchFailed(err)
	}
	if page.StartAt != nil && *page.StartAt != p.startAt {
		return nil, p.fail(fmt.Errorf("%w: asked for %d, got %d", ErrOffsetMismatch, p.startAt, *page.StartAt))
	}
	n := int64(len(page.Values))
	switch {
	case page.IsLast != nil && *page.IsLast:
		p.done = true
	case page.IsLast != nil: // isLast: false
		if n == 0 {
			return nil, p.fail(fmt.Errorf("%w (startAt %d)", ErrEmptyPage, p.startAt))
		}
	default: // the server did not say
		size := page.MaxResults
		if size <= 0 {
			size = p.pageSize
		}
		if n == 0 || (size > 0 && n < int64(size)) ||
			(page.Total != nil && p.startAt+n >= *page.Total) {
			p.done = true
		}
	}
	p.startAt += n
	return nonNil(page.Values), nil
}

func (p *Pager[T]) nextCursor(ctx context.Context) ([]T, error) {
	page, err := p.cursorFetch(ctx, p.cursor)
	if err != nil {
		return nil, p.fetchFailed(err)
	}
	if p.seen == nil {
		p.seen = make(map[string]struct{}, 4)
	}
	p.seen[p.cursor] = struct{}{}

	if page.Next == "" || len(page.Values) == 0 {
		// Nothing more for now. Resume from the next cursor if there is
		// one, else from this page again.
		p.done = true
		if page.Next != "" {
			p.cursor = page.Next
		}
		return nonNil(page.Values), nil
	}
	if _, ok := p.seen[page.Next]; ok {
		// This page is new, the cursor after it is not: hand out the
		// page, then the error.
		p.pending = fmt.Errorf("%w: %s", ErrRepeatedCursor, shorten(page.Next))
		return nonNil(page.Values), nil
	}
	p.cursor = page.Next
	return nonNil(page.Values), nil
}

// fail makes err final and returns it.
// Final marks err, returned by a fetch function, as permanent: the Pager
// returns it (unwrapped) and ends the walk, so More reports false, instead
// of letting the next call to Next ask for the same page again. Fetch
// functions use it for answers that no retry will change, such as a 403, so
// that a caller looping on More while skipping errors cannot spin forever.
// Final(nil) is nil.
func Final(err error) error {
	if err == nil {
		return nil
	}
	return finalError{err}
}

type finalError struct{ err error }

func (e finalError) Error() string { return e.err.Error() }
func (e finalError) Unwrap() error { return e.err }

// fetchFailed turns an error from a fetch function into what Next returns:
// a Final one ends the walk, any other leaves the page to be tried again.
func (p *Pager[T]) fetchFailed(err error) error {
	var f finalError
	if errors.As(err, &f) {
		return p.fail(f.err)
	}
	return err
}

func (p *Pager[T]) fail(err error) error {
	p.final, p.done = err, true
	return err
}

// All returns an iterator over every item of every remaining page, fetching
// pages as the loop needs them. It yields a non-nil error at most once, as
// its last pair, and stops there. Breaking out of the loop leaves the Pager
// at the start of the page after the last one fetched.
func (p *Pager[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for p.More() {
			page, err := p.Next(ctx)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, v := range page {
				if !yield(v, nil) {
					return
				}
			}
		}
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func shorten(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
