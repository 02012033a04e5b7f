package natsx

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"newsroom.dev/platform/metrics"
)

// Event is one message to publish: a subject, its deterministic id and the
// protobuf payload.
type Event struct {
	Subject string
	ID      string
	Msg     proto.Message
}

// Header names Newsroom sets on every event.
const (
	HeaderTraceparent = "traceparent"
	HeaderType        = "Newsroom-Type"
)

// Publish sends ev and waits for JetStream's ack. Its id goes out as
// Nats-Msg-Id, so a retried publish inside the dedupe window is dropped.
func Publish(ctx context.Context, js jetstream.JetStream, ev Event) error {
	data, err := proto.Marshal(ev.Msg)
	if err != nil {
		return fmt.Errorf("natsx: marshal %s: %w", ev.Subject, err)
	}
	return publishRaw(ctx, js, ev.Subject, ev.ID, string(proto.MessageName(ev.Msg)), data)
}

func publishRaw(ctx context.Context, js jetstream.JetStream, subject, id, typ string, data []byte) error {
	msg := eventMsg(ctx, subject, typ, data)
	msg.Header.Set(jetstream.MsgIDHeader, id)
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		if _, err = jsPublish(ctx, js.Conn(), msg); err == nil || ctx.Err() != nil {
			break
		}
		if !retryable(err) {
			break
		}
		select {
		case <-ctx.Done():
		case <-timeAfter(backoff(attempt)):
		}
	}
	if err != nil {
		return fmt.Errorf("natsx: publish %s (%s): %w", subject, id, err)
	}
	metrics.EventsPublished.WithLabelValues(subject).Inc()
	return nil
}

func eventMsg(ctx context.Context, subject, typ string, data []byte) *nats.Msg {
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(HeaderType, typ)
	if tp := Traceparent(ctx); tp != "" {
		msg.Header.Set(HeaderTraceparent, tp)
	}
	return msg
}

// asyncAckWait bounds the wait for the acks of publishAll's asynchronous
// publishes before it falls back to publishing one by one.
const asyncAckWait = 10 * time.Second

// publishAll publishes a change's events, in order. Several go out
// together and their acks are awaited together: one round trip instead of
// one per event. If any is not acked, the events from the first such one
// on are published again one by one, with retries (their ids dedupe those
// stored already); only then can a later event be stored before an
// earlier one.
func publishAll(ctx context.Context, js jetstream.JetStream, ps []pending) error {
	if len(ps) == 1 {
		p := ps[0]
		return publishRaw(ctx, js, p.Subject, p.ID, p.Type, p.Data)
	}
	futures := make([]jetstream.PubAckFuture, 0, len(ps))
	for _, p := range ps {
		f, err := js.PublishMsgAsync(eventMsg(ctx, p.Subject, p.Type, p.Data), jetstream.WithMsgID(p.ID))
		if err != nil {
			break
		}
		futures = append(futures, f)
	}
	timeout := time.NewTimer(asyncAckWait)
	defer timeout.Stop()
	first := len(futures) // the first event not known to be stored
	for i, f := range futures {
		ok := false
		select {
		case <-f.Ok():
			ok = true
		case <-f.Err():
		case <-ctx.Done():
		case <-timeout.C:
		}
		if !ok {
			first = i
			break
		}
		metrics.EventsPublished.WithLabelValues(ps[i].Subject).Inc()
	}
	for _, p := range ps[first:] {
		if err := publishRaw(ctx, js, p.Subject, p.ID, p.Type, p.Data); err != nil {
			return err
		}
	}
	return nil
}

type traceKey struct{}

// WithTraceparent returns a context whose events carry tp as their W3C
// traceparent header.
func WithTraceparent(ctx context.Context, tp string) context.Context {
	if tp == "" {
		return ctx
	}
	return context.WithValue(ctx, traceKey{}, tp)
}

// TraceparentFrom returns the traceparent set by WithTraceparent, if any.
func TraceparentFrom(ctx context.Context) string {
	tp, _ := ctx.Value(traceKey{}).(string)
	return tp
}
