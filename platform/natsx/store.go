package natsx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

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
// outbox), published, then cleared. A marker in the OUTBOX stream, written
// before the change, lets Recover find records a crash left with events
// still pending, without scanning the bucket.
type Store[T proto.Message] struct {
	KV     jetstream.KeyValue
	js     jetstream.JetStream
	outbox jetstream.Stream
	newT   func() T
	log    *slog.Logger
}

// OutboxStream holds the markers of in-flight changes, one subject per bucket.
const (
	OutboxStream  = "OUTBOX"
	OutboxSubject = "newsroom.outbox"
)

// envelope is how a record sits in KV: the protobuf value and the events
// that are written but maybe not yet published.
type envelope struct {
	Value   []byte    `json:"v"`
	Pending []pending `json:"p,omitempty"`
}

type pending struct {
	Subject string `json:"s"`
	ID      string `json:"i"`
	Type    string `json:"t"`
	Data    []byte `json:"d"`
}

// NewStore opens (creating if needed) the bucket and the outbox stream.
func NewStore[T proto.Message](ctx context.Context, js jetstream.JetStream, bucket string, replicas int, newT func() T, log *slog.Logger) (*Store[T], error) {
	kv, err := EnsureKV(ctx, js, bucket, replicas)
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
	return &Store[T]{KV: kv, js: js, outbox: ob, newT: newT, log: log.With("bucket", bucket)}, nil
}

// Get returns the record at key and its KV revision.
func (s *Store[T]) Get(ctx context.Context, key string) (T, uint64, error) {
	var zero T
	e, err := s.KV.Get(ctx, key)
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
func (s *Store[T]) Update(ctx context.Context, key string, fn func(cur T, exists bool) (T, []Event, error)) (T, error) {
	var zero T
	for attempt := 0; ; attempt++ {
		var (
			cur    T
			rev    uint64
			exists bool
		)
		e, err := s.KV.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			cur = s.newT()
		case err != nil:
			return zero, fmt.Errorf("natsx: get %s: %w", key, err)
		default:
			var left []pending
			cur, left, err = s.decode(e.Value())
			if err != nil {
				return zero, err
			}
			rev, exists = e.Revision(), true
			// A writer died between storing and publishing: publish for it.
			if err := s.publishPending(ctx, left); err != nil {
				return zero, err
			}
		}
		next, events, err := fn(cur, exists)
		if errors.Is(err, ErrNoChange) {
			return cur, nil
		}
		if err != nil {
			return zero, err
		}
		env := envelope{}
		if env.Value, err = proto.Marshal(next); err != nil {
			return zero, fmt.Errorf("natsx: marshal %s: %w", key, err)
		}
		for _, ev := range events {
			data, err := proto.Marshal(ev.Msg)
			if err != nil {
				return zero, fmt.Errorf("natsx: marshal %s: %w", ev.Subject, err)
			}
			env.Pending = append(env.Pending, pending{Subject: ev.Subject, ID: ev.ID, Type: string(proto.MessageName(ev.Msg)), Data: data})
		}
		var markerSeq uint64
		if len(env.Pending) > 0 {
			ack, err := s.js.Publish(ctx, OutboxSubject+"."+s.KV.Bucket(), []byte(key))
			if err != nil {
				return zero, fmt.Errorf("natsx: outbox marker %s: %w", key, err)
			}
			markerSeq = ack.Sequence
		}
		raw, _ := json.Marshal(env)
		var newRev uint64
		if exists {
			newRev, err = s.KV.Update(ctx, key, raw, rev)
		} else {
			newRev, err = s.KV.Create(ctx, key, raw)
		}
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			s.dropMarker(markerSeq)
			if attempt > 50 {
				return zero, fmt.Errorf("natsx: update %s: too much contention", key)
			}
			time.Sleep(backoff(min(attempt, 2)) / 10)
			continue
		}
		if err != nil {
			// The marker stays; Recover will find the record unchanged.
			return zero, fmt.Errorf("natsx: store %s: %w", key, err)
		}
		if len(env.Pending) > 0 {
			if err := s.publishPending(ctx, env.Pending); err != nil {
				// Stored but not published: the marker lets Recover finish it.
				s.log.Warn("events stored, publish deferred to recovery", "key", key, "err", err)
				return next, nil
			}
			if s.clearPending(ctx, key, env.Value, newRev) {
				s.dropMarker(markerSeq)
			}
		}
		return next, nil
	}
}

// Decode reads a record as it sits in the bucket (for callers that watch
// the bucket themselves and so get raw values).
func (s *Store[T]) Decode(raw []byte) (T, error) {
	v, _, err := s.decode(raw)
	return v, err
}

func (s *Store[T]) decode(raw []byte) (T, []pending, error) {
	var zero T
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return zero, nil, fmt.Errorf("natsx: decode record: %w", err)
	}
	v := s.newT()
	if err := proto.Unmarshal(env.Value, v); err != nil {
		return zero, nil, fmt.Errorf("natsx: decode record: %w", err)
	}
	return v, env.Pending, nil
}

func (s *Store[T]) publishPending(ctx context.Context, ps []pending) error {
	for _, p := range ps {
		if err := publishRaw(ctx, s.js, p.Subject, p.ID, p.Type, p.Data); err != nil {
			return err
		}
	}
	return nil
}

// clearPending removes published events from the record, unless someone
// changed it meanwhile (their write re-published them). It reports whether
// the record no longer holds them, i.e. whether the marker may go: a marker
// dropped while events stay pending would let them be published again past
// the dedupe window.
func (s *Store[T]) clearPending(ctx context.Context, key string, value []byte, rev uint64) bool {
	raw, _ := json.Marshal(envelope{Value: value})
	_, err := s.KV.Update(ctx, key, raw, rev)
	return err == nil || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

func (s *Store[T]) dropMarker(seq uint64) {
	if seq == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.outbox.DeleteMsg(ctx, seq)
}

// Recover publishes the events that crashed writers left pending. Markers
// younger than minAge may belong to writes still in flight and are left.
func (s *Store[T]) Recover(ctx context.Context, minAge time.Duration) (int, error) {
	subject := OutboxSubject + "." + s.KV.Bucket()
	cons, err := s.outbox.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return 0, fmt.Errorf("natsx: recover %s: %w", s.KV.Bucket(), err)
	}
	info, err := s.outbox.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0, err
	}
	left := info.State.Subjects[subject]
	n := 0
	for left > 0 {
		batch, err := cons.FetchNoWait(int(min(left, 256)))
		if err != nil {
			return n, err
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			if time.Since(md.Timestamp) < minAge {
				continue
			}
			key := string(m.Data())
			e, err := s.KV.Get(ctx, key)
			if err == nil {
				_, ps, derr := s.decode(e.Value())
				if derr == nil && len(ps) > 0 {
					if err := s.publishPending(ctx, ps); err != nil {
						return n, err
					}
					var env envelope
					_ = json.Unmarshal(e.Value(), &env)
					if !s.clearPending(ctx, key, env.Value, e.Revision()) {
						continue // keep the marker; the next pass retries
					}
					n++
				}
			} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
				return n, err
			}
			s.dropMarker(md.Sequence.Stream)
		}
		if got == 0 {
			break
		}
		left -= uint64(got)
	}
	return n, nil
}

// RunRecovery calls Recover now and then every interval until ctx ends.
func (s *Store[T]) RunRecovery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Recover(ctx, 2*time.Second); err != nil && ctx.Err() == nil {
			s.log.Warn("outbox recovery", "err", err)
		} else if n > 0 {
			s.log.Info("outbox recovery published pending events", "records", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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
