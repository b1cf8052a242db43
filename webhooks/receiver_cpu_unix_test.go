//go:build unix

package webhooks

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used, user and system, so
// that benchmarks on a busy machine can report work done rather than time
// spent waiting for a CPU.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
