//go:build !linux

package rules

import "time"

// scanClock is the calling thread's CPU time, where the system has no
// finer clock than getrusage's.
func scanClock() time.Duration { return threadCPU() }
