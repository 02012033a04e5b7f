package natsx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
)

// ErrNoChange, returned by an update function, leaves the record as it is
// and publishes nothing. Handlers use it when an event was already applied.
var ErrNoChange = errors.New("natsx: no change")

// ErrNotFound is returned by Get for a key that does not exist.
var ErrNotFound = errors.New("natsx: not found")

// Store keeps protobuf records in a KV bucket and publishes the events each
// change causes, without ever losing one: the events are written into the
// record in the same compare-and-set as the new state (a transactional
// outbox), published, then cleared. The write that stores events carries
// the HeaderOutbox header, so Recover finds records a crash left with
// events still pending by reading the headers of the bucket's recent
// writes (see recover.go), and a change costs no extra round trip.
//
// Published events are not cleared by a write of their own: the Store
// keeps a watermark in WatermarkBucket (see marks in watermark.go), one
// write a second that vouches for every outbox write of this Store up to
// a stream sequence, and the record keeps its published events until its
// next change writes over it. Recover, and Update reading the record
// back, leave vouched events alone. Without the watermark bucket (one
// that cannot be opened) the Store clears instead, ClearDelay after
// publishing (see clear.go).
type Store[T proto.Message] struct {
	KV jetstream.KeyValue
	// ClearDelay is, for a Store without a watermark, how long after
	// publishing a change's events the record keeps them before a write
	// of its own clears them (0: at once). Set it before the Store is
	// used; NewStore sets DefaultClearDelay.
	ClearDelay time.Duration

	js     jetstream.JetStream
	outbox jetstream.Stream
	bucket *Bucket // KV, its stream and reads from its leader (latest.go)
	// directGet is how update reads a record it has no copy of:
	// KV.Get, which any replica may answer. Tests make it a lagging
	// follower.
	directGet func(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	newT      func() T
	log       *slog.Logger

	cache recordCache // the records this Store wrote last
	marks *marks      // this writer's watermark; nil: clear instead
	owed  owedClears  // records holding events this Store published, without marks

	scanMu   sync.Mutex
	scanFrom uint64               // the bucket's stream sequence Recover reads from next
	young    map[string]time.Time // keys whose last outbox write Recover found too young
}

// HeaderOutbox marks a write to a Store's bucket that holds events not yet
// published; the write that clears them has no such header. Its value is
// the id of the writer (see marks; "1" from earlier versions).
const HeaderOutbox = "Newsroom-Outbox"

// OutboxStream holds the markers of in-flight changes, one subject per
// bucket, that earlier versions wrote before each change with events.
// Recover still finishes what they point to; nothing writes them now.
const (
	OutboxStream  = "OUTBOX"
	OutboxSubject = "newsroom.outbox"
)

// NewStore opens (creating if needed) the bucket and the outbox stream.
func NewStore[T proto.Message](ctx context.Context, js jetstream.JetStream, bucket string, replicas int, newT func() T, log *slog.Logger) (*Store[T], error) {
	b, err := OpenBucket(ctx, js, bucket, replicas)
	if err != nil {
		return nil, err
	}
	ob, err := EnsureStream(ctx, js, OutboxStream, []string{OutboxSubject + ".>"}, replicas)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Store[T]{KV: b.KeyValue, ClearDelay: DefaultClearDelay, js: js, outbox: ob, bucket: b, newT: newT, log: log.With("bucket", bucket)}
	s.directGet = b.Get
	// A deployment whose permissions lack the watermark bucket still
	// works, with a clear per record.
	wctx, cancel := context.WithTimeout(ctx, watermarkOpenTimeout)
	defer cancel()
	if wkv, err := EnsureKV(wctx, js, WatermarkBucket, replicas); err == nil {
		s.marks = newMarks(wkv, bucket)
	} else if ctx.Err() == nil {
		s.log.Warn("no outbox watermark: clearing published events by a write per record", "err", err)
	}
	return s, nil
}

// watermarkOpenTimeout bounds the opening of WatermarkBucket.
const watermarkOpenTimeout = 15 * time.Second

// Get returns the record at key and its KV revision. Any replica of a
// replicated bucket may answer, one a few milliseconds behind included;
// GetLatest reads from the leader.
func (s *Store[T]) Get(ctx context.Context, key string) (T, uint64, error) {
	e, err := s.KV.Get(ctx, key)
	return s.decoded(key, e, err)
}

// decoded is the record a read of key returned, or its error.
func (s *Store[T]) decoded(key string, e jetstream.KeyValueEntry, err error) (T, uint64, error) {
	var zero T
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return zero, 0, ErrNotFound
	}
	if err != nil {
		return zero, 0, fmt.Errorf("natsx: get %s: %w", key, err)
	}
	v, _, err := s.decode(e.Value())
	if err != nil {
		return zero, 0, err
	}
	return v, e.Revision(), nil
}

