package webhooks

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// known is this replica's copy of the subscriptions, kept current by the
// watch that supervises deliveries. The fan-out runs for every event the
// newsroom publishes; reading the whole bucket each time meant a watch per
// event, a consumer the server creates and deletes, about a tenth of the
// process's CPU in `newsroom bench` with no webhook registered at all.
type known struct {
	mu   sync.RWMutex
	rev  uint64 // the bucket revision (stream sequence) applied last
	subs map[string]*record
}

// apply records entry e; r is its decoded subscription, nil for a delete
// or a value that does not decode.
func (k *known) apply(e jetstream.KeyValueEntry, r *record) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.subs == nil {
		k.subs = map[string]*record{}
	}
	if e.Operation() == jetstream.KeyValuePut && r != nil {
		k.subs[e.Key()] = r
	} else {
		delete(k.subs, e.Key())
	}
	k.rev = max(k.rev, e.Revision())
}

// reset forgets everything, for a watch that starts again from scratch.
func (k *known) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.rev, k.subs = 0, nil
}

// upTo returns the subscriptions, oldest first, if the copy has applied
// the bucket up to revision rev at least.
func (k *known) upTo(rev uint64) ([]*record, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.rev < rev || k.subs == nil && rev > 0 {
		return nil, false
	}
	out := make([]*record, 0, len(k.subs))
	for _, r := range k.subs {
		out = append(out, r)
	}
	sortOldestFirst(out)
	return out, true
}

func sortOldestFirst(rs []*record) {
	slices.SortFunc(rs, func(a, b *record) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// subscriptions returns every subscription, oldest first: from the watched
// copy when it is as new as the bucket (a stream-info request, so a
// subscription made a moment ago on another replica is never missed; the
// fan-outs running at once share one, see sharedRead), else read from
// the bucket.
func (s *Service) subscriptions(ctx context.Context) ([]*record, error) {
	last, err := s.bucketSeq.do(ctx, s.bucketLastSeq)
	if err != nil {
		return nil, err
	}
	if list, ok := s.known.upTo(last); ok {
		return list, nil
	}
	return s.all(ctx)
}

// bucketLastSeq is the last revision written to the subscriptions bucket
// (its stream's last sequence).
func (s *Service) bucketLastSeq(ctx context.Context) (uint64, error) {
	st, err := s.kv.Status(ctx)
	if err != nil {
		return 0, err
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		// Not knowable: no copy is that new, so the bucket is read.
		return math.MaxUint64, nil
	}
	return bs.StreamInfo().State.LastSeq, nil
}
