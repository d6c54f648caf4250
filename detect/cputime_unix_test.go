//go:build unix

package detect

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time, so that throughput per
// core can be reported on a shared, loaded machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