// Update applies fn to the record at key (exists is false, and cur a new
// empty value, if there is none) and stores the result with compare-and-set,
// retrying fn on a concurrent change. The events fn returns are published
// once the change is stored. fn may return ErrNoChange to do nothing; any
// other error is returned as it is.
//
// fn may first be given the record as this Store last wrote it (see
// recordCache), which saves reading it: a write based on a stale copy is
// refused by the compare-and-set, and if fn returns without writing
// (ErrNoChange or an error) it is called again on the record as read from
// the bucket, so no decision rests on a stale copy. In a replicated bucket
// that second reading is the leader's, and so is any read fn declines on
// (see latest.go): a follower's copy may be stale too.
func (s *Store[T]) Update(ctx context.Context, key string, fn func(cur T, exists bool) (T, []Event, error)) (T, error) {
	v, _, err := s.UpdateRev(ctx, key, fn)
	return v, err
}

// UpdateRev is Update, and also returns the KV revision at which the
// record it returns was stored (0 if there is none), so that callers can
// keep a cache of the bucket without reading the record back. After a
// change with events that is the revision of the write storing them (a
// Store without a watermark writes the same value again, at a later
// revision, when it clears them).
func (s *Store[T]) UpdateRev(ctx context.Context, key string, fn func(cur T, exists bool) (T, []Event, error)) (T, uint64, error) {
	return s.update(ctx, key, fn, false)
}

// Create is Update for a key the caller expects to be new (a fresh id, the
// key of a new revision): when this Store has no copy of the record it
// does not read the bucket first but offers fn an empty record (exists
// false) and writes with create-only compare-and-set. If the key exists
// after all, the write is refused and Create carries on as Update, fn
// being asked again on the record as read; as with a cached copy, if fn
// declines on the empty record it is asked again on the record as read.
// It saves a round trip (the read of a key that is not there) per new
// record.
func (s *Store[T]) Create(ctx context.Context, key string, fn func(cur T, exists bool) (T, []Event, error)) (T, error) {
	v, _, err := s.update(ctx, key, fn, true)
	return v, err
}

// CreateRev is Create, returning the revision as UpdateRev does.
func (s *Store[T]) CreateRev(ctx context.Context, key string, fn func(cur T, exists bool) (T, []Event, error)) (T, uint64, error) {
	return s.update(ctx, key, fn, true)
}

