package pagination_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/jirahooks/jirahooks/pagination"
)

// NewOffset walks an offset API (startAt, maxResults, isLast) such as
// Jira's webhook list. The fetch function makes one request; here it serves
// a slice, three items per page.
func ExampleNewOffset() {
	items := []string{"a", "b", "c", "d", "e", "f", "g"}
	fetch := func(ctx context.Context, startAt int64, maxResults int) (pagination.OffsetPage[string], error) {
		end := min(int(startAt)+maxResults, len(items))
		isLast := end == len(items)
		return pagination.OffsetPage[string]{
			Values: items[startAt:end], StartAt: &startAt, MaxResults: maxResults, IsLast: &isLast,
		}, nil
	}

	p := pagination.NewOffset(0, 3, fetch)
	for p.More() {
		page, err := p.Next(context.Background()) // one request
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(page)
	}
	// Output:
	// [a b c]
	// [d e f]
	// [g]
}

// A server that keeps answering "not the last page" with nothing on it
// would make a naive loop spin forever; the Pager stops with an error.
func ExamplePager_Next() {
	fetch := func(ctx context.Context, startAt int64, maxResults int) (pagination.OffsetPage[int], error) {
		isLast := false
		return pagination.OffsetPage[int]{Values: nil, StartAt: &startAt, IsLast: &isLast}, nil
	}
	p := pagination.NewOffset(0, 50, fetch)
	for p.More() {
		_, err := p.Next(context.Background())
		if err != nil {
			fmt.Println("stopped:", errors.Is(err, pagination.ErrEmptyPage))
			break
		}
	}
	fmt.Println("more:", p.More())
	// Output:
	// stopped: true
	// more: false
}
