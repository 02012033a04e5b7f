package securitytest

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/service"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/drafting"
	"newsroom.dev/services/linking"
	"newsroom.dev/services/publishing"
	"newsroom.dev/services/review"
)

// wait bounds every poll for an event to have gone around.
const wait = 20 * time.Second

// buildAll constructs the four services on d, as `newsroom dev` does.
func buildAll(t *testing.T, d service.Deps) []service.Service {
	t.Helper()
	ctx := context.Background()
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
	return []service.Service{dr, rv, pb, lk}
}

// system is the whole newsroom in this process, on one gRPC server built
// the way service.Main and `newsroom dev` build theirs (service.NewServer:
// auth, rate limits, the audit trail and AuditService).
type system struct {
	nats *testutil.NATS
	keys *auth.Keyring
	addr string
	conn *grpc.ClientConn
}

// startSystem runs the four services on a fresh JetStream. opts go to the
// gRPC server (a rate limit, say).
func startSystem(t *testing.T, opts ...grpc.ServerOption) *system {
	t.Helper()
	n := testutil.StartNATS(t, "")
	keys := testutil.Keys(t)
	s := serveSystem(t, testutil.Deps(n, keys, clock.Real{}), opts...)
	s.nats = n
	s.conn = s.dial(t, nil)
	return s
}

// serveSystem runs the four services on d until the test ends; it makes no
// client connection (see dial).
func serveSystem(t *testing.T, d service.Deps, opts ...grpc.ServerOption) *system {
	t.Helper()
	svcs := buildAll(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	srv, _, err := service.NewServer(ctx, d, opts...)
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
	t.Cleanup(func() {
		cancel()
		for range svcs {
			<-done
		}
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Stop(sctx)
	})
	return &system{keys: d.Keys, addr: lis.Addr().String()}
}

// dial connects to the system, over TLS when cfg is not nil.
func (s *system) dial(t *testing.T, cfg *tls.Config) *grpc.ClientConn {
	t.Helper()
	creds := insecure.NewCredentials()
	if cfg != nil {
		creds = credentials.NewTLS(cfg)
	}
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func (s *system) as(t *testing.T, subject string, roles ...auth.Role) grpc.CallOption {
	t.Helper()
	return testutil.As(testutil.Token(t, s.keys, subject, roles...))
}
