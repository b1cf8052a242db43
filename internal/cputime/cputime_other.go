//go:build !unix

// Package cputime reads the CPU time the process has used, user and system:
// the work done, whatever else the machine is busy with. Benchmarks and
// scale tests report it beside wall time, on a machine shared with other
// jobs.
package cputime

import "time"

// Process returns 0: the CPU time is not read on this platform.
func Process() time.Duration { return 0 }