func (s *Store[T]) update(ctx context.Context, key string, fn func(cur T, exists bool) (T, []Event, error), assumeNew bool) (T, uint64, error) {
	var zero T
	conflicts := 0
	leader := false // read from the leader: a decline on what it read stands
	for attempt := 0; ; attempt++ {
		var (
			cur    T
			rev    uint64
			exists bool
			cached bool
		)
		if c, ok := s.cache.get(key); ok && attempt == 0 {
			cur = s.newT()
			if proto.Unmarshal(c.value, cur) == nil {
				rev, exists, cached = c.rev, true, true
			}
		} else if assumeNew && attempt == 0 {
			// Taken, like a cached copy, as a guess that the write
			// checks: an existing key refuses a create.
			cur, cached = s.newT(), true
		}
		if !cached {
			e, err := s.read(ctx, key, leader)
			switch {
			case errors.Is(err, jetstream.ErrKeyNotFound):
				cur = s.newT()
			case err != nil:
				return zero, 0, fmt.Errorf("natsx: get %s: %w", key, err)
			default:
				var left envelope
				cur, left, err = s.decodeEnv(e.Value())
				if err != nil {
					return zero, 0, err
				}
				rev, exists = e.Revision(), true
				// A writer died between storing and publishing: publish for
				// it (unless these are events known to be published).
				if len(left.Pending) > 0 && !s.published(ctx, key, rev, left.Writer) {
					if err := s.publishPending(ctx, left.Pending); err != nil {
						return zero, 0, err
					}
				}
			}
		}
		next, events, err := fn(cur, exists)
		if err != nil && (cached || (!leader && s.bucket.replicated())) {
			// Declined on a copy that may be stale (this Store's own, or
			// a read a lagging follower may have answered): decide again
			// on the record as it is, the leader's in a replicated bucket.
			leader = s.bucket.replicated()
			continue
		}
		if errors.Is(err, ErrNoChange) {
			return cur, rev, nil
		}
		if err != nil {
			return zero, 0, err
		}
		env := envelope{}
		if env.Value, err = proto.Marshal(next); err != nil {
			return zero, 0, fmt.Errorf("natsx: marshal %s: %w", key, err)
		}
		for _, ev := range events {
			data, err := proto.Marshal(ev.Msg)
			if err != nil {
				return zero, 0, fmt.Errorf("natsx: marshal %s: %w", ev.Subject, err)
			}
			env.Pending = append(env.Pending, pending{Subject: ev.Subject, ID: ev.ID, Type: string(proto.MessageName(ev.Msg)), Data: data})
		}
		var t *ticket
		if len(env.Pending) > 0 && s.marks != nil {
			env.Writer = s.marks.id
			t = s.marks.begin()
		}
		newRev, err := s.put(ctx, key, env.marshal(), rev, s.outboxHeader(len(env.Pending) > 0))
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			if t != nil {
				s.marks.refused(t)
			}
			s.cache.forget(key)
			if cached {
				continue // the copy was stale: not contention
			}
			if conflicts++; conflicts > 50 {
				return zero, 0, fmt.Errorf("natsx: update %s: too much contention", key)
			}
			// The first retry goes at once: the writer that won is done.
			// Later ones back off, so a crowd on one key thins out.
			if conflicts > 1 {
				time.Sleep(backoff(min(conflicts-2, 2)) / 10)
			}
			continue
		}
		if err != nil {
			// Maybe stored after all: Recover will find it if so (and,
			// with a watermark, this Store settles it).
			if t != nil {
				s.marks.unknown(t)
				go s.settleUnknown(key)
			}
			s.cache.forget(key)
			return zero, 0, fmt.Errorf("natsx: store %s: %w", key, err)
		}
		if t != nil {
			s.marks.sent(t, newRev)
		}
		// This write replaced whatever events the record held: they were
		// published before (by this Store, or above), so no clear is owed.
		s.owed.drop(key, newRev)
		if len(env.Pending) == 0 {
			s.cache.put(key, env.Value, newRev)
			return next, newRev, nil
		}
		if err := s.publishPending(ctx, env.Pending); err != nil {
			// Stored but not published: Recover will finish it (and, with
			// a watermark, this Store tries again until it is done).
			s.cache.forget(key)
			s.log.Warn("events stored, publish deferred to recovery", "key", key, "err", err)
			if t != nil {
				go s.retryStuck(key, newRev, env.Pending, t)
			}
			return next, newRev, nil
		}
		if t != nil {
			// The events are out and the watermark will say so: the
			// record keeps them until its next change.
			s.marks.published(t, key)
			s.cache.put(key, env.Value, newRev)
			return next, newRev, nil
		}
		if s.ClearDelay > 0 {
			// The events are out: the next change may write over them.
			s.cache.put(key, env.Value, newRev)
			s.clearLater(key, env.Value, newRev)
			return next, newRev, nil
		}
		if clearedRev, ok := s.clearPending(ctx, key, env.Value, newRev); ok && clearedRev != 0 {
			s.cache.put(key, env.Value, clearedRev)
			newRev = clearedRev
		} else {
			s.cache.forget(key)
		}
		return next, newRev, nil
	}
}

// put stores raw at key if the key is still at revision rev (0: does not
// exist), as KeyValue.Update and Create do, and returns the new revision.
// A write with events carries HeaderOutbox, set to outbox (see
// outboxHeader). It publishes to the bucket's subject itself rather than
// through KeyValue, for the header and to read the ack without
// encoding/json (jsPublish).
func (s *Store[T]) put(ctx context.Context, key string, raw []byte, rev uint64, outbox string) (uint64, error) {
	if !validKVKey(key) {
		return 0, jetstream.ErrInvalidKey
	}
	subject := "$KV." + s.KV.Bucket() + "." + key
	pub := func(last uint64) (uint64, error) {
		m := nats.NewMsg(subject)
		m.Data = raw
		if outbox != "" {
			m.Header.Set(HeaderOutbox, outbox)
		}
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(last, 10))
		return jsPublish(ctx, s.js.Conn(), m)
	}
	newRev, err := pub(rev)
	if err == nil || !wrongLastSequence(err) {
		return newRev, err
	}
	if rev != 0 {
		return 0, fmt.Errorf("%w: %w", jetstream.ErrKeyRevisionMismatch, err)
	}
	// Creating a key that was deleted: its delete marker is the revision
	// to replace (KeyValue.Create does the same).
	last, gerr := s.bucket.Stream.GetLastMsgForSubject(ctx, subject)
	if gerr == nil {
		if op := last.Header.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
			newRev, err = pub(last.Sequence)
			if err == nil || !wrongLastSequence(err) {
				return newRev, err
			}
		}
	}
	return 0, fmt.Errorf("%w: %w", jetstream.ErrKeyExists, err)
}

