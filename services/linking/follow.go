package linking

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// follow applies every entry of kv after revision *rev (all of them if
// 0: a snapshot may have the earlier ones), the current ones first, then
// each change as it happens, until ctx ends; it closes ready once the
// current entries are applied, and keeps *rev at the last revision
// applied. If the watch breaks it starts again after *rev: replaying an
// entry is harmless anyway, since the caches ignore revisions they have
// already applied.
func (s *Service) follow(ctx context.Context, kv jetstream.KeyValue, apply func(context.Context, []jetstream.KeyValueEntry), ready chan<- struct{}, rev *atomic.Uint64) {
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
		var opts []jetstream.WatchOpt
		if r := rev.Load(); r > 0 {
			opts = append(opts, jetstream.ResumeFromRevision(r+1))
		}
		w, err := kv.WatchAll(ctx, opts...)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("watch failed; retrying", "bucket", kv.Bucket(), "err", err)
			}
			continue
		}
		s.drain(ctx, w, apply, &ready, rev)
		_ = w.Stop()
	}
}

// drain applies the watch's entries in batches: whatever has arrived,
// up to batchSize, is applied at once (a replay at start-up comes in
// fast enough to fill them, and the docs bucket prepares a batch's
// stories in parallel).
func (s *Service) drain(ctx context.Context, w jetstream.KeyWatcher, apply func(context.Context, []jetstream.KeyValueEntry), ready *chan<- struct{}, rev *atomic.Uint64) {
	const batchSize = 512
	batch := make([]jetstream.KeyValueEntry, 0, batchSize)
	flush := func() {
		if len(batch) > 0 {
			apply(ctx, batch)
			rev.Store(batch[len(batch)-1].Revision())
			batch = batch[:0]
		}
	}
	for {
		var (
			e  jetstream.KeyValueEntry
			ok bool
		)
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case e, ok = <-w.Updates():
			}
		} else {
			select {
			case e, ok = <-w.Updates():
			default:
				flush()
				continue
			}
		}
		if !ok {
			flush()
			return
		}
		if e == nil {
			flush()
			if *ready != nil {
				close(*ready)
				*ready = nil
			}
			continue
		}
		batch = append(batch, e)
		if len(batch) == batchSize {
			flush()
		}
	}
}
