package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/testutil"
)

// stub is a drafting service whose only implemented RPC, GetArticle,
// records who called it; the rest answer Unimplemented once the
// interceptor lets a call through. It also serves a bidirectional stream,
// Echo, to exercise the stream interceptor.
type stub struct {
	draftingv1.UnimplementedDraftingServiceServer
	mu     sync.Mutex
	caller auth.Identity
	actor  string
}

const echoMethod = "/newsroom.test.v1.TestService/Echo"

func (s *stub) Name() string { return draftingv1.DraftingService_ServiceDesc.ServiceName }

func (s *stub) Register(r grpc.ServiceRegistrar) {
	draftingv1.RegisterDraftingServiceServer(r, s)
	r.RegisterService(&grpc.ServiceDesc{
		ServiceName: "newsroom.test.v1.TestService",
		HandlerType: (*any)(nil),
		Streams: []grpc.StreamDesc{{
			StreamName:    "Echo",
			ServerStreams: true,
			ClientStreams: true,
			Handler: func(_ any, ss grpc.ServerStream) error {
				s.record(ss.Context())
				return ss.SendMsg(&emptypb.Empty{})
			},
		}},
	}, nil)
}

func (s *stub) Run(ctx context.Context) error { <-ctx.Done(); return nil }

func (s *stub) GetArticle(ctx context.Context, _ *draftingv1.GetArticleRequest) (*draftingv1.GetArticleResponse, error) {
	s.record(ctx)
	return nil, status.Error(codes.NotFound, "no such article")
}

func (s *stub) record(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caller, _ = auth.FromContext(ctx)
	s.actor = auth.Actor(ctx)
}

func (s *stub) last() (auth.Identity, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, actor := s.caller, s.actor
	s.caller, s.actor = auth.Identity{}, ""
	return id, actor
}

func TestInterceptor(t *testing.T) {
	key := auth.NewKey()
	keys := keyring(t, key, nil)
	// A keyring whose clock is two hours behind issues tokens that expired
	// an hour ago by the server's clock.
	past := keyring(t, key, clock.NewFake(time.Now().Add(-2*time.Hour)))
	expired, err := past.Issue("alice", []auth.Role{auth.Writer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	writer := testutil.Token(t, keys, "alice", auth.Writer)
	publisher := testutil.Token(t, keys, "pat", auth.Publisher)
	foreign := testutil.Token(t, testutil.Keys(t), "alice", auth.Writer)

	s := &stub{}
	conn := testutil.Serve(t, keys, s)
	client := draftingv1.NewDraftingServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	withHeader := func(v string) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", v)
	}
	tests := []struct {
		name string
		ctx  context.Context
		opts []grpc.CallOption
		call func(context.Context, ...grpc.CallOption) error
		want codes.Code
	}{
		{"no token", ctx, nil, create(client), codes.Unauthenticated},
		{"not bearer", withHeader("Basic YWxpY2U6c2VjcmV0"), nil, create(client), codes.Unauthenticated},
		{"garbage token", ctx, []grpc.CallOption{testutil.As("garbage")}, create(client), codes.Unauthenticated},
		{"token from another key", ctx, []grpc.CallOption{testutil.As(foreign)}, create(client), codes.Unauthenticated},
		{"expired token", ctx, []grpc.CallOption{testutil.As(expired)}, create(client), codes.Unauthenticated},
		{"wrong role", ctx, []grpc.CallOption{testutil.As(publisher)}, create(client), codes.PermissionDenied},
		{"allowed role reaches the handler", ctx, []grpc.CallOption{testutil.As(writer)}, create(client), codes.Unimplemented},
		{"reader role reaches the handler", ctx, []grpc.CallOption{testutil.As(publisher)}, get(client), codes.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(tc.ctx, tc.opts...)
			if got := status.Code(err); got != tc.want {
				t.Errorf("got %v (%v), want %v", got, err, tc.want)
			}
			id, _ := s.last()
			if tc.want == codes.Unauthenticated || tc.want == codes.PermissionDenied {
				if id.Subject != "" {
					t.Errorf("a refused call reached the handler as %q", id.Subject)
				}
			}
		})
	}

	// The handler sees who called.
	if _, err := client.GetArticle(ctx, &draftingv1.GetArticleRequest{}, testutil.As(writer)); status.Code(err) != codes.NotFound {
		t.Fatal(err)
	}
	id, actor := s.last()
	if id.Subject != "alice" || !id.Has(auth.Writer) || actor != "alice" {
		t.Errorf("handler saw %+v, actor %q", id, actor)
	}

	// The expired token's message says so, so a CLI can tell the user.
	_, err = client.GetArticle(ctx, &draftingv1.GetArticleRequest{}, testutil.As(expired))
	if st, _ := status.FromError(err); st.Message() != "token expired" {
		t.Errorf("expired token message %q", st.Message())
	}

	// Health is open: no token needed.
	hc := healthpb.NewHealthClient(conn)
	if res, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || res.Status != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health check without a token: %v, %v", res, err)
	}
	wctx, wcancel := context.WithCancel(ctx)
	w, err := hc.Watch(wctx, &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = w.Recv()
	}
	wcancel()
	if err != nil {
		t.Errorf("health watch (a stream) without a token: %v", err)
	}
}

