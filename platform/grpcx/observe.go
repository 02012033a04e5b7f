package grpcx

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"newsroom.dev/platform/metrics"
	"newsroom.dev/platform/tracing"
)

const tracerName = "newsroom.dev/platform/grpcx"

// metricsUnary counts every call (refused ones too) in metrics.RPCs and
// times it in metrics.RPCSeconds.
func metricsUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	metrics.RPCSeconds.WithLabelValues(info.FullMethod).Observe(time.Since(start).Seconds())
	metrics.RPCs.WithLabelValues(info.FullMethod, status.Code(err).String()).Inc()
	return resp, err
}

func metricsStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	err := h(srv, ss)
	metrics.RPCSeconds.WithLabelValues(info.FullMethod).Observe(time.Since(start).Seconds())
	metrics.RPCs.WithLabelValues(info.FullMethod, status.Code(err).String()).Inc()
	return err
}

// traceUnary starts the server span of a call. A call that names an
// article (a string `id` or `article_id` field in the request) joins the
// article's trace (package tracing), linked to the caller's traceparent if
// that is another trace; any other call continues the caller's trace.
// Spans are made here rather than by otelgrpc's stats handler because the
// stats handler starts its span before the request is decoded, so it
// cannot know the article.
func traceUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	var remote trace.SpanContext
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if tps := md.Get("traceparent"); len(tps) > 0 {
			c := propagation.MapCarrier{"traceparent": tps[0]}
			if st := md.Get("tracestate"); len(st) > 0 {
				c["tracestate"] = st[0]
			}
			remote = trace.SpanContextFromContext(tracing.Propagator.Extract(context.Background(), c))
		}
	}
	tracer := otel.Tracer(tracerName)
	kind := trace.WithSpanKind(trace.SpanKindServer)
	var span trace.Span
	if id := ArticleID(req); id != "" {
		ctx, span = tracing.StartArticle(ctx, tracer, id, 0, info.FullMethod, remote, kind)
	} else {
		if remote.IsValid() {
			ctx = trace.ContextWithRemoteSpanContext(ctx, remote)
		}
		ctx, span = tracer.Start(ctx, info.FullMethod, kind)
	}
	// Without an exporter no span is recorded: skip the attributes.
	recording := span.IsRecording()
	if recording {
		span.SetAttributes(attribute.String("rpc.system", "grpc"), attribute.String("rpc.method", info.FullMethod))
	}
	resp, err := h(ctx, req)
	if recording {
		st, _ := status.FromError(err)
		span.SetAttributes(attribute.String("rpc.grpc.status_code", st.Code().String()))
		if err != nil {
			span.SetStatus(otelcodes.Error, st.Message())
		}
	}
	span.End()
	return resp, err
}

// ArticleID is the article a request names: its top-level string field
// `article_id`, else `id`; "" if none.
func ArticleID(req any) string {
	m, ok := req.(proto.Message)
	if !ok {
		return ""
	}
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	for _, name := range []protoreflect.Name{"article_id", "id"} {
		if f := fields.ByName(name); f != nil && f.Kind() == protoreflect.StringKind && f.Cardinality() != protoreflect.Repeated {
			if v := r.Get(f).String(); v != "" {
				return v
			}
		}
	}
	return ""
}
