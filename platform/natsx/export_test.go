package natsx

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
)

// ReadFromFollower makes get the way the Store's updates read a record
// they have no copy of: a follower of a replicated bucket, lagging or not.
func (s *Store[T]) ReadFromFollower(get func(ctx context.Context, key string) (jetstream.KeyValueEntry, error)) {
	s.directGet = get
}

// PendingEvents is how many events a record as stored in KV still holds.
func PendingEvents(raw []byte) (int, error) {
	e, err := unmarshalEnvelope(raw)
	return len(e.Pending), err
}

// StoreAndDie does what Update does up to its compare-and-set, storing v
// with evs pending, and no more: a writer (another process, which never
// wrote a watermark) that dies before publishing.
func (s *Store[T]) StoreAndDie(ctx context.Context, key string, v T, evs ...Event) error {
	var rev uint64
	if e, err := s.KV.Get(ctx, key); err == nil {
		rev = e.Revision()
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return err
	}
	env := envelope{}
	var err error
	if env.Value, err = proto.Marshal(v); err != nil {
		return err
	}
	for _, ev := range evs {
		data, err := proto.Marshal(ev.Msg)
		if err != nil {
			return err
		}
		env.Pending = append(env.Pending, pending{Subject: ev.Subject, ID: ev.ID, Type: string(proto.MessageName(ev.Msg)), Data: data})
	}
	writer := ""
	if len(evs) > 0 {
		writer = "deadwriter"
		env.Writer = writer
	}
	_, err = s.put(ctx, key, env.marshal(), rev, writer)
	return err
}

// WithoutWatermark makes s clear published events by a write per record,
// as a Store does that cannot open WatermarkBucket.
func (s *Store[T]) WithoutWatermark() { s.marks = nil }

// Watermark is the watermark s last wrote to WatermarkBucket (0: none,
// or s keeps none).
func (s *Store[T]) Watermark() uint64 {
	if s.marks == nil {
		return 0
	}
	s.marks.mu.Lock()
	defer s.marks.mu.Unlock()
	return s.marks.stored
}

// SetUnknownWait sets how long a Store waits to settle a write of unknown
// outcome, until the test ends.
func SetUnknownWait(t interface{ Cleanup(func()) }, d time.Duration) {
	old := unknownWait
	unknownWait = d
	t.Cleanup(func() { unknownWait = old })
}
