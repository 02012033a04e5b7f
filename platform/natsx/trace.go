package natsx

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/tracing"
)

const tracerName = "newsroom.dev/platform/natsx"

// Traceparent is the W3C traceparent events published with ctx carry: the
// current span's (OpenTelemetry), else the one set by WithTraceparent.
// Services put it in EventMeta.traceparent.
func Traceparent(ctx context.Context) string {
	if trace.SpanContextFromContext(ctx).IsValid() {
		c := propagation.MapCarrier{}
		tracing.Propagator.Inject(ctx, c)
		if tp := c[HeaderTraceparent]; tp != "" {
			return tp
		}
	}
	return TraceparentFrom(ctx)
}

// EventMeta reads field 1 (the EventMeta) of any Newsroom event without
// knowing its type; nil if there is none.
func EventMeta(data []byte) *articlev1.EventMeta {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return nil
		}
		data = data[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(data)
			if n < 0 {
				return nil
			}
			m := &articlev1.EventMeta{}
			if proto.Unmarshal(v, m) != nil {
				return nil
			}
			return m
		}
		n = protowire.ConsumeFieldValue(num, typ, data)
		if n < 0 {
			return nil
		}
		data = data[n:]
	}
	return nil
}

// eventArticle reads the article id and revision from an event's
// EventMeta (field 1) as EventMeta does, without decoding the rest: the
// consumer loop needs them for every delivery. "" if there is none.
func eventArticle(data []byte) (string, int64) {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return "", 0
		}
		data = data[n:]
		if num == 1 && typ == protowire.BytesType {
			meta, n := protowire.ConsumeBytes(data)
			if n < 0 {
				return "", 0
			}
			return metaArticle(meta)
		}
		n = protowire.ConsumeFieldValue(num, typ, data)
		if n < 0 {
			return "", 0
		}
		data = data[n:]
	}
	return "", 0
}

// metaArticle reads article_id (2) and revision (3) of an encoded
// EventMeta; the last occurrence of a field wins, as in proto.Unmarshal.
func metaArticle(b []byte) (id string, rev int64) {
	var raw []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", 0
		}
		b = b[n:]
		switch {
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return "", 0
			}
			raw, b = v, b[n:]
			continue
		case num == 3 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return "", 0
			}
			rev, b = int64(v), b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return "", 0
		}
		b = b[n:]
	}
	return string(raw), rev
}

// consumeSpan starts the consumer span for m: a child of the span that
// published it (its traceparent header), in the trace of the article the
// event is about (see package tracing). The context also carries the
// article (for log lines) and the header as WithTraceparent.
func consumeSpan(ctx context.Context, durable string, m jetstream.Msg, article string, rev int64) (context.Context, trace.Span) {
	var remote trace.SpanContext
	if tp := m.Headers().Get(HeaderTraceparent); tp != "" {
		ctx = WithTraceparent(ctx, tp)
		remote = trace.SpanContextFromContext(tracing.Propagator.Extract(context.Background(), propagation.MapCarrier{HeaderTraceparent: tp}))
	}
	tracer := otel.Tracer(tracerName)
	kind := trace.WithSpanKind(trace.SpanKindConsumer)
	name := "consume " + durable
	var span trace.Span
	if article != "" {
		ctx, span = tracing.StartArticle(ctx, tracer, article, rev, name, remote, kind)
	} else {
		if remote.IsValid() {
			ctx = trace.ContextWithRemoteSpanContext(ctx, remote)
		}
		ctx, span = tracer.Start(ctx, name, kind)
	}
	// Attributes only for a span that is recorded: without an exporter
	// none is, and building them for every event was wasted.
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", m.Subject()),
			attribute.String("messaging.consumer.group.name", durable),
		)
	}
	return ctx, span
}

func endSpan(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
