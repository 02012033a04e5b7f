package webhooks

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/grpcx"
)

// Limits of ListDeliveries.
const (
	DefaultDeliveries = 50
	MaxDeliveries     = LogPerWebhook
)

// logAttempt appends one attempt to the delivery log. A record that cannot
// be stored is logged, and the delivery goes on.
func (s *Service) logAttempt(ctx context.Context, rec *publishingv1.WebhookDelivery) {
	data, err := proto.Marshal(rec)
	if err == nil {
		_, err = s.d.JS.Publish(ctx, LogSubjectPrefix+rec.GetWebhookId(), data)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "recording a delivery attempt", "webhook", rec.GetWebhookId(), "delivery", rec.GetDeliveryId(), "err", err)
	}
}

// ListDeliveries returns the newest attempts of one subscription (also of
// a removed one, while its log lasts), oldest first.
func (s *Service) ListDeliveries(ctx context.Context, req *publishingv1.ListDeliveriesRequest) (*publishingv1.ListDeliveriesResponse, error) {
	id := req.GetWebhookId()
	if !validID(id) {
		return nil, status.Error(codes.InvalidArgument, "webhook_id: not a webhook id (wh_ and 16 hex digits)")
	}
	limit := int(req.GetLimit())
	switch {
	case limit < 0:
		return nil, status.Error(codes.InvalidArgument, "limit must not be negative")
	case limit == 0:
		limit = DefaultDeliveries
	}
	limit = min(limit, MaxDeliveries)
	ring := make([]*publishingv1.WebhookDelivery, 0, min(limit, 64))
	next, seen := 0, 0
	found, err := s.scanLog(ctx, id, func(r *publishingv1.WebhookDelivery) {
		seen++
		if len(ring) < limit {
			ring = append(ring, r)
			return
		}
		ring[next] = r
		next = (next + 1) % limit
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		return nil, grpcx.Internal(ctx, s.log, "list deliveries", err)
	}
	if !found {
		if _, err := s.get(ctx, id); errors.Is(err, errNotFound) {
			return nil, status.Errorf(codes.NotFound, "no webhook %s", id)
		} else if err != nil {
			return nil, grpcx.Internal(ctx, s.log, "list deliveries", err)
		}
	}
	out := append(ring[next:len(ring):len(ring)], ring[:next]...)
	return &publishingv1.ListDeliveriesResponse{Deliveries: out, Truncated: seen > len(out)}, nil
}

// scanLog calls fn for each logged attempt of webhook id, up to the last
// one stored when it starts, and reports whether there was any.
func (s *Service) scanLog(ctx context.Context, id string, fn func(*publishingv1.WebhookDelivery)) (bool, error) {
	subject := LogSubjectPrefix + id
	lastMsg, err := s.logs.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	last := lastMsg.Sequence
	cons, err := s.logs.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return false, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return false, err
	}
	defer it.Stop()
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return true, err
		}
		meta, err := msg.Metadata()
		if err != nil {
			return true, err
		}
		var r publishingv1.WebhookDelivery
		if err := proto.Unmarshal(msg.Data(), &r); err != nil {
			s.log.WarnContext(ctx, "skipping a malformed delivery record", "seq", meta.Sequence.Stream, "err", err)
		} else {
			r.Sequence = meta.Sequence.Stream
			fn(&r)
		}
		if meta.Sequence.Stream >= last || meta.NumPending == 0 {
			return true, nil
		}
	}
}
