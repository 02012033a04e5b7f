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
	"newsroom.dev/platform/natsx"
	"newsroom.dev/services/linking/index"
)

// putDoc stores r in linking-docs with compare-and-set and returns its KV
// revision. It stores nothing, and returns ok false, if the bucket already
// holds a later revision of the story (a late or redelivered event); it
// rewrites nothing if the bucket holds exactly r. first reports that the
// bucket had never held the story: its first publication.
//
// raw is r as JSON, as stored.
func (s *Service) putDoc(ctx context.Context, r record, raw []byte) (kvRev uint64, ok, first bool, err error) {
	// Most events are a story's first publication: create it without
	// reading first, and fall back to reading and comparing if the bucket
	// holds the story already (a republication, a redelivered event).
	kvRev, err = s.docs.Create(ctx, r.ID, raw)
	if err == nil {
		return kvRev, true, true, nil
	}
	if !conflict(err) {
		return 0, false, false, fmt.Errorf("linking: put doc %s: %w", r.ID, err)
	}
	for attempt := 0; attempt < 50; attempt++ {
		e, err := s.docs.GetLatest(ctx, r.ID)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			kvRev, err = s.docs.Create(ctx, r.ID, raw)
		case err != nil:
			return 0, false, false, fmt.Errorf("linking: get doc %s: %w", r.ID, err)
		default:
			var old record
			if err := json.Unmarshal(e.Value(), &old); err == nil && old.after(r.Revision, r.Publication) {
				return 0, false, false, nil
			}
			if bytes.Equal(e.Value(), raw) {
				return e.Revision(), true, false, nil
			}
			kvRev, err = s.docs.Update(ctx, r.ID, raw, e.Revision())
		}
		if conflict(err) {
			continue
		}
		if err != nil {
			return 0, false, false, fmt.Errorf("linking: put doc %s: %w", r.ID, err)
		}
		return kvRev, true, false, nil
	}
	return 0, false, false, fmt.Errorf("linking: put doc %s: too much contention", r.ID)
}

// deleteDoc takes story id (publication n of revision rev) down: it
// replaces the story in linking-docs with a tombstone, unless the bucket
// holds a later publication (the story went up again after the event
// being handled: stale). It returns the tombstone's KV revision, or 0 if
// the story was already down.
func (s *Service) deleteDoc(ctx context.Context, id string, rev int64, n int32) (kvRev uint64, stale bool, err error) {
	raw, err := json.Marshal(record{ID: id, Revision: rev, Publication: n, Down: true})
	if err != nil {
		return 0, false, err
	}
	for attempt := 0; attempt < 50; attempt++ {
		e, err := s.docs.GetLatest(ctx, id)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			kvRev, err = s.docs.Create(ctx, id, raw)
		case err != nil:
			return 0, false, fmt.Errorf("linking: get doc %s: %w", id, err)
		default:
			var old record
			if err := json.Unmarshal(e.Value(), &old); err == nil {
				if old.Down && (n == 0 || old.Publication >= n) {
					return 0, false, nil
				}
				if !old.Down && old.after(rev, n) {
					return 0, true, nil
				}
			}
			kvRev, err = s.docs.Update(ctx, id, raw, e.Revision())
		}
		if conflict(err) {
			continue
		}
		if err != nil {
			return 0, false, fmt.Errorf("linking: take down doc %s: %w", id, err)
		}
		return kvRev, false, nil
	}
	return 0, false, fmt.Errorf("linking: take down doc %s: too much contention", id)
}

// deleteKey deletes key with compare-and-set. The delete marker's KV
// revision is not returned by JetStream, but it is above the one the
// delete was conditional on, so that one plus one is a safe lower bound
// for the caches.
func deleteKey(ctx context.Context, kv *natsx.Bucket, key string) (kvRev uint64, err error) {
	for attempt := 0; attempt < 50; attempt++ {
		e, err := kv.GetLatest(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("linking: get %s/%s: %w", kv.Bucket(), key, err)
		}
		err = kv.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
		if conflict(err) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("linking: delete %s/%s: %w", kv.Bucket(), key, err)
		}
		return e.Revision() + 1, nil
	}
	return 0, fmt.Errorf("linking: delete %s/%s: too much contention", kv.Bucket(), key)
}

// conflict reports a lost compare-and-set race.
func conflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// applyDocs brings the index up to date with linking-docs entries, in
// order, preparing the stories in parallel. A tombstone (a story taken
// down) removes the story like a delete would.
func (s *Service) applyDocs(ctx context.Context, es []jetstream.KeyValueEntry) {
	x := s.index()
	prepared := make([]*index.Prepared, len(es))
	down := make([]bool, len(es))
	workers := min(runtime.GOMAXPROCS(0), (len(es)+15)/16)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(es); i += workers {
				e := es[i]
				if e.Operation() != jetstream.KeyValuePut {
					continue
				}
				// The handler that wrote this entry indexed it at once
				// (onPublished): preparing it again, the costliest part
				// of indexing, would only have PutAll refuse it as stale.
				if e.Revision() <= x.Seq(e.Key()) {
					continue
				}
				// Or it is about to: the watch often delivers the entry
				// between the handler's write and its put. Its prepared
				// story is put here instead, or refused as stale here if
				// the handler puts it first.
				if f, ok := s.inflight.Load(e.Key()); ok {
					if f := f.(*inflightDoc); f.x == x && bytes.Equal(f.raw, e.Value()) {
						prepared[i] = f.p
						continue
					}
				}
				var r record
				if err := json.Unmarshal(e.Value(), &r); err != nil {
					s.log.Error("undecodable story in linking-docs; not indexed", "key", e.Key(), "err", err)
					continue
				}
				if r.Down {
					down[i] = true
					continue
				}
				prepared[i] = x.Prepare(r.doc())
			}
		})
	}
	wg.Wait()
	// Runs of puts go to the index together (PutAll: one write lock,
	// postings appended term by term), each run ended by a delete, which
	// must come after the puts before it.
	var ps []*index.Prepared
	var seqs []uint64
	put := func() {
		if len(ps) > 0 {
			x.PutAll(ps, seqs, nil)
			ps, seqs = ps[:0], seqs[:0]
		}
	}
	for i, e := range es {
		if s.applied.Add(1) == int64(s.cfg.SnapshotEvery) {
			go s.snapshot(ctx)
		}
		switch {
		case e.Operation() != jetstream.KeyValuePut || down[i]:
			put()
			x.Delete(e.Key(), e.Revision())
		case prepared[i] != nil:
			ps = append(ps, prepared[i])
			seqs = append(seqs, e.Revision())
		}
	}
	put()
}

// inflightDoc is a story a handler is storing in linking-docs and will
// index, prepared for index x as raw (see applyDocs).
type inflightDoc struct {
	x   *index.Index
	raw []byte
	p   *index.Prepared
}
