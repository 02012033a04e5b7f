package index_test

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"newsroom.dev/services/linking/index"
	"newsroom.dev/services/linking/internal/synth"
)

// BenchmarkBulkPrepare measures what a bulk load's worker does for a
// story (analysis, look-ups, signature) on one thread, against an index
// of 50,000 stories of the same archive, so that look-ups meet a full
// vocabulary: the workers' part of relatedbench's build, without the
// adder.
func BenchmarkBulkPrepare(b *testing.B) {
	a := synth.New(60_000, 1)
	docs := make([]index.Doc, a.N)
	for i := range docs {
		docs[i] = a.Story(i)
	}
	x := index.New()
	x.AddAll(50_000, func(i int) index.Doc { return docs[i] }, 2)
	docs = docs[50_000:]
	w := index.NewBulkWorker(x)
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := threadCPU()
	for i := 0; b.Loop(); i++ {
		if p := w.Prepare(docs[i%len(docs)]); p.ID() == "" {
			b.Fatal("no id")
		}
	}
	// The thread's CPU time: on a machine shared with other work, wall
	// time mostly measures the others.
	b.ReportMetric(float64(threadCPU()-cpu)/float64(b.N), "cpu-ns/op")
}

// threadCPU is the CPU time the calling thread has used
// (CLOCK_THREAD_CPUTIME_ID; Linux).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