func create(c draftingv1.DraftingServiceClient) func(context.Context, ...grpc.CallOption) error {
	return func(ctx context.Context, opts ...grpc.CallOption) error {
		_, err := c.CreateArticle(ctx, &draftingv1.CreateArticleRequest{}, opts...)
		return err
	}
}

func get(c draftingv1.DraftingServiceClient) func(context.Context, ...grpc.CallOption) error {
	return func(ctx context.Context, opts ...grpc.CallOption) error {
		_, err := c.GetArticle(ctx, &draftingv1.GetArticleRequest{}, opts...)
		return err
	}
}

// The stream interceptor refuses like the unary one, and hands the
// handler a context carrying the caller.
func TestStreamInterceptor(t *testing.T) {
	keys := testutil.Keys(t)
	s := &stub{}
	conn := testutil.Serve(t, keys, s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	echo := func(opts ...grpc.CallOption) error {
		st, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, echoMethod, opts...)
		if err != nil {
			return err
		}
		if err := st.CloseSend(); err != nil {
			return err
		}
		return st.RecvMsg(&emptypb.Empty{})
	}
	editor := testutil.Token(t, keys, "ed", auth.Editor)
	if err := echo(); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no token: %v", err)
	}
	// Not in the policy: closed to everyone.
	if err := echo(testutil.As(editor)); status.Code(err) != codes.PermissionDenied {
		t.Errorf("unclassified stream: %v", err)
	}
	auth.Policy[echoMethod] = []auth.Role{auth.Editor}
	t.Cleanup(func() { delete(auth.Policy, echoMethod) })
	if err := echo(testutil.As(editor)); err != nil {
		t.Fatalf("allowed stream: %v", err)
	}
	if id, actor := s.last(); id.Subject != "ed" || actor != "ed" {
		t.Errorf("stream handler saw %+v, actor %q", id, actor)
	}
	if err := echo(testutil.As(testutil.Token(t, keys, "w", auth.Writer))); status.Code(err) != codes.PermissionDenied {
		t.Errorf("wrong role on a stream: %v", err)
	}
}

func TestContextIdentity(t *testing.T) {
	ctx := context.Background()
	if _, ok := auth.FromContext(ctx); ok {
		t.Error("identity in an empty context")
	}
	if got := auth.Actor(ctx); got != "system" {
		t.Errorf("Actor without a caller = %q, want system", got)
	}
	ctx = auth.WithIdentity(ctx, auth.Identity{Subject: "alice", Roles: []auth.Role{auth.Editor}})
	if id, ok := auth.FromContext(ctx); !ok || id.Subject != "alice" || auth.Actor(ctx) != "alice" {
		t.Errorf("FromContext = %+v, %v", id, ok)
	}
}

// A token the interceptor has verified (and remembers) is still refused
// once it expires, and a different token is checked on its own.
func TestInterceptorRemembersTokensUntilExpiry(t *testing.T) {
	clk := clock.NewFake(time.Now())
	keys := keyring(t, auth.NewKey(), clk)
	tok, err := keys.Issue("alice", []auth.Role{auth.Writer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := &stub{}
	client := draftingv1.NewDraftingServiceClient(testutil.Serve(t, keys, s))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 3 {
		if _, err := client.GetArticle(ctx, &draftingv1.GetArticleRequest{}, testutil.As(tok)); status.Code(err) != codes.NotFound {
			t.Fatalf("call %d with a valid token: %v", i, err)
		}
		if id, _ := s.last(); id.Subject != "alice" {
			t.Fatalf("call %d reached the handler as %+v", i, id)
		}
	}
	// A tampered copy of the remembered token is not taken for it.
	if _, err := client.GetArticle(ctx, &draftingv1.GetArticleRequest{}, testutil.As(tok+"x")); status.Code(err) != codes.Unauthenticated {
		t.Errorf("tampered token: %v", err)
	}
	clk.Advance(time.Hour + time.Second)
	_, err = client.GetArticle(ctx, &draftingv1.GetArticleRequest{}, testutil.As(tok))
	if st, _ := status.FromError(err); st.Code() != codes.Unauthenticated || st.Message() != "token expired" {
		t.Errorf("remembered token after its expiry: %v", err)
	}
	if id, _ := s.last(); id.Subject != "" {
		t.Errorf("an expired token reached the handler as %q", id.Subject)
	}
}
