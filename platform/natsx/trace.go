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

// consumeSpan starts the consumer span for m: a child of the span that
// published it (its traceparent header), in the trace of the article the
// event is about (see package tracing). The context also carries the
// article (for log lines) and the header as WithTraceparent.
func consumeSpan(ctx context.Context, durable string, m jetstream.Msg) (context.Context, trace.Span) {
	var remote trace.SpanContext
	if tp := m.Headers().Get(HeaderTraceparent); tp != "" {
		ctx = WithTraceparent(ctx, tp)
		remote = trace.SpanContextFromContext(tracing.Propagator.Extract(context.Background(), propagation.MapCarrier{HeaderTraceparent: tp}))
	}
	tracer := otel.Tracer(tracerName)
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		attribute.String("messaging.system", "nats"),
		attribute.String("messaging.destination.name", m.Subject()),
		attribute.String("messaging.consumer.group.name", durable),
	)}
	name := "consume " + durable
	if meta := EventMeta(m.Data()); meta.GetArticleId() != "" {
		return tracing.StartArticle(ctx, tracer, meta.GetArticleId(), meta.GetRevision(), name, remote, opts...)
	}
	if remote.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, remote)
	}
	return tracer.Start(ctx, name, opts...)
}

func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
