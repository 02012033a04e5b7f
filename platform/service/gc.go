package service

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// TuneGC lets the heap grow by about headroom bytes between collections
// instead of by the live heap's size (GOGC=100), until ctx ends: a
// process with a small live heap and a high allocation rate, like
// `newsroom dev` under load, otherwise collects many times a second. It
// sets GOGC to headroom/live, never below 100 (a large live heap, such as
// linking's index of a big archive, is collected as by default) nor above
// maxGCPercent, and re-reads the live heap every second. An explicit GOGC
// in the environment wins: then TuneGC does nothing.
func TuneGC(ctx context.Context, headroom uint64) {
	if os.Getenv("GOGC") != "" || headroom == 0 {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	current := 100
	set := func() {
		metrics.Read(sample)
		pct := maxGCPercent
		if sample[0].Value.Kind() == metrics.KindUint64 {
			if live := sample[0].Value.Uint64(); live > 0 {
				pct = int(min(max(headroom*100/live, 100), maxGCPercent))
			}
		}
		if pct != current {
			debug.SetGCPercent(pct)
			current = pct
		}
	}
	set()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				set()
			}
		}
	}()
}

// maxGCPercent bounds TuneGC's GOGC.
const maxGCPercent = 800
