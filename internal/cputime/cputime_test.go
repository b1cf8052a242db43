//go:build unix

package cputime_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/jirahooks/jirahooks/internal/cputime"
)

func TestProcessCountsWorkDone(t *testing.T) {
	start := cputime.Process()
	deadline := time.Now().Add(50 * time.Millisecond)
	n := 0
	for time.Now().Before(deadline) {
		n++
	}
	assert.Greater(t, cputime.Process(), start, "50 ms of busy work (%d loops) used no CPU time", n)
}
