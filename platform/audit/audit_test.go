package audit_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	auditv1 "newsroom.dev/gen/newsroom/audit/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/audit"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/testutil"
)

// drafting is a stub drafting service: CreateArticle makes article "a1",
// UpdateArticle refuses, GetArticle reads.
type drafting struct {
	draftingv1.UnimplementedDraftingServiceServer
}

func (drafting) CreateArticle(context.Context, *draftingv1.CreateArticleRequest) (*draftingv1.CreateArticleResponse, error) {
	return &draftingv1.CreateArticleResponse{Article: &articlev1.Article{Id: "a1"}}, nil
}

func (drafting) UpdateArticle(context.Context, *draftingv1.UpdateArticleRequest) (*draftingv1.UpdateArticleResponse, error) {
	return nil, status.Error(codes.InvalidArgument, "article.headline: is required")
}

func (drafting) GetArticle(context.Context, *draftingv1.GetArticleRequest) (*draftingv1.GetArticleResponse, error) {
	return &draftingv1.GetArticleResponse{}, nil
}

// review is a stub review service whose ApproveFlag refuses authors.
type review struct {
	reviewv1.UnimplementedReviewServiceServer
}

func (review) ApproveFlag(ctx context.Context, req *reviewv1.ApproveFlagRequest) (*reviewv1.ApproveFlagResponse, error) {
	if auth.Actor(ctx) == "wendy" {
		return nil, status.Error(codes.PermissionDenied, "authors may not decide flags on their own article")
	}
	return &reviewv1.ApproveFlagResponse{}, nil
}

