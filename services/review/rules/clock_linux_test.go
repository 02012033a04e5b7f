package rules

import (
	"syscall"
	"time"
	"unsafe"
)

// scanClock is the calling thread's CPU time to the nanosecond
// (CLOCK_THREAD_CPUTIME_ID), fine enough to time a single scan; getrusage
// counts in scheduler ticks.
func scanClock() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
