package grpcx_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/testutil"
)

// stub answers every create and get at once.
type stub struct {
	draftingv1.UnimplementedDraftingServiceServer
	extra atomic.Int32
}

func (s *stub) CreateArticle(context.Context, *draftingv1.CreateArticleRequest) (*draftingv1.CreateArticleResponse, error) {
	return &draftingv1.CreateArticleResponse{Article: &articlev1.Article{Id: "a1"}}, nil
}

func (s *stub) GetArticle(context.Context, *draftingv1.GetArticleRequest) (*draftingv1.GetArticleResponse, error) {
	return &draftingv1.GetArticleResponse{}, nil
}

func serve(t *testing.T, keys *auth.Keyring, opts ...grpc.ServerOption) (*stub, draftingv1.DraftingServiceClient) {
	t.Helper()
	srv := grpcx.NewServer(keys, testutil.Logger(), opts...)
	s := &stub{}
	draftingv1.RegisterDraftingServiceServer(srv.GRPC, s)
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
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(ctx)
	})
	return s, draftingv1.NewDraftingServiceClient(conn)
}

// A burst beyond the limit is refused with ResourceExhausted and a retry
// delay, for that caller and for writes only, and then recovers.
func TestRateLimit(t *testing.T) {
	keys := testutil.Keys(t)
	_, c := serve(t, keys, grpcx.WithRateLimit(grpcx.RateLimit{PerSecond: 5, Burst: 10}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := testutil.As(testutil.Token(t, keys, "alice", auth.Writer))
	bob := testutil.As(testutil.Token(t, keys, "bob", auth.Writer))
	create := func(as grpc.CallOption) error {
		_, err := c.CreateArticle(ctx, &draftingv1.CreateArticleRequest{}, as)
		return err
	}

	ok := 0
	var refused error
	for range 30 {
		err := create(alice)
		if err == nil {
			ok++
			continue
		}
		refused = err
		break
	}
	// The bucket refills at 5/s while the loop runs, so a slow machine may
	// squeeze in one or two more than the burst.
	if ok < 10 || ok > 15 || status.Code(refused) != codes.ResourceExhausted {
		t.Fatalf("%d calls went through before %v; want the burst of 10 then ResourceExhausted", ok, refused)
	}
	st := status.Convert(refused)
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() <= 0 || retry.GetRetryDelay().AsDuration() > time.Second {
		t.Errorf("no sensible RetryInfo in %v: %v", st, retry)
	}
	// Reads are not limited, and other callers have their own bucket.
	for range 20 {
		if _, err := c.GetArticle(ctx, &draftingv1.GetArticleRequest{}, alice); err != nil {
			t.Fatalf("a read while rate limited: %v", err)
		}
	}
	if err := create(bob); err != nil {
		t.Fatalf("another caller: %v", err)
	}
	// Alice gets through again once her bucket refills.
	testutil.Eventually(t, 10*time.Second, "alice's bucket to refill", func() bool { return create(alice) == nil })
}

func TestRateLimitOff(t *testing.T) {
	keys := testutil.Keys(t)
	t.Setenv("NEWSROOM_RATE_LIMIT", "off")
	_, c := serve(t, keys)
	as := testutil.As(testutil.Token(t, keys, "alice", auth.Writer))
	for i := range 200 {
		if _, err := c.CreateArticle(context.Background(), &draftingv1.CreateArticleRequest{}, as); err != nil {
			t.Fatalf("call %d with limiting off: %v", i, err)
		}
	}
}

// WithUnary interceptors run after authentication, so they see the caller,
// and only for calls the auth interceptor let through.
func TestWithUnary(t *testing.T) {
	keys := testutil.Keys(t)
	var seen atomic.Value
	var calls atomic.Int32
	_, c := serve(t, keys, grpcx.WithUnary(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		calls.Add(1)
		id, _ := auth.FromContext(ctx)
		seen.Store(id.Subject)
		return h(ctx, req)
	}))
	ctx := context.Background()
	if _, err := c.CreateArticle(ctx, &draftingv1.CreateArticleRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no token: %v", err)
	}
	if _, err := c.CreateArticle(ctx, &draftingv1.CreateArticleRequest{}, testutil.As(testutil.Token(t, keys, "pat", auth.Publisher))); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("wrong role: %v", err)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the interceptor ran for %d refused calls", n)
	}
	if _, err := c.CreateArticle(ctx, &draftingv1.CreateArticleRequest{}, testutil.As(testutil.Token(t, keys, "wanda", auth.Writer))); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 || seen.Load() != "wanda" {
		t.Errorf("interceptor ran %d times, saw %v", calls.Load(), seen.Load())
	}
}
