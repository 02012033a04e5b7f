package natsx

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
)

// PendingEvents is how many events a record as stored in KV still holds.
func PendingEvents(raw []byte) (int, error) {
	e, err := unmarshalEnvelope(raw)
	return len(e.Pending), err
}

// StoreAndDie does what Update does up to its compare-and-set, storing v
// with evs pending, and no more: a writer that dies before publishing.
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
	_, err = s.put(ctx, key, env.marshal(), rev, len(evs) > 0)
	return err
}
