package natsx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// WatermarkBucket holds the writers' watermarks: key <bucket>.<writer>,
// value the decimal stream sequence up to which every outbox write of that
// writer to that bucket has had its events published. A writer is one
// Store in one process (a fresh id at every start), so a key is written by
// one writer only; each service may write only its own buckets' keys.
const WatermarkBucket = "newsroom-outbox"

// WatermarkInterval is how often at most a Store writes its watermark: one
// write a second per Store instead of a clear per record.
const WatermarkInterval = time.Second

// unknownWait is how long after a write of unknown outcome the Store reads
// its key to settle it: by then the write is stored or never will be (as
// RunRecovery takes a write RecoveryMinAge old to be abandoned).
var unknownWait = RecoveryMinAge + publishTimeout

// maxRecent bounds marks.recent.
const maxRecent = 4096

// marks is a Store's watermark: instead of writing each record again to
// clear events it has published, the Store records, now and then, a
// stream sequence M such that every outbox write it made to the bucket at
// a sequence up to M has had its events published. Recover and Update
// leave the events of such a write in the record alone: the record keeps
// them until its next change writes over it, and nothing publishes them
// again.
//
// Why M is safe. Each outbox write takes a ticket before it is sent and
// gives it back once its events are published (or it was refused, and so
// is not stored). While a ticket is out, M stays below the write's
// sequence if it is known (acked), and otherwise at most at the highest
// sequence acked before the write was sent: a message sent after another
// was acked is stored at a higher sequence. A write whose outcome is
// unknown (an error other than a refused compare-and-set: it may be
// stored, at a sequence no one told us) freezes M until the Store has
// finished that write, were it stored (see settleUnknown): after
// unknownWait it reads the key and publishes and clears the events the
// record holds, unless a later write replaced it, whose writer published
// them (M, frozen below that write, did not vouch for them). A write
// stored whose events could not be published keeps its ticket until they
// are (see retryStuck). So a crash at any point leaves every write above
// the last stored M to Recover, exactly as a crash before the clear did.
type marks struct {
	id     string             // this writer's id, in HeaderOutbox and the envelope
	kv     jetstream.KeyValue // WatermarkBucket
	key    string             // <bucket>.<id>
	prefix string             // <bucket>.

	mu      sync.Mutex
	tickets map[*ticket]struct{}
	acked   uint64 // the highest sequence of an outbox write of ours acked
	high    uint64 // the highest sequence of an outbox write of ours published
	doubts  int    // writes of unknown outcome not yet settled: M stays where it is
	mark    uint64 // M as last computed
	stored  uint64 // M as last written to the bucket
	timer   *time.Timer
	armed   bool
	recent  map[string]uint64 // key -> sequence of our writes published above stored (an optimisation)
	others  map[string]uint64 // writer -> its watermark as last read
}

// ticket is one outbox write in flight.
type ticket struct {
	floor uint64 // acked when it was sent: its sequence is above
	seq   uint64 // 0 until acked
}

func newMarks(kv jetstream.KeyValue, bucket string) *marks {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	return &marks{
		id: id, kv: kv, key: bucket + "." + id, prefix: bucket + ".",
		tickets: map[*ticket]struct{}{}, recent: map[string]uint64{}, others: map[string]uint64{},
	}
}

// begin takes a ticket for an outbox write about to be sent.
func (w *marks) begin() *ticket {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := &ticket{floor: w.acked}
	w.tickets[t] = struct{}{}
	return t
}

// sent records the sequence the write was stored at.
func (w *marks) sent(t *ticket, seq uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t.seq = seq
	w.acked = max(w.acked, seq)
}

// refused gives back the ticket of a write that was not stored.
func (w *marks) refused(t *ticket) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.tickets, t)
	w.advance()
}

// unknown gives back the ticket of a write that may or may not be stored,
// and freezes M until it is settled.
func (w *marks) unknown(t *ticket) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.tickets, t)
	w.doubts++
}

// settled ends the freeze of one write of unknown outcome.
func (w *marks) settled() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.doubts--
	w.advance()
}

// published gives back the ticket of a write whose events are out.
func (w *marks) published(t *ticket, key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.tickets, t)
	w.high = max(w.high, t.seq)
	if t.seq > w.stored {
		if len(w.recent) >= maxRecent {
			clear(w.recent) // M is held back: forget, rather than grow
		}
		w.recent[key] = t.seq
	}
	w.advance()
}

// advance computes M and schedules its write if it moved. Called with mu.
func (w *marks) advance() {
	if w.doubts > 0 {
		return
	}
	m := w.high
	for t := range w.tickets {
		if t.seq == 0 {
			m = min(m, t.floor)
		} else {
			m = min(m, t.seq-1)
		}
	}
	if m <= w.mark {
		return
	}
	w.mark = m
	if !w.armed {
		w.armed = true
		if w.timer == nil {
			w.timer = time.AfterFunc(WatermarkInterval, w.flush)
		} else {
			w.timer.Reset(WatermarkInterval)
		}
	}
}

// flush writes M. The key is this writer's alone, and one flush runs at a
// time, so the stored value only grows.
func (w *marks) flush() {
	w.mu.Lock()
	m := w.mark
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), clearTimeout)
	_, err := w.kv.Put(ctx, w.key, strconv.AppendUint(nil, m, 10))
	cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		w.stored = m
		for k, seq := range w.recent {
			if seq <= m {
				delete(w.recent, k)
			}
		}
	}
	if w.mark > w.stored {
		w.timer.Reset(WatermarkInterval) // moved meanwhile, or the write failed
	} else {
		w.armed = false
	}
}

// vouched reports whether the events of the outbox write at seq to key,
// by writer, are known to be published: writer's stored watermark covers
// it (read from the bucket when the last value read does not), or it is
// this Store's own and published.
func (w *marks) vouched(ctx context.Context, writer, key string, seq uint64) bool {
	return w.vouchedFetch(ctx, writer, key, seq, true)
}

// vouchedFetch is vouched; without fetch it answers from memory only
// (false when that does not tell).
func (w *marks) vouchedFetch(ctx context.Context, writer, key string, seq uint64, fetch bool) bool {
	if writer == "" {
		return false
	}
	w.mu.Lock()
	if writer == w.id {
		ok := seq <= w.mark || w.recent[key] == seq
		w.mu.Unlock()
		return ok
	}
	known := w.others[writer]
	w.mu.Unlock()
	if seq <= known {
		return true
	}
	if !fetch {
		return false
	}
	e, err := w.kv.Get(ctx, w.prefix+writer)
	if err != nil {
		return false // not found (a writer of an earlier version, or none yet): not vouched
	}
	m, err := strconv.ParseUint(string(e.Value()), 10, 64)
	if err != nil {
		return false
	}
	w.mu.Lock()
	w.others[writer] = max(w.others[writer], m)
	w.mu.Unlock()
	return seq <= m
}
