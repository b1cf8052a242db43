//go:build unix

// Package cputime reads the CPU time the process has used, user and system:
// the work done, whatever else the machine is busy with. Benchmarks and
// scale tests report it beside wall time, on a machine shared with other
// jobs.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the CPU time the process has used so far, or 0 where it
// cannot be read.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
