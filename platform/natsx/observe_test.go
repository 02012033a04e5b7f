package natsx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/platform/tracing"
)

// TestConsumeKeepsArticleOrder: events are handled concurrently across
// articles, but each article's events in stream order.
func TestConsumeKeepsArticleOrder(t *testing.T) {
	ctx, n, _, _ := setup(t)
	articles := []string{"a", "b", "c", "d", "e"}
	const revs = 20
	for r := int64(1); r <= revs; r++ {
		for _, id := range articles {
			if err := natsx.Publish(ctx, n.JS, updated(&articlev1.Article{Id: id, Revision: r})); err != nil {
				t.Fatal(err)
			}
		}
	}
	var mu sync.Mutex
	seen := map[string][]int64{}
	consumeN(t, n.JS, "order", natsx.ArticleConcurrency, func(_ context.Context, m jetstream.Msg) error {
		meta := natsx.EventMeta(m.Data())
		mu.Lock()
		defer mu.Unlock()
		seen[meta.GetArticleId()] = append(seen[meta.GetArticleId()], meta.GetRevision())
		return nil
	})
	settled(t, ctx, n.JS, "order")
	mu.Lock()
	defer mu.Unlock()
	for _, id := range articles {
		got := seen[id]
		if len(got) != revs {
			t.Fatalf("%s: handled %d events, want %d", id, len(got), revs)
		}
		for i, r := range got {
			if r != int64(i+1) {
				t.Fatalf("%s handled out of order: %v", id, got)
			}
		}
	}
}

// TestConsumeBusyArticleHoldsUpOnlyItself: while one article's handler
// is stuck, the other workers go on with every other article, in order,
// and the stuck article's later events wait for it. (With workers owning
// articles by hash, those sharing the stuck one's worker waited too.)
func TestConsumeBusyArticleHoldsUpOnlyItself(t *testing.T) {
	ctx, n, _, _ := setup(t)
	release := make(chan struct{})
	var mu sync.Mutex
	seen := map[string][]int64{}
	consumeN(t, n.JS, "busy", 2, func(_ context.Context, m jetstream.Msg) error {
		meta := natsx.EventMeta(m.Data())
		if meta.GetArticleId() == "stuck" && meta.GetRevision() == 1 {
			<-release
		}
		mu.Lock()
		defer mu.Unlock()
		seen[meta.GetArticleId()] = append(seen[meta.GetArticleId()], meta.GetRevision())
		return nil
	})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the consumer stops, should the test fail
	if err := natsx.Publish(ctx, n.JS, updated(&articlev1.Article{Id: "stuck", Revision: 1})); err != nil {
		t.Fatal(err)
	}
	const others, revs = 40, 2
	for r := int64(1); r <= revs; r++ {
		for i := range others {
			if err := natsx.Publish(ctx, n.JS, updated(&articlev1.Article{Id: fmt.Sprintf("o%d", i), Revision: r})); err != nil {
				t.Fatal(err)
			}
		}
		if err := natsx.Publish(ctx, n.JS, updated(&articlev1.Article{Id: "stuck", Revision: r + 1})); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 20*time.Second, "every other article handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		done := 0
		for i := range others {
			if len(seen[fmt.Sprintf("o%d", i)]) == revs {
				done++
			}
		}
		return done == others
	})
	mu.Lock()
	if got := seen["stuck"]; len(got) != 0 {
		t.Errorf("the stuck article's later events overtook it: %v", got)
	}
	for i := range others {
		if got := seen[fmt.Sprintf("o%d", i)]; got[0] != 1 || got[1] != 2 {
			t.Errorf("o%d handled out of order: %v", i, got)
		}
	}
	mu.Unlock()
	free()
	settled(t, ctx, n.JS, "busy")
	mu.Lock()
	defer mu.Unlock()
	if got := seen["stuck"]; !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("stuck handled %v, want [1 2 3]", got)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTraceFollowsEvents: Publish writes the current span as traceparent;
// Consume continues the article's trace in a consumer span, so events the
// handler publishes stay in it; log lines carry article, revision, trace.
func TestTraceFollowsEvents(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	shutdown, err := tracing.Setup(context.Background(), "natsx-test", sdktrace.WithSyncer(exp))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	ctx, n, _, _ := setup(t)

	// A caller's span in some other trace publishes an event about "t1".
	pctx, span := sdktrace.NewTracerProvider().Tracer("caller").Start(ctx, "caller")
	if err := natsx.Publish(pctx, n.JS, updated(&articlev1.Article{Id: "t1", Revision: 3})); err != nil {
		t.Fatal(err)
	}
	span.End()

	logs := &syncBuf{}
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(logs, nil)))
	want := tracing.ArticleTraceID("t1")
	got := make(chan trace.SpanContext, 1)
	tps := make(chan string, 1)
	ctxC, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = natsx.Consume(ctxC, n.JS, natsx.ConsumerConfig{Stream: testStream, Durable: "traced", Subjects: []string{testSubject}, Log: testutil.Logger()},
			func(hctx context.Context, m jetstream.Msg) error {
				log.InfoContext(hctx, "handling")
				select {
				case tps <- m.Headers().Get(natsx.HeaderTraceparent):
				default:
				}
				select {
				case got <- trace.SpanContextFromContext(hctx):
				default:
				}
				return nil
			})
	}()
	t.Cleanup(func() { cancel(); <-done })

	var sc trace.SpanContext
	select {
	case sc = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("event not handled")
	}
	if tp := <-tps; !strings.Contains(tp, span.SpanContext().TraceID().String()) {
		t.Fatalf("traceparent %q is not the publishing span's trace %s", tp, span.SpanContext().TraceID())
	}
	if sc.TraceID() != want {
		t.Fatalf("handler's trace %s, want the article's %s", sc.TraceID(), want)
	}
	if tp := natsx.Traceparent(trace.ContextWithSpanContext(context.Background(), sc)); !strings.Contains(tp, want.String()) {
		t.Fatalf("events published by the handler would carry %q", tp)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(logs.String(), "\n", 2)[0]), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line["article_id"] != "t1" || line["revision"] != float64(3) || line["trace_id"] != want.String() {
		t.Fatalf("log line lacks article, revision or trace: %v", line)
	}
	testutil.Eventually(t, 10*time.Second, "the consumer span, linked to the caller", func() bool {
		for _, s := range exp.GetSpans().Snapshots() {
			if s.Name() == "consume traced" && s.SpanKind() == trace.SpanKindConsumer && s.SpanContext().TraceID() == want &&
				len(s.Links()) == 1 && s.Links()[0].SpanContext.TraceID() == span.SpanContext().TraceID() {
				return true
			}
		}
		return false
	})
}

// consumeN runs natsx.Consume on durable with concurrency workers until
// the test ends.
func consumeN(t *testing.T, js jetstream.JetStream, durable string, concurrency int, h natsx.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = natsx.Consume(ctx, js, natsx.ConsumerConfig{
			Stream: testStream, Durable: durable, Subjects: []string{testSubject},
			Concurrency: concurrency, Log: testutil.Logger(),
		}, h)
	}()
	t.Cleanup(func() { cancel(); <-done })
}
