package linking

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"newsroom.dev/services/linking/index"
)

// putDoc stores r in linking-docs with compare-and-set and returns its KV
// revision. It stores nothing, and returns ok false, if the bucket already
// holds a later revision of the story (a late or redelivered event); it
// rewrites nothing if the bucket holds exactly r.
func (s *Service) putDoc(ctx context.Context, r record) (kvRev uint64, ok bool, err error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return 0, false, err
	}
	for attempt := 0; attempt < 50; attempt++ {
		e, err := s.docs.Get(ctx, r.ID)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			kvRev, err = s.docs.Create(ctx, r.ID, raw)
		case err != nil:
			return 0, false, fmt.Errorf("linking: get doc %s: %w", r.ID, err)
		default:
			var old record
			if err := json.Unmarshal(e.Value(), &old); err == nil && old.Revision > r.Revision {
				return 0, false, nil
			}
			if bytes.Equal(e.Value(), raw) {
				return e.Revision(), true, nil
			}
			kvRev, err = s.docs.Update(ctx, r.ID, raw, e.Revision())
		}
		if conflict(err) {
			continue
		}
		if err != nil {
			return 0, false, fmt.Errorf("linking: put doc %s: %w", r.ID, err)
		}
		return kvRev, true, nil
	}
	return 0, false, fmt.Errorf("linking: put doc %s: too much contention", r.ID)
}

// deleteDoc deletes story id from linking-docs unless the bucket holds a
// revision later than revision (0: any), which means the story was
// published again after the event being handled. It returns a KV revision
// at or below the delete marker's, or 0 if the story was not there.
func (s *Service) deleteDoc(ctx context.Context, id string, revision int64) (kvRev uint64, stale bool, err error) {
	return deleteKey(ctx, s.docs, id, func(raw []byte) bool {
		var old record
		return json.Unmarshal(raw, &old) == nil && revision != 0 && old.Revision > revision
	})
}

// deleteKey deletes key with compare-and-set, unless keep says the value
// there must stay. The delete marker's KV revision is not returned by
// JetStream, but it is above the one the delete was conditional on, so
// that one plus one is a safe lower bound for the caches.
func deleteKey(ctx context.Context, kv jetstream.KeyValue, key string, keep func([]byte) bool) (kvRev uint64, kept bool, err error) {
	for attempt := 0; attempt < 50; attempt++ {
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("linking: get %s/%s: %w", kv.Bucket(), key, err)
		}
		if keep != nil && keep(e.Value()) {
			return 0, true, nil
		}
		err = kv.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
		if conflict(err) {
			continue
		}
		if err != nil {
			return 0, false, fmt.Errorf("linking: delete %s/%s: %w", kv.Bucket(), key, err)
		}
		return e.Revision() + 1, false, nil
	}
	return 0, false, fmt.Errorf("linking: delete %s/%s: too much contention", kv.Bucket(), key)
}

// conflict reports a lost compare-and-set race.
func conflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// applyDocs brings the index up to date with linking-docs entries, in
// order, preparing the stories in parallel.
func (s *Service) applyDocs(ctx context.Context, es []jetstream.KeyValueEntry) {
	x := s.index()
	prepared := make([]*index.Prepared, len(es))
	workers := min(runtime.GOMAXPROCS(0), (len(es)+15)/16)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(es); i += workers {
				e := es[i]
				if e.Operation() != jetstream.KeyValuePut {
					continue
				}
				var r record
				if err := json.Unmarshal(e.Value(), &r); err != nil {
					s.log.Error("undecodable story in linking-docs; not indexed", "key", e.Key(), "err", err)
					continue
				}
				prepared[i] = x.Prepare(r.doc())
			}
		})
	}
	wg.Wait()
	for i, e := range es {
		if s.applied.Add(1) == int64(s.cfg.SnapshotEvery) {
			go s.snapshot(ctx)
		}
		switch {
		case e.Operation() != jetstream.KeyValuePut:
			x.Delete(e.Key(), e.Revision())
		case prepared[i] != nil:
			x.PutPrepared(prepared[i], e.Revision())
		}
	}
}