type env struct {
	nats                    *testutil.NATS
	auditor                 *audit.Auditor
	conn                    *grpc.ClientConn
	drafting                draftingv1.DraftingServiceClient
	review                  reviewv1.ReviewServiceClient
	audit                   auditv1.AuditServiceClient
	writer, reviewer, admin grpc.CallOption
	wendy                   grpc.CallOption
	log                     *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	n := testutil.StartNATS(t, "")
	keys := testutil.Keys(t)
	buf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(buf, nil))
	a, err := audit.New(ctx, audit.Config{JS: n.JS, Replicas: 1, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := grpcx.NewServer(keys, testutil.Logger(), grpcx.WithUnary(a.UnaryInterceptor()))
	a.Register(srv.GRPC)
	draftingv1.RegisterDraftingServiceServer(srv.GRPC, drafting{})
	reviewv1.RegisterReviewServiceServer(srv.GRPC, review{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		srv.Stop(sctx)
	})
	return &env{
		nats: n, auditor: a, conn: conn, log: buf,
		drafting: draftingv1.NewDraftingServiceClient(conn),
		review:   reviewv1.NewReviewServiceClient(conn),
		audit:    auditv1.NewAuditServiceClient(conn),
		writer:   testutil.As(testutil.Token(t, keys, "wanda", auth.Writer)),
		wendy:    testutil.As(testutil.Token(t, keys, "wendy", auth.Writer, auth.Reviewer)),
		reviewer: testutil.As(testutil.Token(t, keys, "rita", auth.Reviewer)),
		admin:    testutil.As(testutil.Token(t, keys, "ada", auth.Admin)),
	}
}

func (e *env) list(t *testing.T, req *auditv1.ListAuditRecordsRequest) *auditv1.ListAuditRecordsResponse {
	t.Helper()
	resp, err := e.audit.ListAuditRecords(context.Background(), req, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestAuditTrail(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	if resp := e.list(t, &auditv1.ListAuditRecordsRequest{}); len(resp.Records) != 0 {
		t.Fatalf("records before any call: %v", resp.Records)
	}
	before := time.Now()
	if _, err := e.drafting.CreateArticle(ctx, &draftingv1.CreateArticleRequest{}, e.writer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.drafting.UpdateArticle(ctx, &draftingv1.UpdateArticleRequest{Id: "a1"}, e.writer); status.Code(err) != codes.InvalidArgument {
		t.Fatal(err)
	}
	// Reads are not recorded, nor calls refused before the handler.
	if _, err := e.drafting.GetArticle(ctx, &draftingv1.GetArticleRequest{Id: "a1"}, e.writer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.drafting.CreateArticle(ctx, &draftingv1.CreateArticleRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatal(err)
	}
	if _, err := e.review.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "a1", FlagId: "f1"}, e.wendy); status.Code(err) != codes.PermissionDenied {
		t.Fatal(err)
	}
	if _, err := e.review.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: "a2", FlagId: "f1"}, e.reviewer); err != nil {
		t.Fatal(err)
	}

	var got []*auditv1.AuditRecord
	testutil.Eventually(t, 10*time.Second, "four audit records", func() bool {
		got = e.list(t, &auditv1.ListAuditRecordsRequest{}).Records
		return len(got) >= 4
	})
	if len(got) != 4 {
		t.Fatalf("%d records, want 4: %v", len(got), got)
	}
	want := []struct{ method, subject, article, code, service string }{
		{draftingv1.DraftingService_CreateArticle_FullMethodName, "wanda", "a1", "OK", "drafting"},
		{draftingv1.DraftingService_UpdateArticle_FullMethodName, "wanda", "a1", "InvalidArgument", "drafting"},
		{reviewv1.ReviewService_ApproveFlag_FullMethodName, "wendy", "a1", "PermissionDenied", "review"},
		{reviewv1.ReviewService_ApproveFlag_FullMethodName, "rita", "a2", "OK", "review"},
	}
	for i, w := range want {
		r := got[i]
		if r.Method != w.method || r.Subject != w.subject || r.ArticleId != w.article || r.Code != w.code || r.Service != w.service {
			t.Errorf("record %d = %v, want %+v", i, r, w)
		}
		if !strings.HasPrefix(r.Peer, "127.0.0.1:") {
			t.Errorf("record %d peer %q", i, r.Peer)
		}
		if r.Time.AsTime().Before(before.Add(-time.Second)) || r.Sequence == 0 || len(r.Roles) == 0 {
			t.Errorf("record %d: time %v, sequence %d, roles %v", i, r.Time.AsTime(), r.Sequence, r.Roles)
		}
	}
	if got[2].Message == "" || got[0].Message != "" {
		t.Errorf("messages: %q, %q", got[0].Message, got[2].Message)
	}
	if got[2].Roles[0] != "writer" || got[2].Roles[1] != "reviewer" {
		t.Errorf("roles %v", got[2].Roles)
	}
	// Each record is on its service's subject.
	for _, svc := range []string{"drafting", "review"} {
		m, err := e.nats.JS.Stream(ctx, audit.Stream)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.GetLastMsgForSubject(ctx, audit.Subject(svc)); err != nil {
			t.Errorf("nothing on %s: %v", audit.Subject(svc), err)
		}
	}

	// Filters.
	if r := e.list(t, &auditv1.ListAuditRecordsRequest{ArticleId: "a1"}).Records; len(r) != 3 {
		t.Errorf("article a1: %d records", len(r))
	}
	if r := e.list(t, &auditv1.ListAuditRecordsRequest{Subject: "rita"}).Records; len(r) != 1 || r[0].ArticleId != "a2" {
		t.Errorf("subject rita: %v", r)
	}
	if r := e.list(t, &auditv1.ListAuditRecordsRequest{Subject: "wanda", ArticleId: "a2"}).Records; len(r) != 0 {
		t.Errorf("wanda on a2: %v", r)
	}
	resp := e.list(t, &auditv1.ListAuditRecordsRequest{Limit: 2})
	if len(resp.Records) != 2 || !resp.Truncated || resp.Records[0].Sequence != got[2].Sequence || resp.Records[1].Sequence != got[3].Sequence {
		t.Errorf("limit 2 should give the newest two, oldest first: %v (truncated %v)", resp.Records, resp.Truncated)
	}
	if r := e.list(t, &auditv1.ListAuditRecordsRequest{Since: timestamppb.New(time.Now().Add(time.Hour))}); len(r.Records) != 0 {
		t.Errorf("since the future: %v", r.Records)
	}
	if r := e.list(t, &auditv1.ListAuditRecordsRequest{Since: timestamppb.New(before.Add(-time.Minute))}); len(r.Records) != 4 {
		t.Errorf("since before: %d records", len(r.Records))
	}
	// Records after a point in time: take the stored time of the third.
	stream, _ := e.nats.JS.Stream(ctx, audit.Stream)
	third, err := stream.GetMsg(ctx, got[2].Sequence)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.list(t, &auditv1.ListAuditRecordsRequest{Since: timestamppb.New(third.Time)}).Records; len(r) < 2 || r[0].Sequence > got[2].Sequence || r[len(r)-1].Sequence != got[3].Sequence {
		t.Errorf("since the third record: %v", r)
	}

	// Only admins read the trail.
	for _, as := range []grpc.CallOption{e.writer, e.reviewer, e.wendy} {
		if _, err := e.audit.ListAuditRecords(ctx, &auditv1.ListAuditRecordsRequest{}, as); status.Code(err) != codes.PermissionDenied {
			t.Errorf("non-admin listed the trail: %v", err)
		}
	}
	if _, err := e.audit.ListAuditRecords(ctx, &auditv1.ListAuditRecordsRequest{Limit: -1}, e.admin); status.Code(err) != codes.InvalidArgument {
		t.Errorf("negative limit: %v", err)
	}
	// Listing is a read: it is not recorded itself.
	if r := e.list(t, &auditv1.ListAuditRecordsRequest{}).Records; len(r) != 4 {
		t.Errorf("listing added records: %d", len(r))
	}
}

// A record that cannot be stored does not fail the call; it is logged.
func TestAuditFailureDoesNotFailTheCall(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	if err := e.nats.JS.DeleteStream(ctx, audit.Stream); err != nil {
		t.Fatal(err)
	}
	resp, err := e.drafting.CreateArticle(ctx, &draftingv1.CreateArticleRequest{}, e.writer)
	if err != nil || resp.GetArticle().GetId() != "a1" {
		t.Fatalf("call failed with the audit stream gone: %v", err)
	}
	if !strings.Contains(e.log.String(), "audit record not stored") || !strings.Contains(e.log.String(), "subject=wanda") {
		t.Errorf("the lost record was not logged:\n%s", e.log.String())
	}
	// Listing with the stream gone is an internal error, not a hang.
	if _, err := e.audit.ListAuditRecords(ctx, &auditv1.ListAuditRecordsRequest{}, e.admin); status.Code(err) != codes.Internal {
		t.Errorf("list without a stream: %v", err)
	}
}
