package linking

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// follow applies every entry of kv, the current ones first, then each
// change as it happens, until ctx ends; it closes ready once the current
// entries are applied. If the watch breaks it starts again: replaying the
// current entries is harmless, since the caches ignore revisions they have
// already applied.
func (s *Service) follow(ctx context.Context, kv jetstream.KeyValue, apply func(context.Context, jetstream.KeyValueEntry), ready chan<- struct{}) {
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
		w, err := kv.WatchAll(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("watch failed; retrying", "bucket", kv.Bucket(), "err", err)
			}
			continue
		}
		s.drain(ctx, w, apply, &ready)
		_ = w.Stop()
	}
}

func (s *Service) drain(ctx context.Context, w jetstream.KeyWatcher, apply func(context.Context, jetstream.KeyValueEntry), ready *chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				if *ready != nil {
					close(*ready)
					*ready = nil
				}
				continue
			}
			apply(ctx, e)
		}
	}
}
