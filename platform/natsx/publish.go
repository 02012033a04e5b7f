package natsx

import (
	"context"
	"fmt"

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
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(HeaderType, typ)
	if tp := Traceparent(ctx); tp != "" {
		msg.Header.Set(HeaderTraceparent, tp)
	}
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		if _, err = js.PublishMsg(ctx, msg, jetstream.WithMsgID(id)); err == nil || ctx.Err() != nil {
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
