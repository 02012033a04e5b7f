// Package observetest checks, across the four real services on embedded
// JetStream and real gRPC, that one article's spans form one trace and
// that log lines about it carry its id, revision and trace id.
package observetest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/service"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/platform/tracing"
	"newsroom.dev/services/drafting"
	"newsroom.dev/services/linking"
	"newsroom.dev/services/publishing"
	"newsroom.dev/services/review"
)

const wait = 30 * time.Second

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, ln := range strings.Split(l.b.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(ln), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// serviceOf says which service a span belongs to: server spans are named
// by their gRPC method, consumer spans "consume <durable>", and durables
// start with the consuming service's name.
func serviceOf(s sdktrace.ReadOnlySpan) string {
	name := s.Name()
	if d, ok := strings.CutPrefix(name, "consume "); ok {
		svc, _, _ := strings.Cut(d, "-")
		return svc
	}
	for _, svc := range []string{"drafting", "review", "publishing", "linking"} {
		if strings.HasPrefix(name, "/newsroom."+svc+".") || strings.HasPrefix(name, svc+".") {
			return svc
		}
	}
	return ""
}

func TestOneTraceFromDraftToPublished(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	ctx := context.Background()
	shutdown, err := tracing.Setup(ctx, "observetest", sdktrace.WithSyncer(exp))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })

	logs := &lockedBuffer{}
	n := testutil.StartNATS(t, "")
	keys := testutil.Keys(t)
	d := testutil.Deps(n, keys, clock.Real{})
	d.Log = slog.New(tracing.LogHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	conn := serve(t, d)

	as := func(subject string, roles ...auth.Role) grpc.CallOption {
		return testutil.As(testutil.Token(t, keys, subject, roles...))
	}
	writer, reviewer, publisher := as("w", auth.Writer), as("r", auth.Reviewer), as("p", auth.Publisher)
	draft := draftingv1.NewDraftingServiceClient(conn)
	rev := reviewv1.NewReviewServiceClient(conn)
	pub := publishingv1.NewPublishingServiceClient(conn)
	link := linkingv1.NewLinkingServiceClient(conn)

	var ids []string
	for i, body := range []string{
		"The harbour council voted on the new harbour bridge budget today. The plan was reportedly drawn up in secret by the bridge engineers.",
		"The harbour bridge budget vote follows months of debate in the harbour council over the bridge engineers and their budget.",
	} {
		resp, err := draft.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: &articlev1.Article{
			Headline: []string{"Harbour bridge budget passes", "Harbour bridge debate goes on"}[i],
			Desk:     "city", Byline: "Test Writer", Tags: []string{"harbour", "bridge"}, Body: body,
		}}, writer)
		if err != nil {
			t.Fatal(err)
		}
		id := resp.GetArticle().GetId()
		ids = append(ids, id)
		if _, err := draft.SubmitArticle(ctx, &draftingv1.SubmitArticleRequest{Id: id}, writer); err != nil {
			t.Fatal(err)
		}
	}
	id := ids[0]

	// Approve whatever review raised, then publish both once cleared.
	for _, aid := range ids {
		testutil.Eventually(t, wait, "review of "+aid, func() bool {
			r, err := rev.GetReview(ctx, &reviewv1.GetReviewRequest{ArticleId: aid}, reviewer)
			return err == nil && r.GetReview().GetRevision() > 0
		})
		r, err := rev.GetReview(ctx, &reviewv1.GetReviewRequest{ArticleId: aid}, reviewer)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.GetReview().GetFlags() {
			if f.GetStatus() == reviewv1.FlagStatus_FLAG_STATUS_OPEN {
				if _, err := rev.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: aid, FlagId: f.GetId(), Note: "fine"}, reviewer); err != nil {
					t.Fatal(err)
				}
			}
		}
		testutil.Eventually(t, wait, "publish of "+aid, func() bool {
			_, err := pub.PublishArticle(ctx, &publishingv1.PublishArticleRequest{ArticleId: aid}, publisher)
			if c := status.Code(err); c != codes.OK && c != codes.FailedPrecondition && c != codes.NotFound {
				t.Fatalf("publish %s: %v", aid, err)
			}
			return err == nil
		})
	}
	testutil.Eventually(t, wait, "related box of "+id, func() bool {
		r, err := link.GetRelated(ctx, &linkingv1.GetRelatedRequest{ArticleId: id}, as("reader", auth.Roles...))
		return err == nil && r != nil
	})

	want := tracing.ArticleTraceID(id)
	need := map[string]bool{}
	for _, svc := range []string{"drafting", "review", "publishing", "linking"} {
		need["server "+svc] = true
	}
	for _, svc := range []string{"review", "publishing", "linking"} {
		need["consumer "+svc] = true
	}
	got := map[string]bool{}
	testutil.Eventually(t, wait, "spans of all four services in the article's trace", func() bool {
		for _, s := range exp.GetSpans().Snapshots() {
			if s.SpanContext().TraceID() != want {
				continue
			}
			kind := map[trace.SpanKind]string{trace.SpanKindServer: "server ", trace.SpanKindConsumer: "consumer "}[s.SpanKind()]
			if kind != "" {
				got[kind+serviceOf(s)] = true
			}
		}
		for k := range need {
			if !got[k] {
				return false
			}
		}
		return true
	})
	// The creating call started the trace: its span and the events it
	// published (consumed by review as a child) are in it.
	var create bool
	for _, s := range exp.GetSpans().Snapshots() {
		if s.SpanContext().TraceID() == want && s.Name() == "drafting.CreateArticle" {
			create = true
		}
	}
	if !create {
		t.Errorf("no drafting.CreateArticle span in trace %s", want)
	}

	// Log lines about the article, logged while handling its events and
	// calls, carry its id, revision and the article's trace id.
	testutil.Eventually(t, wait, "a consumer log line about the article with trace_id and revision", func() bool {
		for _, l := range logs.lines() {
			if l["article_id"] == id && l["trace_id"] == want.String() && l["revision"] != nil {
				return true
			}
		}
		return false
	})
}

// serve runs the four services as `newsroom dev` does on one gRPC server
// (service.NewServer) until the test ends, and returns a client.
func serve(t *testing.T, d service.Deps) *grpc.ClientConn {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dr, err := drafting.New(ctx, d, drafting.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rv, err := review.New(ctx, d, review.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := publishing.New(ctx, d, publishing.Config{BaseURL: "http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	lk, err := linking.New(ctx, d, linking.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svcs := []service.Service{dr, rv, pb, lk}
	srv, _, err := service.NewServer(ctx, d)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{}, len(svcs))
	for _, s := range svcs {
		s.Register(srv.GRPC)
		go func() { _ = s.Run(ctx); done <- struct{}{} }()
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	srv.SetServing()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		for range svcs {
			<-done
		}
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Stop(sctx)
	})
	return conn
}
