package webhooks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
)

// Payload is the JSON body of every delivery. Event is the protobuf event
// in its canonical JSON form (protojson: lowerCamelCase field names).
type Payload struct {
	// The event id (EventMeta.id), the subject it was published on and its
	// protobuf message type.
	ID      string `json:"id"`
	Subject string `json:"subject"`
	Type    string `json:"type"`
	// DeliveryID is "<id>/<webhook_id>", also sent as Newsroom-Delivery;
	// in the body it is covered by the signature.
	DeliveryID string          `json:"delivery_id"`
	WebhookID  string          `json:"webhook_id"`
	Event      json.RawMessage `json:"event"`
}

// DeliveryID is the id of the delivery of one event to one subscription.
func DeliveryID(eventID, webhookID string) string { return eventID + "/" + webhookID }

// fanout enqueues one delivery task per subscription that wants the event.
func (s *Service) fanout(ctx context.Context, m jetstream.Msg) error {
	md, err := m.Metadata()
	if err != nil {
		return natsx.Permanent(err)
	}
	subs, err := s.subscriptions(ctx)
	if err != nil {
		return err
	}
	var want []*record
	for _, r := range subs {
		if r.wants(m.Subject(), md.Sequence.Stream) {
			want = append(want, r)
		}
	}
	if len(want) == 0 {
		return nil
	}
	typ, eventID, event, err := render(m, md)
	if err != nil {
		return natsx.Permanent(err)
	}
	for _, r := range want {
		id := DeliveryID(eventID, r.ID)
		body, err := json.Marshal(Payload{
			ID: eventID, Subject: m.Subject(), Type: typ,
			DeliveryID: id, WebhookID: r.ID, Event: event,
		})
		if err != nil {
			return natsx.Permanent(err)
		}
		task := nats.NewMsg(TaskSubjectPrefix + r.ID)
		task.Data = body
		task.Header.Set(HeaderEvent, m.Subject())
		task.Header.Set(HeaderDelivery, id)
		task.Header.Set(headerEventID, eventID)
		if tp := m.Headers().Get(natsx.HeaderTraceparent); tp != "" {
			task.Header.Set(natsx.HeaderTraceparent, tp)
		}
		// The delivery id as Nats-Msg-Id: a fan-out retried after a partial
		// failure does not enqueue the same delivery twice.
		if _, err := s.d.JS.PublishMsg(ctx, task, jetstream.WithMsgID(id)); err != nil {
			return fmt.Errorf("enqueue %s: %w", id, err)
		}
	}
	return nil
}

// render decodes an event and returns its type, its id and its canonical
// JSON.
func render(m jetstream.Msg, md *jetstream.MsgMetadata) (typ, id string, event json.RawMessage, err error) {
	typ = m.Headers().Get(natsx.HeaderType)
	if typ == "" {
		for _, e := range events.Catalogue {
			if e.Subject == m.Subject() {
				typ = e.Type
			}
		}
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(typ))
	if err != nil {
		return "", "", nil, fmt.Errorf("event on %s has unknown type %q", m.Subject(), typ)
	}
	msg := mt.New().Interface()
	if err := proto.Unmarshal(m.Data(), msg); err != nil {
		return "", "", nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	event, err = protojson.Marshal(msg)
	if err != nil {
		return "", "", nil, fmt.Errorf("render %s: %w", typ, err)
	}
	id = m.Headers().Get(jetstream.MsgIDHeader)
	if id == "" {
		id = metaID(msg)
	}
	if id == "" {
		id = fmt.Sprintf("%s/%d", md.Stream, md.Sequence.Stream)
	}
	return typ, id, event, nil
}

// metaID reads meta.id, which every Newsroom event carries.
func metaID(msg proto.Message) string {
	r := msg.ProtoReflect()
	f := r.Descriptor().Fields().ByName("meta")
	if f == nil || f.Message() == nil || !r.Has(f) {
		return ""
	}
	meta := r.Get(f).Message()
	idf := meta.Descriptor().Fields().ByName("id")
	if idf == nil || idf.Kind() != protoreflect.StringKind {
		return ""
	}
	return meta.Get(idf).String()
}
