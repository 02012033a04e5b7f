// Package tracing is Newsroom's OpenTelemetry setup: a TracerProvider that
// exports over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set and records nothing otherwise
// (the context still propagates), the W3C trace-context propagator, and
// the article-keyed trace ids that put every span about one article into
// one trace.
//
// # One trace per article
//
// An article's life is many separate calls: CreateArticle, SubmitArticle,
// the reviewer's DecideFlag, the editor's PublishArticle, each from a
// different person at a different time, plus the events the services
// exchange in between. So a trace cannot just follow one call. Instead the
// trace id of a span about an article is derived from the article id
// (ArticleTraceID: the first 16 bytes of SHA-256 of "newsroom/article/"+id).
// grpcx puts the id named by a request's `id` or `article_id` field in the
// context (WithArticle), natsx.Consume does the same from the event's
// EventMeta, and the IDGenerator installed by Setup gives a new root span
// in such a context that trace id. When the caller's own trace (the
// incoming traceparent) is another one, the span starts a new root in the
// article's trace and links to the caller's span, so nothing is lost.
// Events carry the traceparent of the span that published them, and a
// consumer whose event already belongs to the article's trace continues it
// as a child, so the path draft → review → publishing → linking is one
// tree wherever it was not cut by a human action.
package tracing

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Propagator is the W3C trace-context propagator Newsroom uses on gRPC
// metadata and NATS headers.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

type articleKey struct{}

type article struct {
	id  string
	rev int64
}

// WithArticle returns ctx marked as being about article id at revision
// rev (0 if unknown): new root spans in it get the article's trace id, and
// log lines written with it (LogHandler) carry article_id and revision.
func WithArticle(ctx context.Context, id string, rev int64) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, articleKey{}, article{id, rev})
}

// ArticleFrom returns the article ctx is about, if any.
func ArticleFrom(ctx context.Context) (id string, rev int64) {
	a, _ := ctx.Value(articleKey{}).(article)
	return a.id, a.rev
}

// ArticleTraceID is the trace id of every span about article id.
func ArticleTraceID(id string) trace.TraceID {
	sum := sha256.Sum256([]byte("newsroom/article/" + id))
	var t trace.TraceID
	copy(t[:], sum[:16])
	return t
}

// IDGenerator gives root spans about an article (WithArticle) the
// article's trace id, and any other span random ids.
type IDGenerator struct{}

// NewIDs implements sdktrace.IDGenerator.
func (IDGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var t trace.TraceID
	if id, _ := ArticleFrom(ctx); id != "" {
		t = ArticleTraceID(id)
	} else {
		binary.LittleEndian.PutUint64(t[:8], rand.Uint64())
		binary.LittleEndian.PutUint64(t[8:], rand.Uint64())
	}
	return t, newSpanID()
}

// NewSpanID implements sdktrace.IDGenerator.
func (IDGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return newSpanID() }

// newSpanID is a random span id. Ids need to be unique, not secret (the
// SDK's own generator uses math/rand too), and a span is made for every
// call and every event handled, exported or not: crypto/rand cost a
// system call each.
func newSpanID() trace.SpanID {
	var s trace.SpanID
	for !s.IsValid() {
		binary.LittleEndian.PutUint64(s[:], rand.Uint64())
	}
	return s
}

// StartArticle starts a span about article id. If ctx's current span is
// already in the article's trace it is a child; otherwise it is a new root
// in the article's trace linked to the current span (and to remote, if
// valid: the caller's span from a traceparent).
func StartArticle(ctx context.Context, tracer trace.Tracer, id string, rev int64, name string, remote trace.SpanContext, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	ctx = WithArticle(ctx, id, rev)
	want := ArticleTraceID(id)
	parent := trace.SpanContextFromContext(ctx)
	if remote.IsValid() && !parent.IsValid() {
		parent = remote
		ctx = trace.ContextWithRemoteSpanContext(ctx, remote)
	}
	if parent.IsValid() && parent.TraceID() != want {
		opts = append(opts, trace.WithNewRoot(), trace.WithLinks(trace.Link{SpanContext: parent}))
	}
	ctx, span := tracer.Start(ctx, name, opts...)
	if span.IsRecording() {
		span.SetAttributes(semconvArticle(id))
	}
	return ctx, span
}

// Setup installs the global TracerProvider and propagator for service and
// returns a function that flushes and stops it. With no OTLP endpoint in
// the environment spans are not sampled (ids and context still flow);
// with one, everything is sampled and exported. Extra options (e.g. a
// test's in-memory exporter via sdktrace.WithSyncer) are added last.
func Setup(ctx context.Context, service string, opts ...sdktrace.TracerProviderOption) (func(context.Context) error, error) {
	tp, err := NewProvider(ctx, service, opts...)
	if err != nil {
		return nil, err
	}
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator)
	return tp.Shutdown, nil
}

// NewProvider builds the provider Setup installs, without installing it.
func NewProvider(ctx context.Context, service string, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, error) {
	res, _ := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", service)))
	base := []sdktrace.TracerProviderOption{sdktrace.WithIDGenerator(IDGenerator{}), sdktrace.WithResource(res)}
	exporting := len(opts) > 0
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, err
		}
		base = append(base, sdktrace.WithBatcher(exp))
		exporting = true
	}
	if exporting {
		base = append(base, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	} else {
		base = append(base, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	return sdktrace.NewTracerProvider(append(base, opts...)...), nil
}

// Article starts an internal span named name about article id in the
// article's trace (StartArticle with the global tracer): for code that
// learns an article's id only midway, like CreateArticle.
func Article(ctx context.Context, id string, rev int64, name string) (context.Context, trace.Span) {
	return StartArticle(ctx, otel.Tracer("newsroom.dev/platform/tracing"), id, rev, name, trace.SpanContext{})
}