// Bucket is the Store's bucket, for what a caller does with it beside
// the Store (a delete by compare-and-set, reads from its leader).
func (s *Store[T]) Bucket() *Bucket { return s.bucket }

// read reads key for update: from the leader if asked (see Bucket.GetLatest),
// else by a direct get, which any replica may answer.
func (s *Store[T]) read(ctx context.Context, key string, leader bool) (jetstream.KeyValueEntry, error) {
	if leader {
		return s.bucket.GetLatest(ctx, key)
	}
	return s.directGet(ctx, key)
}

// wrongLastSequence reports a lost compare-and-set (replicated streams
// report it with a code of their own).
func wrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Decode reads a record as it sits in the bucket (for callers that watch
// the bucket themselves and so get raw values).
func (s *Store[T]) Decode(raw []byte) (T, error) {
	v, _, err := s.decode(raw)
	return v, err
}

func (s *Store[T]) decode(raw []byte) (T, []pending, error) {
	v, env, err := s.decodeEnv(raw)
	return v, env.Pending, err
}

func (s *Store[T]) decodeEnv(raw []byte) (T, envelope, error) {
	var zero T
	env, err := unmarshalEnvelope(raw)
	if err != nil {
		return zero, env, fmt.Errorf("natsx: decode record: %w", err)
	}
	v := s.newT()
	if err := proto.Unmarshal(env.Value, v); err != nil {
		return zero, env, fmt.Errorf("natsx: decode record: %w", err)
	}
	return v, env, nil
}

// outboxHeader is the HeaderOutbox value of a write (none without events).
func (s *Store[T]) outboxHeader(events bool) string {
	switch {
	case !events:
		return ""
	case s.marks != nil:
		return s.marks.id
	default:
		return "1"
	}
}

// published reports whether the events in the record at key and rev,
// stored by writer, are known to be published: this Store published them
// and owes their clear, or the writer's watermark vouches for them.
func (s *Store[T]) published(ctx context.Context, key string, rev uint64, writer string) bool {
	return s.owed.published(key, rev) || (s.marks != nil && s.marks.vouched(ctx, writer, key, rev))
}

// settleUnknown finishes, unknownWait after a write of unknown outcome to
// key, what that write may have stored: if the record still holds events
// no watermark vouches for, they are published and cleared (finish); if a
// later write replaced it, its writer published them. Then the watermark
// may move past the write.
func (s *Store[T]) settleUnknown(key string) {
	time.Sleep(unknownWait)
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), clearTimeout)
		_, err := s.finish(ctx, key)
		cancel()
		if err == nil {
			s.marks.settled()
			return
		}
		time.Sleep(backoff(min(attempt, 5)))
	}
}

// retryStuck publishes, until it succeeds, the events of this Store's
// write at rev that could not be published after it was stored, so the
// watermark, held below that write meanwhile, moves on. If the record has
// changed since, whoever wrote over it published them (the watermark did
// not vouch for them): nothing is left to do.
func (s *Store[T]) retryStuck(key string, rev uint64, ps []pending, t *ticket) {
	for attempt := 0; ; attempt++ {
		time.Sleep(backoff(min(attempt, 5)))
		ctx, cancel := context.WithTimeout(context.Background(), clearTimeout)
		e, err := s.bucket.GetLatest(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound) || (err == nil && e.Revision() != rev):
			err = nil
		case err == nil:
			err = s.publishPending(ctx, ps)
		}
		cancel()
		if err == nil {
			s.marks.published(t, key)
			return
		}
	}
}

func (s *Store[T]) publishPending(ctx context.Context, ps []pending) error {
	return publishAll(ctx, s.js, ps)
}

// clearPending removes published events from the record, unless someone
// changed it meanwhile (their write re-published them). It reports whether
// the record no longer holds them, and the revision it wrote (0 if none).
func (s *Store[T]) clearPending(ctx context.Context, key string, value []byte, rev uint64) (uint64, bool) {
	env := envelope{Value: value}
	newRev, err := s.put(ctx, key, env.marshal(), rev, "")
	return newRev, err == nil || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// Keys lists every key in the bucket.
func (s *Store[T]) Keys(ctx context.Context) ([]string, error) {
	lister, err := s.KV.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
}

// All calls fn for every record in the bucket.
func (s *Store[T]) All(ctx context.Context, fn func(key string, v T) error) error {
	w, err := s.KV.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return err
	}
	defer w.Stop()
	for e := range w.Updates() {
		if e == nil {
			return nil
		}
		v, _, err := s.decode(e.Value())
		if err != nil {
			return err
		}
		if err := fn(e.Key(), v); err != nil {
			return err
		}
	}
	return ctx.Err()
}
