// Package pagination walks the two kinds of pages Jira's REST API answers
// with, behind one type: [Pager].
//
// Offset pages (Jira's PageBean: startAt, maxResults, total, isLast) are
// read with [NewOffset]; cursor pages (a "next" URL or token, as in
// Jira's failed-webhook list) with [NewCursor]. Either way the caller sees
// the same three methods:
//
//	p := client.List(nil)
//	for p.More() {
//		page, err := p.Next(ctx) // one request, one page
//		...
//	}
//
// or, item by item, with a range-over-func loop that stops at the first
// error:
//
//	for w, err := range client.List(nil).All(ctx) {
//		if err != nil {
//			return err
//		}
//		...
//	}
//
// A Pager does no I/O until the first call to Next (or the first step of
// All), and keeps its own copy of everything it was built from.
//
// Jira servers (and proxies in front of them) do not always play by the
// rules, so a Pager refuses to loop forever: a cursor that repeats, an
// empty page that claims not to be the last, and a page that starts
// somewhere other than where it was asked to all end the walk with an
// error ([ErrRepeatedCursor], [ErrEmptyPage], [ErrOffsetMismatch]) instead
// of another request. When an offset server does not say whether a page
// is the last, a page shorter than the page size (or an empty one) ends the
// walk. A cursor walk follows every next cursor, whatever the page's
// length, and ends at a page without values or without a next cursor.
//
// A cursor walk can be resumed: [Pager.Cursor] returns the cursor of the
// next page, which can be saved and handed to [NewCursor] (for failed
// webhooks, to webhooks.FailedOptions.Cursor) later.
package pagination
