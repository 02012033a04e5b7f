package index

import "unsafe"

// prefetch asks the CPU to bring the cache line at p into its caches
// without waiting for it (PREFETCHT0, prefetch_amd64.s; a hint, it never
// faults). A query knows the stories it will look at a few ahead, and in
// a million-story index each one's date and length are a cache miss:
// fetched early, they arrive while the query works on the ones before.
//
//go:noescape
func prefetch(p unsafe.Pointer)
